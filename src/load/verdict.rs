//! The verdict: every fresh token accounted for, one by one, against the
//! runs the target lists (DescribeFlowExecutionRecords, read as the attack
//! runs, `settle`). Nothing can cancel out: a lost run and a duplicated one
//! are each counted; witnesses are a bounded sample per class, the counts
//! exact.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use serde::{Deserialize, Serialize};

use super::retention::Retention;
use super::state::LoadState;

/// How the fresh tokens ended, by class.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenClasses {
    /// Answered a run, found exactly once, at the first try.
    pub exactly_once: u64,
    /// An answer was lost or never came, the retry answered, and exactly one
    /// run exists.
    pub recovered: u64,
    /// Answered a run that the target does not list.
    pub lost: u64,
    /// Runs beyond one per token: listed runs no answer names, more than
    /// the unanswered tokens of their flow can explain.
    pub duplicated: u64,
    /// No definite answer even after the retries: zero or one run allowed.
    pub unanswered: u64,
    /// Refused with a 4xx (not 429): no run expected.
    pub refused: u64,
    /// Answered a run not listed when its flow was next read, but by then
    /// older than the target's documented retention (`behind` says where):
    /// not lost, not verified.
    #[serde(default)]
    pub evicted: u64,
}

impl TokenClasses {
    /// Adds `o`'s counts to these (workers' classes summed by `load merge`).
    pub fn add(&mut self, o: &TokenClasses) {
        self.exactly_once += o.exactly_once;
        self.recovered += o.recovered;
        self.lost += o.lost;
        self.duplicated += o.duplicated;
        self.unanswered += o.unanswered;
        self.refused += o.refused;
        self.evicted += o.evicted;
    }
}

/// One anomaly, with what is needed to find it on the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Witness {
    /// The token class it illustrates: `lost` or `duplicated`.
    pub class: String,
    /// The flow the token was sent to.
    pub flow: String,
    /// The clientToken (`ld-<run id>-<n>`), where one was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The executionId answered or listed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_id: Option<String>,
    /// The answer's `x-amzn-RequestId` (W3), to find it in the target's logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Milliseconds after the attack began.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_ms: Option<u32>,
    /// How many times the token was sent (retries after lost answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u8>,
}

/// The correctness verdict of a load run: every fresh token against the runs
/// the target listed (T1, T5, T7, L2), with exact counts per class and a
/// bounded sample of witnesses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// How runs were counted: `records` (DescribeFlowExecutionRecords).
    pub counted_by: String,
    /// Fresh tokens sent (each must have started exactly one run).
    pub fresh_tokens: u64,
    /// What became of them, class by class (exact counts).
    pub classes: TokenClasses,
    /// Runs listed on the run's flows.
    pub runs_found: u64,
    /// Requests sent with fresh tokens.
    pub attempts: u64,
    /// How many of those were retries of the same token (after a lost answer).
    pub retries: u64,
    /// Replays answered with another run than the token's first (T1).
    pub wrong_replays: u64,
    /// Tokens reused on a scheduled flow that did not answer 409 (T2).
    pub wrong_conflicts: u64,
    /// Replays older than the target's token TTL answered with a new run:
    /// new calls by T4 (each run accounted like a fresh token's), not
    /// duplicates or wrong replays.
    #[serde(default)]
    pub t4_new_calls: u64,
    /// The target's token TTL as judged by (T4), and where it came from.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub token_ttl: String,
    /// Where and when the reads fell behind the attack, and what the
    /// target's documented retention may have dropped since.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub behind: Vec<String>,
    /// Witnesses of the anomalies, at most 20 per class.
    pub witnesses: Vec<Witness>,
    /// Example lines of what went wrong, for the terminal and HTML reports.
    pub examples: Vec<String>,
    /// Why counting failed, if it did (the verdict is then not clean).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A request that could not be signed (the run proves nothing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_failed: Option<String>,
}

impl Verdict {
    /// Correctness: nothing lost, duplicated or answered wrongly, and
    /// every count could be made.
    pub fn clean(&self) -> bool {
        self.error.is_none()
            && self.signing_failed.is_none()
            && self.classes.lost == 0
            && self.classes.duplicated == 0
            && self.wrong_replays == 0
            && self.wrong_conflicts == 0
    }

    /// Fresh starts whose run was found: the evidence.
    pub fn verified(&self) -> u64 {
        self.classes.exactly_once + self.classes.recovered
    }
}

/// Witnesses kept per class (the counts stay exact).
pub const WITNESSES: usize = 20;

/// The verdict of every fresh token of `state`, from its ledger once
/// settling ended (`settle::tail`); `error`: why counting failed, if it did.
pub fn of(state: &LoadState, error: Option<String>) -> Verdict {
    let mut v = Verdict {
        counted_by: "records".into(),
        wrong_replays: state.wrong_replays.load(Ordering::Relaxed),
        wrong_conflicts: state.wrong_conflicts.load(Ordering::Relaxed),
        examples: state.examples(),
        signing_failed: state
            .signing_failed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone(),
        error,
        ..Verdict::default()
    };
    v.token_ttl = state.retention.ttl_text();
    let (mut lost, mut duplicated) = (Vec::new(), Vec::new());
    for f in 0..state.flows.len() {
        let book = state.ledger.book(f);
        let t = &book.tally;
        let flow = &state.flows[f];
        v.behind.extend(behind(flow, &book, &state.retention));
        v.t4_new_calls += t.new_calls;
        v.fresh_tokens += t.issued;
        v.attempts += t.attempts;
        v.retries += t.retries;
        v.runs_found += t.runs_found;
        let c = &mut v.classes;
        c.exactly_once += t.exactly_once;
        c.recovered += t.recovered;
        c.lost += t.lost;
        c.refused += t.refused;
        c.unanswered += t.unanswered();
        c.evicted += t.evicted;
        // Runs no answer named, beyond what the unanswered tokens of their
        // flow can explain, are duplicates; nothing cancels out across flows.
        let extra = t.extra.saturating_sub(t.unanswered());
        c.duplicated += extra;
        for (id, r) in &book.lost {
            lost.push(Witness {
                class: "lost".into(),
                flow: flow.clone(),
                token: Some(state.token(r.n)),
                execution_id: Some(id.to_string()),
                request_id: r.request_id.as_ref().map(ToString::to_string),
                at_ms: Some(r.at_ms),
                attempts: Some(r.attempts),
            });
        }
        for id in book
            .extra
            .iter()
            .take(usize::try_from(extra).unwrap_or(usize::MAX))
        {
            duplicated.push(Witness {
                class: "duplicated".into(),
                flow: flow.clone(),
                token: None,
                execution_id: Some(id.to_string()),
                request_id: None,
                at_ms: None,
                attempts: None,
            });
        }
    }
    v.witnesses = lost.into_iter().take(WITNESSES).collect();
    v.witnesses.extend(duplicated.into_iter().take(WITNESSES));
    v
}

/// Where `flow`'s reads fell behind the attack (`book`'s gaps, or its
/// turning unordered), with what `retention` lets the target drop.
fn behind(flow: &str, book: &super::ledger::Book, retention: &Retention) -> Vec<String> {
    let secs = |ms: u32| f64::from(ms) / 1000.0;
    let mut lines = Vec::new();
    if let Some(at) = book.unordered_at {
        lines.push(format!(
            "flow {flow}: from {:.1} s its runs were not listed newest first with startedAt (S2 leaves the order open), so it was read only after the attack",
            secs(at)
        ));
    }
    if let Some(g) = book.first_gap {
        lines.push(format!(
            "flow {flow}: {} times a read ended more than the token TTL of {} after the last began (the first from {:.1} s to {:.1} s, the longest {:.1} s): runs made in between may have been dropped by the target's retention ({}) before they were read; {} such runs not found (evicted)",
            book.gap_count,
            retention.ttl_text(),
            secs(g.from_ms),
            secs(g.to_ms),
            secs(book.longest_gap_ms),
            retention.runs_text(),
            book.tally.evicted
        ));
    }
    lines
}

/// Sums verdicts of several workers (each counted its own flows and tokens).
pub fn merge(verdicts: &[Verdict]) -> Verdict {
    let mut m = Verdict {
        counted_by: "records".into(),
        ..Verdict::default()
    };
    for v in verdicts {
        m.fresh_tokens += v.fresh_tokens;
        m.runs_found += v.runs_found;
        m.attempts += v.attempts;
        m.retries += v.retries;
        m.wrong_replays += v.wrong_replays;
        m.wrong_conflicts += v.wrong_conflicts;
        m.t4_new_calls += v.t4_new_calls;
        m.behind.extend(v.behind.iter().cloned());
        if m.token_ttl.is_empty() {
            m.token_ttl.clone_from(&v.token_ttl);
        }
        m.classes.add(&v.classes);
        for w in &v.witnesses {
            if m.witnesses.iter().filter(|x| x.class == w.class).count() < WITNESSES {
                m.witnesses.push(w.clone());
            }
        }
        m.examples.extend(v.examples.iter().cloned());
        if m.error.is_none() {
            m.error.clone_from(&v.error);
        }
        if m.signing_failed.is_none() {
            m.signing_failed.clone_from(&v.signing_failed);
        }
    }
    m
}

/// Statuses by count, for the availability section.
pub type Statuses = BTreeMap<u16, u64>;
