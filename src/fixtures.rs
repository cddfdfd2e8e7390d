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
/// Throttles, server errors and lost connections are retried with backoff.
pub async fn create_flow(endpoint: &Endpoint, body: &Value) -> Result<std::time::Duration, String> {
    let mut last = String::new();
    for attempt in 0..RETRIES {
        pause(attempt).await;
        let call = endpoint
            .call(Operation::CreateFlow, Bytes::from(body.to_string()))
            .await
            .map_err(|e| e.to_string())?;
        match call.outcome {
            Outcome::Reply(r) if r.status == 200 => return Ok(call.latency),
            Outcome::Reply(r) => {
                last = format!(
                    "answered {} {}: {}",
                    r.status,
                    r.error_type.as_deref().unwrap_or(""),
                    r.body_text()
                );
                if !(r.status == 429 || r.status >= 500) {
                    return Err(last);
                }
            }
            Outcome::Transport { message, .. } => last = format!("got no answer: {message}"),
        }
    }
    Err(last)
}

/// Deletes a flow the harness made, runs in progress included; throttles
/// and server errors are retried. Cleanup never fails a run, so the final
/// answer is ignored.
pub async fn delete_flow(endpoint: &Endpoint, name: &str) {
    let body = json!({ "flowName": name, "forceDelete": true }).to_string();
    for attempt in 0..RETRIES {
        pause(attempt).await;
        match endpoint
            .call(Operation::DeleteFlow, Bytes::from(body.clone()))
            .await
        {
            Ok(c) => match c.outcome {
                Outcome::Reply(r) if r.status == 429 || r.status >= 500 => continue,
                Outcome::Transport { .. } => continue,
                Outcome::Reply(_) => return,
            },
            Err(_) => return,
        }
    }
}

/// Set-up and clean-up calls are tried this many times at most.
const RETRIES: u32 = 10;

/// Before attempt `attempt` (0: none), the backoff of retry `attempt - 1`.
async fn pause(attempt: u32) {
    if attempt > 0 {
        tokio::time::sleep(backoff(attempt - 1)).await;
    }
}

/// The wait before retry `retry` (from 0) of a throttled or failed call:
/// 100 ms doubled per retry up to 3.2 s, half of it random ("equal jitter",
/// AWS's architecture blog), so that retrying clients spread out.
pub fn backoff(retry: u32) -> std::time::Duration {
    let cap = 100u64 << retry.min(5);
    let random = uuid::Uuid::new_v4().as_u128() as u64;
    std::time::Duration::from_millis(cap / 2 + random % (cap / 2).max(1))
}
