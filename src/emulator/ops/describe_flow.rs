//! DescribeFlow: the stored definition, status and last run of one flow.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Operation, OperationRequest};
use crate::emulator::error::ApiError;
use crate::emulator::fields::{Millis, epoch_seconds, validate_flow_name};
use crate::emulator::state::{Flow, State};

/// The model's `DescribeFlowRequest`, `POST /describe-flow`: answers a `DescribeFlowResponse`
/// (ARN, status, stored definition, times in epoch seconds, `lastRunExecutionDetails` once it ran).
/// Errors: 400 ValidationException for a bad `flowName` (V1); 404 ResourceNotFoundException
/// if the flow does not exist (L6, L7).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeFlow {
    /// `flowName` (V1) of the flow to describe.
    pub flow_name: String,
}

impl OperationRequest for DescribeFlow {
    const OP: Operation = Operation::DescribeFlow;
    type Output = Value;

    fn apply(self, state: &mut State, now: Millis) -> Result<Value, ApiError> {
        validate_flow_name(&self.flow_name)?;
        let flow = state.flow(&self.flow_name)?;
        let cfg = &state.config;
        let d = &flow.definition;
        let mut out = json!({
            "flowArn": cfg.flow_arn(&flow.name),
            "flowName": &*flow.name,
            "flowStatus": flow.status,
            "triggerConfig": d.trigger_config,
            "sourceFlowConfig": d.source_flow_config,
            "destinationFlowConfigList": d.destination_flow_config_list,
            "tasks": d.tasks,
            "createdAt": epoch_seconds(flow.created_at),
            "lastUpdatedAt": epoch_seconds(flow.updated_at),
            "createdBy": format!("arn:aws:iam::{}:root", cfg.account),
            "lastUpdatedBy": format!("arn:aws:iam::{}:root", cfg.account),
            "tags": d.tags.clone().unwrap_or_else(|| json!({})),
        });
        let optional = [
            ("description", d.description.clone().map(Value::String)),
            ("kmsArn", d.kms_arn.clone().map(Value::String)),
            ("metadataCatalogConfig", d.metadata_catalog_config.clone()),
            (
                "lastRunExecutionDetails",
                last_run_details(flow, now, cfg.cancel_time_ms),
            ),
        ];
        if let Value::Object(map) = &mut out {
            for (key, value) in optional {
                if let Some(v) = value {
                    map.insert(key.to_owned(), v);
                }
            }
        }
        Ok(out)
    }
}

/// `lastRunExecutionDetails` of a flow that has run at least once.
pub fn last_run_details(flow: &Flow, now: Millis, cancel_time_ms: u64) -> Option<Value> {
    let last = flow.executions.back()?;
    let status = last.status(now, cancel_time_ms);
    Some(json!({
        "mostRecentExecutionMessage": format!("Execution {} is {:?}", last.id, status),
        "mostRecentExecutionTime": epoch_seconds(last.started_at),
        "mostRecentExecutionStatus": status,
    }))
}
