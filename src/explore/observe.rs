//! Sending one request and reading its answer as the model sees it:
//! throttles retried with backoff, paged reads read through every page,
//! the wire and shape rules of `contract::check` applied to every answer.

use bytes::Bytes;
use serde_json::Value;

use crate::appflow::{Operation, TriggerType};
use crate::client::{Endpoint, Outcome, Reply};
use crate::model::{ListedFlow, ListedRun, Observed};

/// Why an answer could not be judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unjudged(pub String);

/// A throttled call is sent again this many times at most.
const THROTTLE_RETRIES: u32 = 6;
/// How an unanswered call's reason begins.
const NO_ANSWER: &str = "no answer";
/// A paged read stops after this many pages (a target that never ends).
const MAX_PAGES: usize = 500;

/// One answer read: what the model sees, the wire rules it broke, and the
/// calls it took (pages, retries).
#[derive(Debug, Clone)]
pub struct Read {
    pub observed: Observed,
    /// `W3: every answer carries a request id (header x-amzn-RequestId)`.
    pub violations: Vec<String>,
    pub calls: usize,
    /// The body of the (last) answer, for reports.
    pub body: String,
}

/// Sends `text` (a JSON body, maybe padded: W6) to `op`, retrying
/// throttles; the answer or why there is none.
async fn send_text(
    endpoint: &Endpoint,
    op: Operation,
    text: String,
    calls: &mut usize,
) -> Result<Reply, Unjudged> {
    for attempt in 0..=THROTTLE_RETRIES {
        if attempt > 0 {
            tokio::time::sleep(crate::fixtures::backoff(attempt - 1)).await;
        }
        *calls += 1;
        let call = endpoint
            .call(op, Bytes::from(text.clone()))
            .await
            .map_err(|e| Unjudged(e.to_string()))?;
        match call.outcome {
            Outcome::Reply(r) if r.status == 429 => continue,
            Outcome::Reply(r) => return Ok(r),
            Outcome::Transport { message, .. } => {
                return Err(Unjudged(format!("{op}: {NO_ANSWER}: {message}")));
            }
        }
    }
    Err(Unjudged(format!(
        "{op}: throttled (429) {} times in a row",
        THROTTLE_RETRIES + 1
    )))
}

/// Sends one request (a paged read through all its pages) and reads it.
pub async fn read(
    endpoint: &Endpoint,
    op: Operation,
    body: &Value,
    trigger: Option<TriggerType>,
) -> Result<Read, Unjudged> {
    read_with(endpoint, op, body, trigger, None, false)
        .await?
        .ok_or_else(|| Unjudged(format!("{op}: {NO_ANSWER}")))
}

/// As [`read`], with the body padded with spaces to `pad` bytes (W6);
/// `lossy`: no answer (an answer the step asked the target to drop) is
/// `None`, not a reason to stop judging.
pub async fn read_with(
    endpoint: &Endpoint,
    op: Operation,
    body: &Value,
    trigger: Option<TriggerType>,
    pad: Option<usize>,
    lossy: bool,
) -> Result<Option<Read>, Unjudged> {
    let mut calls = 0;
    let mut violations = Vec::new();
    let paged = matches!(
        op,
        Operation::ListFlows | Operation::DescribeFlowExecutionRecords
    );
    let page_size = body["maxResults"].as_u64().unwrap_or(20) as usize;
    let mut request = body.clone();
    let mut flows = Vec::new();
    let mut runs = Vec::new();
    let mut tokens_seen = std::collections::BTreeSet::new();
    for _ in 0..MAX_PAGES {
        let mut text = request.to_string();
        let spaces = pad.unwrap_or(0).saturating_sub(text.len());
        text.extend(std::iter::repeat_n(' ', spaces));
        let reply = match send_text(endpoint, op, text, &mut calls).await {
            Err(Unjudged(why)) if lossy && why.starts_with(&format!("{op}: {NO_ANSWER}")) => {
                return Ok(None);
            }
            r => r?,
        };
        for v in crate::contract::check(op, &reply, trigger).violations {
            violations.push(format!("{}: {} ({})", v.id, v.rule, v.at));
        }
        let json = reply.json.clone().unwrap_or(Value::Null);
        let mut observed = Observed {
            status: reply.status,
            error: reply.error_type.clone(),
            flow_status: json["flowStatus"].as_str().map(str::to_owned),
            execution_id: json["executionId"].as_str().map(str::to_owned),
            trigger: json["triggerConfig"]["triggerType"]
                .as_str()
                .map(str::to_owned),
            ..Observed::default()
        };
        if op == Operation::CancelFlowExecutions && reply.status == 200 {
            observed.invalid = Some(strings(&json["invalidExecutions"]));
        }
        let done = |observed: Observed, violations: Vec<String>, calls: usize| Read {
            observed,
            violations,
            calls,
            body: reply.body_text(),
        };
        if !paged || reply.status != 200 {
            return Ok(Some(done(observed, violations, calls)));
        }
        let items = match op {
            Operation::ListFlows => json["flows"].as_array(),
            _ => json["flowExecutions"].as_array(),
        }
        .cloned()
        .unwrap_or_default();
        if items.len() > page_size {
            observed.paging = Some(format!(
                "a page of {} items for maxResults {page_size}",
                items.len()
            ));
        }
        for i in &items {
            let s = |k: &str| i[k].as_str().map(str::to_owned);
            if op == Operation::ListFlows {
                flows.push(ListedFlow {
                    name: s("flowName").unwrap_or_default(),
                    trigger: s("triggerType"),
                    status: s("flowStatus"),
                });
            } else {
                runs.push(ListedRun {
                    id: s("executionId").unwrap_or_default(),
                    status: s("executionStatus"),
                });
            }
        }
        let next = json["nextToken"].as_str().filter(|t| !t.is_empty());
        match next {
            Some(t) if !tokens_seen.insert(t.to_owned()) => {
                observed.paging = Some(format!("nextToken {t} came twice"));
            }
            Some(t) if observed.paging.is_none() => {
                request["nextToken"] = Value::String(t.to_owned());
                continue;
            }
            _ => {}
        }
        if op == Operation::ListFlows {
            observed.flows = Some(flows);
        } else {
            observed.runs = Some(runs);
        }
        return Ok(Some(done(observed, violations, calls)));
    }
    Err(Unjudged(format!("{op}: more than {MAX_PAGES} pages")))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
