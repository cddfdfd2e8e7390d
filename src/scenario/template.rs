//! `{{flow.x}}`, `{{token.x}}` and `{{capture}}` in request bodies and
//! expectations, rendered against one run's names and captures.

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

/// What the names stand for in one run.
#[derive(Debug, Default, Clone)]
pub struct Bindings {
    /// Name (`flow.x`, `token.x`, `region`, `account`, or a capture) -> its
    /// value in this run.
    pub values: BTreeMap<String, Value>,
}

impl Bindings {
    /// Renders a string; a string that is exactly one `{{name}}` becomes that
    /// value with its JSON type (a captured number stays a number).
    pub fn render_str(&self, s: &str) -> Value {
        let trimmed = s.trim();
        if let Ok(ns) = names(trimmed)
            && ns.len() == 1
            && trimmed.starts_with("{{")
            && trimmed.ends_with("}}")
            && let Some(v) = self.values.get(ns[0])
        {
            return v.clone();
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
            match self.values.get(name) {
                Some(Value::String(v)) => out.push_str(v),
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
}
