//! A step's expectations checked against the service model when the file
//! is read, as its request members are: the members and enum values of the
//! operation's output shape (W5), the error type names of APPFLOW.md's
//! table (W2), the matcher keywords, and the paths captured or counted.
//! A typo is refused with a "did you mean" instead of failing at run time.

use serde_json::Value;

use super::matcher::KEYWORDS;
use super::plan::Expect;
use crate::appflow::{ErrorKind, Operation};

/// One problem found in an expectation: the text to locate it by in the
/// step (a member name or a value), the message and a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Problem {
    /// What the file says where the problem is (searched for in the step).
    pub needle: String,
    pub message: String,
    pub hint: Option<String>,
}

/// Checks a step's expectations and captures against `operation`'s
/// answer: the error name always; the body, `distinct` paths and captures
/// when the step expects a success (no `error`, every status 2xx), since
/// an error answer has another shape.
pub(super) fn check(
    operation: Operation,
    expect: &Expect,
    captures: &[&str],
) -> Result<(), Problem> {
    if let Some(name) = &expect.error
        && ErrorKind::from_name(name).is_none()
    {
        let names: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.name()).collect();
        return Err(Problem {
            needle: name.clone(),
            message: format!("expect.error: `{name}` is no error type of AppFlow's"),
            hint: Some(match did_you_mean(name, &names) {
                Some(n) => format!("did you mean `{n}`?"),
                None => format!("the error types are {}", names.join(", ")),
            }),
        });
    }
    let success = expect.error.is_none()
        && expect
            .status
            .as_ref()
            .is_none_or(|s| s.iter().all(|c| (200..300).contains(c)));
    let model = crate::contract::model();
    let Some(output) = model.output_shape(operation.name()).filter(|_| success) else {
        return Ok(());
    };
    if let Some(body) = &expect.body {
        walk(output, body, "expect.body", 0)?;
    }
    for path in expect.distinct.keys() {
        check_path(output, path, "expect.distinct")?;
    }
    for path in captures {
        check_path(output, path, "capture")?;
    }
    Ok(())
}

/// The model's definition of shape `name`, with its type.
fn shape_of(name: &str) -> Option<(&'static Value, &'static str)> {
    let s = crate::contract::model().shape(name)?;
    Some((s, s.get("type").and_then(Value::as_str).unwrap_or("")))
}

fn member_shape<'a>(shape: &'a Value, key: &str) -> Option<&'a str> {
    shape.pointer(&format!("/members/{key}/shape"))?.as_str()
}

fn members(shape: &Value) -> Vec<&str> {
    shape
        .get("members")
        .and_then(Value::as_object)
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// Walks an expected value along the shape `name`.
fn walk(name: &str, v: &Value, at: &str, depth: usize) -> Result<(), Problem> {
    let Some((shape, ty)) = shape_of(name).filter(|_| depth < 32) else {
        return Ok(());
    };
    match v {
        Value::Object(m) if !m.is_empty() && m.keys().all(|k| KEYWORDS.contains(&k.as_str())) => {
            // A matcher: the values it compares with still have the shape.
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("one-of", Value::Array(items)) => {
                        for item in items {
                            walk(name, item, at, depth + 1)?;
                        }
                    }
                    ("not", x) if !x.is_null() => walk(name, x, at, depth + 1)?,
                    ("none-of", Value::Array(items)) => {
                        for item in items {
                            walk(name, item, at, depth + 1)?;
                        }
                    }
                    ("contains", Value::Array(items)) if ty == "list" => {
                        if let Some(member) = shape.pointer("/member/shape").and_then(Value::as_str)
                        {
                            for item in items {
                                walk(member, item, &format!("{at}.*"), depth + 1)?;
                            }
                        }
                    }
                    _ => {}
                }
            }
            Ok(())
        }
        Value::Object(m) => match ty {
            "structure" => {
                for (k, x) in m {
                    match member_shape(shape, k) {
                        Some(member) => walk(member, x, &format!("{at}.{k}"), depth + 1)?,
                        None => return Err(unknown_member(name, shape, k, at)),
                    }
                }
                Ok(())
            }
            "map" => {
                if let Some(value) = shape.pointer("/value/shape").and_then(Value::as_str) {
                    for (k, x) in m {
                        walk(value, x, &format!("{at}.{k}"), depth + 1)?;
                    }
                }
                Ok(())
            }
            // An object where the answer has no members: meant as a matcher.
            _ => {
                let bad = m
                    .keys()
                    .find(|k| !KEYWORDS.contains(&k.as_str()))
                    .map_or("", String::as_str);
                Err(Problem {
                    needle: format!("{bad}:"),
                    message: format!(
                        "{at}: `{bad}` is no matcher keyword ({name} is a {ty}, it has no members)"
                    ),
                    hint: Some(match did_you_mean(bad, &KEYWORDS) {
                        Some(k) => format!("did you mean `{k}`?"),
                        None => format!("the matcher keywords are {}", KEYWORDS.join(", ")),
                    }),
                })
            }
        },
        Value::String(s) if !s.contains("{{") => {
            let values: Vec<&str> = shape
                .get("enum")
                .and_then(Value::as_array)
                .map(|e| e.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if values.is_empty() || values.contains(&s.as_str()) {
                return Ok(());
            }
            Err(Problem {
                needle: s.clone(),
                message: format!("{at}: `{s}` is not one of {name}'s values"),
                hint: Some(match did_you_mean(s, &values) {
                    Some(v) => format!(
                        "did you mean `{v}`? ({name} is one of {})",
                        values.join(", ")
                    ),
                    None => format!("{name} is one of {}", values.join(", ")),
                }),
            })
        }
        Value::Array(items) if ty == "list" => {
            if let Some(member) = shape.pointer("/member/shape").and_then(Value::as_str) {
                for (i, item) in items.iter().enumerate() {
                    walk(member, item, &format!("{at}.{i}"), depth + 1)?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn unknown_member(name: &str, shape: &Value, key: &str, at: &str) -> Problem {
    let known = members(shape);
    let mut candidates = known.clone();
    candidates.extend(KEYWORDS);
    Problem {
        needle: format!("{key}:"),
        message: format!("{at}: `{key}` is no member of {name}"),
        hint: Some(match did_you_mean(key, &candidates) {
            Some(m) => format!("did you mean `{m}`? ({name} has {})", known.join(", ")),
            None => format!(
                "{name} has {}; matcher keywords: {}",
                known.join(", "),
                KEYWORDS.join(", ")
            ),
        }),
    }
}

/// Checks a dotted path into the answer (`flowExecutions.0.executionId`).
fn check_path(output: &str, path: &str, what: &str) -> Result<(), Problem> {
    let mut name = output.to_owned();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let Some((shape, ty)) = shape_of(&name) else {
            return Ok(());
        };
        let next = match ty {
            "structure" => member_shape(shape, part).ok_or_else(|| Problem {
                needle: path.to_owned(),
                ..unknown_member(&name, shape, part, &format!("{what} `{path}`"))
            })?,
            "list" if part.parse::<usize>().is_ok() || part == "*" => {
                match shape.pointer("/member/shape").and_then(Value::as_str) {
                    Some(m) => m,
                    None => return Ok(()),
                }
            }
            "map" => match shape.pointer("/value/shape").and_then(Value::as_str) {
                Some(v) => v,
                None => return Ok(()),
            },
            _ => {
                return Err(Problem {
                    needle: path.to_owned(),
                    message: format!("{what} `{path}`: {name} is a {ty}, `{part}` is in nothing"),
                    hint: Some(
                        "a path names members and list indexes: flowExecutions.0.executionId"
                            .into(),
                    ),
                });
            }
        };
        name = next.to_owned();
    }
    Ok(())
}

/// The candidate closest to `word` (case aside), if it is close enough to
/// be a typo of it: at most a third of its characters apart.
pub(super) fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let w = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (distance(&w, &c.to_ascii_lowercase()), *c))
        .filter(|(d, c)| *d <= (c.chars().count() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edit distance, in characters, a swap of two neighbours counting one
/// (Damerau-Levenshtein: `expcet` is one edit from `expect`).
fn distance(a: &str, b: &str) -> usize {
    strsim::damerau_levenshtein(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn expect(body: Value) -> Expect {
        Expect {
            status: Some(vec![200]),
            body: Some(body),
            ..Expect::default()
        }
    }

    #[test]
    fn typos_in_members_values_keywords_and_errors_are_found_with_a_suggestion() {
        let op = Operation::StartFlow;
        let p = check(op, &expect(json!({"flowStatuss": "Active"})), &[]).expect_err("member");
        assert_eq!(
            p.hint
                .as_deref()
                .map(|h| h.starts_with("did you mean `flowStatus`?")),
            Some(true),
            "{p:?}"
        );
        let p = check(op, &expect(json!({"flowStatus": "Actve"})), &[]).expect_err("enum");
        assert!(
            p.message
                .contains("`Actve` is not one of FlowStatus's values"),
            "{p:?}"
        );
        let p = check(op, &expect(json!({"executionId": {"lenght": 36}})), &[]).expect_err("kw");
        assert_eq!(p.hint.as_deref(), Some("did you mean `length`?"), "{p:?}");
        let e = Expect {
            error: Some("ConflictExeption".into()),
            ..Expect::default()
        };
        let p = check(op, &e, &[]).expect_err("error");
        assert_eq!(
            p.hint.as_deref(),
            Some("did you mean `ConflictException`?"),
            "{p:?}"
        );
        let p = check(
            Operation::DescribeFlowExecutionRecords,
            &expect(json!({})),
            &["flowExecutions.0.executionid"],
        )
        .expect_err("capture");
        assert!(
            p.hint
                .as_deref()
                .is_some_and(|h| h.contains("`executionId`")),
            "{p:?}"
        );
    }

    #[test]
    fn good_expectations_and_error_bodies_pass() {
        let op = Operation::DescribeFlowExecutionRecords;
        let body = json!({"flowExecutions": {"length": 1, "contains": [{"executionStatus": "InProgress"}]}});
        assert_eq!(
            check(op, &expect(body), &["flowExecutions.0.executionId"]),
            Ok(())
        );
        let e = Expect {
            status: Some(vec![409]),
            error: Some("ConflictException".into()),
            body: Some(json!({"message": {"present": true}})),
            ..Expect::default()
        };
        assert_eq!(check(Operation::StartFlow, &e, &[]), Ok(()));
        let one_of = expect(json!({"flowStatus": {"one-of": ["Active", "Draft"]}}));
        assert_eq!(check(Operation::StartFlow, &one_of, &[]), Ok(()));
    }
}
