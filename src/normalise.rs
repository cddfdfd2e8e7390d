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

/// Rewrites a transcript's answers into placeholders. It remembers what it has
/// seen (numbering runs on across calls), so one scenario's transcript takes
/// one normaliser.
#[derive(Debug, Default, Clone)]
pub struct Normaliser {
    /// Known volatile strings and their placeholders, longest first when applied.
    known: Vec<(String, String)>,
    executions: HashMap<String, String>,
    /// executionIds numbered so far.
    numbered: usize,
    arn: Option<regex::Regex>,
}

impl Normaliser {
    /// A normaliser with nothing named yet; executionIds are numbered from 1.
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

    /// `v` with its volatile values replaced: new executionIds numbered on
    /// first sight, timestamps, prose, page tokens, named values, and accounts
    /// and regions in ARNs.
    pub fn normalise(&mut self, v: &Value) -> Value {
        self.discover(v, None, None);
        self.rewrite(v, None)
    }

    /// Normalises answers that arrived together (a `concurrent` step), whose
    /// order is the network's: executionIds first seen among them all become
    /// `<execution-id:GROUP>`, so the transcript does not depend on which
    /// request was answered first.
    pub fn normalise_group(&mut self, values: &[Value], group: &str) -> Vec<Value> {
        for v in values {
            self.discover(v, None, Some(group));
        }
        values.iter().map(|v| self.rewrite(v, None)).collect()
    }

    /// Numbers every executionId on first sight, in document order (or
    /// gives it the group's placeholder).
    fn discover(&mut self, v: &Value, key: Option<&str>, group: Option<&str>) {
        match v {
            Value::String(s)
                if matches!(
                    key,
                    Some("executionId" | "executionIds" | "invalidExecutions")
                ) && !self.executions.contains_key(s) =>
            {
                let placeholder = match group {
                    Some(g) => format!("<execution-id:{g}>"),
                    None => {
                        self.numbered += 1;
                        format!("<execution-id:{}>", self.numbered)
                    }
                };
                self.executions.insert(s.clone(), placeholder.clone());
                self.name(s, placeholder);
            }
            Value::Array(a) => a.iter().for_each(|x| self.discover(x, key, group)),
            Value::Object(m) => m.iter().for_each(|(k, x)| self.discover(x, Some(k), group)),
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
    /// A string that is a known value becomes its placeholder; inside longer
    /// text only values of [`MIN_INSIDE`] characters or more are replaced
    /// (a 1-character token must not rewrite every `t`), in one pass over
    /// the original text, so a placeholder is never rewritten again. The
    /// resource of an ARN (`flow/NAME`) is matched whole.
    pub fn text(&self, s: &str) -> String {
        if let Some(p) = self.exact(s) {
            return p.to_owned();
        }
        let (head, rest) = match self.arn.as_ref().and_then(|re| re.captures(s)) {
            Some(c) => {
                let service = c.get(2).map_or("", |m| m.as_str());
                let region = c.get(3).map_or("", |m| m.as_str());
                let account = c.get(4).map_or("", |m| m.as_str());
                let end = c.get(0).map_or(0, |m| m.end());
                let shown_region = if region.is_empty() { "" } else { "<region>" };
                let shown_account = if account.is_empty() { "" } else { "<account>" };
                (
                    format!("arn:aws:{service}:{shown_region}:{shown_account}:"),
                    &s[end..],
                )
            }
            None => (String::new(), s),
        };
        if !head.is_empty()
            && let Some((kind, name)) = rest.split_once('/')
            && let Some(p) = self.exact(name)
        {
            return format!("{head}{kind}/{p}");
        }
        let mut out = head;
        let mut i = 0;
        while i < rest.len() {
            let found = self
                .known
                .iter()
                .filter(|(real, _)| real.len() >= MIN_INSIDE)
                .find(|(real, _)| rest[i..].starts_with(real.as_str()));
            match found {
                Some((real, placeholder)) => {
                    out.push_str(placeholder);
                    i += real.len();
                }
                None => {
                    let c = rest[i..].chars().next().unwrap_or(' ');
                    out.push(c);
                    i += c.len_utf8();
                }
            }
        }
        out
    }

    fn exact(&self, s: &str) -> Option<&str> {
        self.known
            .iter()
            .find(|(real, _)| real == s)
            .map(|(_, p)| p.as_str())
    }
}

/// Known values shorter than this are replaced only where they are a whole string.
const MIN_INSIDE: usize = 8;

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

    #[test]
    fn ids_first_seen_in_concurrent_answers_do_not_depend_on_arrival_order() {
        let answers = |order: [&str; 3]| -> Vec<Value> {
            order.iter().map(|id| json!({"executionId": id})).collect()
        };
        let mut a = Normaliser::new();
        let mut b = Normaliser::new();
        let first = a.normalise_group(&answers(["id-01", "id-02", "id-03"]), "step2");
        let second = b.normalise_group(&answers(["id-03", "id-01", "id-02"]), "step2");
        assert_eq!(first, second);
        assert_eq!(first[0], json!({"executionId": "<execution-id:step2>"}));
        assert_eq!(
            a.normalise(&json!({"executionId": "id-04"})),
            json!({"executionId": "<execution-id:1>"})
        );
    }

    #[test]
    fn short_values_are_replaced_only_whole_and_placeholders_never_again() {
        let mut n = Normaliser::new();
        n.name("t", "<token:one>".into());
        n.name("ab", "<flow:short>".into());
        n.name("ah-0123456789", "<flow:long>".into());
        assert_eq!(
            n.normalise(&json!({"clientToken": "t", "flowStatus": "Active",
                "flowArn": "arn:aws:appflow:us-east-1:123456789012:flow/ab",
                "message": "x", "description": "about ah-0123456789 and t"})),
            json!({"clientToken": "<token:one>", "flowStatus": "Active",
                "flowArn": "arn:aws:appflow:<region>:<account>:flow/<flow:short>",
                "message": "<message>", "description": "about <flow:long> and t"})
        );
    }
}
