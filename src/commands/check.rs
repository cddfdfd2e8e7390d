//! `appflow-harness check`: load scenarios, resolve the target, run, report.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use super::{CommandError, Console, Outcome, write_file};
use crate::endpoint::TargetKind;
use crate::endpoint::{self, Environment, TargetOptions};
use crate::report;
use crate::runner::{self, Options as RunnerOptions, SnapshotMode, Snapshots, StepHook};

/// What `appflow-harness check` is told: the scenarios, the target and how to
/// reach it, the reference to compare with, the report files, and concurrency.
#[derive(Clone)]
pub struct CheckOptions {
    /// Scenario files or folders; empty means `scenarios/`.
    pub scenarios: Vec<PathBuf>,
    /// The endpoint to check and how to reach it (choice, region, signing, pacing, timeouts).
    pub target: TargetOptions,
    /// The snapshot root (references in `<root>/<name>/`); `None` compares
    /// with no reference.
    pub snapshot_root: Option<PathBuf>,
    /// The reference to compare with (default: the target's kind if it has a
    /// recording, else `aws` if recorded, else `embedded`).
    pub reference: Option<String>,
    /// How transcripts are held against the reference (`--snapshots`, or `--record`).
    pub snapshot_mode: SnapshotMode,
    /// Where to write the JUnit XML report (`--junit`), if anywhere.
    pub junit: Option<PathBuf>,
    /// Where to write the JSON report (`--json`, a [`runner::Summary`] with its schema), if
    /// anywhere.
    pub json: Option<PathBuf>,
    /// Scenarios played at once (`--jobs`; [`CheckOptions::new`] sets 8).
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
    /// Options for checking `target` with the defaults: `scenarios/`, the snapshot
    /// root `snapshots`, auto mode, no reports, 8 jobs, no filter, no signals, no dry run.
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

/// Runs `check`: loads the scenarios, resolves and probes the target, plays
/// every scenario, prints the terminal report and writes the JUnit/JSON files.
/// With `list_coverage` it prints APPFLOW.md's rule coverage instead (failed if a
/// rule is uncovered); with `dry_run` it prints the plan and sends nothing.
/// Returns the run's [`Outcome`] (failed, inconclusive, passed, interrupted).
/// Errors: [`CommandError::InvalidInput`] for invalid scenario, `transformers.yaml`
/// or fixture configuration files, or no scenario file at all; [`CommandError::Usage`]
/// for a filter that matches nothing, an unwritable report path, a bad endpoint URL,
/// missing `--sign` keys or credentials the endpoint refuses (403, W7);
/// [`CommandError::TargetUnreachable`] when the emulator cannot start, nothing answers
/// the probe, or the AWS credential chain finds none; [`CommandError::Internal`] when
/// the terminal report or a report file cannot be written.
// Long on purpose: the command's sequence (load, resolve, run, report, exit) in one place.
pub async fn run(
    options: CheckOptions,
    env: &Environment,
    console: &mut Console<'_>,
) -> Result<Outcome, CommandError> {
    let scenarios = super::load_scenarios(&options.scenarios, options.filter.as_deref())?;
    if options.list_coverage {
        let table = crate::scenario::coverage::coverage(&scenarios, crate::contract::rule_ids());
        crate::scenario::coverage::render(&table, console.out)
            .map_err(CommandError::io("failed to print the table"))?;
        return Ok(Outcome::from_passed(table.iter().all(|r| r.covered())));
    }
    super::output_paths::check_writable(&[
        ("--junit", options.junit.as_deref()),
        ("--json", options.json.as_deref()),
    ])?;
    let redactor = Arc::new(env.redactor());
    if options.dry_run {
        // Nothing is sent, so nothing is signed: no credentials needed.
        let target = super::check_plan::DryTarget::of(options.target, env).await?;
        super::check_plan::plan(&scenarios, &target, console);
        return Ok(Outcome::Passed);
    }
    let target = endpoint::resolve(options.target, env).await?;
    target.probe().await?;
    console.note(format_args!(
        "running {} against {} ({}{})",
        super::plural(scenarios.len(), "scenario"),
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
            let transformers = crate::snapshot::load_transformers(root)
                .map_err(|e| CommandError::InvalidInput(vec![e]))?;
            console.note(format_args!(
                "reference: `{reference}` in {} ({})",
                root.display(),
                mode_words(options.snapshot_mode, &reference, target.kind)
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
        run_id: crate::names::run_id(8),
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
        .map_err(CommandError::io("failed to print the report"))?;
    console.note_pacing(endpoint.pace());
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

/// Which snapshot mode applies, in words: `auto` resolved for a reference
/// recorded on targets of the kind its name says (each recording's own
/// provenance has the last word, as in the runner).
fn mode_words(mode: SnapshotMode, reference: &str, kind: TargetKind) -> String {
    match mode {
        SnapshotMode::Auto if reference == kind.as_str() => format!(
            "strict: recorded on {reference} targets like this one, a difference fails; a scenario without a recording is judged by its expectations and the contract (--snapshots auto)"
        ),
        SnapshotMode::Auto => format!(
            "parity: recorded on {reference}, this target is {}; differences are reported, not failures (--snapshots auto)",
            kind.as_str()
        ),
        SnapshotMode::Strict => {
            "strict: a difference fails, and so does a scenario without a recording".into()
        }
        SnapshotMode::Parity => "parity: differences are reported, not failures".into(),
        SnapshotMode::Record => "recording: this run's transcripts become the reference".into(),
    }
}
