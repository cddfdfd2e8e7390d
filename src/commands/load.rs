//! `appflow-harness load`: resolve the target, run the goose attack with its
//! verdict, apply the thresholds, report; `load merge` combines the reports
//! of workers that ran together.

use std::path::PathBuf;

use super::{CommandError, Console, Outcome, write_file};
use crate::endpoint::{self, Environment, TargetChoice, TargetOptions};
use crate::load::{self, LoadError, LoadOptions, LoadReport};

/// What a load run writes, and the limits that fail it.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    /// Our self-contained HTML report.
    pub report_file: Option<PathBuf>,
    /// The JSON report (figures, histograms, verdict).
    pub json: Option<PathBuf>,
    pub max_p99_ms: Option<f64>,
    pub min_rps: Option<f64>,
    pub max_error_rate_pct: f64,
}

#[derive(Debug, Clone)]
pub struct LoadCommandOptions {
    pub target: TargetOptions,
    pub load: LoadOptions,
    pub outputs: Outputs,
}

pub async fn run(
    mut options: LoadCommandOptions,
    env: &Environment,
    console: &mut Console<'_>,
) -> Result<Outcome, CommandError> {
    options.load.validate().map_err(CommandError::Usage)?;
    if options.target.choice == TargetChoice::Embedded {
        // Quotas out of the way: a load test makes far more runs than AWS's
        // defaults allow at once.
        options.target.emulator.max_concurrent_runs = usize::MAX;
        options.target.emulator.max_runs_per_month = u64::MAX;
    }
    let target = endpoint::resolve(options.target, env).await?;
    console.note(format_args!(
        "load test of {}: {} users, run time {}, mix {:?}{}",
        target.endpoint.base_url(),
        options.load.users,
        options.load.run_time,
        options.load.mix,
        options
            .load
            .worker
            .map_or_else(String::new, |(i, n)| format!(", worker {i} of {n}"))
    ));
    let report = load::run(&target, &options.load)
        .await
        .map_err(|e| match e {
            LoadError::Setup(..) => CommandError::TargetUnreachable(e.to_string()),
            LoadError::Option(_) => CommandError::Usage(e.to_string()),
            LoadError::Goose(_) => CommandError::Internal(e.to_string()),
        })?;
    finish(report, &options.outputs, env, console)
}

/// `load merge`: the workers' reports as one, judged as one.
pub fn merge(
    paths: &[PathBuf],
    outputs: &Outputs,
    env: &Environment,
    console: &mut Console<'_>,
) -> Result<Outcome, CommandError> {
    let mut reports = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(p).map_err(|e| {
            CommandError::InvalidInput(vec![format!("failed to read {}: {e}", p.display())])
        })?;
        let r: LoadReport = serde_json::from_str(&text).map_err(|e| {
            CommandError::InvalidInput(vec![format!("{}: not a load report: {e}", p.display())])
        })?;
        reports.push(r);
    }
    let mut merged =
        LoadReport::merge(&reports).map_err(|e| CommandError::InvalidInput(vec![e]))?;
    merged.set_max_error_rate(outputs.max_error_rate_pct);
    finish(merged, outputs, env, console)
}

fn finish(
    mut report: LoadReport,
    outputs: &Outputs,
    env: &Environment,
    console: &mut Console<'_>,
) -> Result<Outcome, CommandError> {
    report.apply_thresholds(outputs.max_p99_ms, outputs.min_rps);
    report
        .render(console.out)
        .map_err(|e| CommandError::Internal(format!("failed to print the report: {e}")))?;
    let redactor = env.redactor();
    if let Some(path) = &outputs.json {
        write_file(path, "json", &redactor, |w| {
            serde_json::to_writer_pretty(&mut *w, &report).map_err(std::io::Error::other)
        })?;
    }
    if let Some(path) = &outputs.report_file {
        write_file(path, "html", &redactor, |w| load::html::render(&report, w))?;
    }
    if report.interrupted {
        return Ok(Outcome::Interrupted);
    }
    Ok(Outcome::from_passed(report.passed()))
}
