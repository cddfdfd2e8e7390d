//! `appflow-harness check`: load scenarios, resolve the target, run, report.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use super::{CommandError, Console, Outcome, write_file};
use crate::report;
use crate::runner::{self, Options as RunnerOptions, StepHook};
use crate::target::{self, Environment, TargetOptions};

#[derive(Clone)]
pub struct CheckOptions {
    /// Scenario files or folders; empty means `scenarios/`.
    pub scenarios: Vec<PathBuf>,
    pub target: TargetOptions,
    /// Where `.snap` files live; `None` checks no snapshots.
    pub snapshots: Option<PathBuf>,
    /// Rewrite snapshots instead of writing `.snap.new`.
    pub update: bool,
    pub junit: Option<PathBuf>,
    pub json: Option<PathBuf>,
    pub jobs: usize,
    /// Only scenarios whose name contains this text.
    pub filter: Option<String>,
    /// Print the coverage of APPFLOW.md's rule ids instead of running.
    pub list_coverage: bool,
    /// Called before each step (see [`StepHook`]).
    pub step_hook: Option<StepHook>,
}

impl CheckOptions {
    pub fn new(target: TargetOptions) -> Self {
        Self {
            scenarios: Vec::new(),
            target,
            snapshots: Some("snapshots".into()),
            update: false,
            junit: None,
            json: None,
            jobs: 8,
            filter: None,
            list_coverage: false,
            step_hook: None,
        }
    }
}

pub async fn run(
    options: CheckOptions,
    env: &Environment,
    console: &mut Console<'_>,
) -> Result<Outcome, CommandError> {
    let paths = if options.scenarios.is_empty() {
        vec!["scenarios".into()]
    } else {
        options.scenarios.clone()
    };
    let mut scenarios = crate::scenario::load(&paths).map_err(|errors| {
        let mut lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        lines.push(format!(
            "{} invalid scenario file(s); nothing was run",
            errors.len()
        ));
        CommandError::InvalidInput(lines)
    })?;
    if let Some(f) = &options.filter {
        scenarios.retain(|s| s.name.contains(f.as_str()));
    }
    if options.list_coverage {
        let table = crate::scenario::coverage::coverage(&scenarios, crate::contract::rule_ids());
        crate::scenario::coverage::render(&table, console.out)
            .map_err(|e| CommandError::Internal(format!("failed to print the table: {e}")))?;
        return Ok(Outcome::from_passed(table.iter().all(|r| r.covered())));
    }
    if scenarios.is_empty() {
        return Err(CommandError::InvalidInput(vec![format!(
            "no scenario to run (looked in {})",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )]));
    }
    let redactor = Arc::new(crate::redact::Redactor::from_env(env));
    let target = target::resolve(options.target, env).await?;
    target.probe().await?;
    console.note(format_args!(
        "running {} scenario(s) against {} ({}{})",
        scenarios.len(),
        target.endpoint.base_url(),
        target.kind.as_str(),
        if target.abilities.control {
            ", with test-control API"
        } else {
            ", no test-control API: steps that need it are skipped"
        }
    ));
    let runner_options = RunnerOptions {
        jobs: options.jobs,
        snapshots: options.snapshots,
        update: options.update,
        run_id: uuid::Uuid::new_v4().simple().to_string()[..8].to_owned(),
        today: crate::appflow::today(SystemTime::now()),
        step_hook: options.step_hook,
        redactor: redactor.clone(),
    };
    let out = &mut *console.out;
    let summary = runner::run(scenarios, Arc::new(target), runner_options, |r| {
        let _ = writeln!(out, "{}", report::terminal::scenario_line(r));
    })
    .await;
    report::terminal::render(&summary, console.out)
        .map_err(|e| CommandError::Internal(format!("failed to print the report: {e}")))?;
    if let Some(path) = &options.junit {
        write_file(path, "junit", &redactor, |w| {
            report::junit::render(&summary, w)
        })?;
    }
    if let Some(path) = &options.json {
        write_file(path, "json", &redactor, |w| {
            report::json::render(&summary, w)
        })?;
    }
    Ok(Outcome::from_passed(summary.passed()))
}
