//! Lists in a saved file. A settle's records read waits until its runs
//! have ended ([`wait_for_ends`]).
//!
//! ListFlows in a saved file: read through every page (`all-pages`, at the
//! page size the sequence used), judged only on the sequence's own flows:
//! `contains` the live ones (trigger type, and status as every admitted
//! answer allows), `excludes` the deleted ones. The account's other flows
//! are not judged, so the file gives no false alarm where others exist.

use serde_json::{Value, json};

use super::play::AdmittedView;
use crate::model::{Admission, OkBody};

/// The `flows` matcher every admitted ListFlows answer meets, or `None`
/// when an admitted answer is not a list. `template` names a flow of the
/// sequence as the file does (`{{flow.s0}}`); flows it cannot name are
/// left out.
pub(super) fn flows(
    views: &[AdmittedView],
    template: &dyn Fn(&str) -> Option<String>,
) -> Option<Value> {
    let lists: Vec<(&Vec<_>, &Vec<String>)> = views
        .iter()
        .map(|a| match &a.admitted.expect {
            Admission::Ok(OkBody::List { present, absent }) => Some((present, absent)),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let (first, _) = lists.first()?;
    let mut contains = Vec::new();
    for (name, trigger, _) in first.iter() {
        let Some(t) = template(name) else { continue };
        let mut statuses: Vec<String> = Vec::new();
        let mut everywhere = true;
        for (present, _) in &lists {
            match present.iter().find(|(n, tr, _)| n == name && tr == trigger) {
                Some((_, _, s)) => statuses.push(s.to_string()),
                None => everywhere = false,
            }
        }
        if !everywhere {
            continue;
        }
        statuses.sort();
        statuses.dedup();
        let status = match statuses.as_slice() {
            [one] => json!(one),
            _ => json!({ "one-of": statuses }),
        };
        contains.push(json!({ "flowName": t, "triggerType": trigger, "flowStatus": status }));
    }
    let mut excludes = Vec::new();
    for name in lists[0].1 {
        if lists.iter().all(|(_, absent)| absent.contains(name))
            && let Some(t) = template(name)
        {
            excludes.push(json!({ "flowName": t }));
        }
    }
    if contains.is_empty() && excludes.is_empty() {
        return None;
    }
    let mut m = serde_json::Map::new();
    if !contains.is_empty() {
        m.insert("contains".into(), Value::Array(contains));
    }
    if !excludes.is_empty() {
        m.insert("excludes".into(), Value::Array(excludes));
    }
    Some(Value::Object(m))
}

/// A records expectation made to wait for the runs' end: no run listed
/// InProgress, and each named run in a status its phase may end in (L2:
/// Successful; S3: CancelStarted or Canceled).
pub(super) fn wait_for_ends(body: &mut Value) {
    let Some(list) = body.get_mut("flowExecutions") else {
        return;
    };
    if let Some(items) = list.get_mut("contains").and_then(|c| c.as_array_mut()) {
        for item in items {
            if let Some(one_of) = item
                .pointer_mut("/executionStatus/one-of")
                .and_then(|v| v.as_array_mut())
            {
                one_of.retain(|s| s != "InProgress");
            }
        }
    }
    list["excludes"] = json!([{ "executionStatus": "InProgress" }]);
}
