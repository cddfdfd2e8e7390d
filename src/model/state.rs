//! What the contract remembers between calls: flows by name, their runs,
//! StartFlow tokens per (token, flow), CreateFlow/UpdateFlow tokens per
//! operation, and the clock.

use std::collections::{BTreeMap, BTreeSet};

use crate::appflow::{ExecutionStatus, FlowStatus, Operation, TriggerType};

/// How long a clientToken is remembered (T1, T4): 8 hours, in seconds.
pub const TOKEN_TTL_SECS: u64 = 8 * 3600;

/// Where a run is, as far as the answers so far tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// Started; it may have finished since (L2: InProgress, later Successful).
    Running,
    /// Seen finished (Successful).
    Finished,
    /// Canceled while running (S3: CancelStarted, then Canceled).
    Canceling,
}

impl Phase {
    /// The statuses a read may show for a run in this phase (L2, S3).
    pub fn statuses(self) -> &'static [ExecutionStatus] {
        match self {
            Self::Running => &[ExecutionStatus::InProgress, ExecutionStatus::Successful],
            Self::Finished => &[ExecutionStatus::Successful],
            Self::Canceling => &[ExecutionStatus::CancelStarted, ExecutionStatus::Canceled],
        }
    }
}

/// One run of an on-demand flow.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Run {
    /// Its executionId as the target answered it (empty until answered;
    /// a run whose StartFlow answer was lost stays empty until a replay of
    /// its token or a read tells it).
    pub id: String,
    pub phase: Phase,
}

/// A live flow.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelFlow {
    /// The trigger type.
    pub trigger: TriggerType,
    /// The status as listed.
    pub status: FlowStatus,
    /// Which incarnation of the name (a re-created flow is a new one: T14).
    pub generation: u32,
    /// Runs as a set, each with the statuses a read may show.
    pub runs: Vec<Run>,
}

/// A successful StartFlow answer kept for its token (T1, T9, T12).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StoredStart {
    /// Model seconds when the token was first used.
    pub at: u64,
    pub generation: u32,
    /// `flowStatus`.
    pub flow_status: FlowStatus,
    /// The run it started (index into the flow's runs).
    pub run: Option<usize>,
    /// The flow was deleted (T14: the token ended with it).
    pub ended: bool,
}

/// A successful CreateFlow/UpdateFlow answer kept for its token (T13).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StoredOp {
    pub at: u64,
    pub flow: String,
    pub generation: u32,
    /// What identifies the input (a digest of the request's members).
    pub input: String,
    /// `flowStatus`.
    pub flow_status: FlowStatus,
}

/// What the model knows of the account's quotas (Q1-Q3). Unknown until a
/// quota step of the test-control API sets them relative to the account
/// then; an unknown limit is the account's own (AWS: 1,000 flows, 10
/// million runs a month, 1,000 concurrent runs, shared with flows that are
/// not the sequence's), so a 402 there is not judged.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Quotas {
    /// Whether the limits below are known.
    pub known: bool,
    /// Q1: the most live flows of the sequence the account has room for.
    pub flows: usize,
    /// Q2: runs the month may count since the limit was set.
    pub runs: u64,
    /// Q2: runs counted since then (at least, at most): a clock move may
    /// begin a new month.
    pub runs_used: (u64, u64),
    /// Q3: runs that may start, since the limit was set, before it can bite.
    pub concurrent: u64,
    /// Q3: runs started since then (some may have finished: an upper bound).
    pub started: u64,
    /// A scheduled/event flow was active since: runs of its own may count
    /// against Q2 and Q3, so they may bite at any time.
    pub scheduled: bool,
}

/// The whole state of one sequence's world.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ModelState {
    /// Model seconds since the sequence began (moved only by clock steps).
    pub now: u64,
    /// Live flows by name.
    pub flows: BTreeMap<String, ModelFlow>,
    /// Every flow name the sequence has used (to judge lists).
    pub names: BTreeSet<String>,
    /// (token, flow name) -> the first answer.
    pub start_tokens: BTreeMap<(String, String), StoredStart>,
    /// (operation, token) -> the first answer.
    pub op_tokens: BTreeMap<(Operation, String), StoredOp>,
    /// Every executionId answered so far (O3: a new one per run).
    pub execution_ids: BTreeSet<String>,
    /// The account's quotas, as far as the model knows them.
    pub quotas: Quotas,
    next_generation: u32,
}

impl ModelState {
    /// A fresh generation number for a flow made now.
    pub fn new_generation(&mut self) -> u32 {
        self.next_generation += 1;
        self.next_generation
    }

    /// Whether a token first used at `at` is still remembered (T4).
    pub fn remembered(&self, at: u64) -> bool {
        self.now < at + TOKEN_TTL_SECS
    }

    /// The live flow `name` of generation `generation`, if it still exists.
    pub fn live(&self, name: &str, generation: u32) -> Option<&ModelFlow> {
        self.flows.get(name).filter(|f| f.generation == generation)
    }

    /// Removes a flow and its StartFlow tokens (T14). Its CreateFlow and
    /// UpdateFlow tokens stay: they are new calls for a flow re-created
    /// under the name (T14), and other input anywhere else (T13).
    pub fn delete(&mut self, name: &str) {
        if let Some(flow) = self.flows.remove(name) {
            let g = flow.generation;
            for ((_, f), s) in &mut self.start_tokens {
                if f == name && s.generation == g {
                    s.ended = true;
                }
            }
        }
    }

    /// Whether a CreateFlow/UpdateFlow token stored for a flow that was
    /// deleted is used again on that flow's name (T14: a new call).
    pub fn ended(&self, stored: &StoredOp, name: &str) -> bool {
        stored.flow == name && self.live(name, stored.generation).is_none()
    }

    /// Whether a CreateFlow/UpdateFlow token stored for a flow that was
    /// deleted is used on another name: T14 ends the token with its flow,
    /// T13 would remember it; the contract does not say which wins there,
    /// so both answers are admitted.
    pub fn orphaned_elsewhere(&self, stored: &StoredOp, name: &str) -> bool {
        stored.flow != name && self.live(&stored.flow, stored.generation).is_none()
    }

    /// Every run of flow `name` that may still be running is finished.
    pub fn finish_runs(&mut self, name: &str) {
        if let Some(f) = self.flows.get_mut(name) {
            for r in &mut f.runs {
                if r.phase == Phase::Running {
                    r.phase = Phase::Finished;
                }
            }
        }
    }

    /// Whether flow `name` has a run that may still be in progress (running,
    /// or being canceled: S3's CancelStarted may still count as in progress
    /// for L6's 409).
    pub fn may_run(&self, name: &str) -> bool {
        self.flows.get(name).is_some_and(|f| {
            f.runs
                .iter()
                .any(|r| matches!(r.phase, Phase::Running | Phase::Canceling))
        })
    }
}

/// V1: flowName length 2..=256, `^[a-zA-Z0-9][\w!@#.-]+$`.
pub fn valid_flow_name(name: &str) -> bool {
    let b = name.as_bytes();
    (2..=256).contains(&b.len())
        && b[0].is_ascii_alphanumeric()
        && b[1..]
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || b"_!@#.-".contains(&c))
}

/// V2: clientToken length 1..=256, printable ASCII (space included).
pub fn valid_token(token: &str) -> bool {
    (1..=256).contains(&token.len()) && token.bytes().all(|c| (b' '..=b'~').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_tokens_follow_v1_and_v2() {
        assert!(valid_flow_name("ah-x1"));
        assert!(!valid_flow_name("a"));
        assert!(!valid_flow_name(" ah"));
        assert!(!valid_flow_name("ah "));
        assert!(valid_flow_name(&"a".repeat(256)));
        assert!(!valid_flow_name(&"a".repeat(257)));
        assert!(valid_token(" x "));
        assert!(!valid_token(""));
        assert!(valid_token(&"t".repeat(256)));
        assert!(!valid_token(&"t".repeat(257)));
        assert!(!valid_token("café"));
    }
}
