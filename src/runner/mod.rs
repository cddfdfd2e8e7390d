//! The runner: plays scenario plans against a target, in parallel where they
//! are isolated, and returns a [`Summary`] value that reports only render.
//!
//! One scenario is a pipeline (`scenario_run.rs`): bind names and set up the
//! fixture flows (`fixtures.rs`), play each step (`step.rs`: rendering,
//! concurrent fan-out, pages, polling, captures; `control.rs` for
//! test-control steps), judge every answer (`judge.rs`), and fold what the
//! step observed into the scenario's ledger (`ledger.rs`: failures,
//! contract counts, notes, transcript); then clean up, and compare the
//! transcript with its snapshot (`snapshot_check.rs`). A scenario that
//! could not be judged (throttled, unanswered) is played again from the
//! start with fresh flows and tokens, up to [`REPLAYS`] times.

mod captures;
mod control;
mod fixtures;
mod group;
mod judge;
mod ledger;
mod result;
mod scenario_run;
mod send;
pub mod snapshot_check;
mod step;
mod summary;
pub mod transcript;
mod undecided;
mod when;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

pub use result::{Failure, FailureKind, ScenarioResult, Status, StepResult, WireCount};
pub use scenario_run::{INTERRUPTED, NOT_APPLICABLE};
pub use snapshot_check::ReferenceUse;
pub use summary::{Summary, Totals};

use crate::endpoint::Target;
use crate::scenario::{Scenario, Step};

/// Called before each step is played, with its scenario: an observer for
/// progress displays and for tests that plant a fault in the harness itself.
pub type StepHook = Arc<dyn Fn(&Scenario, &Step) + Send + Sync>;

/// How a transcript is held against its reference recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum SnapshotMode {
    /// Strict against a recording of the same kind of target, parity otherwise.
    Auto,
    /// A difference fails the scenario (and `.snap.new` is written).
    Strict,
    /// Differences are reported, never failures: expectations and the
    /// contract decide.
    Parity,
    /// The transcript becomes the recording (`--record`; not a value of
    /// `--snapshots`, so the flag offers the three comparison modes only).
    #[value(skip)]
    Record,
}

/// The reference a run is compared with.
#[derive(Debug, Clone)]
pub struct Snapshots {
    /// The snapshot root (`snapshots/`); recordings live in `root/<reference>/`.
    pub root: PathBuf,
    /// The reference's name: by default the kind of target it was recorded on.
    pub reference: String,
    /// How the transcript is held against the reference: auto, strict, parity, or record.
    pub mode: SnapshotMode,
    /// Applied to both sides before comparing.
    pub transformers: Vec<crate::snapshot::transform::Transformer>,
}

/// How a `check` run plays its scenarios, besides the endpoint: concurrency, the
/// reference to compare with, identity (run id, date), secrets and interruption.
#[derive(Clone)]
pub struct Options {
    /// Scenarios played at once (at least 1 is used; the `--jobs` flag, 8 from [`Options::new`]).
    pub jobs: usize,
    /// The reference to compare with; `None` compares with none.
    pub snapshots: Option<Snapshots>,
    /// The target's behaviour profile, for recordings' provenance.
    pub profile: Option<serde_json::Value>,
    /// Unique per run: flow names and tokens carry it.
    pub run_id: String,
    /// Recording date for snapshot metadata (YYYY-MM-DD).
    pub today: String,
    /// Called before each step is played (progress display, tests); `None` calls nothing.
    pub step_hook: Option<StepHook>,
    /// Cleans transcripts and snapshots of secrets.
    pub redactor: Arc<crate::redact::Redactor>,
    /// Set (by Ctrl-C) to stop issuing steps: the steps left are skipped as
    /// interrupted, scenarios not begun are not begun, and clean-up still runs.
    pub interrupt: Arc<std::sync::atomic::AtomicBool>,
}

impl Options {
    /// Options with `run_id` and `today` (YYYY-MM-DD): 8 jobs, no reference, no
    /// profile, no step hook, an empty redactor, not interrupted.
    pub fn new(run_id: &str, today: &str) -> Self {
        Self {
            jobs: 8,
            snapshots: None,
            profile: None,
            run_id: run_id.to_owned(),
            today: today.to_owned(),
            step_hook: None,
            redactor: Arc::default(),
            interrupt: Arc::default(),
        }
    }
}

/// An undecided scenario is replayed at most this many times before it is
/// reported inconclusive.
pub const REPLAYS: u32 = 2;

/// Plays scenario `s` until it is decided, or [`REPLAYS`] replays later;
/// a replay starts from the beginning with fresh flows and tokens. A step
/// whose request goes unanswered in two plays in a row breaks W9: the
/// scenario fails there instead of being replayed again.
async fn play_decided(
    s: &Scenario,
    index: usize,
    target: &Target,
    options: &Options,
    account: &std::sync::Mutex<Option<String>>,
) -> ScenarioResult {
    let mut attempt = 0;
    let mut unanswered_before = None;
    loop {
        let a = scenario_run::Attempt {
            scenario: s,
            index,
            attempt,
            target,
            options,
            account,
        };
        let mut r = scenario_run::play(&a).await;
        let interrupted = options.interrupt.load(std::sync::atomic::Ordering::Relaxed);
        if r.status == Status::Inconclusive
            && let Some(step) = r.unanswered.filter(|n| unanswered_before == Some(*n))
        {
            unanswered_again(s, step, &mut r);
            return r;
        }
        if r.status != Status::Inconclusive || attempt >= REPLAYS || interrupted {
            return r;
        }
        unanswered_before = r.unanswered;
        attempt += 1;
    }
}

/// W9 broken at `step`: its request went unanswered in the play before
/// and again in this replay, with fresh flows and tokens.
fn unanswered_again(s: &Scenario, step: usize, r: &mut ScenarioResult) {
    let name = s
        .steps
        .iter()
        .find(|st| st.index == step)
        .map_or("", |st| st.name.as_str());
    r.status = Status::Failed;
    r.failures.insert(
        0,
        Failure::new(
            Some(step),
            FailureKind::Contract,
            format!(
                "W9: the request of step {step} ({name}) was read and never answered, in the play and again in its replay with fresh flows and tokens: every request gets an answer"
            ),
        ),
    );
}

/// Plays every scenario; isolated ones `jobs` at a time, then those that
/// change target-wide state (clock, faults, quotas) one by one.
/// `progress` sees each result as its scenario ends.
pub async fn run(
    scenarios: Vec<Scenario>,
    target: Arc<Target>,
    options: Options,
    mut progress: impl FnMut(&ScenarioResult),
) -> Summary {
    let started = Instant::now();
    let scenarios: Vec<Arc<Scenario>> = scenarios.into_iter().map(Arc::new).collect();
    let (exclusive, parallel): (Vec<_>, Vec<_>) = scenarios
        .iter()
        .cloned()
        .enumerate()
        .partition(|(_, s)| s.exclusive());
    let options = Arc::new(options);
    // O1: one account for every ARN of the run, whichever scenario sees it first.
    let account = Arc::new(std::sync::Mutex::new(None));
    let jobs = Arc::new(tokio::sync::Semaphore::new(options.jobs.max(1)));
    let mut set = tokio::task::JoinSet::new();
    let mut ids = std::collections::HashMap::new();
    for (i, s) in parallel {
        let (target, options, jobs) = (target.clone(), options.clone(), jobs.clone());
        let account = account.clone();
        let handle = set.spawn(async move {
            let _permit = jobs.acquire_owned().await.ok();
            (i, play_decided(&s, i, &target, &options, &account).await)
        });
        ids.insert(handle.id(), i);
    }
    let mut results = Vec::new();
    while let Some(joined) = set.join_next_with_id().await {
        let (i, r) = match joined {
            Ok((_, pair)) => pair,
            // play() catches panics itself; this is the last line of defence,
            // so that no scenario disappears from the summary.
            Err(e) => {
                let i = ids.get(&e.id()).copied().unwrap_or_default();
                (i, scenario_run::lost(&scenarios[i], &e.to_string()))
            }
        };
        progress(&r);
        results.push((i, r));
    }
    for (i, s) in exclusive {
        // A scenario that injects faults (a 429 on purpose) plays alone:
        // the throttles it causes are no news about the target's capacity,
        // so the run's pacing is as before it (and the pacing line does
        // not count them).
        let injects = s
            .steps
            .iter()
            .any(|st| matches!(st.action, crate::scenario::Action::Fault(_)));
        let saved = injects.then(|| target.endpoint.pace().save());
        let r = play_decided(&s, i, &target, &options, &account).await;
        if let Some(saved) = saved {
            target.endpoint.pace().restore(saved);
        }
        progress(&r);
        results.push((i, r));
    }
    results.sort_by_key(|(i, _)| *i);
    let scenarios: Vec<ScenarioResult> = results.into_iter().map(|(_, r)| r).collect();
    let totals = Totals::of(&scenarios, started.elapsed());
    Summary {
        target: target.endpoint.base_url().to_owned(),
        target_kind: target.kind,
        region: target.region.clone(),
        scenarios,
        totals,
    }
}
