//! `explore`: call sequences generated from the contract's model and
//! played against a target. proptest-state-machine generates the
//! sequences (flows of each trigger type, fresh-token starts, replays,
//! tokens of other flows and operations, near misses, stops, updates,
//! deletes and re-creates, reads, cancels, bursts, clock moves, quota
//! limits, lost answers, large bodies) and
//! shrinks a failing one against the live target; the model
//! ([`crate::model`]) judges every answer; the shrunk sequence is written
//! as a scenario file that `check` replays; the report names the
//! behaviour profiles the target stayed consistent with (its fingerprint).

mod burst;
mod control;
pub mod differ;
// `record` writes a new run as explore's files do (`file_expect::new_run`).
pub(crate) mod file_expect;
mod file_templates;
mod generate;
mod list_expect;
mod moves;
mod names;
mod observe;
mod pauses;
mod play;
mod played;
mod race;
mod race_file;
pub mod report;
pub mod scenario_file;
mod strategies;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use proptest_state_machine::ReferenceStateMachine;
use serde::Serialize;

pub use generate::{Generator, LARGE_BODY, Move, Plan, Slot, TokenArg, Variant, Write};
pub use play::{AdmittedView, Ending, Pauses, Played, Player, Sequence};
pub use report::{Exploration, Fingerprint};

use crate::model::{Dimension, ProfileSet};

/// What one exploration does: it generates sequences until `time` or
/// `cases` runs out, or a finding is shrunk.
#[derive(Debug, Clone)]
pub struct Budget {
    /// Sequences generated at most ([`UNBOUNDED`]: as many as `time` buys).
    pub cases: u32,
    /// Steps per sequence at most.
    pub steps: usize,
    /// The seed of the generator (the same seed, the same sequences).
    pub seed: u64,
    /// Generation stops after this long (shrinking a finding may add to it).
    pub time: Duration,
    /// Shrinking a finding stops after this long.
    pub shrink_time: Duration,
    /// How long one pause ([`Move::Pause`]) lets real time pass; pauses
    /// take at most a quarter of `time` in all ([`PAUSE_SHARE`]). Zero:
    /// no pauses. The CLI's default is [`default_pause`].
    pub pause: Duration,
}

/// How long a [`Move::Settle`] waits for runs to end: three times the
/// L2 bound `poll` (30 s by default, 90 s against AWS); saved files wait
/// as long.
pub fn settle_bound(poll: Duration) -> Duration {
    poll * 3
}

/// Pauses take at most `time / PAUSE_SHARE` of a time budget in all.
pub const PAUSE_SHARE: u32 = 4;

/// The default pause for a time budget: a sixth of it, at most 10 s
/// (10 s of the default minute, 5 s of the 30 s against AWS).
pub fn default_pause(time: Duration) -> Duration {
    (time / 6).min(Duration::from_secs(10))
}

/// `cases` without a bound: the time decides how many sequences are played.
pub const UNBOUNDED: u32 = u32::MAX;

/// The default time budget against a URL or the embedded emulator.
pub const DEFAULT_TIME: Duration = Duration::from_secs(60);
/// The default time budget against AWS (every run is charged, calls are
/// slow): 30 s, priced by `--dry-run`.
pub const DEFAULT_TIME_AWS: Duration = Duration::from_secs(30);

impl Budget {
    /// The cases bound, `None` when the time alone decides.
    pub fn case_limit(&self) -> Option<u32> {
        (self.cases != UNBOUNDED).then_some(self.cases)
    }
}

impl Default for Budget {
    /// A minute of search against a URL or the emulator, as the CLI does.
    fn default() -> Self {
        Self {
            cases: UNBOUNDED,
            steps: 20,
            seed: 0,
            time: DEFAULT_TIME,
            shrink_time: Duration::from_secs(60),
            pause: default_pause(DEFAULT_TIME),
        }
    }
}

/// Why generation stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stopped {
    /// The time budget ran out.
    Time,
    /// `cases` sequences were played.
    Cases,
    /// A finding was shrunk.
    Finding,
    /// The explorer stopped for another reason (`Exploration::error`).
    Error,
}

/// Running counts, shared with the proptest closure.
#[derive(Debug, Default)]
struct Tally {
    sequences: usize,
    passed: usize,
    /// Sequences that failed (not counting shrinking attempts).
    failed: usize,
    unjudged: Vec<String>,
    not_run: usize,
    /// The time budget ran out (generation was stopped by a reject).
    timed_out: bool,
    calls: usize,
    /// The profiles each passing sequence left, and the dimensions it narrowed.
    fingerprints: Vec<ProfileSet>,
    /// The last failing sequence played (during shrinking: the smallest yet).
    last_failure: Option<Sequence>,
    /// Every sequence that failed, by its steps: shrinking goes back to one
    /// after a simpler one passed, and it stays failed then (see
    /// [`Tally::failed_before`]).
    failures: Vec<(Vec<Move>, Sequence)>,
    first_failure_at: Option<Duration>,
    first_failure_steps: usize,
    shrink_runs: usize,
}

impl Tally {
    /// The played sequence of `steps` if they failed before. When a simpler
    /// candidate passes, proptest plays the last failing one again and ends
    /// shrinking if that passes; a sequence whose calls at once answered in
    /// another order this time would then be the finding, its race kept
    /// (and its file guarded on an order a replay may not meet). What
    /// failed once is a finding: it is not played again.
    fn failed_before(&self, steps: &[Move]) -> Option<Sequence> {
        self.failures
            .iter()
            .find(|(s, _)| s.as_slice() == steps)
            .map(|(_, played)| played.clone())
    }
}

/// Explores `player`'s target within `budget`. Runs proptest on a blocking
/// thread; each sequence is played on the current tokio runtime.
pub async fn explore(mut player: Player, budget: Budget) -> Exploration {
    player.pauses = Arc::new(play::Pauses::new(budget.pause, budget.time / PAUSE_SHARE));
    let handle = tokio::runtime::Handle::current();
    let tally = Arc::new(Mutex::new(Tally::default()));
    let started = Instant::now();
    let t = tally.clone();
    let b = budget.clone();
    let failed = tokio::task::spawn_blocking(move || run_proptest(&handle, &player, &b, &t))
        .await
        .unwrap_or_else(|e| Some(format!("the explorer stopped: {e}")));
    let elapsed = started.elapsed();
    let tally = std::mem::take(&mut *tally.lock().unwrap_or_else(|p| p.into_inner()));
    report::summarise(budget, elapsed, failed, tally)
}

/// How many times a shrinking candidate with calls at once
/// ([`Move::is_at_once`]) is played before it counts as passed.
const AT_ONCE_PLAYS: usize = 3;

/// proptest's run: the failure's reason, or `None` when every sequence passed.
fn run_proptest(
    handle: &tokio::runtime::Handle,
    player: &Player,
    budget: &Budget,
    tally: &Arc<Mutex<Tally>>,
) -> Option<String> {
    let config = Config {
        cases: budget.cases,
        failure_persistence: None,
        max_shrink_time: u32::try_from(budget.shrink_time.as_millis()).unwrap_or(u32::MAX),
        max_shrink_iters: 2048,
        // A reject is how the closure stops generation when the time is
        // out: the first one aborts the run (nothing else rejects).
        max_global_rejects: 0,
        max_local_rejects: 100_000,
        ..Config::default()
    };
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&budget.seed.to_le_bytes());
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
    let strategy = Generator::sequential_strategy(1..=budget.steps.max(1));
    let started = Instant::now();
    let lock = || tally.lock().unwrap_or_else(|p| p.into_inner());
    let result = runner.run(&strategy, |(_, steps, seen)| {
        let shrinking = lock().last_failure.is_some();
        // The failing sequence must be able to fail again: its pauses play.
        player
            .pauses
            .unlimited
            .store(shrinking, std::sync::atomic::Ordering::SeqCst);
        if !shrinking && started.elapsed() > budget.time {
            let mut t = lock();
            t.not_run += 1;
            t.timed_out = true;
            return Err(TestCaseError::reject("the time budget ran out"));
        }
        {
            let mut t = lock();
            if let Some(known) = t.failed_before(&steps) {
                t.last_failure = Some(known);
                return Err(TestCaseError::fail("an answer outside the admitted set"));
            }
        }
        let play = || {
            let sequence = handle.block_on(player.play(&steps, seen.as_ref()));
            let mut t = lock();
            t.calls += sequence.calls;
            match shrinking {
                true => t.shrink_runs += 1,
                false => t.sequences += 1,
            }
            sequence
        };
        let mut sequence = play();
        // While shrinking, calls at once that answered in an order where
        // the finding does not show must not reject a simpler candidate (a
        // race it no longer needs would stay in the saved file): a
        // candidate with calls at once that passed is played again.
        if shrinking && steps.iter().any(Move::is_at_once) {
            for _ in 1..AT_ONCE_PLAYS {
                if matches!(sequence.ending, Ending::Failed) {
                    break;
                }
                sequence = play();
            }
        }
        let mut t = lock();
        match &sequence.ending {
            Ending::Passed => {
                if !shrinking {
                    t.passed += 1;
                    t.fingerprints.push(sequence.profiles);
                }
                Ok(())
            }
            Ending::Unjudged(why) => {
                if !shrinking {
                    t.unjudged.push(why.clone());
                }
                Ok(())
            }
            Ending::Failed => {
                if !shrinking {
                    t.failed += 1;
                }
                if t.first_failure_at.is_none() {
                    t.first_failure_at = Some(started.elapsed());
                    t.first_failure_steps = steps.len();
                }
                t.failures.push((steps, sequence.clone()));
                t.last_failure = Some(sequence);
                Err(TestCaseError::fail("an answer outside the admitted set"))
            }
        }
    });
    match result {
        Ok(()) => None,
        Err(TestError::Fail(why, _)) => Some(why.to_string()),
        Err(TestError::Abort(_)) if lock().timed_out => None,
        Err(TestError::Abort(why)) => Some(format!("aborted: {why}")),
    }
}

/// The dimensions a set of profiles has settled (one candidate left).
pub fn settled(p: ProfileSet) -> Vec<Dimension> {
    Dimension::ALL
        .into_iter()
        .filter(|d| p.candidates(*d).len() == 1)
        .collect()
}
