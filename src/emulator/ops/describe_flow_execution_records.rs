//! DescribeFlowExecutionRecords: a flow's runs, newest first, paged.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Operation, OperationRequest, decode_page_token, encode_page_token};
use crate::emulator::error::ApiError;
use crate::emulator::fields::{
    ExecutionStatus, Millis, epoch_seconds, max_results, validate_flow_name,
};
use crate::emulator::state::State;

const TOKEN_PREFIX: &str = "er1.";

/// The model's `DescribeFlowExecutionRecordsRequest`, `POST
/// /describe-flow-execution-records`: a flow's runs newest first, paged (S2), runs younger than
/// `records_lag_ms` left out. Errors: 400 ValidationException for a bad `flowName`,
/// `maxResults` or `nextToken`; 404 ResourceNotFoundException if the flow does not exist.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeFlowExecutionRecords {
    /// `flowName` (V1) of the flow whose runs are listed.
    pub flow_name: String,
    /// `maxResults`: page size 1..=100, 20 when absent (S2).
    pub max_results: Option<i64>,
    /// `nextToken` of the previous page (`er1.` + hex of the last run's sequence number).
    pub next_token: Option<String>,
}

impl OperationRequest for DescribeFlowExecutionRecords {
    const OP: Operation = Operation::DescribeFlowExecutionRecords;
    type Output = Value;

    fn apply(self, state: &mut State, now: Millis) -> Result<Value, ApiError> {
        validate_flow_name(&self.flow_name)?;
        let limit = max_results(self.max_results)?;
        // Tokens name the sequence number of the last record returned; older ones follow.
        let before = match &self.next_token {
            Some(t) => {
                let raw = decode_page_token(TOKEN_PREFIX, t)?;
                let bytes: [u8; 8] = raw
                    .try_into()
                    .map_err(|_| ApiError::validation("Invalid nextToken"))?;
                Some(u64::from_be_bytes(bytes))
            }
            None => None,
        };
        let cancel_time = state.config.cancel_time_ms;
        // Runs younger than the lag are not listed yet (seen on AWS).
        let lag = state.config.records_lag_ms;
        let flow = state.flow(&self.flow_name)?;
        let mut older = flow
            .executions
            .iter()
            .rev()
            .filter(|e| lag == 0 || e.started_at.saturating_add(lag) <= now)
            .filter(|e| before.is_none_or(|b| e.seq < b))
            .peekable();
        let mut page = Vec::with_capacity(limit.min(flow.executions.len()));
        let mut last_seq = None;
        while page.len() < limit {
            let Some(e) = older.next() else { break };
            let status = e.status(now, cancel_time);
            let mut result = json!({
                "bytesProcessed": 0,
                "bytesWritten": 0,
                "recordsProcessed": 0,
                "numParallelProcesses": 1,
                "maxPageSize": 0,
            });
            if status == ExecutionStatus::Successful {
                result["bytesProcessed"] = json!(1024);
                result["bytesWritten"] = json!(1024);
                result["recordsProcessed"] = json!(10);
            }
            page.push(json!({
                "executionId": e.id.to_string(),
                "executionStatus": status,
                "executionResult": result,
                "startedAt": epoch_seconds(e.started_at),
                "lastUpdatedAt": epoch_seconds(e.last_updated(now, cancel_time)),
            }));
            last_seq = Some(e.seq);
        }
        let mut out = json!({ "flowExecutions": page });
        if let (Some(seq), Some(_)) = (last_seq, older.peek()) {
            out["nextToken"] = Value::String(encode_page_token(TOKEN_PREFIX, &seq.to_be_bytes()));
        }
        Ok(out)
    }
}
