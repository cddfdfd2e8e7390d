//! CreateFlow: validates and stores a flow definition; initial status by
//! trigger type; its clientToken is idempotent too.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Operation, OperationRequest};
use crate::emulator::error::ApiError;
use crate::emulator::fields::{
    FlowStatus, Millis, TriggerType, validate_client_token, validate_flow_name,
};
use crate::emulator::state::{Definition, Flow, State, StoredCall};

/// The model's `CreateFlowRequest`, `POST /create-flow`: a new flow, `Active` if on-demand,
/// `Draft` if scheduled, event per the profile (L1). Errors: 400 ValidationException for a bad
/// name (V1), token (V2) or definition; 409 ConflictException if the flow exists or the token
/// was used with other input (T13); 402 ServiceQuotaExceededException past `max_flows` (Q1).
/// Answers the model's `CreateFlowResponse` (`flowArn`, `flowStatus`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateFlow {
    /// `flowName` (V1).
    pub flow_name: String,
    /// `description`, at most 2,048 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `kmsArn`: `arn:aws:kms:...`, 20..=2,048 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_arn: Option<String>,
    /// `triggerConfig`: needs `triggerType` (OnDemand, Scheduled or Event); Scheduled needs `triggerProperties.Scheduled.scheduleExpression`.
    pub trigger_config: Value,
    /// `sourceFlowConfig`: needs `connectorType` and `sourceConnectorProperties`.
    pub source_flow_config: Value,
    /// `destinationFlowConfigList`: a non-empty array, each with `connectorType` and `destinationConnectorProperties`.
    pub destination_flow_config_list: Value,
    /// `tasks`: an array, each with a `sourceFields` array and a `taskType`.
    pub tasks: Value,
    /// `tags`: tag key -> value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<HashMap<String, String>>,
    /// `metadataCatalogConfig`, stored as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata_catalog_config: Option<Value>,
    /// `clientToken` (V2): same token and input within the TTL answers the first answer again,
    /// other input 409 (T13); left out of the stored input.
    #[serde(skip_serializing)]
    pub client_token: Option<String>,
}

/// The model's `CreateFlowResponse` as a typed value (`flowArn`, `flowStatus`); the
/// emulator itself answers CreateFlow as JSON built in `apply`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateFlowOutput {
    /// `flowArn` (O1).
    pub flow_arn: String,
    /// `flowStatus` the flow starts in (L1, O2).
    pub flow_status: FlowStatus,
}

impl OperationRequest for CreateFlow {
    const OP: Operation = Operation::CreateFlow;
    type Output = Value;

    fn apply(self, state: &mut State, now: Millis) -> Result<Value, ApiError> {
        validate_flow_name(&self.flow_name)?;
        let trigger = validate_definition(
            &self.trigger_config,
            &self.source_flow_config,
            &self.destination_flow_config_list,
            &self.tasks,
        )?;
        if let Some(d) = &self.description {
            check_len("description", d, 2048)?;
        }
        if let Some(k) = &self.kms_arn
            && (k.len() < 20 || k.len() > 2048 || !k.starts_with("arn:aws:kms:"))
        {
            return Err(ApiError::validation(
                "Value at 'kmsArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:aws:kms:.*:[0-9]+:.*",
            ));
        }
        let input = serde_json::to_value(&self).unwrap_or(Value::Null);
        if let Some(replayed) = replay_token(
            &mut state.create_tokens,
            self.client_token.as_deref(),
            &input,
            now,
            state.config.token_ttl_ms,
        )? {
            return Ok(replayed);
        }
        if state.flows.contains_key(self.flow_name.as_str()) {
            return Err(ApiError::conflict(format!(
                "Flow {} already exists",
                self.flow_name
            )));
        }
        if state.flows.len() >= state.config.max_flows {
            return Err(ApiError::quota(format!(
                "The number of flows exceeds the quota of {} per account",
                state.config.max_flows
            )));
        }
        let status = state.initial_status(trigger);
        let name: Arc<str> = Arc::from(self.flow_name.as_str());
        let output = json!({
            "flowArn": state.config.flow_arn(&name),
            "flowStatus": status,
        });
        state.flows.insert(
            name.clone(),
            Flow {
                arn: Arc::from(state.config.flow_arn(&name)),
                name,
                trigger,
                status,
                definition: Definition {
                    description: self.description,
                    kms_arn: self.kms_arn,
                    trigger_config: self.trigger_config,
                    source_flow_config: self.source_flow_config,
                    destination_flow_config_list: self.destination_flow_config_list,
                    tasks: self.tasks,
                    tags: self.tags.map(|t| json!(t)),
                    metadata_catalog_config: self.metadata_catalog_config,
                },
                created_at: now,
                updated_at: now,
                executions: std::collections::VecDeque::new(),
            },
        );
        remember_token(
            &mut state.create_tokens,
            self.client_token,
            input,
            &output,
            now,
        );
        Ok(output)
    }
}

/// The replayed answer of an earlier call with `token`, or `None` for a new call.
/// Same token, different input: 409 ConflictException.
pub(super) fn replay_token(
    store: &mut HashMap<String, StoredCall>,
    token: Option<&str>,
    input: &Value,
    now: Millis,
    ttl: Millis,
) -> Result<Option<Value>, ApiError> {
    let Some(token) = token else { return Ok(None) };
    validate_client_token(token)?;
    store.retain(|_, c| c.at.saturating_add(ttl) > now);
    match store.get(token) {
        Some(call) if call.input == *input => Ok(Some(call.output.clone())),
        Some(_) => Err(ApiError::conflict(
            "The clientToken was already used with different input parameters",
        )),
        None => Ok(None),
    }
}

pub(super) fn remember_token(
    store: &mut HashMap<String, StoredCall>,
    token: Option<String>,
    input: Value,
    output: &Value,
    now: Millis,
) {
    if let Some(token) = token {
        store.insert(
            token,
            StoredCall {
                input,
                output: output.clone(),
                at: now,
            },
        );
    }
}

/// Checks the members every flow definition needs; answers the trigger type.
pub(super) fn validate_definition(
    trigger_config: &Value,
    source: &Value,
    destinations: &Value,
    tasks: &Value,
) -> Result<TriggerType, ApiError> {
    let trigger_type = trigger_config
        .get("triggerType")
        .and_then(Value::as_str)
        .ok_or_else(|| missing("triggerConfig.triggerType"))?;
    let trigger = match trigger_type {
        "OnDemand" => TriggerType::OnDemand,
        "Scheduled" => TriggerType::Scheduled,
        "Event" => TriggerType::Event,
        other => {
            return Err(ApiError::validation(format!(
                "Value '{other}' at 'triggerConfig.triggerType' failed to satisfy constraint: \
                 Member must satisfy enum value set: [Scheduled, Event, OnDemand]"
            )));
        }
    };
    if trigger == TriggerType::Scheduled
        && trigger_config
            .pointer("/triggerProperties/Scheduled/scheduleExpression")
            .and_then(Value::as_str)
            .is_none()
    {
        return Err(missing(
            "triggerConfig.triggerProperties.Scheduled.scheduleExpression",
        ));
    }
    check_connector("sourceFlowConfig", source, "sourceConnectorProperties")?;
    let list = destinations
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| missing("destinationFlowConfigList (a non-empty list)"))?;
    for (i, d) in list.iter().enumerate() {
        check_connector(
            &format!("destinationFlowConfigList.{}", i + 1),
            d,
            "destinationConnectorProperties",
        )?;
    }
    let tasks = tasks.as_array().ok_or_else(|| missing("tasks (a list)"))?;
    for (i, t) in tasks.iter().enumerate() {
        if !t.get("sourceFields").is_some_and(Value::is_array) {
            return Err(missing(&format!("tasks.{}.sourceFields", i + 1)));
        }
        if !t.get("taskType").is_some_and(Value::is_string) {
            return Err(missing(&format!("tasks.{}.taskType", i + 1)));
        }
    }
    Ok(trigger)
}

fn check_connector(path: &str, value: &Value, properties: &str) -> Result<(), ApiError> {
    if !value.get("connectorType").is_some_and(Value::is_string) {
        return Err(missing(&format!("{path}.connectorType")));
    }
    if !value.get(properties).is_some_and(Value::is_object) {
        return Err(missing(&format!("{path}.{properties}")));
    }
    Ok(())
}

fn check_len(member: &str, value: &str, max: usize) -> Result<(), ApiError> {
    if value.len() > max {
        return Err(ApiError::validation(format!(
            "Value at '{member}' failed to satisfy constraint: Member must have length less than or equal to {max}"
        )));
    }
    Ok(())
}

fn missing(member: &str) -> ApiError {
    ApiError::validation(format!(
        "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
    ))
}
