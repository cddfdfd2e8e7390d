//! `appflow-harness load`: resolve the target, run the goose attack with its
//! verdict, apply the thresholds, report.

use std::path::PathBuf;

use super::{CommandError, Console, Outcome, write_file};
use crate::load::{self, LoadError, LoadOptions};
use crate::target::{self, Environment, TargetChoice, TargetOptions};

#[derive(Debug, Clone)]
pub struct LoadCommandOptions {
    pub target: TargetOptions,
    pub load: LoadOptions,
    /// Write our JSON report (figures and verdict) here.
    pub json: Option<PathBuf>,
    pub max_p99_ms: Option<f64>,
    pub min_rps: Option<f64>,
    pub max_error_rate: Option<f64>,
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
    let target = target::resolve(options.target, env).await?;
    console.note(format_args!(
        "load test of {}: {} users, run time {}, mix {:?}",
        target.endpoint.base_url(),
        options.load.users,
        options.load.run_time,
        options.load.mix
    ));
    let mut report = load::run(&target, &options.load)
        .await
        .map_err(|e| match e {
            LoadError::Setup(..) => CommandError::TargetUnreachable(e.to_string()),
            LoadError::Option(_) => CommandError::Usage(e.to_string()),
            LoadError::Goose(_) => CommandError::Internal(e.to_string()),
        })?;
    report.apply_thresholds(options.max_p99_ms, options.min_rps, options.max_error_rate);
    report
        .render(console.out)
        .map_err(|e| CommandError::Internal(format!("failed to print the report: {e}")))?;
    if let Some(path) = &options.json {
        let redactor = crate::redact::Redactor::from_env(env);
        write_file(path, "json", &redactor, |w| {
            serde_json::to_writer_pretty(w, &report).map_err(std::io::Error::other)
        })?;
    }
    Ok(Outcome::from_passed(report.passed()))
}
