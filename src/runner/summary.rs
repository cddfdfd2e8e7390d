//! A run's result as data: the [`Summary`] of every scenario and the
//! [`Totals`] over them (counts, latency percentiles in ms, calls/s).

use std::time::Duration;

use serde::Serialize;

use super::result::{FailureKind, ScenarioResult, Status, WireCount};
use crate::appflow::TargetKind;

/// Counts and latency figures over all scenarios of a run.
#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    /// Scenarios in the run (played or skipped).
    pub scenarios: usize,
    /// Scenarios with [`Status::Passed`].
    pub passed: usize,
    /// Scenarios with [`Status::Failed`].
    pub failed: usize,
    /// Scenarios with [`Status::Skipped`].
    pub skipped: usize,
    /// Scenarios that could not be judged even after their replays.
    pub inconclusive: usize,
    /// Scenarios never started: the target refused their fixture flows.
    pub not_started: usize,
    /// Replays of undecided scenarios, over the run.
    pub replays: u32,
    /// Calls sent over the run, fixture setup included (the number of latencies measured).
    pub calls: usize,
    /// Answers that came, over all scenarios (the base of the wire counts).
    pub answers: usize,
    /// Throttled answers retried with the same request, over all scenarios.
    pub throttled_retries: u32,
    /// Median call latency over the run, in milliseconds (0 when no call was sent).
    pub latency_p50_ms: f64,
    /// 99th-percentile call latency over the run, in milliseconds (0 when no call was sent).
    pub latency_p99_ms: f64,
    /// Calls sent per second of wall-clock run time (0 for a zero-length run).
    pub calls_per_second: f64,
    /// Wall-clock time of the whole run, in milliseconds.
    pub duration_ms: f64,
}

/// Everything a `check` run produces: the endpoint it talked to, one
/// [`ScenarioResult`] per scenario in the order given, and the totals. `report/` renders it.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The endpoint's base URL (e.g. `http://127.0.0.1:4566`, or the AWS regional endpoint).
    pub target: String,
    /// Which kind of endpoint it is (emulator or AWS), as resolved from the flags.
    pub target_kind: TargetKind,
    /// The AWS region the requests were signed for and ARNs are checked against (O1).
    pub region: String,
    /// One entry per scenario, in the order given on the command line.
    pub scenarios: Vec<ScenarioResult>,
    /// Counts and latency figures over all scenarios.
    pub totals: Totals,
}

impl Summary {
    /// Each wire rule broken in the run, with its count over all answers.
    pub fn wire(&self) -> Vec<WireCount> {
        let mut out: Vec<WireCount> = Vec::new();
        for w in self.scenarios.iter().flat_map(|s| &s.wire) {
            match out.iter_mut().find(|o| o.at == w.at && o.rule == w.rule) {
                Some(o) => o.count += w.count,
                None => out.push(w.clone()),
            }
        }
        out
    }

    /// Each note of the run once, with the scenarios it was seen in.
    pub fn notes(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for s in &self.scenarios {
            for n in &s.notes {
                match out.iter_mut().find(|(text, _)| text == n) {
                    Some((_, names)) => names.push(s.name.clone()),
                    None => out.push((n.clone(), vec![s.name.clone()])),
                }
            }
        }
        out
    }

    /// Passed: something ran, nothing failed, and everything was judged
    /// (an inconclusive scenario is not a pass).
    pub fn passed(&self) -> bool {
        self.totals.failed == 0
            && self.totals.inconclusive == 0
            && self.totals.not_started == 0
            && self.totals.passed > 0
    }

    /// Nothing failed, but the target refused the set-up of some scenario.
    pub fn setup_refused(&self) -> bool {
        self.totals.failed == 0 && self.totals.not_started > 0
    }

    /// The first refusal of a fixture flow, as the target worded it.
    pub fn first_refusal(&self) -> Option<&str> {
        self.scenarios
            .iter()
            .flat_map(|s| &s.failures)
            .find(|f| f.kind == FailureKind::SetupRefused)
            .map(|f| f.message.as_str())
    }

    /// Scenarios that Ctrl-C (or SIGTERM) cut short or kept from starting:
    /// a step of theirs was skipped as [`crate::runner::INTERRUPTED`]. A
    /// run with any is no verdict, and every report says so.
    pub fn interrupted(&self) -> usize {
        self.scenarios
            .iter()
            .filter(|s| {
                s.steps
                    .iter()
                    .any(|st| st.skipped.as_deref() == Some(super::INTERRUPTED))
            })
            .count()
    }

    /// Nothing failed, but some scenario could not be judged.
    pub fn inconclusive(&self) -> bool {
        self.totals.failed == 0 && self.totals.inconclusive > 0
    }
}

impl Totals {
    /// The totals of `scenarios`, played over `elapsed` wall-clock time:
    /// percentiles are nearest-rank over every call's latency.
    pub fn of(scenarios: &[ScenarioResult], elapsed: Duration) -> Self {
        let mut lat: Vec<Duration> = scenarios
            .iter()
            .flat_map(|s| s.latencies.iter().copied())
            .collect();
        lat.sort_unstable();
        let pct = |p: f64| {
            if lat.is_empty() {
                0.0
            } else {
                let i = ((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1;
                lat[i].as_secs_f64() * 1000.0
            }
        };
        let count = |st: Status| scenarios.iter().filter(|s| s.status == st).count();
        let secs = elapsed.as_secs_f64();
        Self {
            scenarios: scenarios.len(),
            passed: count(Status::Passed),
            failed: count(Status::Failed),
            skipped: count(Status::Skipped),
            inconclusive: count(Status::Inconclusive),
            not_started: count(Status::NotStarted),
            replays: scenarios.iter().map(|s| s.attempts.saturating_sub(1)).sum(),
            calls: lat.len(),
            answers: scenarios.iter().map(|s| s.answers).sum(),
            throttled_retries: scenarios.iter().map(|s| s.throttled_retries).sum(),
            latency_p50_ms: pct(0.50),
            latency_p99_ms: pct(0.99),
            calls_per_second: if secs > 0.0 {
                lat.len() as f64 / secs
            } else {
                0.0
            },
            duration_ms: secs * 1000.0,
        }
    }
}
