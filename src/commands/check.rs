//! `appflow-harness check`: load scenarios, resolve the target, run, report.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use super::{CommandError, Console, Outcome, write_file};
use crate::endpoint::TargetKind;
use crate::endpoint::{self, Environment, TargetOptions};
use crate::report;
use crate::runner::{self, Options as RunnerOptions, SnapshotMode, Snapshots, StepHook};

#[derive(Clone)]
pub struct CheckOptions {
    /// Scenario files or folders; empty means `scenarios/`.
    pub scenarios: Vec<PathBuf>,
    pub target: TargetOptions,
    /// The snapshot root (references in `<root>/<name>/`); `None` compares
    /// with no reference.
    pub snapshot_root: Option<PathBuf>,
    /// The reference to compare with (default: the target's kind if it has a
    /// recording, else `aws` if recorded, else `embedded`).
    pub reference: Option<String>,
    pub snapshot_mode: SnapshotMode,
    pub junit: Option<PathBuf>,
    pub json: Option<PathBuf>,
    pub jobs: usize,
    /// Only scenarios whose name contains this text.
    pub filter: Option<String>,
    /// Print the coverage of APPFLOW.md's rule ids instead of running.
    pub list_coverage: bool,
    /// Called before each step (see [`StepHook`]).
    pub step_hook: Option<StepHook>,
    /// Stop on Ctrl-C / SIGTERM (cleaning up); off in tests that run in-process.
    pub watch_signals: bool,
    /// Print the plan (flows, calls, runs, what is skipped) and send nothing.
    pub dry_run: bool,
}

impl CheckOptions {
    pub fn new(target: TargetOptions) -> Self {
        Self {
            scenarios: Vec::new(),
            target,
            snapshot_root: Some("snapshots".into()),
            reference: None,
            snapshot_mode: SnapshotMode::Auto,
            junit: None,
            json: None,
            jobs: 8,
            filter: None,
            list_coverage: false,
            step_hook: None,
            watch_signals: false,
            dry_run: false,
        }
    }
}

pub async fn run(
    options: CheckOptions,
    env: &Environment,
    console: &mut Console<'_>,
) -> Result<Outcome, CommandError> {
    let scenarios = super::load_scenarios(&options.scenarios, options.filter.as_deref())?;
    if options.list_coverage {
        let table = crate::scenario::coverage::coverage(&scenarios, crate::contract::rule_ids());
        crate::scenario::coverage::render(&table, console.out)
            .map_err(|e| CommandError::Internal(format!("failed to print the table: {e}")))?;
        return Ok(Outcome::from_passed(table.iter().all(|r| r.covered())));
    }
    let redactor = Arc::new(env.redactor());
    let target = endpoint::resolve(options.target, env).await?;
    if options.dry_run {
        plan(&scenarios, &target, console);
        return Ok(Outcome::Passed);
    }
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
    let snapshots = match &options.snapshot_root {
        None => None,
        Some(root) => {
            let reference = options
                .reference
                .clone()
                .unwrap_or_else(|| default_reference(root, target.kind, options.snapshot_mode));
            let transformers = crate::snapshot::transform::load(root)
                .map_err(|e| CommandError::InvalidInput(vec![e]))?;
            console.note(format_args!(
                "reference: `{reference}` in {} ({})",
                root.display(),
                match options.snapshot_mode {
                    SnapshotMode::Auto =>
                        "strict if recorded on this kind of target, parity otherwise",
                    SnapshotMode::Strict => "strict",
                    SnapshotMode::Parity => "parity: differences are reported, not failures",
                    SnapshotMode::Record => "recording",
                }
            ));
            Some(Snapshots {
                root: root.clone(),
                reference,
                mode: options.snapshot_mode,
                transformers,
            })
        }
    };
    let profile = target.profile.clone();
    let runner_options = RunnerOptions {
        jobs: options.jobs,
        snapshots,
        profile,
        run_id: uuid::Uuid::new_v4().simple().to_string()[..8].to_owned(),
        today: crate::appflow::today(SystemTime::now()),
        step_hook: options.step_hook,
        redactor: redactor.clone(),
        interrupt: Arc::default(),
    };
    let interrupt = runner_options.interrupt.clone();
    let signals = options
        .watch_signals
        .then(|| super::watch_signals(interrupt.clone()));
    // Shares the adaptive rate with every request of the run.
    let endpoint = target.endpoint.clone();
    let out = &mut *console.out;
    let summary = runner::run(scenarios, Arc::new(target), runner_options, |r| {
        let _ = writeln!(out, "{}", report::terminal::scenario_line(r));
    })
    .await;
    if let Some(s) = signals {
        s.abort();
    }
    report::terminal::render(&summary, console.out)
        .map_err(|e| CommandError::Internal(format!("failed to print the report: {e}")))?;
    let pace = endpoint.pace();
    if pace.throttles() > 0 {
        console.note(format_args!(
            "pacing: {} throttling answer(s) lowered the send rate of the whole run; it ended at {:.1} requests/s",
            pace.throttles(),
            pace.rate().unwrap_or(0.0)
        ));
    }
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
    if interrupt.load(std::sync::atomic::Ordering::Relaxed) {
        return Ok(Outcome::Interrupted);
    }
    Ok(Outcome::of_summary(&summary))
}

/// The reference a run compares with when none is named: a recording of the
/// target's own kind, else one made on AWS, else the embedded emulator's.
pub fn default_reference(root: &std::path::Path, kind: TargetKind, mode: SnapshotMode) -> String {
    let own = kind.as_str();
    if mode == SnapshotMode::Record || root.join(own).is_dir() {
        own.to_owned()
    } else if root.join("aws").is_dir() {
        "aws".to_owned()
    } else {
        "embedded".to_owned()
    }
}

/// `--dry-run`: what a run would create and start on `target`, and what it
/// would skip; nothing is sent to the target.
fn plan(
    scenarios: &[crate::scenario::Scenario],
    target: &crate::endpoint::Target,
    console: &mut Console<'_>,
) {
    use crate::appflow::{Operation, TriggerType};
    use crate::scenario::Action;
    let (mut flows, mut starts, mut runs, mut skipped) = (0, 0u64, 0u64, 0);
    let _ = writeln!(
        console.out,
        "dry run against {} ({}, {}): nothing is sent",
        target.endpoint.base_url(),
        target.kind.as_str(),
        target.region
    );
    for s in scenarios {
        let on_demand: Vec<String> = s
            .flows
            .iter()
            .filter(|(_, f)| f.trigger == TriggerType::OnDemand)
            .map(|(a, _)| format!("{{{{flow.{a}}}}}"))
            .collect();
        let mut s_starts = 0u64;
        let mut s_runs = 0u64;
        let mut s_skipped = 0;
        for st in &s.steps {
            if st.depends_on_control() && !target.abilities.control {
                s_skipped += 1;
                continue;
            }
            if let Action::Call {
                operation: Operation::StartFlow,
                body,
            } = &st.action
            {
                s_starts += u64::from(st.concurrent);
                let name = body
                    .get("flowName")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("");
                if on_demand.iter().any(|f| f == name) {
                    // Concurrent starts with one token make one run.
                    s_runs += if body.get("clientToken").is_some() {
                        1
                    } else {
                        u64::from(st.concurrent)
                    };
                }
            }
        }
        let triggers: Vec<String> = s
            .flows
            .iter()
            .map(|(a, f)| format!("{a}: {}", f.trigger))
            .collect();
        let _ = writeln!(
            console.out,
            "  {}: {} flow(s) [{}], {} step(s), {} StartFlow call(s), up to {} on-demand run(s){}",
            s.name,
            s.flows.len(),
            triggers.join(", "),
            s.steps.len(),
            s_starts,
            s_runs,
            if s_skipped > 0 {
                format!(", {s_skipped} step(s) skipped (no test-control API)")
            } else {
                String::new()
            }
        );
        flows += s.flows.len();
        starts += s_starts;
        runs += s_runs;
        skipped += s_skipped;
    }
    let _ = writeln!(
        console.out,
        "total: {} scenarios, {flows} flows created and deleted, {starts} StartFlow calls, up to {runs} flow runs (AppFlow charges per flow run: about ${:.3} at $0.001 a run, plus data processing), {skipped} steps skipped",
        scenarios.len(),
        runs as f64 * 0.001
    );
}
