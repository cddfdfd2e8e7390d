//! Expectations over a response body: subset matching with a few matcher
//! keywords (`length`, `absent`, `present`, `pattern`, `one-of`, `not`,
//! `none-of`, `type`, `contains`, `excludes`). An absent list or map equals an empty
//! one (APPFLOW.md W8).

use serde_json::Value;

/// The matcher keywords an expected object can be made of (checked when a
/// scenario file is read, so a typo is caught before anything runs).
pub const KEYWORDS: [&str; 10] = [
    "length", "absent", "present", "pattern", "one-of", "not", "none-of", "type", "contains",
    "excludes",
];

/// One expectation that did not hold: where, and both sides as text
/// (long values cut by [`cut`], with their length).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mismatch {
    /// Dotted path into the body (`flows.2.flowStatus`), empty for the body.
    pub path: String,
    /// What the scenario expects.
    pub expected: String,
    /// What the answer holds, or `(absent)`.
    pub actual: String,
}

/// Values longer than this many characters are cut in failure messages.
pub const SHOWN_CHARS: usize = 200;

/// `text` as a failure shows it: at most [`SHOWN_CHARS`] characters, and
/// when cut, its full length (`... (5123 chars)`).
pub fn cut(text: &str) -> String {
    let n = text.chars().count();
    if n <= SHOWN_CHARS {
        return text.to_owned();
    }
    let head: String = text.chars().take(SHOWN_CHARS).collect();
    format!("{head}... ({n} chars)")
}

/// An empty list or map: what an absent optional member means (W8).
fn is_empty_collection(v: &Value) -> bool {
    matches!(v, Value::Array(a) if a.is_empty()) || matches!(v, Value::Object(m) if m.is_empty())
}

/// Compares `actual` with `expected`; every difference goes to `out`.
/// An absent (or null) member matches an expected empty list or map, and
/// `length: 0` (W8).
// Long on purpose: one walk over the matcher keywords; each arm is short.
pub fn match_value(expected: &Value, actual: Option<&Value>, path: &str, out: &mut Vec<Mismatch>) {
    let actual = actual.filter(|a| !a.is_null());
    if actual.is_none() && is_empty_collection(expected) {
        return;
    }
    let miss = |expected: String, actual: Option<&Value>| Mismatch {
        path: path.to_owned(),
        expected: cut(&expected),
        actual: actual.map_or_else(|| "(absent)".to_owned(), |a| cut(&a.to_string())),
    };
    match expected {
        Value::Object(m) if is_matcher(m) => {
            for (k, v) in m {
                let ok = match (k.as_str(), v) {
                    // W8: an empty list or map is as good as absent.
                    ("absent", Value::Bool(true)) => actual.is_none_or(is_empty_collection),
                    ("absent", Value::Bool(false)) => actual.is_some(),
                    ("present", Value::Bool(want)) => actual.is_some() == *want,
                    ("length", n) => {
                        let len = match actual {
                            Some(Value::Array(a)) => Some(a.len()),
                            Some(Value::String(s)) => Some(s.chars().count()),
                            Some(Value::Object(o)) => Some(o.len()),
                            // W8: an absent list or map has no items.
                            None => Some(0),
                            _ => None,
                        };
                        // `length: 2`, or `length: [1, 2]` where the contract leaves room.
                        len.is_some_and(|l| match n {
                            Value::Array(options) => {
                                options.iter().any(|o| o.as_u64() == Some(l as u64))
                            }
                            n => n.as_u64() == Some(l as u64),
                        })
                    }
                    ("pattern", Value::String(p)) => match regex::Regex::new(&format!("^(?:{p})$"))
                    {
                        Ok(re) => actual
                            .and_then(Value::as_str)
                            .is_some_and(|s| re.is_match(s)),
                        Err(_) => false,
                    },
                    ("one-of", Value::Array(options)) => {
                        actual.is_some_and(|a| options.iter().any(|o| same(o, a)))
                    }
                    ("not", v) => !actual.is_some_and(|a| same(v, a)),
                    // `none-of: "{{runs}}"`: a new run, none the scenario has seen.
                    ("none-of", Value::Array(options)) => {
                        !actual.is_some_and(|a| options.iter().any(|o| same(o, a)))
                    }
                    ("type", Value::String(t)) => actual.is_some_and(|a| type_name(a) == t),
                    // Each expected item matches some item of the list, in
                    // any order; a miss names the item and its closest match.
                    ("contains", Value::Array(wanted)) => {
                        let empty = Vec::new();
                        let items = match actual {
                            Some(Value::Array(items)) => items,
                            None => &empty,
                            _ => {
                                out.push(miss(format!("{k}: {v}"), actual));
                                continue;
                            }
                        };
                        for w in wanted {
                            if let Some(near) = missing_item(w, items, path) {
                                out.push(near);
                            }
                        }
                        continue;
                    }
                    // No item of the list matches any of these.
                    ("excludes", Value::Array(unwanted)) => match actual {
                        Some(Value::Array(items)) => {
                            for (i, x) in items.iter().enumerate() {
                                if unwanted.iter().any(|u| matches(u, x)) {
                                    out.push(Mismatch {
                                        path: join(path, &i.to_string()),
                                        expected: cut(&format!(
                                            "no item like {}",
                                            Value::Array(unwanted.clone())
                                        )),
                                        actual: cut(&x.to_string()),
                                    });
                                }
                            }
                            continue;
                        }
                        None => true,
                        _ => false,
                    },
                    _ => false,
                };
                if !ok {
                    out.push(miss(format!("{k}: {v}"), actual));
                }
            }
        }
        Value::Object(m) => match actual {
            Some(Value::Object(a)) => {
                for (k, v) in m {
                    match_value(v, a.get(k), &join(path, k), out);
                }
            }
            other => out.push(miss("an object".into(), other)),
        },
        Value::Array(items) => match actual {
            Some(Value::Array(a)) if a.len() == items.len() => {
                for (i, (e, x)) in items.iter().zip(a).enumerate() {
                    match_value(e, Some(x), &join(path, &i.to_string()), out);
                }
            }
            other => out.push(miss(expected.to_string(), other)),
        },
        e => {
            if !actual.is_some_and(|a| same(e, a)) {
                out.push(miss(e.to_string(), actual));
            }
        }
    }
}

/// Whether `actual` meets `expected` with no mismatch.
fn matches(expected: &Value, actual: &Value) -> bool {
    let mut m = Vec::new();
    match_value(expected, Some(actual), "", &mut m);
    m.is_empty()
}

/// `None` when some item of `items` matches `wanted`; otherwise the first
/// mismatch against the closest item (fewest mismatches), located at that
/// item (`flows.3.flowStatus`), or the whole list when it is empty.
fn missing_item(wanted: &Value, items: &[Value], path: &str) -> Option<Mismatch> {
    let mut best: Option<(usize, Mismatch, usize)> = None;
    for (i, x) in items.iter().enumerate() {
        let mut m = Vec::new();
        match_value(wanted, Some(x), &join(path, &i.to_string()), &mut m);
        if m.is_empty() {
            return None;
        }
        // An item whose names and ids differ is another item altogether:
        // closest is the one that differs least, in those first.
        let identity = m
            .iter()
            .filter(|x| ["Name", "Id", "Arn"].iter().any(|k| x.path.ends_with(k)))
            .count();
        let score = identity * 1000 + m.len();
        if best.as_ref().is_none_or(|(n, _, _)| score < *n) {
            let n = m.len();
            best = Some((score, m.swap_remove(0), n));
        }
    }
    Some(match best {
        Some((_, first, n)) => Mismatch {
            expected: cut(&format!(
                "an item like {wanted}; the closest item differs in {n} field(s), first at {}: {}",
                first.path, first.expected
            )),
            ..first
        },
        None => Mismatch {
            path: path.to_owned(),
            expected: cut(&format!("an item like {wanted}")),
            actual: "an empty list".into(),
        },
    })
}

fn is_matcher(m: &serde_json::Map<String, Value>) -> bool {
    !m.is_empty() && m.keys().all(|k| KEYWORDS.contains(&k.as_str()))
}

/// Equality where 1 and 1.0 are the same number.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// The value at a dotted path (`flowExecutions.0.executionId`).
pub fn get_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .filter(|p| !p.is_empty())
        .try_fold(v, |cur, part| match cur {
            Value::Object(m) => m.get(part),
            Value::Array(a) => part.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(expected: Value, actual: Value) -> Vec<Mismatch> {
        let mut out = Vec::new();
        match_value(&expected, Some(&actual), "", &mut out);
        out
    }

    #[test]
    fn subset_matching_and_keywords() {
        let actual =
            json!({"flowStatus": "Active", "executionId": "e-1", "list": [1, 2], "n": 1.0});
        assert!(check(json!({"flowStatus": "Active", "n": 1}), actual.clone()).is_empty());
        assert!(
            check(
                json!({"list": {"length": 2}, "missing": {"absent": true}}),
                actual.clone()
            )
            .is_empty()
        );
        assert!(
            check(
                json!({"executionId": {"pattern": "\\S+", "present": true}}),
                actual.clone()
            )
            .is_empty()
        );
        let m = check(
            json!({"flowStatus": "Draft", "executionId": {"absent": true}}),
            actual,
        );
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].path, "executionId");
        assert_eq!(m[1].expected, "\"Draft\"");
    }

    #[test]
    fn paths_reach_into_lists() {
        let v = json!({"flowExecutions": [{"executionId": "a"}]});
        assert_eq!(
            get_path(&v, "flowExecutions.0.executionId"),
            Some(&json!("a"))
        );
        assert_eq!(get_path(&v, "flowExecutions.1.executionId"), None);
    }

    #[test]
    fn contains_finds_items_in_any_order() {
        let actual = serde_json::json!({"flows": [{"flowName": "b", "x": 1}, {"flowName": "a"}]});
        let mut out = Vec::new();
        let want =
            serde_json::json!({"flows": {"contains": [{"flowName": "a"}, {"flowName": "b"}]}});
        match_value(&want, Some(&actual), "", &mut out);
        assert!(out.is_empty(), "{out:?}");
        let missing = serde_json::json!({"flows": {"contains": [{"flowName": "c"}]}});
        match_value(&missing, Some(&actual), "", &mut out);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn an_absent_list_or_map_equals_an_empty_one_w8() {
        let actual = json!({"flowArn": "a"});
        assert!(check(json!({"invalidExecutions": []}), actual.clone()).is_empty());
        assert!(check(json!({"tags": {}}), actual.clone()).is_empty());
        assert!(check(json!({"flows": {"length": 0}}), actual.clone()).is_empty());
        assert!(check(json!({"flows": {"absent": true}}), json!({"flows": []})).is_empty());
        assert!(check(json!({"flows": {"contains": []}}), actual.clone()).is_empty());
        assert_eq!(
            check(json!({"flows": [1]}), actual).len(),
            1,
            "a non-empty list is not absent"
        );
    }

    #[test]
    fn a_failed_contains_names_the_field_and_cuts_long_values() {
        let mut flows: Vec<Value> = (0..200)
            .map(|i| json!({"flowName": format!("other-{i}"), "flowStatus": "Active"}))
            .collect();
        flows.push(json!({"flowName": "mine", "flowStatus": "Draft"}));
        let m = check(
            json!({"flows": {"contains": [{"flowName": "mine", "flowStatus": "Active"}]}}),
            json!({"flows": flows}),
        );
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(
            m[0].path, "flows.200.flowStatus",
            "the field that differed: {m:?}"
        );
        assert_eq!(m[0].actual, "\"Draft\"");
        let long = cut(&"x".repeat(5000));
        assert!(
            long.ends_with("... (5000 chars)") && long.len() < 300,
            "{long}"
        );
    }

    #[test]
    fn excludes_names_the_item_that_should_not_be_there() {
        let m = check(
            json!({"flows": {"excludes": [{"flowName": "gone"}]}}),
            json!({"flows": [{"flowName": "a"}, {"flowName": "gone"}]}),
        );
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(m[0].path, "flows.1");
        assert!(
            check(
                json!({"flows": {"excludes": [{"flowName": "gone"}]}}),
                json!({})
            )
            .is_empty()
        );
    }
}
