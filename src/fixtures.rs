//! Flow fixtures shared by the runner and the load test: the CreateFlow
//! body for each trigger type (S3 to S3 by default; configurable), and
//! creating (with a clientToken, so a retry is a replay) and deleting them
//! through the endpoint client's retry loop.

use std::collections::BTreeMap;
use std::path::Path;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::appflow::{Operation, TriggerType};
use crate::client::{CallOutcome, Endpoint, RetryPolicy};

/// What the fixture flows are made of: where they copy from and to, and
/// the connector profile of an event source. Set in `appflow-harness.yaml`
/// (under `fixtures:`) or with `--var KEY=VALUE`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FixtureVars {
    /// The S3 bucket fixture flows read from (default
    /// `appflow-harness-source`).
    pub source_bucket: String,
    /// The key prefix they read (default `in`).
    pub source_prefix: String,
    /// The S3 bucket they write to (default `appflow-harness-destination`).
    pub destination_bucket: String,
    /// The key prefix they write (default `out`).
    pub destination_prefix: String,
    /// A connector profile that can start event flows (S3 cannot): without
    /// it, scenarios that `need: [event-source]` are skipped on AWS.
    pub event_connector_profile: Option<String>,
    /// The object the event source watches.
    pub event_object: String,
    /// Whole CreateFlow bodies per trigger type (`OnDemand`, `Scheduled`,
    /// `Event`); `{{flowName}}` in a string becomes the flow's name.
    pub create_flow: BTreeMap<String, Value>,
}

impl Default for FixtureVars {
    fn default() -> Self {
        Self {
            source_bucket: "appflow-harness-source".into(),
            source_prefix: "in".into(),
            destination_bucket: "appflow-harness-destination".into(),
            destination_prefix: "out".into(),
            event_connector_profile: None,
            event_object: "Account".into(),
            create_flow: BTreeMap::new(),
        }
    }
}

/// The file `appflow-harness.yaml` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    fixtures: FixtureVars,
}

/// The description every fixture flow carries: how `cleanup` recognises
/// flows whose generated names are too short for a prefix.
pub const DESCRIPTION: &str = "created by appflow-harness";

/// The configuration file looked for in the working directory.
pub const CONFIG_FILE: &str = "appflow-harness.yaml";

impl FixtureVars {
    /// From `path` (or `./appflow-harness.yaml` if it exists), then `vars`.
    pub fn load(path: Option<&Path>, vars: &[(String, String)]) -> Result<Self, String> {
        let mut out = match path {
            Some(p) => Self::read(p)?,
            None if Path::new(CONFIG_FILE).is_file() => Self::read(Path::new(CONFIG_FILE))?,
            None => Self::default(),
        };
        for (k, v) in vars {
            out.set(k, v)?;
        }
        Ok(out)
    }

    fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("failed to read {}: {e}", path.display()))?;
        serde_saphyr::from_str::<ConfigFile>(&text)
            .map(|c| c.fixtures)
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// `--var KEY=VALUE`.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let v = value.to_owned();
        match key {
            "source_bucket" => self.source_bucket = v,
            "source_prefix" => self.source_prefix = v,
            "destination_bucket" => self.destination_bucket = v,
            "destination_prefix" => self.destination_prefix = v,
            "event_connector_profile" => {
                self.event_connector_profile = (!v.is_empty()).then_some(v)
            }
            "event_object" => self.event_object = v,
            other => {
                return Err(format!(
                    "--var {other}: no such fixture variable (source_bucket, source_prefix, destination_bucket, destination_prefix, event_connector_profile, event_object)"
                ));
            }
        }
        Ok(())
    }

    /// Whether event flows can be made: an event source was configured.
    pub fn has_event_source(&self) -> bool {
        self.event_connector_profile.is_some() || self.create_flow.contains_key("Event")
    }

    /// The CreateFlow body for a flow `name` with `trigger`.
    pub fn body(&self, name: &str, trigger: TriggerType) -> Value {
        if let Some(t) = self.create_flow.get(trigger.as_str()) {
            return with_name(t, name);
        }
        let trigger_config = match trigger {
            TriggerType::OnDemand => json!({ "triggerType": "OnDemand" }),
            TriggerType::Event => json!({ "triggerType": "Event" }),
            TriggerType::Scheduled => json!({
                "triggerType": "Scheduled",
                "triggerProperties": { "Scheduled": {
                    "scheduleExpression": "rate(1hours)",
                    "dataPullMode": "Incremental"
                } }
            }),
        };
        let (source, operator) = match (&self.event_connector_profile, trigger) {
            (Some(profile), TriggerType::Event) => (
                json!({
                    "connectorType": "Salesforce",
                    "connectorProfileName": profile,
                    "sourceConnectorProperties": { "Salesforce": { "object": self.event_object } }
                }),
                json!({ "Salesforce": "PROJECTION" }),
            ),
            _ => (
                json!({
                    "connectorType": "S3",
                    "sourceConnectorProperties": { "S3": { "bucketName": self.source_bucket, "bucketPrefix": self.source_prefix } }
                }),
                json!({ "S3": "PROJECTION" }),
            ),
        };
        json!({
            "flowName": name,
            "description": DESCRIPTION,
            "triggerConfig": trigger_config,
            "sourceFlowConfig": source,
            "destinationFlowConfigList": [{
                "connectorType": "S3",
                "destinationConnectorProperties": { "S3": { "bucketName": self.destination_bucket, "bucketPrefix": self.destination_prefix } }
            }],
            "tasks": [{
                "sourceFields": ["id"],
                "connectorOperator": operator,
                "taskType": "Filter",
                "taskProperties": {}
            }]
        })
    }
}

/// A body template with `{{flowName}}` replaced.
fn with_name(v: &Value, name: &str) -> Value {
    match v {
        Value::String(s) => Value::String(s.replace("{{flowName}}", name)),
        Value::Array(a) => Value::Array(a.iter().map(|x| with_name(x, name)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), with_name(x, name)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The default CreateFlow body for a flow `name` with `trigger`: an S3-to-S3
/// copy, the cheapest definition real AppFlow accepts.
pub fn create_flow_body(name: &str, trigger: TriggerType) -> Value {
    FixtureVars::default().body(name, trigger)
}

/// A flow [`create_flow`] made.
#[derive(Debug, Clone)]
pub struct Created {
    /// The CreateFlow call's latency, retries included.
    pub latency: std::time::Duration,
    /// The `flowArn` the answer named, if it named one.
    pub flow_arn: Option<String>,
}

/// Creates a flow from a CreateFlow body; the call's latency and the
/// `flowArn` it answered ([`Created`]), or what went wrong ("answered 409
/// ConflictException: {...}", "got no answer: ...").
///
/// The body carries a clientToken (a fresh one unless it has its own), so
/// the client's retry after a throttle, a server error or a lost answer is
/// a replay (T13) that answers the first creation again, not a second
/// CreateFlow that meets 409 "already exists". The caller records the flow
/// for clean-up before calling this: a flow whose answer was lost exists.
pub async fn create_flow(endpoint: &Endpoint, body: &Value) -> Result<Created, String> {
    let body = with_client_token(body);
    let call = endpoint
        .call_with(
            &RetryPolicy::standard(),
            Operation::CreateFlow,
            Bytes::from(body.to_string()),
        )
        .await
        .map_err(|e| e.to_string())?
        .call;
    match call.outcome {
        CallOutcome::Reply(r) if r.status == 200 => Ok(Created {
            latency: call.latency,
            flow_arn: r
                .json
                .as_ref()
                .and_then(|j| j["flowArn"].as_str())
                .map(str::to_owned),
        }),
        CallOutcome::Reply(r) if r.redirect().is_some() => {
            Err(format!("answered {}", r.redirect().unwrap_or_default()))
        }
        CallOutcome::Reply(r) => Err(format!(
            "answered {} {}: {}",
            r.status,
            r.error_type.as_deref().unwrap_or(""),
            r.body_text()
        )),
        CallOutcome::Transport { message, .. } => Err(format!("got no answer: {message}")),
    }
}

/// `body` with a fresh clientToken (a UUID v4, as the SDKs fill in) unless
/// it carries a non-empty one already.
pub fn with_client_token(body: &Value) -> Value {
    let mut body = body.clone();
    if let Value::Object(m) = &mut body
        && m.get("clientToken")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
    {
        m.insert(
            "clientToken".into(),
            Value::String(uuid::Uuid::new_v4().to_string()),
        );
    }
    body
}

/// Deletes a flow the harness made, runs in progress included; throttles,
/// server errors and lost answers are retried ([`RetryPolicy::standard`],
/// or the smaller [`RetryPolicy::cleanup`] once the endpoint's stop flag
/// is set, so a stopped command still cleans up and exits in time).
/// Cleanup never fails a run, so the final answer (a 404 included: a
/// flow whose CreateFlow never landed) is ignored.
pub async fn delete_flow(endpoint: &Endpoint, name: &str) {
    let body = json!({ "flowName": name, "forceDelete": true });
    cleanup_call(endpoint, Operation::DeleteFlow, &body).await;
}

/// Stops a scheduled or event flow before it is deleted; an answer other
/// than 200 (it was not active) is fine.
pub async fn stop_flow(endpoint: &Endpoint, name: &str) {
    let body = json!({ "flowName": name });
    cleanup_call(endpoint, Operation::StopFlow, &body).await;
}

async fn cleanup_call(endpoint: &Endpoint, operation: Operation, body: &Value) {
    let stopping = endpoint
        .stop_flag()
        .load(std::sync::atomic::Ordering::Relaxed);
    let policy = if stopping {
        RetryPolicy::cleanup()
    } else {
        RetryPolicy {
            after_stop: true,
            ..RetryPolicy::standard()
        }
    };
    let _ = endpoint
        .call_with(&policy, operation, Bytes::from(body.to_string()))
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_writes_carry_a_client_token_of_their_own_or_the_given_one() {
        let fresh = with_client_token(&json!({"flowName": "f"}));
        assert!(
            fresh["clientToken"].as_str().is_some_and(|t| t.len() == 36),
            "a fresh UUID token: {fresh}"
        );
        let kept = with_client_token(&json!({"flowName": "f", "clientToken": "mine"}));
        assert_eq!(kept["clientToken"], "mine");
    }

    #[test]
    fn fixture_variables_shape_the_bodies() {
        let mut v = FixtureVars::default();
        v.set("source_bucket", "my-in").expect("set");
        assert!(v.set("colour", "blue").is_err());
        let body = v.body("f1", TriggerType::OnDemand);
        assert_eq!(
            body["sourceFlowConfig"]["sourceConnectorProperties"]["S3"]["bucketName"],
            "my-in"
        );
        assert!(!v.has_event_source());
        v.set("event_connector_profile", "crm").expect("set");
        let event = v.body("f2", TriggerType::Event);
        assert_eq!(event["sourceFlowConfig"]["connectorProfileName"], "crm");
        v.create_flow.insert(
            "Scheduled".into(),
            json!({"flowName": "{{flowName}}", "x": 1}),
        );
        assert_eq!(
            v.body("f3", TriggerType::Scheduled),
            json!({"flowName": "f3", "x": 1})
        );
    }
}
