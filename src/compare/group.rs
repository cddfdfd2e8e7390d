//! Gaps counted as behaviours: one choice the target made differently
//! changes several answer fields (a 409 become a 200 changes its status,
//! error type, message and members) at several steps. A change is a path
//! (list indexes folded) with both values (fixture names generalised:
//! `<flow:hourly>` and `<flow:sched>` alike), wherever it shows and on
//! whichever operation (`flowStatus` "Suspended" -> "Draft" on StopFlow and
//! DescribeFlow is one change); changes that show at exactly the same steps
//! come from one cause and are one behaviour.

use serde::Serialize;
use serde_json::Value;

use super::{Class, ScenarioParity};

/// One field of a behaviour: its transcript path and both sides' values,
/// fixture names generalised (`<flow>`); `None` where a side has nothing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    /// The transcript path (`response.body.flowStatus`).
    pub path: String,
    /// The baseline's value, as JSON text; `None` where absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    /// The target's value, as JSON text; `None` where absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// Where a behaviour shows: a scenario and one of its steps (1-based).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct At {
    /// The scenario's name.
    pub scenario: String,
    /// The step's 1-based index.
    pub step: usize,
}

/// One behaviour in which the target differs from the baseline where both
/// conform: the operations and fields it changes and every step it shows at.
#[derive(Debug, Clone, Serialize)]
pub struct Behaviour {
    /// The operations of its steps, sorted (`StartFlow`, ...).
    pub operations: Vec<String>,
    /// The distinct field changes, by path.
    pub changes: Vec<Change>,
    /// The steps it shows at, in scenario order.
    pub places: Vec<At>,
    /// The differing answer fields it accounts for (gap entries).
    pub fields: usize,
}

/// `v` with fixture placeholders generalised: `<flow:hourly>` -> `<flow>`,
/// `<execution-id:3>` -> `<execution-id>`.
fn general(v: &Value) -> String {
    let text = v.to_string();
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        let close = tail.find('>');
        let inner = close.map(|c| &tail[1..c]);
        match inner.and_then(|i| i.split_once(':')) {
            Some((kind, _))
                if kind
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
            {
                out.push('<');
                out.push_str(kind);
                out.push('>');
                rest = &tail[close.unwrap_or(0) + 1..];
            }
            _ => {
                out.push('<');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The gaps of `scenarios` as behaviours, in the order they first show.
pub fn behaviours(scenarios: &[ScenarioParity]) -> Vec<Behaviour> {
    // Each distinct change, with the operations and steps it shows at.
    let mut changes: Vec<(Change, Vec<String>, Vec<At>, usize)> = Vec::new();
    for s in scenarios {
        for e in s.entries.iter().filter(|e| e.class == Class::Gap) {
            let change = Change {
                path: crate::contract::folded(e.path.as_deref().unwrap_or_default()),
                baseline: e.baseline.as_ref().map(general),
                target: e.target.as_ref().map(general),
            };
            let at = At {
                scenario: s.name.clone(),
                step: e.step.unwrap_or_default(),
            };
            let op = e.operation.clone().unwrap_or_else(|| "test-control".into());
            let slot = match changes.iter().position(|c| c.0 == change) {
                Some(i) => &mut changes[i],
                None => {
                    changes.push((change, Vec::new(), Vec::new(), 0));
                    changes.last_mut().expect("just pushed")
                }
            };
            if !slot.1.contains(&op) {
                slot.1.push(op);
            }
            if !slot.2.contains(&at) {
                slot.2.push(at);
            }
            slot.3 += 1;
        }
    }
    let mut out: Vec<Behaviour> = Vec::new();
    for (change, ops, places, fields) in changes {
        match out.iter_mut().find(|b| b.places == places) {
            Some(b) => {
                b.changes.push(change);
                b.fields += fields;
                for op in ops {
                    if !b.operations.contains(&op) {
                        b.operations.push(op);
                    }
                }
            }
            None => out.push(Behaviour {
                operations: ops,
                changes: vec![change],
                places,
                fields,
            }),
        }
    }
    for b in &mut out {
        b.operations.sort();
        b.changes.sort();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::general;
    use serde_json::json;

    #[test]
    fn fixture_names_are_generalised_and_other_text_kept() {
        assert_eq!(
            general(&json!(
                "arn:aws:appflow:<region>:<account>:flow/<flow:hourly>"
            )),
            "\"arn:aws:appflow:<region>:<account>:flow/<flow>\""
        );
        assert_eq!(general(&json!("<execution-id:3>")), "\"<execution-id>\"");
        assert_eq!(general(&json!("a < b > c")), "\"a < b > c\"");
        assert_eq!(general(&json!(409)), "409");
    }
}
