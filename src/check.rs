//! `appflow-harness check`: load scenarios, pick the target, run, report.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::cli::CheckArgs;
use crate::emulator::model::civil_date;
use crate::exit_codes;
use crate::report;
use crate::runner::{self, Options, Target};

pub async fn run(args: CheckArgs) -> i32 {
    let paths = if args.scenarios.is_empty() {
        vec!["scenarios".into()]
    } else {
        args.scenarios.clone()
    };
    let mut scenarios = match crate::scenario::load(&paths) {
        Ok(s) => s,
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            eprintln!("{} invalid scenario file(s); nothing was run", errors.len());
            return exit_codes::INVALID_INPUT;
        }
    };
    if let Some(f) = &args.filter {
        scenarios.retain(|s| s.name.contains(f.as_str()));
    }
    if scenarios.is_empty() {
        eprintln!(
            "error: no scenario to run (looked in {})",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return exit_codes::INVALID_INPUT;
    }
    let timeout = Duration::from_secs(args.timeout_secs.max(1));
    let region = args.emulator.region.clone();
    let target = match args.target.as_str() {
        "embedded" => Target::embedded(args.emulator.config(), timeout).await,
        "aws" => Target::aws(&region, timeout).await,
        url => {
            let signer = match crate::cli::signer_for(args.sign, &region) {
                Ok(s) => s,
                Err(code) => return code,
            };
            Target::url(url, &region, signer, timeout).await
        }
    };
    let target = match target {
        Ok(t) => t,
        Err(e @ runner::target::TargetError::Client(_)) => {
            eprintln!("error: {e}");
            return exit_codes::USAGE;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return exit_codes::TARGET_UNREACHABLE;
        }
    };
    if let Err(e) = target.probe().await {
        eprintln!("error: {e}");
        return exit_codes::TARGET_UNREACHABLE;
    }
    eprintln!(
        "running {} scenario(s) against {} ({}{})",
        scenarios.len(),
        target.endpoint.base_url(),
        target.kind.as_str(),
        if target.control {
            ", with test-control API"
        } else {
            ", no test-control API: steps that need it are skipped"
        }
    );
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let (y, m, d) = civil_date(now_ms);
    let options = Options {
        jobs: args.jobs,
        snapshots: (!args.no_snapshots).then(|| args.snapshots.clone()),
        update: args.update,
        run_id: uuid::Uuid::new_v4().simple().to_string()[..8].to_owned(),
        today: format!("{y:04}-{m:02}-{d:02}"),
    };
    let summary = runner::run(scenarios, Arc::new(target), options, |r| {
        println!("{}", report::terminal::scenario_line(r));
    })
    .await;
    let mut out = std::io::stdout().lock();
    if let Err(e) = report::terminal::render(&summary, &mut out) {
        eprintln!("error: failed to print the report: {e}");
        return exit_codes::INTERNAL;
    }
    for (path, kind) in [(&args.junit, "junit"), (&args.json, "json")] {
        let Some(path) = path else { continue };
        let written = std::fs::File::create(path).and_then(|f| {
            let mut w = std::io::BufWriter::new(f);
            match kind {
                "junit" => report::junit::render(&summary, &mut w),
                _ => report::json::render(&summary, &mut w),
            }
        });
        if let Err(e) = written {
            eprintln!(
                "error: failed to write the {kind} report {}: {e}",
                path.display()
            );
            return exit_codes::INTERNAL;
        }
    }
    if summary.passed() {
        exit_codes::OK
    } else {
        exit_codes::FAILURES
    }
}
