//! Flow fixtures shared by the runner and the load test: the default
//! CreateFlow template (S3 to S3) and the body for each trigger type.

use bytes::Bytes;
use serde_json::{Value, json};

use crate::appflow::{Operation, TriggerType};
use crate::client::{Endpoint, Outcome};

/// The default CreateFlow body for a flow `name` with `trigger`: an S3-to-S3
/// copy, the cheapest definition real AppFlow accepts.
pub fn create_flow_body(name: &str, trigger: TriggerType) -> Value {
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
    json!({
        "flowName": name,
        "description": "created by appflow-harness",
        "triggerConfig": trigger_config,
        "sourceFlowConfig": {
            "connectorType": "S3",
            "sourceConnectorProperties": { "S3": { "bucketName": "appflow-harness-source", "bucketPrefix": "in" } }
        },
        "destinationFlowConfigList": [{
            "connectorType": "S3",
            "destinationConnectorProperties": { "S3": { "bucketName": "appflow-harness-destination", "bucketPrefix": "out" } }
        }],
        "tasks": [{
            "sourceFields": ["id"],
            "connectorOperator": { "S3": "PROJECTION" },
            "taskType": "Filter",
            "taskProperties": {}
        }]
    })
}

/// Creates a flow from a CreateFlow body; the call's latency, or what went
/// wrong ("answered 409 ConflictException: {...}", "got no answer: ...").
pub async fn create_flow(endpoint: &Endpoint, body: &Value) -> Result<std::time::Duration, String> {
    let call = endpoint
        .call(Operation::CreateFlow, Bytes::from(body.to_string()))
        .await
        .map_err(|e| e.to_string())?;
    match call.outcome {
        Outcome::Reply(r) if r.status == 200 => Ok(call.latency),
        Outcome::Reply(r) => Err(format!(
            "answered {} {}: {}",
            r.status,
            r.error_type.as_deref().unwrap_or(""),
            r.body_text()
        )),
        Outcome::Transport { message, .. } => Err(format!("got no answer: {message}")),
    }
}

/// Deletes a flow the harness made, runs in progress included; cleanup never
/// fails a run, so the answer is ignored.
pub async fn delete_flow(endpoint: &Endpoint, name: &str) {
    let body = json!({ "flowName": name, "forceDelete": true }).to_string();
    let _ = endpoint
        .call(Operation::DeleteFlow, Bytes::from(body))
        .await;
}
