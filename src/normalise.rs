//! Volatile values become numbered placeholders, on parsed JSON, keeping
//! equality: the same executionId twice is `<execution-id:1>` twice, the next
//! new one `<execution-id:2>`; flow names become `<flow:alias>`, tokens
//! `<token:x>`, accounts and regions in ARNs `<account>`/`<region>`,
//! timestamps `<timestamp>`, messages `<message>`, page tokens `<next-token>`.

use std::collections::HashMap;

use serde_json::Value;

/// Members whose value is a time (epoch seconds on the wire).
const TIMESTAMPS: [&str; 8] = [
    "createdAt",
    "lastUpdatedAt",
    "startedAt",
    "mostRecentExecutionTime",
    "dataPullStartTime",
    "dataPullEndTime",
    "scheduleStartTime",
    "scheduleEndTime",
];

/// Members whose text is the endpoint's own prose: their presence matters, not their words.
const PROSE: [&str; 4] = [
    "message",
    "Message",
    "mostRecentExecutionMessage",
    "flowStatusMessage",
];

#[derive(Debug, Default, Clone)]
pub struct Normaliser {
    /// Known volatile strings and their placeholders, longest first when applied.
    known: Vec<(String, String)>,
    executions: HashMap<String, String>,
    arn: Option<regex::Regex>,
}

impl Normaliser {
    pub fn new() -> Self {
        Self {
            arn: regex::Regex::new(r"^arn:(aws[a-z-]*):([a-z0-9-]+):([a-z0-9-]*):(\d{12})?:").ok(),
            ..Self::default()
        }
    }

    /// A value the scenario made (flow name, token) and how it is shown.
    pub fn name(&mut self, real: &str, placeholder: String) {
        if !real.is_empty() {
            self.known.push((real.to_owned(), placeholder));
            self.known.sort_by_key(|k| std::cmp::Reverse(k.0.len()));
        }
    }

    pub fn normalise(&mut self, v: &Value) -> Value {
        self.discover(v, None);
        self.rewrite(v, None)
    }

    /// Numbers every executionId on first sight, in document order.
    fn discover(&mut self, v: &Value, key: Option<&str>) {
        match v {
            Value::String(s)
                if matches!(
                    key,
                    Some("executionId" | "executionIds" | "invalidExecutions")
                ) && !self.executions.contains_key(s) =>
            {
                let n = self.executions.len() + 1;
                let placeholder = format!("<execution-id:{n}>");
                self.executions.insert(s.clone(), placeholder.clone());
                self.name(s, placeholder);
            }
            Value::Array(a) => a.iter().for_each(|x| self.discover(x, key)),
            Value::Object(m) => m.iter().for_each(|(k, x)| self.discover(x, Some(k))),
            _ => {}
        }
    }

    fn rewrite(&self, v: &Value, key: Option<&str>) -> Value {
        match (key, v) {
            (Some(k), Value::Number(_) | Value::String(_)) if TIMESTAMPS.contains(&k) => {
                Value::String("<timestamp>".into())
            }
            (Some(k), Value::String(_)) if PROSE.contains(&k) => Value::String("<message>".into()),
            (Some("nextToken"), Value::String(_)) => Value::String("<next-token>".into()),
            (_, Value::String(s)) => Value::String(self.text(s)),
            (_, Value::Array(a)) => Value::Array(a.iter().map(|x| self.rewrite(x, key)).collect()),
            (_, Value::Object(m)) => Value::Object(
                m.iter()
                    .map(|(k, x)| (k.clone(), self.rewrite(x, Some(k))))
                    .collect(),
            ),
            (_, other) => other.clone(),
        }
    }

    /// Replaces known values inside a string, and account/region inside ARNs.
    pub fn text(&self, s: &str) -> String {
        let mut out = s.to_owned();
        if let Some(re) = &self.arn
            && let Some(c) = re.captures(s)
        {
            let service = c.get(2).map_or("", |m| m.as_str());
            let region = c.get(3).map_or("", |m| m.as_str());
            let account = c.get(4).map_or("", |m| m.as_str());
            let head = c.get(0).map_or(0, |m| m.end());
            let shown_region = if region.is_empty() { "" } else { "<region>" };
            let shown_account = if account.is_empty() { "" } else { "<account>" };
            out = format!(
                "arn:aws:{service}:{shown_region}:{shown_account}:{}",
                &s[head..]
            );
        }
        for (real, placeholder) in &self.known {
            if out.contains(real.as_str()) {
                out = out.replace(real.as_str(), placeholder);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn volatile_values_become_numbered_placeholders_keeping_equality() {
        let mut n = Normaliser::new();
        n.name("ah-1234-nightly", "<flow:nightly>".into());
        n.name("tok-xyz", "<token:a>".into());
        let first = n.normalise(&json!({
            "flowArn": "arn:aws:appflow:eu-west-1:123456789012:flow/ah-1234-nightly",
            "executionId": "e-9", "startedAt": 1.5, "message": "Flow ah-1234-nightly is busy"
        }));
        assert_eq!(
            first,
            json!({
                "flowArn": "arn:aws:appflow:<region>:<account>:flow/<flow:nightly>",
                "executionId": "<execution-id:1>", "startedAt": "<timestamp>", "message": "<message>"
            })
        );
        let again = n.normalise(&json!({"flowExecutions": [{"executionId": "e-10"}, {"executionId": "e-9"}], "clientToken": "tok-xyz"}));
        assert_eq!(
            again,
            json!({"flowExecutions": [{"executionId": "<execution-id:2>"}, {"executionId": "<execution-id:1>"}], "clientToken": "<token:a>"})
        );
        assert_eq!(
            n.normalise(&json!({"executionId": null, "n": 3})),
            json!({"executionId": null, "n": 3})
        );
    }
}
