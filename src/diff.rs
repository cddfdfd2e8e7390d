//! The pure comparison of two transcripts (or two answers): their leaves,
//! path by path.

use serde::Serialize;
use serde_json::Value;

/// One leaf that differs: its path and the value on each side (`None` where
/// that side has nothing at the path).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// The leaf's dotted path (`response.body.flowStatus`; list items by index,
    /// `items.0`); empty for a root leaf.
    pub path: String,
    /// The left side's value; `None` where it has nothing at the path.
    pub left: Option<Value>,
    /// The right side's value; `None` where it has nothing at the path.
    pub right: Option<Value>,
}

/// Every leaf path where `left` and `right` differ: object members in name
/// order, list items in index order.
/// Objects are compared member by member, lists item by item.
pub fn leaves(left: &Value, right: &Value) -> Vec<Difference> {
    let mut out = Vec::new();
    walk(Some(left), Some(right), "", &mut out);
    out
}

fn join(at: &str, k: &str) -> String {
    if at.is_empty() {
        k.to_owned()
    } else {
        format!("{at}.{k}")
    }
}

fn walk(l: Option<&Value>, r: Option<&Value>, at: &str, out: &mut Vec<Difference>) {
    match (l, r) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                walk(a.get(k), b.get(k), &join(at, k), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                walk(a.get(i), b.get(i), &join(at, &i.to_string()), out);
            }
        }
        (l, r) if l == r => {}
        (l, r) => out.push(Difference {
            path: at.to_owned(),
            left: l.cloned(),
            right: r.cloned(),
        }),
    }
}

/// How many leaves `v` has (the base of a parity score).
pub fn leaf_count(v: &Value) -> usize {
    match v {
        Value::Object(m) if !m.is_empty() => m.values().map(leaf_count).sum(),
        Value::Array(a) if !a.is_empty() => a.iter().map(leaf_count).sum(),
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn differences_are_found_leaf_by_leaf() {
        let a = json!({"s": 200, "body": {"flowStatus": "Suspended", "list": [1, 2]}});
        let b = json!({"s": 200, "body": {"flowStatus": "Draft", "list": [1], "extra": true}});
        let d = leaves(&a, &b);
        let paths: Vec<&str> = d.iter().map(|x| x.path.as_str()).collect();
        assert_eq!(paths, ["body.extra", "body.flowStatus", "body.list.1"]);
        assert_eq!(d[1].left, Some(json!("Suspended")));
        assert_eq!(d[2].right, None);
        assert!(leaves(&a, &a).is_empty());
        assert_eq!(leaf_count(&a), 4);
    }
}
