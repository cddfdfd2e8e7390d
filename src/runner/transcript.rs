//! The transcript entry of a call step: the request and the normalised
//! answers, those of a `concurrent` step grouped by their content.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::appflow::Operation;
use crate::client::{Call, CallOutcome};
use crate::normalise::Normaliser;
use crate::scenario::Step;

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
