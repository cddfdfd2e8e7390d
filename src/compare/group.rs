//! Gaps counted as behaviours: one choice the target made differently
//! changes several answer fields (a 409 become a 200 changes its status,
//! error type, message and members) at several steps. The fields that
//! differ at one step form a step's difference; steps of one scenario that
//! differ at a common path, and steps anywhere whose differences are the
//! same (fixture names aside: `<flow:hourly>` and `<flow:sched>` alike),
//! are one behaviour.

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

struct Unit {
    scenario: usize,
    at: At,
    op: String,
    changes: Vec<Change>,
}

fn root(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// The gaps of `scenarios` as behaviours, in the order they first show.
pub fn behaviours(scenarios: &[ScenarioParity]) -> Vec<Behaviour> {
    let mut units: Vec<Unit> = Vec::new();
    for (n, s) in scenarios.iter().enumerate() {
        for e in s.entries.iter().filter(|e| e.class == Class::Gap) {
            let step = e.step.unwrap_or_default();
            let change = Change {
                path: e.path.clone().unwrap_or_default(),
                baseline: e.baseline.as_ref().map(general),
                target: e.target.as_ref().map(general),
            };
            match units
                .iter_mut()
                .find(|u| u.scenario == n && u.at.step == step)
            {
                Some(u) => u.changes.push(change),
                None => units.push(Unit {
                    scenario: n,
                    at: At {
                        scenario: s.name.clone(),
                        step,
                    },
                    op: e.operation.clone().unwrap_or_else(|| "test-control".into()),
                    changes: vec![change],
                }),
            }
        }
    }
    units.iter_mut().for_each(|u| u.changes.sort());
    let mut parent: Vec<usize> = (0..units.len()).collect();
    for i in 0..units.len() {
        for j in 0..i {
            let (a, b) = (&units[i], &units[j]);
            let same_scenario_path = a.scenario == b.scenario
                && a.changes
                    .iter()
                    .any(|c| b.changes.iter().any(|d| d.path == c.path));
            if same_scenario_path || a.changes == b.changes {
                let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
                parent[ri.max(rj)] = ri.min(rj);
            }
        }
    }
    let mut out: Vec<(usize, Behaviour)> = Vec::new();
    for (i, u) in units.iter().enumerate() {
        let r = root(&mut parent, i);
        let slot = match out.iter().position(|(k, _)| *k == r) {
            Some(p) => &mut out[p].1,
            None => {
                out.push((
                    r,
                    Behaviour {
                        operations: Vec::new(),
                        changes: Vec::new(),
                        places: Vec::new(),
                        fields: 0,
                    },
                ));
                &mut out.last_mut().expect("just pushed").1
            }
        };
        if !slot.operations.contains(&u.op) {
            slot.operations.push(u.op.clone());
        }
        for c in &u.changes {
            if !slot.changes.contains(c) {
                slot.changes.push(c.clone());
            }
        }
        slot.places.push(u.at.clone());
        slot.fields += u.changes.len();
    }
    out.into_iter()
        .map(|(_, mut b)| {
            b.operations.sort();
            b.changes.sort();
            b
        })
        .collect()
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
