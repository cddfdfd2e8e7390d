//! StartFlow: runs an on-demand flow or activates a scheduled/event flow,
//! honouring the clientToken rules of APPFLOW.md.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Operation, OperationRequest};
use crate::emulator::config::{ActiveStart, InProgressStart};
use crate::emulator::error::ApiError;
use crate::emulator::fields::{
    FlowStatus, Millis, TriggerType, validate_client_token, validate_flow_name,
};
use crate::emulator::state::State;
use crate::emulator::tokens::{Answer, Token};

/// The model's `StartFlowRequest`, `POST /start-flow`: runs an on-demand flow (L2, C2) or
/// activates a scheduled/event flow (L3, C1), under the clientToken rules T1-T14. Errors:
/// 400 ValidationException for a bad `flowName` (V1) or `clientToken` (V2); 404
/// ResourceNotFoundException if the flow does not exist, checked before the token (L6, L7, T10);
/// 409 ConflictException for a token used on another scheduled/event flow (T2), an `Active`
/// scheduled/event flow under the `conflict` profile (C1), or a run in progress under the
/// `conflict` profile (C2); 402 ServiceQuotaExceededException past the run quotas (Q2, Q3).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartFlow {
    /// `flowName` (V1) of the flow to start.
    pub flow_name: String,
    /// `clientToken` (V2): absent, every call is new (T7).
    pub client_token: Option<String>,
}

/// The model's `StartFlowResponse`; a replay answers the stored one again (T1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartFlowOutput {
    /// `flowArn` (O1).
    pub flow_arn: Arc<str>,
    /// `flowStatus` (O2): the flow's status for on-demand flows (S1), `Active` once activated (L3).
    pub flow_status: FlowStatus,
    /// `executionId` (O3) of the new run; absent when a scheduled/event flow was activated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_id: Option<Uuid>,
}

impl OperationRequest for StartFlow {
    const OP: Operation = Operation::StartFlow;
    type Output = StartFlowOutput;

    fn apply(self, state: &mut State, now: Millis) -> Result<StartFlowOutput, ApiError> {
        let token = self.client_token.as_deref().map(Token::from);
        if let Some(token) = token {
            state.start_tokens.prefetch(token);
        }
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

        if let Some(token) = token {
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
            TriggerType::OnDemand => {
                if state.config.profile.in_progress_start == InProgressStart::Conflict
                    && state
                        .flow(&flow_name)?
                        .executions
                        .back()
                        .is_some_and(|e| e.is_running(now))
                {
                    return Err(ApiError::conflict(format!(
                        "Flow {flow_name} has a run in progress"
                    )));
                }
                (Some(state.start_execution(&flow_name, now)?), status)
            }
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
        if let Some(token) = token {
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

    /// Written by hand: serde spends most of this hot answer's cost scanning
    /// strings for characters to escape, and the ARN (from a validated flow
    /// name), the status and the id have none. An ARN that does (a region
    /// or account given with a quote, say) goes through serde.
    fn write_json(out: &StartFlowOutput, body: &mut Vec<u8>) -> serde_json::Result<()> {
        let needs_escape = |b: &u8| *b < 0x20 || *b == b'"' || *b == b'\\';
        if out.flow_arn.as_bytes().iter().any(needs_escape) {
            return serde_json::to_writer(body, out);
        }
        body.extend_from_slice(br#"{"flowArn":""#);
        body.extend_from_slice(out.flow_arn.as_bytes());
        body.extend_from_slice(br#"","flowStatus":""#);
        body.extend_from_slice(out.flow_status.as_str().as_bytes());
        body.push(b'"');
        if let Some(id) = out.execution_id {
            body.extend_from_slice(br#","executionId":""#);
            let mut buf = Uuid::encode_buffer();
            body.extend_from_slice(id.hyphenated().encode_lower(&mut buf).as_bytes());
            body.push(b'"');
        }
        body.push(b'}');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const STATUSES: [FlowStatus; 6] = [
        FlowStatus::Active,
        FlowStatus::Deprecated,
        FlowStatus::Deleted,
        FlowStatus::Draft,
        FlowStatus::Errored,
        FlowStatus::Suspended,
    ];

    proptest! {
        /// The hand-written body is serde's, byte for byte, whatever the ARN.
        #[test]
        fn body_is_serdes(
            arn in prop_oneof![
                "arn:aws:appflow:[a-z0-9-]{1,20}:[0-9]{12}:flow/[a-zA-Z0-9][\\w!@#.-]{1,40}",
                any::<String>(),
            ],
            status in 0..STATUSES.len(),
            id in proptest::option::of(any::<u128>()),
        ) {
            let out = StartFlowOutput {
                flow_arn: Arc::from(arn),
                flow_status: STATUSES[status],
                execution_id: id.map(Uuid::from_u128),
            };
            let mut body = Vec::new();
            StartFlow::write_json(&out, &mut body).expect("written");
            prop_assert_eq!(String::from_utf8(body).expect("utf-8"), serde_json::to_string(&out).expect("serde"));
        }
    }
}
