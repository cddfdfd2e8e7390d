//! Judging the answers of one attempt at a step: the scenario's
//! expectations (status, error type, body, alternatives, distinct values),
//! and the contract, which every answer is held to without a line in the
//! scenario. Expectations decide whether `eventually` polls again; contract
//! violations are counted per rule and path (waiting does not change them).

use std::sync::Mutex;

use serde_json::Value;

use super::{Failure, FailureKind};
use crate::appflow::{Operation, TriggerType};
use crate::client::{Call, CallOutcome, Reply};
use crate::contract::{Note, Violation};
use crate::scenario::matcher::{cut, get_path, match_value};
use crate::scenario::{Expect, Step};

/// What a step is judged against besides its own lines.
pub(super) struct Context<'a> {
    pub operation: Operation,
    /// The trigger of the flow the request names, where known.
    pub trigger: Option<TriggerType>,
    /// The target's region (O1).
    pub region: &'a str,
    /// The account of the first ARN this run saw (O1).
    pub account: &'a Mutex<Option<String>>,
    /// The run's request ids (W3: each answer's is its own).
    pub request_ids: &'a crate::contract::RequestIds,
}

/// The verdict of the expectations on the answers of one attempt.
#[derive(Default)]
pub(super) struct Judged {
    pub failures: Vec<Failure>,
    /// Why repeating the request cannot help (`eventually` stops at once).
    pub unfixable: Option<String>,
}

/// Whether waiting could change an answer: throttling and server errors may
/// pass, a 404 or a body that is not JSON will not.
fn unfixable(r: &Reply) -> Option<String> {
    if r.json.is_none() {
        return Some(format!("the answer is {}", r.body_summary()));
    }
    // A throttle (429, or a throttling error type on another status) may
    // pass by waiting: the client's one definition decides.
    if crate::client::retry::is_throttle(r) {
        return None;
    }
    match r.status {
        400..=499 | 501 => Some(format!(
            "a {} {} answer does not change by waiting",
            r.status,
            r.error_type.as_deref().unwrap_or("")
        )),
        _ => None,
    }
}

/// A scenario's flow only gains runs (L2: each StartFlow adds a record), so
/// a listing with more runs than the expected `length` will not come to
/// match by waiting: `eventually` stops there.
fn runs_cannot_shrink(step: &Step, expected: Option<&Value>, r: &Reply) -> Option<String> {
    if step.action.operation() != Some(Operation::DescribeFlowExecutionRecords) {
        return None;
    }
    let want = expected?.get("flowExecutions")?.get("length")?.as_u64()?;
    let got = r.json.as_ref()?.get("flowExecutions")?.as_array()?.len();
    (got as u64 > want)
        .then(|| format!("{got} runs are listed, and a list of runs cannot shrink to {want}"))
}

/// The contract over one answer: violations (counted by the caller) and
/// notes. A rule broken by several items of one list (every run's
/// `startedAt`) is one violation of that answer: counts are of answers,
/// so that "broken on N of M answers" never has N above M.
pub(super) fn contract(cx: &Context<'_>, r: &Reply) -> (Vec<Violation>, Vec<Note>) {
    let found = crate::contract::check(cx.operation, r, cx.trigger);
    let arns = r
        .json
        .as_ref()
        .filter(|_| r.status == 200)
        .map(|j| crate::contract::check_arns(j, cx.region, cx.account))
        .unwrap_or_default();
    let repeated = cx.request_ids.record(r.request_id.as_deref());
    let mut seen = std::collections::HashSet::new();
    let violations = found
        .violations
        .into_iter()
        .chain(arns)
        .chain(repeated)
        .filter(|v| seen.insert((crate::contract::folded(&v.at), v.rule.clone(), v.id)))
        .collect();
    (violations, found.notes)
}

/// The step's expectations over every answer of one attempt; the bodies
/// are the step's expected body and each `one-of` alternative's, rendered.
pub(super) fn judge(
    step: &Step,
    expected_body: Option<&Value>,
    alternative_bodies: &[Option<Value>],
    calls: &[Call],
) -> Judged {
    let mut judged = Judged::default();
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
            CallOutcome::Transport { kind, message } => {
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
            CallOutcome::Reply(r) => {
                if e.no_response {
                    push(failure(
                        step,
                        FailureKind::Expectation,
                        "an answer came where none was expected".into(),
                        Some("no response".into()),
                        Some(cut(&format!("{} {}", r.status, r.body_text()))),
                    ));
                    continue;
                }
                replies.push(r);
                if e.one_of.is_empty() {
                    for f in against(step, e, expected_body, r) {
                        push(f);
                    }
                } else if let Some(f) = none_of(step, &e.one_of, alternative_bodies, r) {
                    push(f);
                }
                if judged.unfixable.is_none() {
                    judged.unfixable = unfixable(r).or_else(|| {
                        e.one_of
                            .is_empty()
                            .then(|| runs_cannot_shrink(step, expected_body, r))
                            .flatten()
                    });
                }
            }
        }
    }
    if !e.statuses_in_order.is_empty() {
        let got: Vec<u16> = calls
            .iter()
            .map(|c| match &c.outcome {
                CallOutcome::Reply(r) => r.status,
                CallOutcome::Transport { .. } => 0,
            })
            .collect();
        if !e.statuses_in_order.contains(&got) {
            let allowed: Vec<String> = e
                .statuses_in_order
                .iter()
                .map(|v| format!("{v:?}"))
                .collect();
            push(failure(
                step,
                FailureKind::Expectation,
                format!(
                    "statuses-in-order: the copies answered {got:?}, which no order of the calls allows"
                ),
                Some(allowed.join(" or ")),
                Some(format!("{got:?}")),
            ));
        }
    }
    for (status, want) in &e.status_count {
        let got = replies.iter().filter(|r| r.status == *status).count();
        if got != *want {
            push(failure(
                step,
                FailureKind::Expectation,
                format!(
                    "status-count {status}: expected {want} of {} answers to be {status}, got {got}",
                    calls.len()
                ),
                Some(format!("{want} x {status}")),
                Some(format!("{got} x {status}")),
            ));
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
    judged.failures = out;
    judged
}

/// An answer that meets none of `alternatives` (whose rendered bodies are
/// `bodies`, index for index): one failure naming them all.
fn none_of(
    step: &Step,
    alternatives: &[Expect],
    bodies: &[Option<Value>],
    r: &Reply,
) -> Option<Failure> {
    let mut reasons = Vec::new();
    for (i, alt) in alternatives.iter().enumerate() {
        let body = bodies.get(i).and_then(Option::as_ref).or(alt.body.as_ref());
        let failures = against(step, alt, body, r);
        if failures.is_empty() {
            return None;
        }
        reasons.push(failures[0].message.clone());
    }
    let shown: Vec<String> = alternatives
        .iter()
        .enumerate()
        .map(|(i, alt)| describe(alt, bodies.get(i).and_then(Option::as_ref)))
        .collect();
    Some(failure(
        step,
        FailureKind::Expectation,
        format!(
            "the answer meets none of the allowed outcomes ({}): {}",
            shown.join(" | "),
            reasons.join("; ")
        ),
        Some(shown.join(" | ")),
        Some(cut(&format!(
            "{} {} {}",
            r.status,
            r.error_type.as_deref().unwrap_or("-"),
            r.body_text()
        ))),
    ))
}

/// `400 ValidationException`, `413`, `200 {...}`.
fn describe(e: &Expect, rendered_body: Option<&Value>) -> String {
    let mut parts = Vec::new();
    if let Some(s) = &e.status {
        parts.push(s.iter().map(u16::to_string).collect::<Vec<_>>().join("/"));
    }
    if let Some(t) = &e.error {
        parts.push(t.clone());
    }
    if let Some(b) = rendered_body.or(e.body.as_ref()) {
        parts.push(cut(&b.to_string()));
    }
    if parts.is_empty() {
        "any answer".into()
    } else {
        parts.join(" ")
    }
}

/// One answer against one set of status, error and body expectations.
fn against(step: &Step, e: &Expect, expected_body: Option<&Value>, r: &Reply) -> Vec<Failure> {
    let mut out = Vec::new();
    if let Some(allowed) = &e.status
        && !allowed.contains(&r.status)
    {
        let want = allowed
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(" or ");
        out.push(failure(
            step,
            FailureKind::Expectation,
            format!("status: expected {want}, got {}", r.status),
            Some(want),
            Some(cut(&format!(
                "{} {} {}",
                r.status,
                r.error_type.as_deref().unwrap_or("-"),
                r.body_text()
            ))),
        ));
    }
    if let Some(want) = &e.error
        && r.error_type.as_deref() != Some(want.as_str())
    {
        out.push(failure(
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
        match &r.json {
            Some(j) => {
                let mut mismatches = Vec::new();
                match_value(b, Some(j), "", &mut mismatches);
                for m in mismatches {
                    let at = if m.path.is_empty() {
                        "body".to_owned()
                    } else {
                        format!("body.{}", m.path)
                    };
                    out.push(failure(
                        step,
                        FailureKind::Expectation,
                        format!("{at}: expected {}, got {}", m.expected, m.actual),
                        Some(m.expected),
                        Some(m.actual),
                    ));
                }
            }
            None => out.push(failure(
                step,
                FailureKind::Expectation,
                format!("body: expected JSON, got {}", r.body_summary()),
                Some(cut(&b.to_string())),
                Some(r.body_summary()),
            )),
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
