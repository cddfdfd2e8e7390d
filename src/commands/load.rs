//! `appflow-harness load`: resolve the target, run the goose attack with its
//! verdict (judged once by the run's thresholds), report; `load merge`
//! combines the reports of workers that ran together, refusing reports that
//! do not belong together, and judges the whole once. Ctrl-C and SIGTERM
//! stop a run the same way: the attack ends, the flows are deleted, the
//! reports are written, the exit code is 130.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::{CommandError, Console, Outcome, write_file};
use crate::endpoint::{self, Environment, TargetChoice, TargetOptions};
use crate::load::{self, Hooks, LoadError, LoadOptions, LoadReport, Thresholds};

/// Where a load run (or merge) writes its reports.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    /// Our self-contained HTML report.
    pub report_file: Option<PathBuf>,
    /// The JSON report (figures, histograms, series, verdict).
    pub json: Option<PathBuf>,
    /// The JUnit XML report (a test case per part of the verdict).
    pub junit: Option<PathBuf>,
}

/// Everything `load` needs.
#[derive(Debug, Clone)]
pub struct LoadCommandOptions {
    /// The target and how to reach it.
    pub target: TargetOptions,
    /// The attack (its thresholds included).
    pub load: LoadOptions,
    /// The reports to write.
    pub outputs: Outputs,
    /// Watch Ctrl-C and SIGTERM (the binary does; tests need not).
    pub watch_signals: bool,
}

/// Runs a load test: exit code from its verdict, or 130 when stopped.
///
/// # Errors
/// Options that mean nothing (before anything starts), a target that
/// cannot be reached or set up, goose failing, a report not written.
pub async fn run(
    mut options: LoadCommandOptions,
    env: &Environment,
    console: &mut Console<'_>,
) -> Result<Outcome, CommandError> {
    options.load.validate().map_err(CommandError::Usage)?;
    // The attack is paced by goose (--throttle), set-up and verdict reads by
    // the client: one cap over both cannot be kept, and a cap that holds
    // for some calls only would mislead a user gentle with an AWS account.
    if let Some(rps) = options.target.max_rps {
        return Err(CommandError::Usage(format!(
            "--max-rps is not taken by load: use --throttle {} to cap the attack (all users together, requests a second); set-up and verdict reads (about two a second per flow) come on top",
            rps.floor().max(1.0)
        )));
    }
    if options.target.choice == TargetChoice::Embedded {
        // Quotas out of the way: a load test makes far more runs than AWS's
        // defaults allow at once.
        options.target.emulator.max_concurrent_runs = usize::MAX;
        options.target.emulator.max_runs_per_month = u64::MAX;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = options.watch_signals.then(|| {
        keep_goose_off_sigint();
        super::watch_signals(stop.clone())
    });
    let target = endpoint::resolve(options.target, env).await?;
    // As every command: nothing answering is exit 4 at once (not after the
    // set-up's retries), and credentials the target refuses are one clear
    // error (exit 2, USAGE) before any flow is made, not a failed set-up.
    // A stop during the probe (a silent target holds it for the whole
    // timeout) ends it: nothing more is sent but clean-up.
    if !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let stopped = crate::client::retry::wait_or_stop(&stop, None);
        tokio::select! {
            biased;
            _ = stopped => {}
            r = target.probe() => r?,
        }
    }
    let o = &options.load;
    console.note(format_args!(
        "load test of {}: {} users, run time {:?}, mix {}{}",
        target.endpoint.base_url(),
        o.users,
        o.run_time,
        o.mix,
        o.worker
            .map_or_else(String::new, |(i, n)| format!(", worker {i} of {n}"))
    ));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let hooks = Hooks {
        stop,
        progress: Some(tx),
    };
    let running = load::run_with(&target, o, hooks);
    tokio::pin!(running);
    let result = loop {
        tokio::select! {
            r = &mut running => break r,
            Some(line) = rx.recv() => console.note(format_args!("{line}")),
        }
    };
    if let Some(w) = watcher {
        w.abort();
    }
    let report = result.map_err(|e| match e {
        LoadError::Setup(..) => CommandError::TargetUnreachable(e.to_string()),
        LoadError::Option(_) => CommandError::Usage(e.to_string()),
        LoadError::Goose(_) => CommandError::Internal(e.to_string()),
    })?;
    finish(report, &options.outputs, env, console)
}

/// Goose installs a Ctrl-C handler of its own when an attack starts (it
/// prints "[WARN] caught ctrl-c" and exits the process on a second one).
/// The ctrlc crate allows one handler per process: taking the slot first
/// keeps goose's out, and the harness's watcher (which chains to this
/// handler) treats SIGINT and SIGTERM alike.
fn keep_goose_off_sigint() {
    let _ = ctrlc::set_handler(|| {});
}

/// `load merge`: the workers' reports as one, judged once by `thresholds`.
///
/// # Errors
/// A file that cannot be read or is not a load report (3), reports that do
/// not belong together or limits that mean nothing (2), a report not written.
pub fn merge(
    paths: &[PathBuf],
    outputs: &Outputs,
    thresholds: &Thresholds,
    env: &Environment,
    console: &mut Console<'_>,
) -> Result<Outcome, CommandError> {
    thresholds.validate().map_err(CommandError::Usage)?;
    let mut reports = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(p).map_err(|e| {
            CommandError::InvalidInput(vec![format!("failed to read {}: {e}", p.display())])
        })?;
        let r: LoadReport = serde_json::from_str(&text).map_err(|e| {
            CommandError::InvalidInput(vec![format!("{}: not a load report: {e}", p.display())])
        })?;
        reports.push((p.display().to_string(), r));
    }
    let mut merged = load::merge::merge(&reports).map_err(CommandError::Usage)?;
    merged.judge(thresholds);
    finish(merged, outputs, env, console)
}

fn finish(
    report: LoadReport,
    outputs: &Outputs,
    env: &Environment,
    console: &mut Console<'_>,
) -> Result<Outcome, CommandError> {
    report
        .render(console.out)
        .map_err(CommandError::io("failed to print the report"))?;
    let redactor = env.redactor();
    if let Some(path) = &outputs.json {
        write_file(path, "json", &redactor, |w| {
            serde_json::to_writer_pretty(&mut *w, &report).map_err(std::io::Error::other)
        })?;
    }
    if let Some(path) = &outputs.report_file {
        write_file(path, "html", &redactor, |w| {
            crate::report::load_html::render(&report, w)
        })?;
    }
    if let Some(path) = &outputs.junit {
        write_file(path, "junit", &redactor, |w| {
            crate::report::load_junit::render(&report, w)
        })?;
    }
    if report.interrupted {
        return Ok(Outcome::Interrupted);
    }
    Ok(Outcome::from_passed(report.passed()))
}
