//! `{{flow.x}}`, `{{token.x}}` and `{{capture}}` in request bodies and
//! expectations, rendered against one run's names and captures. A name may
//! carry filters that make a near miss of its value (`{{token.a|upper}}`,
//! `{{flow.f|length:12}}`): the same value changed the way an endpoint
//! comparing loosely would not tell apart (T4, V1).

use std::collections::BTreeMap;

use serde_json::Value;

/// The names used in `s`, in order.
pub fn names(s: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("unclosed `{{{{` in `{s}`"))?;
        let name = after[..end].trim();
        if name.is_empty() {
            return Err(format!("empty `{{{{}}}}` in `{s}`"));
        }
        out.push(name);
        rest = &after[end + 2..];
    }
    Ok(out)
}

/// The name (`{{runs}}`) of the executionIds every earlier step's
/// StartFlow answers carried (each copy of a concurrent step, `raw:` steps
/// too) and every captured run: `none-of: "{{runs}}"` is a new run (T1, T3).
pub const RUNS: &str = "runs";

/// A change made to a name's value: `|upper`, `|lower`, `|trim`,
/// `|length:N` (cut to N characters, or padded with `x` up to N).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// ASCII letters in upper case (`ah-1` -> `AH-1`).
    Upper,
    /// ASCII letters in lower case.
    Lower,
    /// Spaces at either end removed.
    Trim,
    /// Cut to this many characters, or padded with `x` up to it.
    Length(usize),
}

impl Filter {
    /// The filter as written after `|`: `upper`, `lower`, `trim`,
    /// `length:N`. Errors: what is wrong, and the filters there are.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        match s {
            "upper" => Ok(Self::Upper),
            "lower" => Ok(Self::Lower),
            "trim" => Ok(Self::Trim),
            _ => match s.strip_prefix("length:").map(|n| n.trim().parse::<usize>()) {
                Some(Ok(n)) if (1..=4096).contains(&n) => Ok(Self::Length(n)),
                Some(_) => Err(format!(
                    "`{s}`: length takes a number of characters from 1 to 4096 (`length:12`)"
                )),
                None => Err(format!(
                    "`{s}` is not a filter (upper, lower, trim, length:N)"
                )),
            },
        }
    }

    /// `v` changed by the filter.
    pub fn apply(self, v: &str) -> String {
        match self {
            Self::Upper => v.to_ascii_uppercase(),
            Self::Lower => v.to_ascii_lowercase(),
            Self::Trim => v.trim().to_owned(),
            Self::Length(n) => {
                let mut s: String = v.chars().take(n).collect();
                let len = s.chars().count();
                s.extend(std::iter::repeat_n('x', n - len));
                s
            }
        }
    }
}

/// A template's name split into the name it reads (`token.a`) and its
/// filters, in order. Errors: an unknown filter, an empty name.
pub fn split(name: &str) -> Result<(&str, Vec<Filter>), String> {
    let mut parts = name.split('|');
    let base = parts.next().unwrap_or_default().trim();
    if base.is_empty() {
        return Err(format!("`{{{{{name}}}}}` names nothing before its filter"));
    }
    let filters = parts
        .map(Filter::parse)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|m| format!("`{{{{{name}}}}}`: {m}"))?;
    Ok((base, filters))
}

/// What the names stand for in one run.
#[derive(Debug, Default, Clone)]
pub struct Bindings {
    /// Name (`flow.x`, `token.x`, `region`, `account`, or a capture) -> its
    /// value in this run.
    pub values: BTreeMap<String, Value>,
}

impl Bindings {
    /// The value of `name`, its filters applied (a filtered value is text).
    pub fn get(&self, name: &str) -> Option<Value> {
        if let Some(v) = self.values.get(name) {
            return Some(v.clone());
        }
        let (base, filters) = split(name).ok()?;
        let v = self.values.get(base)?;
        let text = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        Some(Value::String(
            filters.into_iter().fold(text, |t, f| f.apply(&t)),
        ))
    }

    /// Renders a string; a string that is exactly one `{{name}}` becomes that
    /// value with its JSON type (a captured number stays a number).
    pub fn render_str(&self, s: &str) -> Value {
        let trimmed = s.trim();
        if let Ok(ns) = names(trimmed)
            && ns.len() == 1
            && trimmed.starts_with("{{")
            && trimmed.ends_with("}}")
            && let Some(v) = self.get(ns[0])
        {
            return v;
        }
        Value::String(self.render_text(s))
    }

    /// Renders a string as text (for raw bodies).
    pub fn render_text(&self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                out.push_str(&rest[start..]);
                return out;
            };
            let name = after[..end].trim();
            match self.get(name) {
                Some(Value::String(v)) => out.push_str(&v),
                Some(v) => out.push_str(&v.to_string()),
                None => out.push_str(&rest[start..start + 2 + end + 2]),
            }
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// `v` with every string rendered by [`render_str`](Self::render_str),
    /// members and items in place; a name without a value stays as written.
    pub fn render(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => self.render_str(s),
            Value::Array(a) => Value::Array(a.iter().map(|x| self.render(x)).collect()),
            Value::Object(m) => {
                Value::Object(m.iter().map(|(k, x)| (k.clone(), self.render(x))).collect())
            }
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_names_keeping_the_type_of_whole_values() {
        let mut b = Bindings::default();
        b.values.insert("flow.a".into(), json!("ah-1-a"));
        b.values.insert("n".into(), json!(3));
        assert_eq!(
            b.render(&json!({"f": "{{flow.a}}", "n": "{{n}}", "s": "x-{{n}}"})),
            json!({"f": "ah-1-a", "n": 3, "s": "x-3"})
        );
        assert_eq!(
            b.render_text("{\"flowName\": \"{{flow.a}}\""),
            "{\"flowName\": \"ah-1-a\""
        );
        assert!(names("{{a").is_err());
    }

    #[test]
    fn a_filtered_name_is_a_near_miss_of_its_value() {
        let mut b = Bindings::default();
        b.values.insert("token.a".into(), json!("ah-5fa2"));
        assert_eq!(b.render_str("{{token.a|upper}}"), json!("AH-5FA2"));
        assert_eq!(b.render_str("{{ token.a | length:4 }}"), json!("ah-5"));
        assert_eq!(b.render_str("{{token.a|length:9}}"), json!("ah-5fa2xx"));
        assert_eq!(b.render_str("{{token.a|upper|lower}}"), json!("ah-5fa2"));
        assert_eq!(b.render_text("x{{token.a|upper}}x"), "xAH-5FA2x");
        assert!(split("token.a|shout").is_err(), "an unknown filter");
        assert!(split("token.a|length:0").is_err(), "a length of none");
        assert!(split("|upper").is_err(), "no name");
    }
}
