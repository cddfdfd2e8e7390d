//! The transcript entry of a call step: the request and the normalised
//! answers, those of a `concurrent` step grouped by their content.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::client::{Call, Outcome};
use crate::normalise::Normaliser;
use crate::scenario::Step;

/// The entry for `step`, whose request shows as `shown`.
pub(super) fn record_call(
    step: &Step,
    shown: Value,
    calls: &[Call],
    normaliser: &mut Normaliser,
) -> Value {
    let mut entry = json!({"step": step.index, "name": step.name, "request": shown});
    let answers: Vec<Value> = calls
        .iter()
        .map(|c| shown_outcome(&c.outcome, normaliser))
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

fn shown_outcome(o: &Outcome, normaliser: &mut Normaliser) -> Value {
    match o {
        Outcome::Reply(r) => json!({
            "status": r.status,
            "error": r.error_type,
            "body": match &r.json {
                Some(j) => normaliser.normalise(j),
                None => Value::String(format!("<not json: {} bytes>", r.raw.len())),
            },
        }),
        Outcome::Transport { kind, .. } => json!({"no-response": kind}),
    }
}
