//! What a call step takes from its answers: its captures (from the first
//! answer, or the copy a capture names) and the runs its StartFlow calls
//! started or its reads listed.

use serde_json::Value;

use super::ledger::Observed;
use super::{Failure, FailureKind};
use crate::appflow::Operation;
use crate::client::{Call, CallOutcome, TransportKind};
use crate::scenario::Step;
use crate::scenario::matcher::get_path;

/// Whether a concurrent step's expectations allow copy `copy` (1-based)
/// an error: some list of `statuses-in-order` gives it one.
fn allows_error(step: &Step, copy: usize) -> bool {
    step.concurrent > 1
        && step
            .expect
            .statuses_in_order
            .iter()
            .any(|v| v.get(copy.saturating_sub(1)).is_some_and(|s| *s >= 400))
}

/// Takes the step's captures from the first answer, or from the copy a
/// capture names (`[2].executionId`, validated when the file was read).
pub(super) fn capture(step: &Step, calls: &[Call], o: &mut Observed) {
    for (name, path) in &step.capture {
        let (copy, path) = crate::scenario::capture_copy(path).unwrap_or((1, path));
        let answer = match calls.get(copy.saturating_sub(1)).map(|c| &c.outcome) {
            Some(CallOutcome::Reply(r)) => Some(r),
            _ => None,
        };
        // A copy of calls at once whose error the step's own expectations
        // allow (its order lost): nothing to capture, and no failure; the
        // steps that use the capture are not played.
        if let Some(r) = answer.filter(|r| r.status >= 400 && allows_error(step, copy)) {
            o.unbound.push((
                name.clone(),
                format!("copy {copy} of step {} answered {}", step.index, r.status),
            ));
            continue;
        }
        let first = answer.and_then(|r| r.json.as_ref());
        match first.and_then(|j| get_path(j, path)) {
            Some(v) => o.captures.push((name.clone(), v.clone())),
            None => {
                let why = if first.is_none() {
                    format!("capture `{name}`: no answer to capture from")
                } else {
                    format!("capture `{name}`: the answer has no `{path}`")
                };
                // Inconclusive when the answer itself was undecided.
                let kind = if o
                    .failures
                    .iter()
                    .any(|f| f.kind == FailureKind::Inconclusive)
                {
                    FailureKind::Inconclusive
                } else {
                    FailureKind::Expectation
                };
                o.failures.push(Failure::new(Some(step.index), kind, why));
                o.stop = Some(format!(
                    "capture `{name}` of step {} failed, and later steps use it",
                    step.index
                ));
            }
        }
    }
}

/// The runs this step's StartFlow calls started, and those it listed.
pub(super) fn watch_runs(operation: Operation, calls: &[Call], o: &mut Observed) {
    for c in calls {
        let r = match &c.outcome {
            CallOutcome::Reply(r) => r,
            // The answer that would show the run's id came, but was not
            // read past the answer limit: the run is the scenario's own.
            CallOutcome::Transport {
                kind: TransportKind::TooLarge,
                ..
            } => {
                if operation == Operation::StartFlow {
                    o.unnamed_starts.push(
                        "was answered, but its answer was cut off at the answer limit (the executionId in it was not read)"
                            .into(),
                    );
                }
                continue;
            }
            CallOutcome::Transport { .. } => {
                if operation == Operation::StartFlow {
                    o.unnamed_starts.push("got no answer".into());
                }
                continue;
            }
        };
        let Some(body) = r.json.as_ref().filter(|_| r.status == 200) else {
            if operation == Operation::StartFlow {
                o.unnamed_starts.push(format!("answered {}", r.status));
            }
            continue;
        };
        match operation {
            Operation::StartFlow => match body.get("executionId").and_then(Value::as_str) {
                Some(id) => o.started.push(id.to_owned()),
                None => o
                    .unnamed_starts
                    .push("answered 200 without an executionId".into()),
            },
            Operation::DescribeFlowExecutionRecords => o.listed.extend(
                body.get("flowExecutions")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|r| r.get("executionId").and_then(Value::as_str))
                    .map(str::to_owned),
            ),
            _ => {}
        }
    }
}
