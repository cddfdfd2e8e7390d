//! StartFlow: runs an on-demand flow or activates a scheduled/event flow,
//! honouring the clientToken rules of APPFLOW.md.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Operation;
use crate::emulator::config::ActiveStart;
use crate::emulator::error::ApiError;
use crate::emulator::model::{
    FlowStatus, Millis, TriggerType, validate_client_token, validate_flow_name,
};
use crate::emulator::state::State;
use crate::emulator::tokens::Answer;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartFlow {
    pub flow_name: String,
    pub client_token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartFlowOutput {
    pub flow_arn: Arc<str>,
    pub flow_status: FlowStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_id: Option<Uuid>,
}

impl Operation for StartFlow {
    const NAME: &'static str = "StartFlow";
    const PATH: &'static str = "/start-flow";
    type Output = StartFlowOutput;

    fn apply(self, state: &mut State, now: Millis) -> Result<StartFlowOutput, ApiError> {
        validate_flow_name(&self.flow_name)?;
        if let Some(token) = &self.client_token {
            validate_client_token(token)?;
        }
        // Existence before the token: a replay after DeleteFlow answers 404.
        let (flow_name, flow_arn, trigger, status) = {
            let flow = state.flow(&self.flow_name)?;
            (
                flow.name.clone(),
                flow.arn.clone(),
                flow.trigger,
                flow.status,
            )
        };
        let ttl = state.config.token_ttl_ms;
        state.start_tokens.purge(now, ttl);

        if let Some(token) = &self.client_token {
            // Rule 1: same token, same flow, within the TTL: the first answer again.
            if let Some(first) = state
                .start_tokens
                .uses(token)
                .find(|u| u.flow == &*flow_name)
            {
                return Ok(StartFlowOutput {
                    flow_arn: flow_arn.clone(),
                    flow_status: first.status,
                    execution_id: first.execution,
                });
            }
            // Rule 2: a token already used on another flow, for a scheduled/event flow.
            if trigger != TriggerType::OnDemand
                && let Some(other) = state.start_tokens.uses(token).next()
            {
                return Err(ApiError::conflict(format!(
                    "The clientToken was already used with another flow ({}); use a new token to start {}",
                    other.flow, flow_name
                )));
            }
            // Rule 3: on-demand flows treat it as a new call.
        }

        // On-demand flows keep their status; scheduled/event flows become Active.
        let (execution, flow_status) = match trigger {
            TriggerType::OnDemand => (Some(state.start_execution(&flow_name, now)?), status),
            TriggerType::Scheduled | TriggerType::Event => {
                if status == FlowStatus::Active
                    && state.config.profile.active_start == ActiveStart::Conflict
                {
                    return Err(ApiError::conflict(format!(
                        "Flow {flow_name} is already active"
                    )));
                }
                let flow = state.flow_mut(&flow_name)?;
                flow.status = FlowStatus::Active;
                flow.updated_at = now;
                (None, FlowStatus::Active)
            }
        };
        if let Some(token) = &self.client_token {
            let answer = Answer {
                at: now,
                status: flow_status,
                execution,
            };
            state.start_tokens.remember(token, &flow_name, answer);
        }
        Ok(StartFlowOutput {
            flow_arn,
            flow_status,
            execution_id: execution,
        })
    }
}
