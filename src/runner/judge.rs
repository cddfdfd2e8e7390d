//! Judging the answers of one attempt at a step: the scenario's
//! expectations (status, error type, body, distinct values) and the
//! contract, which every answer is held to without a line in the scenario.

use serde_json::Value;

use super::{Failure, FailureKind};
use crate::appflow::{Operation, TriggerType};
use crate::client::{Call, Outcome, Reply};
use crate::scenario::Step;
use crate::scenario::matcher::{Mismatch, get_path, match_value};

/// Expectations and the contract, for every answer of one attempt.
pub(super) fn judge(
    step: &Step,
    expected_body: Option<&Value>,
    operation: Operation,
    trigger: Option<TriggerType>,
    calls: &[Call],
) -> Vec<Failure> {
    let mut out: Vec<Failure> = Vec::new();
    let mut push = |f: Failure| {
        if !out.iter().any(|g| {
            g.kind == f.kind
                && g.message == f.message
                && g.expected == f.expected
                && g.actual == f.actual
        }) {
            out.push(f);
        }
    };
    let e = &step.expect;
    let mut replies: Vec<&Reply> = Vec::new();
    for call in calls {
        match &call.outcome {
            Outcome::Transport { kind, message } => {
                if !e.no_response {
                    push(failure(
                        step,
                        FailureKind::Transport,
                        format!(
                            "no answer ({}): {message}",
                            serde_json::to_string(kind).unwrap_or_default()
                        ),
                        None,
                        None,
                    ));
                }
            }
            Outcome::Reply(r) => {
                if e.no_response {
                    push(failure(
                        step,
                        FailureKind::Expectation,
                        "an answer came where none was expected".into(),
                        Some("no response".into()),
                        Some(format!("{} {}", r.status, r.body_text())),
                    ));
                    continue;
                }
                replies.push(r);
                if let Some(s) = e.status
                    && s != r.status
                {
                    push(failure(
                        step,
                        FailureKind::Expectation,
                        format!("status: expected {s}, got {}", r.status),
                        Some(s.to_string()),
                        Some(format!(
                            "{} {} {}",
                            r.status,
                            r.error_type.as_deref().unwrap_or("-"),
                            r.body_text()
                        )),
                    ));
                }
                if let Some(want) = &e.error
                    && r.error_type.as_deref() != Some(want.as_str())
                {
                    push(failure(
                        step,
                        FailureKind::Expectation,
                        format!(
                            "error type: expected {want}, got {}",
                            r.error_type.as_deref().unwrap_or("none")
                        ),
                        Some(want.clone()),
                        r.error_type.clone(),
                    ));
                }
                if let Some(b) = expected_body {
                    let mut mismatches = Vec::new();
                    match &r.json {
                        Some(j) => match_value(b, Some(j), "", &mut mismatches),
                        None => mismatches.push(Mismatch {
                            path: "body".into(),
                            expected: b.to_string(),
                            actual: r.body_text(),
                        }),
                    }
                    for m in mismatches {
                        push(failure(
                            step,
                            FailureKind::Expectation,
                            format!("body.{}: expected {}, got {}", m.path, m.expected, m.actual),
                            Some(m.expected),
                            Some(m.actual),
                        ));
                    }
                }
                for v in crate::contract::check(operation, r, trigger) {
                    push(failure(
                        step,
                        FailureKind::Contract,
                        format!("{}: {}", v.at, v.rule),
                        None,
                        None,
                    ));
                }
            }
        }
    }
    for (path, want) in &e.distinct {
        let mut seen: Vec<String> = replies
            .iter()
            .map(|r| {
                r.json
                    .as_ref()
                    .and_then(|j| get_path(j, path))
                    .map_or_else(|| "(absent)".into(), Value::to_string)
            })
            .collect();
        seen.sort();
        seen.dedup();
        if seen.len() != *want {
            push(failure(
                step,
                FailureKind::Expectation,
                format!(
                    "distinct {path}: expected {want} distinct value(s) over {} answers, got {}",
                    calls.len(),
                    seen.len()
                ),
                Some(want.to_string()),
                Some(seen.len().to_string()),
            ));
        }
    }
    out
}

fn failure(
    step: &Step,
    kind: FailureKind,
    message: String,
    expected: Option<String>,
    actual: Option<String>,
) -> Failure {
    Failure {
        step: Some(step.index),
        kind,
        message,
        expected,
        actual,
    }
}
