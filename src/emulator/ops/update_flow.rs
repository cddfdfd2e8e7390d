//! UpdateFlow: replaces a flow's definition; a change of trigger type puts
//! the flow in that type's initial status.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::create_flow::{remember_token, replay_token, validate_definition};
use super::{Operation, OperationRequest};
use crate::emulator::error::ApiError;
use crate::emulator::fields::{Millis, validate_flow_name};
use crate::emulator::state::State;

/// The model's `UpdateFlowRequest`, `POST /update-flow`: replaces a flow's definition; a
/// changed trigger type puts the flow in that type's initial status (L1). Answers the model's
/// `UpdateFlowResponse` (`flowStatus`). Errors: 400 ValidationException for a bad name (V1),
/// token (V2) or definition; 404 ResourceNotFoundException if the flow does not exist
/// (checked before the token); 409 ConflictException if the token was used with other input (T13).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateFlow {
    /// `flowName` (V1) of the flow to update.
    pub flow_name: String,
    /// `description`; absent clears the stored one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `triggerConfig`, checked as CreateFlow's (`triggerType`, a Scheduled flow's `scheduleExpression`).
    pub trigger_config: Value,
    /// `sourceFlowConfig`: needs `connectorType` and `sourceConnectorProperties`.
    pub source_flow_config: Value,
    /// `destinationFlowConfigList`: a non-empty array, each with `connectorType` and `destinationConnectorProperties`.
    pub destination_flow_config_list: Value,
    /// `tasks`: an array, each with a `sourceFields` array and a `taskType`.
    pub tasks: Value,
    /// `metadataCatalogConfig`, stored as sent; absent clears it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata_catalog_config: Option<Value>,
    /// `clientToken` (V2): same token and input within the TTL answers the first answer again,
    /// other input 409 (T13); left out of the stored input.
    #[serde(skip_serializing)]
    pub client_token: Option<String>,
}

impl OperationRequest for UpdateFlow {
    const OP: Operation = Operation::UpdateFlow;
    type Output = Value;

    fn apply(self, state: &mut State, now: Millis) -> Result<Value, ApiError> {
        validate_flow_name(&self.flow_name)?;
        let trigger = validate_definition(
            &self.trigger_config,
            &self.source_flow_config,
            &self.destination_flow_config_list,
            &self.tasks,
        )?;
        state.flow(&self.flow_name)?;
        let input = serde_json::to_value(&self).unwrap_or(Value::Null);
        let ttl = state.config.token_ttl_ms;
        if let Some(replayed) = replay_token(
            &mut state.update_tokens,
            self.client_token.as_deref(),
            &input,
            now,
            ttl,
        )? {
            return Ok(replayed);
        }
        let initial = state.initial_status(trigger);
        let flow = state.flow_mut(&self.flow_name)?;
        if flow.trigger != trigger {
            flow.trigger = trigger;
            flow.status = initial;
        }
        let d = &mut flow.definition;
        d.description = self.description;
        d.trigger_config = self.trigger_config;
        d.source_flow_config = self.source_flow_config;
        d.destination_flow_config_list = self.destination_flow_config_list;
        d.tasks = self.tasks;
        d.metadata_catalog_config = self.metadata_catalog_config;
        flow.updated_at = now;
        let output = json!({ "flowStatus": flow.status });
        remember_token(
            &mut state.update_tokens,
            self.client_token,
            input,
            &output,
            now,
        );
        Ok(output)
    }
}
