//! CancelFlowExecutions: moves running runs to CancelStarted (then Canceled);
//! ids that are not running come back in `invalidExecutions`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Operation, OperationRequest};
use crate::emulator::error::ApiError;
use crate::emulator::fields::{Millis, validate_flow_name};
use crate::emulator::state::State;

/// The model's `CancelFlowExecutionsRequest`, `POST /cancel-flow-executions`: cancel runs of
/// one flow (S3). 400 ValidationException for a bad `flowName` (V1) or more than 100 ids;
/// 404 ResourceNotFoundException if the flow does not exist.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelFlowExecutions {
    /// `flowName` (V1) of the flow whose runs are canceled.
    pub flow_name: String,
    /// Absent: every run of the flow that is in progress.
    pub execution_ids: Option<Vec<String>>,
}

/// The model's `CancelFlowExecutionsResponse`: the ids that named no running run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelFlowExecutionsOutput {
    /// `invalidExecutions`: the given ids that are unknown, not in the emulator's lowercase hyphenated form, or not running, in request order.
    pub invalid_executions: Vec<String>,
}

impl OperationRequest for CancelFlowExecutions {
    const OP: Operation = Operation::CancelFlowExecutions;
    type Output = CancelFlowExecutionsOutput;

    fn apply(self, state: &mut State, now: Millis) -> Result<CancelFlowExecutionsOutput, ApiError> {
        validate_flow_name(&self.flow_name)?;
        if let Some(ids) = &self.execution_ids
            && ids.len() > 100
        {
            return Err(ApiError::validation(
                "Value at 'executionIds' failed to satisfy constraint: Member must have length less than or equal to 100",
            ));
        }
        let flow = state.flow_mut(&self.flow_name)?;
        let mut invalid = Vec::new();
        let mut released = Vec::new();
        match self.execution_ids {
            None => {
                for e in flow.executions.iter_mut().filter(|e| e.is_running(now)) {
                    e.cancel(now);
                    released.push(e.seq);
                }
            }
            Some(ids) => {
                for id in ids {
                    // Only the form the emulator answers names a run.
                    let uuid = Uuid::try_parse(&id).ok().filter(|u| {
                        *u.hyphenated().encode_lower(&mut Uuid::encode_buffer()) == *id
                    });
                    match flow
                        .executions
                        .iter_mut()
                        .rev()
                        .find(|e| Some(e.id) == uuid && e.is_running(now))
                    {
                        Some(e) => {
                            e.cancel(now);
                            released.push(e.seq);
                        }
                        None => invalid.push(id),
                    }
                }
            }
        }
        for seq in released {
            state.release_run(seq);
        }
        Ok(CancelFlowExecutionsOutput {
            invalid_executions: invalid,
        })
    }
}
