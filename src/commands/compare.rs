//! `appflow-harness compare`: the selected scenarios on a baseline and a
//! target in one run, their transcripts diffed and every difference
//! classified; reports for people, PRs (Markdown), machines (JSON) and
//! browsers (HTML).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use super::{CommandError, Console, Outcome, write_file};
use crate::compare::{Comparison, SideInfo, classify::classify};
use crate::endpoint::parse_spec;
use crate::endpoint::{self, Environment, TargetOptions};
use crate::runner::{self, Options as RunnerOptions};

/// What fails the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// A side breaks an expectation or the contract.
    Violation,
    /// Also any gap: the target answers unlike the baseline.
    Gap,
}

/// What `appflow-harness compare` is told: the scenarios, the two sides (baseline
/// and target) with their shared connection flags, the reports and what fails the run.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// Scenario files or folders; empty means `scenarios/`.
    pub scenarios: Vec<PathBuf>,
    /// Only scenarios whose name contains this text.
    pub filter: Option<String>,
    /// `embedded[:flags]`, an http(s) URL, or `aws`.
    pub baseline: String,
    /// The side compared with the baseline; the same forms as `baseline`.
    pub target: String,
    /// Region, signing, timeouts and answer limit, shared by both sides
    /// (the choice and emulator configuration come from each spec).
    pub connection: TargetOptions,
    /// Scenarios played at once on each side (`--jobs`).
    pub jobs: usize,
    /// Where `transformers.yaml` is read from.
    pub snapshot_root: PathBuf,
    /// Where to write the comparison as JSON (`--json`), if anywhere.
    pub json: Option<PathBuf>,
    /// Where to write the comparison as Markdown for a PR (`--markdown`), if anywhere.
    pub markdown: Option<PathBuf>,
    /// Where to write the comparison as one HTML page (`--html`), if anywhere.
    pub html: Option<PathBuf>,
    /// Where to write the comparison as JUnit XML (`--junit`), if anywhere.
    pub junit: Option<PathBuf>,
    /// Whether gaps fail the run too, or only violations (`--fail-on`).
    pub fail_on: FailOn,
    /// Stop on Ctrl-C / SIGTERM (cleaning up both sides).
    pub watch_signals: bool,
}

/// Runs `compare`: plays the scenarios on both sides at once (each with its own
/// run id and fixtures, cleaning up its own), classifies every difference
/// ([`classify`]: violation, gap, known, not compared), prints the terminal report
/// and writes the JSON, Markdown and HTML files.
/// Returns [`Outcome::Failed`] on a violation (or a gap with `--fail-on gap`) and when
/// no answer field was compared at all (fail closed); [`Outcome::Inconclusive`] when
/// nothing failed but a side could not judge a scenario; [`Outcome::Interrupted`] on Ctrl-C.
/// Errors: as `check`'s [`run`](super::check::run) ([`CommandError::InvalidInput`] for
/// invalid files, [`CommandError::Usage`] for bad flags, paths and refused credentials,
/// [`CommandError::TargetUnreachable`] for a side that cannot start or be reached,
/// [`CommandError::Internal`] for a report that cannot be written), plus
/// [`CommandError::Usage`] for a side spec that does not parse, and for a
/// `reference:NAME` baseline whose reference holds no recording of the scenarios
/// or one that cannot be read; a side without AWS credentials names its flag
/// (`--baseline aws: ...`). A `reference:NAME` baseline is not played: its
/// recordings stand for the baseline run ([`crate::compare::reference`]).
// Long on purpose: the command's sequence (load, resolve both sides, run both, classify, report) in one place.
pub async fn run(
    options: CompareOptions,
    env: &Environment,
    console: &mut Console<'_>,
) -> Result<Outcome, CommandError> {
    let scenarios = super::load_scenarios(&options.scenarios, options.filter.as_deref())?;
    super::output_paths::check_writable(&[
        ("--json", options.json.as_deref()),
        ("--markdown", options.markdown.as_deref()),
        ("--html", options.html.as_deref()),
    ])?;
    let transformers = crate::snapshot::load_transformers(&options.snapshot_root)
        .map_err(|e| CommandError::InvalidInput(vec![e]))?;
    let side = |spec: &str| -> Result<TargetOptions, CommandError> {
        let (choice, emulator) = parse_spec(spec).map_err(CommandError::Usage)?;
        Ok(TargetOptions {
            choice,
            emulator,
            ..options.connection.clone()
        })
    };
    // Each side's errors name its own flag (`--baseline aws: no credentials`).
    let resolve = |flag: &'static str, spec: &str| {
        let options = side(spec);
        async move {
            endpoint::resolve(options?, env).await.map_err(|e| match e {
                endpoint::TargetError::Credentials(m) => {
                    CommandError::TargetUnreachable(format!("{flag} aws: {m}"))
                }
                e => e.into(),
            })
        }
    };
    // `reference:NAME`: the baseline is a stored reference, not played.
    let stored = match options
        .baseline
        .strip_prefix(crate::compare::reference::PREFIX)
    {
        Some(name) => Some(
            crate::compare::reference::read(&scenarios, &options.snapshot_root, name)
                .map_err(CommandError::Usage)?,
        ),
        None => None,
    };
    let baseline = match stored {
        Some(_) => None,
        None => Some(resolve("--baseline", &options.baseline).await?),
    };
    let target = resolve("--target", &options.target).await?;
    if let Some(b) = &baseline {
        b.probe().await?;
    }
    target.probe().await?;
    console.note(format_args!(
        "comparing {} scenario(s): baseline {} ({}), target {} ({})",
        scenarios.len(),
        options.baseline,
        baseline.as_ref().map_or_else(
            || stored
                .as_ref()
                .map(|s| s.summary.target.clone())
                .unwrap_or_default(),
            |b| b.endpoint.base_url().to_owned()
        ),
        options.target,
        target.endpoint.base_url()
    ));
    let today = crate::appflow::today(SystemTime::now());
    // Ctrl-C stops both sides alike; each cleans up what it made.
    let interrupt: Arc<std::sync::atomic::AtomicBool> = Arc::default();
    let signals = options
        .watch_signals
        .then(|| super::watch_signals(interrupt.clone()));
    let run_options = |id: &str| RunnerOptions {
        jobs: options.jobs,
        interrupt: interrupt.clone(),
        ..RunnerOptions::new(&format!("{id}{}", crate::names::run_id(6)), &today)
    };
    let (b, t) = match (baseline, stored) {
        (Some(baseline), _) => {
            tokio::join!(
                runner::run(
                    scenarios.clone(),
                    Arc::new(baseline),
                    run_options("b"),
                    |_| {}
                ),
                runner::run(
                    scenarios.clone(),
                    Arc::new(target),
                    run_options("t"),
                    |_| {}
                ),
            )
        }
        (None, stored) => {
            let stored = stored.ok_or_else(|| {
                CommandError::Internal("compare: neither a baseline nor a reference".into())
            })?;
            for note in &stored.notes {
                console.note(format_args!("{note}"));
            }
            let t = runner::run(
                scenarios.clone(),
                Arc::new(target),
                run_options("t"),
                |_| {},
            )
            .await;
            (stored.summary, t)
        }
    };
    if let Some(s) = signals {
        s.abort();
    }
    let classified = classify(&scenarios, &b, &t, &transformers);
    let comparison = Comparison::new(
        SideInfo::of(&options.baseline, &b),
        SideInfo::of(&options.target, &t),
        classified,
    );
    crate::report::compare::terminal(&comparison, console.out)
        .map_err(CommandError::io("failed to print the report"))?;
    let redactor = env.redactor();
    if let Some(path) = &options.json {
        write_file(path, "json", &redactor, |w| {
            serde_json::to_writer_pretty(&mut *w, &comparison).map_err(std::io::Error::other)
        })?;
    }
    if let Some(path) = &options.markdown {
        write_file(path, "markdown", &redactor, |w| {
            crate::report::compare::markdown(&comparison, w)
        })?;
    }
    if let Some(path) = &options.html {
        write_file(path, "html", &redactor, |w| {
            crate::report::compare_html::render(&comparison, w)
        })?;
    }
    if let Some(path) = &options.junit {
        write_file(path, "junit", &redactor, |w| {
            crate::report::compare_junit::render(&comparison, options.fail_on == FailOn::Gap, w)
        })?;
    }
    if interrupt.load(std::sync::atomic::Ordering::Relaxed) {
        return Ok(Outcome::Interrupted);
    }
    let undecided = b.inconclusive() || t.inconclusive();
    let t = &comparison.totals;
    // Fail closed: a comparison that compared nothing proves nothing.
    if t.compared_fields == 0 {
        console.note(format_args!(
            "no answer field was compared: nothing is proven"
        ));
        return Ok(Outcome::Failed);
    }
    let failed = t.violations > 0 || (options.fail_on == FailOn::Gap && t.gaps > 0);
    // A side that could not judge a scenario (throttled, unanswered, even
    // after replays) leaves the comparison unverified: not a pass.
    if !failed && undecided {
        console.note(format_args!(
            "some scenarios could not be judged on one side (inconclusive): not everything was compared"
        ));
        return Ok(Outcome::Inconclusive);
    }
    Ok(Outcome::from_passed(!failed))
}
