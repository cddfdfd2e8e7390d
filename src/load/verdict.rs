//! After the attack: does every fresh token have exactly one run on the
//! target? Counted through the emulator's counters where the target has
//! them, else through DescribeFlowExecutionRecords.

use std::collections::HashSet;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use serde::Serialize;
use serde_json::{Value, json};

use super::state::LoadState;
use crate::client::{Endpoint, Outcome};

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// `counters` (the emulator's /_harness/ API) or `records` (DescribeFlowExecutionRecords).
    pub counted_by: String,
    pub fresh_ok: u64,
    /// Fresh starts with no answer or a 5xx; each may or may not have a run.
    pub fresh_uncertain: u64,
    pub runs_found: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub wrong_replays: u64,
    pub wrong_conflicts: u64,
    pub examples: Vec<String>,
    /// Why counting failed, if it did (the verdict is then not clean).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Verdict {
    pub fn clean(&self) -> bool {
        self.error.is_none()
            && self.lost == 0
            && self.duplicated == 0
            && self.wrong_replays == 0
            && self.wrong_conflicts == 0
    }
}

pub async fn judge(endpoint: &Endpoint, state: &LoadState, control: bool) -> Verdict {
    let mut v = Verdict {
        counted_by: if control { "counters" } else { "records" }.into(),
        fresh_ok: 0,
        fresh_uncertain: 0,
        runs_found: 0,
        lost: 0,
        duplicated: 0,
        wrong_replays: state.wrong_replays.load(Ordering::Relaxed),
        wrong_conflicts: state.wrong_conflicts.load(Ordering::Relaxed),
        examples: state.examples(),
        error: None,
    };
    let counters = if control {
        endpoint.get_json("/_harness/counters").await
    } else {
        None
    };
    for (i, flow) in state.flows.iter().enumerate() {
        let ok = state.fresh_ok[i].load(Ordering::Relaxed);
        let uncertain = state.fresh_uncertain[i].load(Ordering::Relaxed);
        let found = match &counters {
            Some(c) => c
                .pointer(&format!("/executions/{flow}"))
                .and_then(Value::as_u64)
                .ok_or_else(|| format!("the counters have no entry for {flow}")),
            None => count_records(endpoint, flow).await,
        };
        let found = match found {
            Ok(n) => n,
            Err(e) => {
                v.error = Some(e);
                continue;
            }
        };
        v.fresh_ok += ok;
        v.fresh_uncertain += uncertain;
        v.runs_found += found;
        if found < ok {
            v.lost += ok - found;
            if v.examples.len() < 5 {
                v.examples.push(format!(
                    "{flow}: {ok} fresh tokens answered a run, {found} runs exist"
                ));
            }
        }
        if found > ok + uncertain {
            v.duplicated += found - ok - uncertain;
            if v.examples.len() < 5 {
                v.examples.push(format!(
                    "{flow}: {found} runs for {ok} answered (+{uncertain} unanswered) fresh tokens"
                ));
            }
        }
    }
    v
}

/// Runs of `flow`, paging DescribeFlowExecutionRecords; distinct ids only.
async fn count_records(endpoint: &Endpoint, flow: &str) -> Result<u64, String> {
    let mut ids: HashSet<String> = HashSet::new();
    let mut token: Option<String> = None;
    for _ in 0..1_000_000 {
        let mut body = json!({"flowName": flow, "maxResults": 100});
        if let Some(t) = &token {
            body["nextToken"] = json!(t);
        }
        let call = endpoint
            .call(
                crate::appflow::Operation::DescribeFlowExecutionRecords,
                Bytes::from(body.to_string()),
            )
            .await
            .map_err(|e| e.to_string())?;
        let reply = match call.outcome {
            Outcome::Reply(r) if r.status == 200 => r,
            Outcome::Reply(r) => {
                return Err(format!(
                    "DescribeFlowExecutionRecords {flow}: {} {}",
                    r.status,
                    r.body_text()
                ));
            }
            Outcome::Transport { message, .. } => {
                return Err(format!("DescribeFlowExecutionRecords {flow}: {message}"));
            }
        };
        let page = reply.json.unwrap_or(Value::Null);
        for e in page
            .get("flowExecutions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(id) = e.get("executionId").and_then(Value::as_str) {
                ids.insert(id.to_owned());
            }
        }
        match page.get("nextToken").and_then(Value::as_str) {
            Some(t) => token = Some(t.to_owned()),
            None => return Ok(ids.len() as u64),
        }
    }
    Err(format!(
        "DescribeFlowExecutionRecords {flow}: too many pages"
    ))
}
