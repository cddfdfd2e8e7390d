//! Sending one request and reading its answer as the model sees it:
//! throttles retried with backoff, paged reads read through every page,
//! the wire and shape rules of `contract::check` applied to every answer.

use serde_json::Value;

use crate::appflow::{Operation, TriggerType};
use crate::client::pages::{self, End, Reading, Visit};
use crate::client::{CallOutcome, Endpoint, RetryPolicy};
use crate::model::{ListedFlow, ListedRun, Observed};

/// Why an answer could not be judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unjudged(pub String);

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

/// Why a read ended without an answer to judge.
enum Lost {
    /// Still throttled after the policy's retries.
    Throttled,
    /// No answer: the transport failure's message.
    NoAnswer(String),
}

/// As [`read`], with the body padded with spaces to `pad` bytes (W6);
/// `lossy`: no answer (an answer the step asked the target to drop) is
/// `None`, not a reason to stop judging. Every page goes through the
/// client's pager and retry loop ([`RetryPolicy::explore`]).
pub async fn read_with(
    endpoint: &Endpoint,
    op: Operation,
    body: &Value,
    trigger: Option<TriggerType>,
    pad: Option<usize>,
    lossy: bool,
) -> Result<Option<Read>, Unjudged> {
    let member = op.list_member();
    let page_size = body["maxResults"].as_u64().unwrap_or(20) as usize;
    let mut violations = Vec::new();
    let mut flows = Vec::new();
    let mut runs = Vec::new();
    let mut last: Option<(Observed, String, bool)> = None;
    let mut lost = None;
    let reading = Reading {
        bound: MAX_PAGES,
        parse: true,
        pad,
    };
    let policy = RetryPolicy::explore();
    let read = pages::read_all(endpoint, &policy, op, body, reading, |call| {
        let reply = match call.outcome {
            CallOutcome::Reply(r) if crate::client::retry::is_throttle(&r) => {
                lost = Some(Lost::Throttled);
                return Visit::Stop;
            }
            CallOutcome::Reply(r) => r,
            CallOutcome::Transport { message, .. } => {
                lost = Some(Lost::NoAnswer(message));
                return Visit::Stop;
            }
        };
        let repeated = endpoint.request_ids().record(reply.request_id.as_deref());
        let found = crate::contract::check(op, &reply, trigger).violations;
        for v in found.into_iter().chain(repeated) {
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
        let Some(member) = member.filter(|_| reply.status == 200) else {
            last = Some((observed, reply.body_text(), false));
            return Visit::Stop;
        };
        let items = json[member].as_array().cloned().unwrap_or_default();
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
        let broken = observed.paging.is_some();
        last = Some((observed, reply.body_text(), true));
        if broken {
            return Visit::Stop;
        }
        // An empty last token ends the chain; the page's own contract
        // check names it (W5, the model's pattern).
        Visit::Next(json["nextToken"].as_str().map(str::to_owned))
    })
    .await
    .map_err(|e| Unjudged(e.to_string()))?;
    let calls = read.pages + read.repeats.total() as usize;
    match lost {
        Some(Lost::Throttled) => {
            return Err(Unjudged(format!(
                "{op}: throttled (429) {} times in a row",
                read.repeats.throttled + 1
            )));
        }
        Some(Lost::NoAnswer(_)) if lossy => return Ok(None),
        Some(Lost::NoAnswer(message)) => {
            return Err(Unjudged(format!("{op}: {NO_ANSWER}: {message}")));
        }
        None => {}
    }
    let Some((mut observed, body, listed)) = last else {
        return Err(Unjudged(format!("{op}: {NO_ANSWER}")));
    };
    match &read.end {
        End::TooMany(_) => {
            return Err(Unjudged(format!("{op}: more than {MAX_PAGES} pages")));
        }
        End::Repeated(v) => observed.paging = Some(format!("{} ({})", v.rule, v.id)),
        End::Complete | End::EmptyToken(_) | End::Stopped => {}
    }
    if listed {
        if op == Operation::ListFlows {
            observed.flows = Some(flows);
        } else {
            observed.runs = Some(runs);
        }
    }
    Ok(Some(Read {
        observed,
        violations,
        calls,
        body,
    }))
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
