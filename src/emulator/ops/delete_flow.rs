//! DeleteFlow: removes a flow; one with a run in progress needs `forceDelete`.
//! Its tokens end with it (APPFLOW.md T14).

use serde::{Deserialize, Serialize};

use super::{Operation, OperationRequest};
use crate::emulator::error::ApiError;
use crate::emulator::fields::{Millis, validate_flow_name};
use crate::emulator::state::State;

/// The model's `DeleteFlowRequest`, `POST /delete-flow`: removes a flow and ends its tokens
/// (L6, T14). Errors: 400 ValidationException for a bad `flowName` (V1); 404
/// ResourceNotFoundException if it does not exist; 409 ConflictException if a run is in
/// progress and `forceDelete` is not `true` (then its runs' quota slots are freed).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteFlow {
    /// `flowName` (V1) of the flow to delete.
    pub flow_name: String,
    /// `forceDelete`: `true` deletes a flow with a run in progress; absent means `false`.
    pub force_delete: Option<bool>,
}

/// DeleteFlow answers `{}`.
#[derive(Debug, Clone, Serialize)]
pub struct Empty {}

impl OperationRequest for DeleteFlow {
    const OP: Operation = Operation::DeleteFlow;
    type Output = Empty;

    fn apply(self, state: &mut State, now: Millis) -> Result<Empty, ApiError> {
        validate_flow_name(&self.flow_name)?;
        let flow = state.flow(&self.flow_name)?;
        let running: Vec<u64> = flow
            .executions
            .iter()
            .filter(|e| e.is_running(now))
            .map(|e| e.seq)
            .collect();
        // [chosen] The model lists ConflictException; "in use" means a run in progress.
        if !running.is_empty() && self.force_delete != Some(true) {
            return Err(ApiError::conflict(format!(
                "Flow {} has a run in progress; use forceDelete to delete it",
                self.flow_name
            )));
        }
        for seq in running {
            state.release_run(seq);
        }
        state.remove_flow(&self.flow_name);
        Ok(Empty {})
    }
}
