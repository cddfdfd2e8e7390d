//! A walker over the service model's shapes: validates a JSON answer
//! against an operation's output shape.

use std::collections::HashMap;

use regex::Regex;
use serde_json::Value;

use super::{Note, Violation};

/// The service model's shapes, indexed for checking: each operation's input and
/// output shape, and every member pattern compiled once.
pub struct Model {
    shapes: serde_json::Map<String, Value>,
    outputs: HashMap<String, String>,
    inputs: HashMap<String, String>,
    /// Anchored patterns; `None` where the model's pattern is not a Rust regex.
    patterns: HashMap<String, Option<Regex>>,
}

/// A path with its list indices folded to `*` (`body.flows.*.createdAt`):
/// a rule broken on every item of a list is one finding, not one per item.
pub fn folded(at: &str) -> String {
    at.split('.')
        .map(|p| if p.parse::<usize>().is_ok() { "*" } else { p })
        .collect::<Vec<_>>()
        .join(".")
}

impl Model {
    /// Indexes a Smithy JSON AST model (`shapes`, `operations`). Never fails: JSON that
    /// does not parse, or lacks those keys, gives an empty model that checks nothing.
    pub fn parse(json: &str) -> Self {
        let model: Value = serde_json::from_str(json).unwrap_or(Value::Null);
        let shapes = model
            .get("shapes")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let shapes_of = |pointer: &str| -> HashMap<String, String> {
            model
                .get("operations")
                .and_then(Value::as_object)
                .map(|ops| {
                    ops.iter()
                        .filter_map(|(name, op)| {
                            let shape = op.pointer(pointer)?.as_str()?;
                            Some((name.clone(), shape.to_owned()))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let outputs = shapes_of("/output/shape");
        let inputs = shapes_of("/input/shape");
        let patterns = shapes
            .values()
            .filter_map(|s| s.get("pattern").and_then(Value::as_str))
            .map(|p| (p.to_owned(), Regex::new(&format!("^(?:{p})$")).ok()))
            .collect();
        Self {
            shapes,
            outputs,
            inputs,
            patterns,
        }
    }

    /// Checks an answer against the operation's output shape: wrong types,
    /// enums, lengths and patterns of listed members are violations; members
    /// the model does not list are notes (W5).
    pub fn check_output(
        &self,
        operation: &str,
        body: &Value,
        out: &mut Vec<Violation>,
        notes: &mut Vec<Note>,
    ) {
        if let Some(shape) = self.outputs.get(operation) {
            self.check(shape, body, "body", out, notes, 0);
        }
    }

    /// The members of a request body (and of its nested structures) that the
    /// operation's input shape does not list: likely typos in a scenario.
    /// Values are not checked: scenarios send wrong ones on purpose.
    pub fn unknown_input_members(&self, operation: &str, body: &Value) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(shape) = self.inputs.get(operation) {
            self.names_in(shape, body, "", &mut out, 0);
        }
        out
    }

    /// The members the operation's input shape lists.
    pub fn input_members(&self, operation: &str) -> Vec<String> {
        self.inputs
            .get(operation)
            .and_then(|s| self.shapes.get(s))
            .and_then(|s| s.get("members"))
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The name of the operation's output shape, if the model has the operation.
    pub fn output_shape(&self, operation: &str) -> Option<&str> {
        self.outputs.get(operation).map(String::as_str)
    }

    /// A shape of the model by name (its JSON definition: `type`,
    /// `members`, `member`, `value`, `enum`, ...).
    pub fn shape(&self, name: &str) -> Option<&Value> {
        self.shapes.get(name)
    }

    fn names_in(&self, name: &str, v: &Value, at: &str, out: &mut Vec<String>, depth: usize) {
        let Some(shape) = self.shapes.get(name) else {
            return;
        };
        if depth > 32 {
            return;
        }
        match (shape.get("type").and_then(Value::as_str), v) {
            (Some("structure"), Value::Object(m)) => {
                let members = shape.get("members").and_then(Value::as_object);
                for (k, x) in m {
                    let path = if at.is_empty() {
                        k.clone()
                    } else {
                        format!("{at}.{k}")
                    };
                    match members
                        .and_then(|ms| ms.get(k))
                        .and_then(|s| s.get("shape"))
                        .and_then(Value::as_str)
                    {
                        Some(member) => self.names_in(member, x, &path, out, depth + 1),
                        None => out.push(path),
                    }
                }
            }
            (Some("list"), Value::Array(a)) => {
                if let Some(member) = shape.pointer("/member/shape").and_then(Value::as_str) {
                    for (i, x) in a.iter().enumerate() {
                        self.names_in(member, x, &format!("{at}.{i}"), out, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }

    // Long on purpose: one walk over the model's shape kinds (structure, list, map, string, number, timestamp, enum).
    fn check(
        &self,
        name: &str,
        v: &Value,
        at: &str,
        out: &mut Vec<Violation>,
        notes: &mut Vec<Note>,
        depth: usize,
    ) {
        let Some(shape) = self.shapes.get(name) else {
            return;
        };
        if depth > 32 {
            return;
        }
        let mut bad = |rule: String| out.push(Violation::new(at, rule, "W5"));
        let ty = shape.get("type").and_then(Value::as_str).unwrap_or("");
        let (min, max) = (
            shape.get("min").and_then(Value::as_f64),
            shape.get("max").and_then(Value::as_f64),
        );
        match (ty, v) {
            ("structure", Value::Object(m)) => {
                let members = shape.get("members").and_then(Value::as_object);
                for (k, x) in m {
                    if x.is_null() {
                        continue;
                    }
                    match members
                        .and_then(|ms| ms.get(k))
                        .and_then(|s| s.get("shape"))
                        .and_then(Value::as_str)
                    {
                        Some(member) => {
                            self.check(member, x, &format!("{at}.{k}"), out, notes, depth + 1)
                        }
                        None => notes.push(Note {
                            at: format!("{at}.{k}"),
                            text: format!(
                                "`{k}` is no member of {name} in this copy of the model (W5: allowed, SDKs ignore it)"
                            ),
                        }),
                    }
                }
                for r in shape
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(r) = r.as_str()
                        && m.get(r).is_none_or(Value::is_null)
                    {
                        out.push(Violation::new(
                            &format!("{at}.{r}"),
                            format!("{name} requires `{r}`"),
                            "W5",
                        ));
                    }
                }
            }
            ("list", Value::Array(a)) => {
                let n = a.len() as f64;
                // W8: an empty list is the same as an absent one.
                if (n > 0.0 && min.is_some_and(|m| n < m)) || max.is_some_and(|m| n > m) {
                    bad(format!("{name}: {n} items is outside the model's bounds"));
                }
                if let Some(member) = shape.pointer("/member/shape").and_then(Value::as_str) {
                    for (i, x) in a.iter().enumerate() {
                        self.check(member, x, &format!("{at}.{i}"), out, notes, depth + 1);
                    }
                }
            }
            ("map", Value::Object(m)) => {
                if let Some(value) = shape.pointer("/value/shape").and_then(Value::as_str) {
                    for (k, x) in m {
                        self.check(value, x, &format!("{at}.{k}"), out, notes, depth + 1);
                    }
                }
            }
            ("string", Value::String(s)) => {
                if let Some(values) = shape.get("enum").and_then(Value::as_array)
                    && !values.iter().any(|e| e.as_str() == Some(s))
                {
                    bad(format!("`{s}` is not one of {name}'s values"));
                }
                let n = s.chars().count() as f64;
                if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                    bad(format!("{name}: length {n} is outside the model's bounds"));
                }
                if let Some(p) = shape.get("pattern").and_then(Value::as_str)
                    && let Some(Some(re)) = self.patterns.get(p)
                    && !re.is_match(s)
                {
                    bad(format!("`{s}` does not match {name}'s pattern {p}"));
                }
            }
            ("timestamp", other) if !other.is_number() => out.push(Violation::new(
                &folded(at),
                "timestamps are epoch seconds as JSON numbers".into(),
                "W4",
            )),
            ("timestamp", Value::Number(_))
            | ("double" | "float", Value::Number(_))
            | ("boolean", Value::Bool(_))
            | ("blob", Value::String(_)) => {}
            ("long" | "integer", Value::Number(n)) => {
                if !(n.is_i64() || n.is_u64()) {
                    bad(format!("{name} is an integer, got {n}"));
                } else if let Some(x) = n.as_f64()
                    && (min.is_some_and(|m| x < m) || max.is_some_and(|m| x > m))
                {
                    bad(format!("{name}: {x} is outside the model's bounds"));
                }
            }
            (ty, v) => bad(format!("{name} is a {ty}, got {v}")),
        }
    }
}
