//! Expectations over a response body: subset matching with a few matcher
//! keywords (`length`, `absent`, `present`, `pattern`, `one-of`, `not`,
//! `type`, `contains`).

use serde_json::Value;

/// The matcher keywords an expected object can be made of (checked when a
/// scenario file is read, so a typo is caught before anything runs).
pub const KEYWORDS: [&str; 8] = [
    "length", "absent", "present", "pattern", "one-of", "not", "type", "contains",
];

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mismatch {
    pub path: String,
    pub expected: String,
    pub actual: String,
}

/// Compares `actual` with `expected`; every difference goes to `out`.
pub fn match_value(expected: &Value, actual: Option<&Value>, path: &str, out: &mut Vec<Mismatch>) {
    let mut miss = |expected: String, actual: Option<&Value>| {
        out.push(Mismatch {
            path: path.to_owned(),
            expected,
            actual: actual.map_or_else(|| "(absent)".to_owned(), Value::to_string),
        });
    };
    match expected {
        Value::Object(m) if is_matcher(m) => {
            for (k, v) in m {
                let ok = match (k.as_str(), v) {
                    ("absent", Value::Bool(want)) => actual.is_none_or(Value::is_null) == *want,
                    ("present", Value::Bool(want)) => actual.is_some_and(|a| !a.is_null()) == *want,
                    ("length", n) => {
                        let len = match actual {
                            Some(Value::Array(a)) => Some(a.len()),
                            Some(Value::String(s)) => Some(s.chars().count()),
                            Some(Value::Object(o)) => Some(o.len()),
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
                    ("type", Value::String(t)) => actual.is_some_and(|a| type_name(a) == t),
                    // Each expected item matches some item of the list, in any order.
                    ("contains", Value::Array(wanted)) => match actual {
                        Some(Value::Array(items)) => wanted.iter().all(|w| {
                            items.iter().any(|x| {
                                let mut m = Vec::new();
                                match_value(w, Some(x), "", &mut m);
                                m.is_empty()
                            })
                        }),
                        _ => false,
                    },
                    _ => false,
                };
                if !ok {
                    miss(format!("{k}: {v}"), actual);
                }
            }
        }
        Value::Object(m) => match actual {
            Some(Value::Object(a)) => {
                for (k, v) in m {
                    match_value(v, a.get(k), &join(path, k), out);
                }
            }
            other => miss("an object".into(), other),
        },
        Value::Array(items) => match actual {
            Some(Value::Array(a)) if a.len() == items.len() => {
                for (i, (e, x)) in items.iter().zip(a).enumerate() {
                    match_value(e, Some(x), &join(path, &i.to_string()), out);
                }
            }
            other => miss(expected.to_string(), other),
        },
        e => {
            if !actual.is_some_and(|a| same(e, a)) {
                miss(e.to_string(), actual);
            }
        }
    }
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
}
