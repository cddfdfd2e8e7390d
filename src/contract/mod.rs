//! The contract every answer is checked against, with no line in the
//! scenario: the status-to-error-type table of APPFLOW.md, the request id,
//! and the output shapes of the AppFlow service model (members, types,
//! enums, lengths, patterns), plus StartFlow's executionId rule.

mod shapes;

use std::sync::OnceLock;

use serde_json::Value;

use crate::appflow::{ErrorKind, Operation, TriggerType};
use crate::client::Reply;

pub use shapes::Model;

pub use crate::appflow::MODEL_JSON;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// Where in the answer: `status`, `header x-amzn-RequestId`, `body.flowStatus`, ...
    pub at: String,
    pub rule: String,
}

/// The HTTP status an error type must come with: the vocabulary's one
/// table, which the emulator answers by too.
pub fn error_status(name: &str) -> Option<u16> {
    ErrorKind::from_name(name).map(ErrorKind::status)
}

pub fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| Model::parse(MODEL_JSON))
}

/// Checks one answer to `operation`. `trigger` is that of the flow named in
/// the request, where the caller knows it (StartFlow's executionId rule).
pub fn check(operation: Operation, reply: &Reply, trigger: Option<TriggerType>) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut v = |at: &str, rule: String| {
        out.push(Violation {
            at: at.to_owned(),
            rule,
        })
    };
    if reply.request_id.as_deref().is_none_or(str::is_empty) {
        v(
            "header x-amzn-RequestId",
            "every answer carries a request id".into(),
        );
    }
    let Some(body) = reply.json.as_ref() else {
        v(
            "body",
            format!("the body must be JSON, got `{}`", reply.body_text()),
        );
        return out;
    };
    if !body.is_object() {
        v("body", "the body must be a JSON object".into());
        return out;
    }
    match reply.status {
        200 => {
            model().check_output(operation.name(), body, &mut out);
            if operation == Operation::StartFlow {
                start_flow_rules(body, trigger, &mut out);
            }
        }
        400..=599 => {
            let mut v = |at: &str, rule: String| {
                out.push(Violation {
                    at: at.to_owned(),
                    rule,
                })
            };
            match reply.error_type.as_deref() {
                None => v(
                    "header x-amzn-ErrorType",
                    format!("an error ({}) must name its type", reply.status),
                ),
                Some(name) => {
                    if let Some(want) = error_status(name)
                        && want != reply.status
                    {
                        v(
                            "status",
                            format!("{name} comes with HTTP {want}, not {}", reply.status),
                        );
                    }
                }
            }
            if reply.message().is_none() {
                v(
                    "body.message",
                    "an error body carries `message` (or `Message`) as a string".into(),
                );
            }
        }
        other => v(
            "status",
            format!("AppFlow answers 200 or an error status, not {other}"),
        ),
    }
    out
}

fn start_flow_rules(body: &Value, trigger: Option<TriggerType>, out: &mut Vec<Violation>) {
    let id = body.get("executionId").filter(|v| !v.is_null());
    let rule = match trigger {
        Some(TriggerType::OnDemand) if id.and_then(Value::as_str).is_none_or(str::is_empty) => {
            "an on-demand start answers a non-empty executionId"
        }
        Some(TriggerType::Scheduled | TriggerType::Event) if id.is_some() => {
            "a scheduled or event start answers no executionId"
        }
        _ => return,
    };
    out.push(Violation {
        at: "body.executionId".into(),
        rule: rule.into(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn reply(status: u16, error: Option<&'static str>, body: &str) -> Reply {
        let mut h = HeaderMap::new();
        h.insert("x-amzn-requestid", HeaderValue::from_static("r-1"));
        if let Some(e) = error {
            h.insert("x-amzn-errortype", HeaderValue::from_static(e));
        }
        Reply::new(status, &h, Bytes::from(body.to_owned()))
    }

    #[test]
    fn a_good_start_passes_and_bad_ones_are_named() {
        let ok = reply(
            200,
            None,
            r#"{"flowArn":"arn:aws:appflow:us-east-1:000000000000:flow/a1","flowStatus":"Active","executionId":"e1"}"#,
        );
        assert_eq!(
            check(Operation::StartFlow, &ok, Some(TriggerType::OnDemand)),
            vec![]
        );
        let bad = reply(
            200,
            None,
            r#"{"flowArn":"x","flowStatus":"Running","extra":1}"#,
        );
        let v = check(Operation::StartFlow, &bad, Some(TriggerType::OnDemand));
        let at: Vec<&str> = v.iter().map(|x| x.at.as_str()).collect();
        assert!(at.contains(&"body.flowStatus"), "{v:?}");
        assert!(at.contains(&"body.extra"), "{v:?}");
        assert!(at.contains(&"body.executionId"), "{v:?}");
        let sched = reply(
            200,
            None,
            r#"{"flowArn":"arn:aws:appflow:us-east-1:000000000000:flow/a1","flowStatus":"Active","executionId":"e1"}"#,
        );
        assert_eq!(
            check(Operation::StartFlow, &sched, Some(TriggerType::Scheduled)).len(),
            1
        );
    }

    #[test]
    fn errors_need_their_status_type_and_message() {
        let wrong = reply(400, Some("ConflictException"), r#"{"message":"x"}"#);
        assert_eq!(check(Operation::StartFlow, &wrong, None)[0].at, "status");
        let untyped = reply(404, None, r#"{"Message":"x"}"#);
        assert_eq!(
            check(Operation::StartFlow, &untyped, None)[0].at,
            "header x-amzn-ErrorType"
        );
        let garbage = reply(500, Some("InternalServerException"), "<html>");
        assert_eq!(check(Operation::StartFlow, &garbage, None)[0].at, "body");
    }
}
