//! What a scenario has observed so far, as a value: each step returns an
//! [`Observed`] and the scenario folds it into its [`Ledger`]. The ledger
//! also decides what an undecided step means for those after it: a step
//! that could not be judged (throttled, unanswered) makes the failures of
//! later steps inconclusive, as they may only follow from its unknown effect.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use serde_json::Value;

use super::{Failure, FailureKind, Status, StepResult, WireCount};
use crate::appflow::Operation;
use crate::contract::{Note, Violation};

/// What one step observed: its verdict's parts and its consequences.
#[derive(Default)]
pub(super) struct Observed {
    /// The step's operation (none for a test-control step).
    pub operation: Option<Operation>,
    /// Expectation (and capture) failures, and why it was inconclusive.
    pub failures: Vec<Failure>,
    /// Contract violations, counted per rule and path over the scenario.
    pub violations: Vec<(Operation, Violation)>,
    pub notes: Vec<(Operation, Note)>,
    /// Notes of the runner's own (foreign runs).
    pub remarks: Vec<(String, String)>,
    /// Captured values, bound for the later steps.
    pub captures: Vec<(String, Value)>,
    /// executionIds this step's own StartFlow calls were answered (or captured).
    pub started: Vec<String>,
    /// executionIds listed on the scenario's flows (checked against `started`).
    pub listed: Vec<String>,
    /// StartFlow calls of the step that named no run, each in words
    /// (`answered 409`, `got no answer`, `answered 200 without an executionId`).
    pub unnamed_starts: Vec<String>,
    pub request_ids: Vec<String>,
    /// Answers that came (pages and polls included).
    pub answers: usize,
    /// Throttled answers retried with the same request.
    pub throttled: u32,
    /// Attempts that got no answer in time and were repeated.
    pub lost: u32,
    pub latencies: Vec<Duration>,
    /// The transcript entry.
    pub entry: Value,
    /// Requests sent.
    pub sent: usize,
    /// The status of the first answer (for later steps' `when:`).
    pub first_status: Option<u16>,
    /// The JSON body of the first answer (for later steps' `when.body`).
    pub first_body: Option<Value>,
    /// Every copy's status, in copy order (0: no answer), for later steps'
    /// `when.statuses-in-order`.
    pub copy_statuses: Vec<u16>,
    /// Captures of copies that answered an error their step allows: not
    /// bound (name, why); later steps that use them are not played.
    pub unbound: Vec<(String, String)>,
    /// Set when later steps cannot be played meaningfully (a capture failed).
    pub stop: Option<String>,
    /// Set when the step's effect is unknown: later failures are inconclusive.
    pub undecided: Option<String>,
    /// Set when the step's own request was read and never answered (W9:
    /// once is inconclusive; again on a replay, a violation).
    pub unanswered: bool,
}

/// Everything a scenario has observed, folded step by step.
#[derive(Default)]
pub(super) struct Ledger {
    pub failures: Vec<Failure>,
    pub steps: Vec<StepResult>,
    pub transcript: Vec<Value>,
    pub latencies: Vec<Duration>,
    pub answers: usize,
    pub throttled: u32,
    /// (at, rule, id) -> (answers that broke it, the first step that did).
    counted: BTreeMap<(String, String, &'static str), (usize, usize)>,
    /// Notes, once per key (operation and member path, or a remark's key).
    notes: BTreeMap<String, String>,
    started: HashSet<String>,
    pub request_ids: Vec<String>,
    /// First answer's status per step index (for `when:`).
    pub statuses: HashMap<usize, u16>,
    /// First answer's JSON body per step index (for `when.body`).
    pub bodies: HashMap<usize, Value>,
    /// Every copy's status per step index (for `when.statuses-in-order`).
    pub copy_statuses: HashMap<usize, Vec<u16>>,
    /// Captures left unbound (name -> why), so later steps using them are
    /// not played.
    pub unbound: HashMap<String, String>,
    /// Why later steps are not played.
    pub stopped: Option<String>,
    /// Why later failures are inconclusive (an earlier step was not judged).
    pub undecided: Option<String>,
    /// StartFlow steps answered with an error, or not at all: (step, what).
    refused_starts: Vec<(usize, String)>,
    /// The first step whose own request got no answer (W9).
    pub unanswered: Option<usize>,
}

impl Ledger {
    /// Folds the observation of step `step` (1-based); answers
    /// the step's status. Failures after an undecided step become
    /// inconclusive; captures go to `bind`.
    pub fn fold(
        &mut self,
        step: usize,
        mut o: Observed,
        mut bind: impl FnMut(String, Value),
    ) -> Status {
        if let Some(why) = &self.undecided {
            for f in o
                .failures
                .iter_mut()
                .filter(|f| f.kind != FailureKind::Inconclusive)
            {
                f.message = format!("{} (not judged: {why})", f.message);
                f.kind = FailureKind::Inconclusive;
            }
        }
        let status = if o
            .failures
            .iter()
            .any(|f| f.kind != FailureKind::Inconclusive)
        {
            Status::Failed
        } else if !o.failures.is_empty() {
            Status::Inconclusive
        } else {
            Status::Passed
        };
        if let Some(s) = o.first_status {
            self.statuses.insert(step, s);
        }
        if let Some(b) = o.first_body.take() {
            self.bodies.insert(step, b);
        }
        self.copy_statuses
            .insert(step, std::mem::take(&mut o.copy_statuses));
        self.unbound.extend(o.unbound.drain(..));
        if o.unanswered && self.unanswered.is_none() {
            self.unanswered = Some(step);
        }
        // Every StartFlow call of the step that named no run (refused, not
        // answered, a 200 without an executionId): its run may be listed.
        for what in std::mem::take(&mut o.unnamed_starts) {
            self.refused_starts.push((step, what));
        }
        for id in o.started {
            self.started.insert(id);
        }
        for (k, v) in o.captures {
            if let Some(id) = v.as_str() {
                // A run the scenario found and named is one it knows of.
                self.started.insert(id.to_owned());
            }
            bind(k, v);
        }
        for id in o.listed {
            if !self.started.contains(&id) {
                let shown = crate::safe_text::escape_control(&id);
                // A StartFlow the endpoint refused (or did not answer) may
                // have run all the same: name it rather than guess.
                let cause = match self.refused_starts.first() {
                    Some((n, what)) => format!(
                        "this scenario's StartFlow of step {n} {what}: the run may be that request's"
                    ),
                    None => "another client, or a retry".into(),
                };
                self.notes.entry(format!("foreign {id}")).or_insert(format!(
                    "foreign activity: run {shown} on this scenario's flow was not started by it ({cause})"
                ));
            }
        }
        for (op, v) in o.violations {
            self.count(op, v, step);
        }
        for (op, n) in o.notes {
            let key = format!("{op} {}", crate::contract::folded(&n.at));
            let text = format!("{key}: {}", crate::safe_text::escape_control(&n.text));
            self.notes.entry(key).or_insert(text);
        }
        for (k, text) in o.remarks {
            self.notes.entry(k).or_insert(text);
        }
        // W3's repeats are judged run-wide (contract::RequestIds, via the
        // step's contract check); the ids are kept for the provenance.
        self.request_ids.extend(o.request_ids);
        self.answers += o.answers;
        self.throttled += o.throttled;
        self.latencies.extend(o.latencies);
        if !o.entry.is_null() {
            self.transcript.push(o.entry);
        }
        if o.stop.is_some() && self.stopped.is_none() {
            self.stopped = o.stop;
        }
        // A step whose effect is unknown (an undecided write, or a read
        // whose captures later steps use) makes the later failures moot.
        if self.undecided.is_none() {
            self.undecided = o.undecided;
        }
        self.failures.extend(o.failures);
        status
    }

    /// A note of the runner's own, once.
    pub fn note(&mut self, text: String) {
        self.notes.entry(text.clone()).or_insert(text);
    }

    /// The notes, each once.
    pub fn notes(&self) -> Vec<String> {
        self.notes.values().cloned().collect()
    }

    fn count(&mut self, op: Operation, v: Violation, step: usize) {
        let at = if v.at.starts_with("header ") {
            v.at
        } else {
            format!("{op} {}", crate::contract::folded(&v.at))
        };
        self.counted
            .entry((at, v.rule, v.id))
            .or_insert((0, step))
            .0 += 1;
    }

    /// One failure per contract rule and path broken, at the first step
    /// that broke it, with its count (wire rules on headers are
    /// [`FailureKind::Wire`], the others [`FailureKind::Contract`]); the counts.
    pub fn contract_failures(&mut self) -> Vec<WireCount> {
        let answers = self.answers;
        let mut counts = Vec::new();
        for ((at, rule, id), (count, step)) in std::mem::take(&mut self.counted) {
            let kind = if at.starts_with("header ") {
                FailureKind::Wire
            } else {
                FailureKind::Contract
            };
            let w = WireCount {
                at,
                rule,
                id,
                count,
            };
            self.failures.push(Failure::new(
                Some(step),
                kind,
                format!(
                    "{}: {} ({}): broken on {} of {answers} answers",
                    w.at, w.rule, w.id, w.count
                ),
            ));
            counts.push(w);
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_after_an_undecided_step_are_inconclusive_not_failed() {
        let mut l = Ledger::default();
        let throttled = Observed {
            undecided: Some("step 1 (delete) could not be judged".into()),
            failures: vec![Failure::new(
                Some(1),
                FailureKind::Inconclusive,
                "throttled".into(),
            )],
            ..Observed::default()
        };
        assert_eq!(l.fold(1, throttled, |_, _| {}), Status::Inconclusive);
        let follows = Observed {
            failures: vec![Failure::new(
                Some(2),
                FailureKind::Expectation,
                "status: expected 404, got 200".into(),
            )],
            ..Observed::default()
        };
        assert_eq!(l.fold(2, follows, |_, _| {}), Status::Inconclusive);
        assert!(
            l.failures
                .iter()
                .all(|f| f.kind == FailureKind::Inconclusive),
            "{:?}",
            l.failures
        );
    }

    #[test]
    fn contract_violations_are_counted_once_per_rule_and_path() {
        let mut l = Ledger::default();
        for i in 0..3 {
            let v = Violation::new(
                &format!("body.flows.{i}.createdAt"),
                "timestamps are epoch seconds as JSON numbers".into(),
                "W4",
            );
            let o = Observed {
                violations: vec![(Operation::ListFlows, v)],
                answers: 1,
                ..Observed::default()
            };
            l.fold(i + 1, o, |_, _| {});
        }
        let counts = l.contract_failures();
        assert_eq!(counts.len(), 1, "W4 once: {counts:?}");
        assert_eq!(counts[0].at, "ListFlows body.flows.*.createdAt");
        assert_eq!(counts[0].count, 3);
        assert!(
            l.failures[0]
                .message
                .ends_with("(W4): broken on 3 of 3 answers"),
            "{:?}",
            l.failures
        );
    }

    #[test]
    fn an_undecided_read_without_captures_taints_nothing() {
        let mut l = Ledger::default();
        let read = Observed {
            failures: vec![Failure::new(
                Some(1),
                FailureKind::Inconclusive,
                "throttled".into(),
            )],
            ..Observed::default()
        };
        assert_eq!(l.fold(1, read, |_, _| {}), Status::Inconclusive);
        let next = Observed {
            failures: vec![Failure::new(
                Some(2),
                FailureKind::Expectation,
                "status".into(),
            )],
            ..Observed::default()
        };
        assert_eq!(
            l.fold(2, next, |_, _| {}),
            Status::Failed,
            "a read has no effect to depend on"
        );
    }

    #[test]
    fn a_foreign_run_after_a_refused_start_names_that_start_not_another_client() {
        let mut l = Ledger::default();
        let refused = Observed {
            operation: Some(Operation::StartFlow),
            first_status: Some(400),
            unnamed_starts: vec!["answered 400".into()],
            ..Observed::default()
        };
        l.fold(1, refused, |_, _| {});
        let listed = Observed {
            operation: Some(Operation::DescribeFlowExecutionRecords),
            listed: vec!["run-1".into()],
            ..Observed::default()
        };
        l.fold(2, listed, |_, _| {});
        let notes = l.notes();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("this scenario's StartFlow of step 1 answered 400"),
            "{notes:?}"
        );
        assert!(!notes[0].contains("another client"), "{notes:?}");
    }
}
