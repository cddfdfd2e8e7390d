//! The class of one differing answer field, by the contract first: a rule
//! one side broke at that operation and path (at any step: the runner
//! reports a contract rule once, at the first step that broke it) makes a
//! violation of that side; then the room the contract leaves
//! ([`super::room`]); then a failed step; then the scenario's known
//! differences; what is left is a gap.

use serde_json::Value;

use super::{Class, Side};
use crate::appflow::Operation;
use crate::diff::Difference;
use crate::runner::{FailureKind, ScenarioResult};
use crate::scenario::Scenario;

/// Where a differing field is: its step's operation and index, and whether
/// the scenario lists the path under `known-differences` for the target.
pub struct Place {
    /// The step's AppFlow operation (`None` for test-control steps).
    pub op: Option<Operation>,
    /// The step's 1-based index.
    pub step: usize,
    /// Listed under `known-differences` for the target's kind.
    pub is_known: bool,
}

/// The rule ids `r` broke at `op` and the transcript path `path`
/// (`response.body.flowExecutions.0.startedAt`): contract findings are
/// kept per operation and folded path (`StartFlow body.executionId`).
fn broken_at(r: &ScenarioResult, op: Operation, path: &str) -> Vec<String> {
    let Some(at) = path.strip_prefix("response.") else {
        return Vec::new();
    };
    let here = format!("{op} {}", crate::contract::folded(at));
    let mut ids: Vec<String> = r
        .wire
        .iter()
        .filter(|w| here == w.at || here.starts_with(&format!("{}.", w.at)))
        .map(|w| w.id.to_owned())
        .collect();
    ids.dedup();
    ids
}

/// The rule ids of the failures of `r` at `step` that judged the answer
/// (not a snapshot difference, not an undecided step); empty if none.
fn failed_at(r: &ScenarioResult, step: usize, s: &Scenario) -> Vec<String> {
    let mut ids: Vec<String> = r
        .failures
        .iter()
        .filter(|f| {
            f.step == Some(step)
                && !matches!(f.kind, FailureKind::Snapshot | FailureKind::Inconclusive)
        })
        .flat_map(|f| super::classify::rules_of(&f.message, s))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The class of the difference `d` at `at`, the side it is against (for
/// violations) and its rule ids. `answers` are the step's transcript
/// entries (baseline, target); `runs` the two scenario results.
pub fn judge(
    at: &Place,
    d: &Difference,
    answers: (&Value, &Value),
    runs: (&ScenarioResult, &ScenarioResult),
    s: &Scenario,
) -> (Class, Option<Side>, Vec<String>) {
    let (b, t) = runs;
    if let Some(op) = at.op {
        for (side, r) in [(Side::Baseline, b), (Side::Target, t)] {
            let ids = broken_at(r, op, &d.path);
            if !ids.is_empty() {
                return (Class::Violation, Some(side), ids);
            }
        }
    }
    if let Some(rule) = super::room::allowed(at.op, d, answers.0, answers.1) {
        return (Class::Allowed, None, vec![rule.to_owned()]);
    }
    for (side, r) in [(Side::Baseline, b), (Side::Target, t)] {
        let failed = r.failures.iter().any(|f| {
            f.step == Some(at.step)
                && !matches!(f.kind, FailureKind::Snapshot | FailureKind::Inconclusive)
        });
        if failed {
            return (Class::Violation, Some(side), failed_at(r, at.step, s));
        }
    }
    if at.is_known {
        (Class::Known, None, Vec::new())
    } else {
        (Class::Gap, None, Vec::new())
    }
}
