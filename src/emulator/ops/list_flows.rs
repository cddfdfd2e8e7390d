//! ListFlows: flow summaries in name order, paged by an opaque nextToken.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Operation, OperationRequest, decode_page_token, encode_page_token, last_run_details};
use crate::emulator::error::ApiError;
use crate::emulator::fields::{Millis, epoch_seconds, max_results};
use crate::emulator::state::State;

const TOKEN_PREFIX: &str = "lf1.";

/// The model's `ListFlowsRequest`, `POST /list-flows`: live flows in name order, each a
/// `FlowDefinition` summary with trigger type and status, paged (S4). Errors: 400
/// ValidationException for a bad `maxResults` or `nextToken`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListFlows {
    /// `maxResults`: page size 1..=100, 20 when absent (S4).
    pub max_results: Option<i64>,
    /// `nextToken` of the previous page (`lf1.` + hex of the last flow name listed).
    pub next_token: Option<String>,
}

impl OperationRequest for ListFlows {
    const OP: Operation = Operation::ListFlows;
    type Output = Value;

    fn apply(self, state: &mut State, now: Millis) -> Result<Value, ApiError> {
        let limit = max_results(self.max_results)?;
        let after = match &self.next_token {
            Some(t) => Some(
                String::from_utf8(decode_page_token(TOKEN_PREFIX, t)?)
                    .map_err(|_| ApiError::validation("Invalid nextToken"))?,
            ),
            None => None,
        };
        let mut names: Vec<&str> = state
            .flows
            .keys()
            .map(|k| &**k)
            .filter(|n| after.as_deref().is_none_or(|a| *n > a))
            .collect();
        names.sort_unstable();
        let cfg = &state.config;
        let page: Vec<Value> = names
            .iter()
            .take(limit)
            .filter_map(|n| state.flows.get(*n))
            .map(|f| {
                let d = &f.definition;
                let mut v = json!({
                    "flowArn": cfg.flow_arn(&f.name),
                    "flowName": &*f.name,
                    "flowStatus": f.status,
                    "sourceConnectorType": d.source_flow_config.get("connectorType"),
                    "destinationConnectorType": d.destination_flow_config_list.pointer("/0/connectorType"),
                    "triggerType": f.trigger,
                    "createdAt": epoch_seconds(f.created_at),
                    "lastUpdatedAt": epoch_seconds(f.updated_at),
                    "createdBy": format!("arn:aws:iam::{}:root", cfg.account),
                    "lastUpdatedBy": format!("arn:aws:iam::{}:root", cfg.account),
                    "tags": d.tags.clone().unwrap_or_else(|| json!({})),
                });
                if let (Value::Object(m), Some(desc)) = (&mut v, &d.description) {
                    m.insert("description".into(), Value::String(desc.clone()));
                }
                if let (Value::Object(m), Some(last)) =
                    (&mut v, last_run_details(f, now, cfg.cancel_time_ms))
                {
                    m.insert("lastRunExecutionDetails".into(), last);
                }
                v
            })
            .collect();
        let mut out = json!({ "flows": page });
        if names.len() > limit {
            let last = names[limit - 1];
            out["nextToken"] = Value::String(encode_page_token(TOKEN_PREFIX, last.as_bytes()));
        }
        Ok(out)
    }
}
