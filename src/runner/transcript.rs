//! A scenario's transcript, the one shape its reference recordings hold
//! (`{"scenario", "description", "steps": [...]}`): each call step's entry
//! is the request and the normalised answers, those of a `concurrent` step
//! grouped by their content. The runner builds it as it plays; `record`
//! builds it from the traffic it proxied, through the same functions, so
//! that a recording and its replay compare as any reference does.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::appflow::Operation;
use crate::client::{Call, CallOutcome};
use crate::normalise::Normaliser;
use crate::redact::Redactor;
use crate::scenario::{Scenario, Step};

/// The transcript of scenario `s` from its steps' entries (in step order),
/// every string cleaned by `redactor` (no secret, no control character).
pub fn of_scenario(s: &Scenario, steps: Vec<Value>, redactor: &Redactor) -> Value {
    let mut transcript = json!({
        "scenario": s.name,
        "description": s.description,
        "steps": steps,
    });
    clean_strings(&mut transcript, redactor);
    transcript
}

/// Every string of a transcript as it may be written: no secret, no
/// control character.
fn clean_strings(v: &mut Value, redactor: &Redactor) {
    match v {
        Value::String(s) => {
            let clean = redactor.clean(s);
            if clean != *s {
                *s = clean;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| clean_strings(x, redactor)),
        Value::Object(m) => m.values_mut().for_each(|x| clean_strings(x, redactor)),
        _ => {}
    }
}

/// A call step's request as its entry shows it: the operation and the body
/// (the request as sent) normalised by `normaliser`.
pub fn shown_request(operation: Operation, body: &Value, normaliser: &mut Normaliser) -> Value {
    json!({"operation": operation, "body": normaliser.normalise(body)})
}

/// A `raw:` step's request as its entry shows it: the operation and the
/// text as sent, normalised by `normaliser` (names and tokens as
/// placeholders), plus the padded size when `pad_to` padded it.
pub fn shown_raw(
    operation: Operation,
    text: &str,
    pad_to: Option<usize>,
    normaliser: &mut Normaliser,
) -> Value {
    let mut shown = json!({"operation": operation, "raw": normaliser.text(text)});
    if let Some(n) = pad_to {
        shown["padded-to-bytes"] = json!(n);
    }
    shown
}

/// The pages of a list read as one answer (an `all-pages` step's): the
/// first page's body with every page's `member` items (`items`, in page
/// order) and no `nextToken`. A body that is not an object is left as it is.
pub fn pages_as_one(mut first: Value, items: Vec<Value>, member: &str) -> Value {
    if let Value::Object(m) = &mut first {
        m.remove("nextToken");
        m.insert(member.to_owned(), Value::Array(items));
    }
    first
}

/// The entry of call step `step`, whose request (with its templates filled
/// in) was `request`, answered by `calls` (one per copy; an `all-pages`
/// read's pages as one, see [`pages_as_one`]). The request and the answers
/// are normalised by `normaliser`, which numbers runs across the scenario,
/// so one scenario's entries take one normaliser, in step order.
/// `own_flows` says which flow names are the scenario's (a ListFlows
/// answer shows only those).
pub fn call_entry(
    step: &Step,
    request: &Value,
    calls: &[Call],
    normaliser: &mut Normaliser,
    own_flows: &dyn Fn(&str) -> bool,
) -> Value {
    let Some(operation) = step.action.operation() else {
        return json!({"step": step.index, "name": step.name});
    };
    // A raw step's request is the text that was sent (`request` a JSON
    // string of it), shown as the runner shows it when it plays the step.
    let shown = match (&step.action, request) {
        (crate::scenario::Action::Raw { pad_to, .. }, Value::String(text)) => {
            shown_raw(operation, text, *pad_to, normaliser)
        }
        _ => shown_request(operation, request, normaliser),
    };
    record_call(step, shown, calls, normaliser, own_flows)
}

/// The entry for `step`, whose request shows as `shown`. `own_flows` are
/// the scenario's real flow names: a ListFlows answer shows only those, as
/// the account's other flows are none of the scenario's business.
pub(super) fn record_call(
    step: &Step,
    shown: Value,
    calls: &[Call],
    normaliser: &mut Normaliser,
    own_flows: &dyn Fn(&str) -> bool,
) -> Value {
    let mut entry = json!({"step": step.index, "name": step.name, "request": shown});
    let lists_flows = step.action.operation() == Some(Operation::ListFlows);
    let bodies: Vec<Value> = calls
        .iter()
        .map(|c| match &c.outcome {
            CallOutcome::Reply(r) => {
                let mut body = r.json.clone().unwrap_or(Value::Null);
                if lists_flows
                    && let Some(flows) = body.get_mut("flows").and_then(Value::as_array_mut)
                {
                    flows.retain(|f| {
                        f.get("flowName")
                            .and_then(Value::as_str)
                            .is_some_and(own_flows)
                    });
                }
                body
            }
            CallOutcome::Transport { .. } => Value::Null,
        })
        .collect();
    let bodies = if step.concurrent > 1 {
        normaliser.normalise_group(&bodies, &format!("step{}", step.index))
    } else {
        bodies.iter().map(|b| normaliser.normalise(b)).collect()
    };
    let answers: Vec<Value> = calls
        .iter()
        .zip(bodies)
        .map(|(c, body)| shown_outcome(&c.outcome, body))
        .collect();
    if step.concurrent > 1 {
        let mut groups: BTreeMap<String, (usize, Value)> = BTreeMap::new();
        for a in answers {
            groups.entry(a.to_string()).or_insert((0, a)).0 += 1;
        }
        let mut list: Vec<(usize, Value)> = groups.into_values().collect();
        list.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then_with(|| a.1.to_string().cmp(&b.1.to_string()))
        });
        entry["concurrent"] = json!(step.concurrent);
        entry["responses"] = Value::Array(
            list.into_iter()
                .map(|(n, mut v)| {
                    v["count"] = json!(n);
                    v
                })
                .collect(),
        );
    } else if let Some(a) = answers.into_iter().next() {
        entry["response"] = a;
    }
    entry
}

/// An answer as the transcript shows it; `body` is its normalised JSON.
fn shown_outcome(o: &CallOutcome, body: Value) -> Value {
    match o {
        CallOutcome::Reply(r) => json!({
            "status": r.status,
            "error": r.error_type,
            "body": match &r.json {
                Some(_) => body,
                None => Value::String(format!("<not json: {} bytes>", r.raw.len())),
            },
        }),
        CallOutcome::Transport { kind, .. } => json!({"no-response": kind}),
    }
}
