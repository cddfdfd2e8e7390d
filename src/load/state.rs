//! What the load test shares between goose users: the flows, a bounded pool
//! of recent tokens for replays, the ledger of fresh tokens (only its
//! unsettled window held), and the figures. The pool is a fixed-size ring.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use super::ledger::Ledger;
use super::metrics::Metrics;

/// A fresh token's first answer.
#[derive(Debug, Clone)]
pub struct Used {
    /// The token sent.
    pub token: String,
    /// The index of its flow in [`LoadState::flows`].
    pub flow: usize,
    /// The executionId its first answer carried.
    pub execution_id: String,
    /// Its number in this run (`token`).
    pub n: u64,
    /// When its first answer came, in ms since the attack began.
    pub at_ms: u32,
}

/// The load test's shared state (one per worker run).
#[derive(Debug)]
pub struct LoadState {
    /// This run's id (`w0-1a2b3c4d` for worker 0), part of every name.
    pub run_id: String,
    /// On-demand flows that fresh and replayed starts go to.
    pub flows: Vec<String>,
    /// Scheduled flows that reused tokens are sent to (must answer 409).
    pub scheduled: Vec<String>,
    pool: Mutex<VecDeque<Used>>,
    pool_size: usize,
    next_token: AtomicU64,
    next_pick: AtomicUsize,
    /// Every fresh token's story, as long as it is unsettled.
    pub ledger: Ledger,
    /// Latency, answers and failures per request type (and per interval).
    pub metrics: Metrics,
    /// Answers thrown away on purpose, in hundredths of a percent (`--lose-answers`).
    pub lose_answers_bp: u32,
    /// Set when a request could not be signed: the run stops counting as evidence.
    pub signing_failed: Mutex<Option<String>>,
    /// When the attack began.
    pub started: Instant,
    /// What the target documents keeping (T4's token TTL, run retention).
    pub retention: super::retention::Retention,
    /// Set when the run is stopped (Ctrl-C, SIGTERM): no retry is sent after.
    pub stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Throttling answers (429) met by the attack's starts.
    pub throttled: AtomicU64,
    /// Time the attack's starts backed off before a retry, in ms.
    pub backed_off_ms: AtomicU64,
    /// Replays answered with another executionId than the first answer.
    pub wrong_replays: AtomicU64,
    /// Tokens reused on a scheduled flow not answered 409 ConflictException.
    pub wrong_conflicts: AtomicU64,
    examples: Mutex<Vec<String>>,
}

const EXAMPLES: usize = 5;

impl LoadState {
    /// The state of run `run_id` over `flows` (on demand) and `scheduled`,
    /// keeping `pool_size` recent tokens for replays (0: none, when no
    /// transaction replays) and the latency series per `interval`.
    pub fn new(
        run_id: String,
        flows: Vec<String>,
        scheduled: Vec<String>,
        pool_size: usize,
        interval: std::time::Duration,
    ) -> Self {
        Self {
            ledger: Ledger::new(flows.len()),
            metrics: Metrics::new(interval),
            run_id,
            flows,
            scheduled,
            pool: Mutex::new(VecDeque::with_capacity(pool_size)),
            pool_size,
            next_token: AtomicU64::new(0),
            next_pick: AtomicUsize::new(0),
            lose_answers_bp: 0,
            signing_failed: Mutex::new(None),
            started: Instant::now(),
            retention: super::retention::Retention::default(),
            stop: std::sync::Arc::default(),
            throttled: AtomicU64::new(0),
            backed_off_ms: AtomicU64::new(0),
            wrong_replays: AtomicU64::new(0),
            wrong_conflicts: AtomicU64::new(0),
            examples: Mutex::new(Vec::new()),
        }
    }

    /// A token never used before in this run, its number, and the flow it
    /// goes to; the ledger counts it as issued.
    pub fn fresh(&self) -> (String, u64, usize) {
        let n = self.next_token.fetch_add(1, Ordering::Relaxed);
        let flow = (n as usize) % self.flows.len().max(1);
        self.ledger.issue(flow);
        (self.token(n), n, flow)
    }

    /// Fresh token number `n` of this run.
    pub fn token(&self, n: u64) -> String {
        crate::names::load_token(&self.run_id, n)
    }

    /// The name of this run's on-demand flow `i` (`scheduled`: scheduled flow `i`).
    pub fn flow_name(run_id: &str, scheduled: bool, i: usize) -> String {
        crate::names::load_flow(run_id, if scheduled { "sc" } else { "od" }, i)
    }

    /// Whether the answer to attempt `attempt` of token `n` is thrown away
    /// (`--lose-answers`): a fixed, evenly spread choice, no randomness needed.
    pub fn lose(&self, n: u64, attempt: u8) -> bool {
        if self.lose_answers_bp == 0 {
            return false;
        }
        let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ u64::from(attempt).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
        x ^= x >> 29;
        (x % 10_000) < u64::from(self.lose_answers_bp)
    }

    /// Milliseconds since the attack began.
    pub fn elapsed_ms(&self) -> u32 {
        u32::try_from(self.started.elapsed().as_millis()).unwrap_or(u32::MAX)
    }

    /// Whether fresh tokens are kept for replays (some transaction reads the pool).
    pub fn keeps_tokens(&self) -> bool {
        self.pool_size > 0
    }

    /// Keeps `used` for replays (the oldest goes when the pool is full;
    /// nothing when the pool's size is 0).
    pub fn remember(&self, used: Used) {
        if self.pool_size == 0 {
            return;
        }
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() == self.pool_size {
            pool.pop_front();
        }
        pool.push_back(used);
    }

    /// A recent fresh token, spread over the pool.
    pub fn recent(&self) -> Option<Used> {
        let pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        if pool.is_empty() {
            return None;
        }
        let i = self.next_pick.fetch_add(7919, Ordering::Relaxed) % pool.len();
        pool.get(i).cloned()
    }

    /// An on-demand flow's index, in turn.
    pub fn pick_flow(&self) -> usize {
        self.next_pick.fetch_add(1, Ordering::Relaxed) % self.flows.len().max(1)
    }

    /// A scheduled flow's name, in turn.
    pub fn pick_scheduled(&self) -> Option<&str> {
        let i = self.next_pick.fetch_add(1, Ordering::Relaxed);
        self.scheduled
            .get(i % self.scheduled.len().max(1))
            .map(String::as_str)
    }

    /// Keeps `text` as an example of a wrong answer (the first few only).
    pub fn example(&self, text: String) {
        let mut e = self.examples.lock().unwrap_or_else(|p| p.into_inner());
        if e.len() < EXAMPLES {
            e.push(text);
        }
    }

    /// The examples kept.
    pub fn examples(&self) -> Vec<String> {
        self.examples
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Tokens in the replay pool.
    pub fn pool_len(&self) -> usize {
        self.pool.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_is_bounded_and_fresh_tokens_are_unique() {
        let s = LoadState::new(
            "r".into(),
            vec!["a".into(), "b".into()],
            vec![],
            3,
            std::time::Duration::from_secs(1),
        );
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10 {
            let (t, _, flow) = s.fresh();
            assert!(seen.insert(t.clone()));
            s.remember(Used {
                token: t,
                flow,
                execution_id: "e".into(),
                n: 0,
                at_ms: 0,
            });
        }
        assert_eq!(s.pool_len(), 3);
        assert!(s.recent().is_some_and(|u| u.token.starts_with("ld-r-")));
    }
}
