//! StopFlow: deactivates a scheduled/event flow; on-demand flows cannot stop.

use serde::{Deserialize, Serialize};

use super::{AppFlowOperation, Operation};
use crate::emulator::config::StoppedStatus;
use crate::emulator::error::{ApiError, ErrorKind};
use crate::emulator::model::{FlowStatus, Millis, TriggerType, validate_flow_name};
use crate::emulator::state::State;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopFlow {
    pub flow_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StopFlowOutput {
    pub flow_arn: String,
    pub flow_status: FlowStatus,
}

impl Operation for StopFlow {
    const OP: AppFlowOperation = AppFlowOperation::StopFlow;
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
