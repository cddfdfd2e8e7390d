//! Transformers: values that are not behaviour, changed the same way on
//! both sides before two transcripts are compared (a run and its reference,
//! or the two targets of `compare`), as LocalStack's snapshot library does.
//! The defaults live in `snapshots/transformers.yaml`, for users to edit; a
//! scenario adds its own under `transform:`. Pure: reading the file is
//! `snapshot::load_transformers`'s.

/// The built-in transformers (`snapshots/transformers.yaml`), used where a
/// snapshot directory has none of its own.
pub const DEFAULTS: &str = include_str!("../snapshots/transformers.yaml");

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One transformer: at every transcript path matching `path` (dotted;
/// `*` is one segment, `**` any number), replace the value, remove it, or
/// map some values to others.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Transformer {
    /// Dotted transcript path (`steps.*.response.body.executionId`; `*` one
    /// segment, `**` any number).
    pub path: String,
    /// Replace the value with this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replace: Option<Value>,
    /// Remove the object member.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub remove: bool,
    /// Replace string values: old -> new (other values are left alone).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub map: BTreeMap<String, String>,
    /// Why the value is not behaviour (documentation only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// Parses a transformers file (a YAML list). Errors: bad YAML, an unknown key,
/// or a transformer without exactly one of replace, remove, map.
pub fn parse(text: &str) -> Result<Vec<Transformer>, String> {
    let list: Vec<Transformer> = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
    for t in &list {
        let actions = usize::from(t.replace.is_some())
            + usize::from(t.remove)
            + usize::from(!t.map.is_empty());
        if actions != 1 {
            return Err(format!(
                "transformer `{}`: give exactly one of replace, remove, map",
                t.path
            ));
        }
    }
    Ok(list)
}

/// Applies every transformer to `v` (a transcript, or part of one at `root`).
pub fn apply(v: &mut Value, transformers: &[Transformer]) {
    for t in transformers {
        let pattern: Vec<&str> = t.path.split('.').collect();
        walk(v, &mut Vec::new(), &pattern, t);
    }
}

fn walk(v: &mut Value, at: &mut Vec<String>, pattern: &[&str], t: &Transformer) {
    match v {
        Value::Object(m) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            for k in keys {
                at.push(k.clone());
                if matches(pattern, at) {
                    if t.remove {
                        m.remove(&k);
                    } else if let Some(x) = m.get_mut(&k) {
                        change(x, t);
                    }
                } else if let Some(x) = m.get_mut(&k) {
                    walk(x, at, pattern, t);
                }
                at.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                at.push(i.to_string());
                if matches(pattern, at) && !t.remove {
                    change(x, t);
                } else {
                    walk(x, at, pattern, t);
                }
                at.pop();
            }
        }
        _ => {}
    }
}

fn change(x: &mut Value, t: &Transformer) {
    if let Some(r) = &t.replace {
        *x = r.clone();
    } else if let Some(to) = x.as_str().and_then(|s| t.map.get(s)) {
        *x = Value::String(to.clone());
    }
}

/// Whether the dotted `path` matches the dotted `pattern` (`*` one
/// segment, `**` any number).
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('.').collect();
    let at: Vec<String> = path.split('.').map(str::to_owned).collect();
    matches(&pattern, &at)
}

/// Whether the path `at` matches `pattern` (`*` one segment, `**` any number).
fn matches(pattern: &[&str], at: &[String]) -> bool {
    match (pattern.split_first(), at.split_first()) {
        (None, None) => true,
        (Some((&"**", rest)), _) => {
            matches(rest, at) || (!at.is_empty() && matches(pattern, &at[1..]))
        }
        (Some((p, rest)), Some((a, more))) => (*p == "*" || p == a) && matches(rest, more),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_defaults_hide_the_caller_and_run_counters_and_nothing_else() {
        let ts = parse(DEFAULTS).expect("the shipped transformers parse");
        let mut a = json!({"steps": [{"response": {"body": {"createdBy": "arn:aws:iam::<account>:root",
            "flowExecutions": [{"executionResult": {"bytesProcessed": 0, "maxPageSize": 0}, "executionStatus": "Successful"}]}}}]});
        let mut b = json!({"steps": [{"response": {"body": {"createdBy": "arn:aws:iam::<account>:user/ci",
            "flowExecutions": [{"executionResult": {"bytesProcessed": 12}, "executionStatus": "Successful"}]}}}]});
        apply(&mut a, &ts);
        apply(&mut b, &ts);
        assert_eq!(a, b);
        assert_eq!(a["steps"][0]["response"]["body"]["createdBy"], "<caller>");
        let mut c = json!({"steps": [{"response": {"body": {"flowStatus": "Active"}}}]});
        let before = c.clone();
        apply(&mut c, &ts);
        assert_eq!(c, before, "behaviour is left alone");
    }

    #[test]
    fn a_transformer_does_one_thing() {
        assert!(parse("- { path: a, remove: true, replace: 1 }").is_err());
        assert!(parse("- { path: a }").is_err());
        let ts = parse("- { path: \"**.s\", map: { Canceled: \"<c>\" } }").expect("map");
        let mut v = json!({"x": {"s": "Canceled"}, "s": "Other"});
        apply(&mut v, &ts);
        assert_eq!(v, json!({"x": {"s": "<c>"}, "s": "Other"}));
    }
}
