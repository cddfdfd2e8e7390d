//! StopFlow: deactivates a scheduled/event flow; on-demand flows cannot stop.

use serde::{Deserialize, Serialize};

use super::{Operation, OperationRequest};
use crate::emulator::config::StoppedStatus;
use crate::emulator::error::{ApiError, ErrorKind};
use crate::emulator::fields::{FlowStatus, Millis, TriggerType, validate_flow_name};
use crate::emulator::state::State;

/// The model's `StopFlowRequest`, `POST /stop-flow`: deactivates a scheduled/event flow to
/// `Suspended` or `Draft` per the profile (L5). Errors: 400 ValidationException for a bad
/// `flowName` (V1); 404 ResourceNotFoundException if it does not exist; 400
/// UnsupportedOperationException for an on-demand flow (L4); 409 ConflictException if the
/// flow is not `Active`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopFlow {
    /// `flowName` (V1) of the flow to stop.
    pub flow_name: String,
}

/// The model's `StopFlowResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StopFlowOutput {
    /// `flowArn` (O1).
    pub flow_arn: String,
    /// `flowStatus` after the stop: `Suspended` or `Draft` (L5).
    pub flow_status: FlowStatus,
}

impl OperationRequest for StopFlow {
    const OP: Operation = Operation::StopFlow;
    type Output = StopFlowOutput;

    fn apply(self, state: &mut State, now: Millis) -> Result<StopFlowOutput, ApiError> {
        validate_flow_name(&self.flow_name)?;
        let stopped = match state.config.profile.stopped_status {
            StoppedStatus::Suspended => FlowStatus::Suspended,
            StoppedStatus::Draft => FlowStatus::Draft,
        };
        let flow = state.flow_mut(&self.flow_name)?;
        if flow.trigger == TriggerType::OnDemand {
            return Err(ApiError::new(
                ErrorKind::UnsupportedOperation,
                "StopFlow is not supported for flows that run on demand",
            ));
        }
        // [chosen] Stopping a flow that is not active is a conflict (the model lists 409).
        if flow.status != FlowStatus::Active {
            return Err(ApiError::conflict(format!(
                "Flow {} is not active (status {:?})",
                self.flow_name, flow.status
            )));
        }
        flow.status = stopped;
        flow.updated_at = now;
        let arn = state.config.flow_arn(&self.flow_name);
        Ok(StopFlowOutput {
            flow_arn: arn,
            flow_status: stopped,
        })
    }
}
