//! One file per AppFlow operation: its request type, its output type, and a
//! pure `apply(state, now)` that the HTTP layer only adapts.

mod cancel_flow_executions;
mod create_flow;
mod delete_flow;
mod describe_flow;
mod describe_flow_execution_records;
mod list_flows;
mod start_flow;
mod stop_flow;
mod update_flow;

pub use cancel_flow_executions::{CancelFlowExecutions, CancelFlowExecutionsOutput};
pub use create_flow::{CreateFlow, CreateFlowOutput};
pub use delete_flow::DeleteFlow;
pub use describe_flow::{DescribeFlow, last_run_details};
pub use describe_flow_execution_records::DescribeFlowExecutionRecords;
pub use list_flows::ListFlows;
pub use start_flow::{StartFlow, StartFlowOutput};
pub use stop_flow::{StopFlow, StopFlowOutput};
pub use update_flow::UpdateFlow;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use crate::appflow::Operation;

use super::error::ApiError;
use super::fields::Millis;
use super::state::State;

/// An AppFlow operation: how it is reached and what it does to the state.
pub trait OperationRequest: DeserializeOwned + Send + 'static {
    /// Which operation of the vocabulary this is.
    const OP: Operation;
    /// The operation's name in the service model, e.g. `StartFlow`.
    const NAME: &'static str = Self::OP.name();
    /// Its restJson1 route, e.g. `/start-flow`.
    const PATH: &'static str = Self::OP.path();
    /// The answer on success, serialized as the JSON body of a 200 (the model's `<Name>Response`).
    type Output: Serialize;

    /// Applies the request to `state` at `now` (epoch milliseconds) under the state lock, so
    /// validation, token checks and the change are one atomic step (T5).
    ///
    /// # Errors
    /// The [`ApiError`] the operation answers with (400 ValidationException, 404
    /// ResourceNotFoundException, 409 ConflictException, 402 ServiceQuotaExceededException, ...);
    /// nothing is changed then, and no token is remembered (T12).
    fn apply(self, state: &mut State, now: Millis) -> Result<Self::Output, ApiError>;

    /// Appends the output's JSON body to `body`: serde's, unless the
    /// operation writes its own.
    fn write_json(output: &Self::Output, body: &mut Vec<u8>) -> serde_json::Result<()> {
        serde_json::to_writer(body, output)
    }
}

/// Page tokens are opaque to clients; ours are `<prefix>` + hex of a position.
pub(crate) fn encode_page_token(prefix: &str, position: &[u8]) -> String {
    let mut s = String::with_capacity(prefix.len() + position.len() * 2);
    s.push_str(prefix);
    for b in position {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

pub(crate) fn decode_page_token(prefix: &str, token: &str) -> Result<Vec<u8>, ApiError> {
    let bad = || ApiError::validation("Invalid nextToken");
    let hex = token.strip_prefix(prefix).ok_or_else(bad)?;
    if hex.len() % 2 != 0 {
        return Err(bad());
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(bad)
        })
        .collect()
}
