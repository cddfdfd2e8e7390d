//! Reading a flow's runs (DescribeFlowExecutionRecords) for the verdict:
//! page by page, newest first as S2 has it, through the client's pager and
//! retry loop (each page retried with backoff while the target throttles
//! or fails, so that a throttled read never discards evidence); a read that
//! cannot end (a `nextToken` seen twice, or more pages than the runs made
//! can fill) stops at once and is reported as the endpoint's violation of
//! S2; an empty last `nextToken` ends it as the SDKs end it. Pages are read
//! lean here: only the members the verdict needs, no JSON tree.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::reply::Reply;

use super::ledger::Id;
use crate::appflow::Operation;
use crate::client::pages::{self, End, Reading, Visit};
use crate::client::{CallOutcome, Endpoint, RetryPolicy};

/// Attempts per page while the target throttles or fails (about 25 s of
/// backoff in all, [`RetryPolicy::patient`]).
pub const PAGE_ATTEMPTS: u32 = RetryPolicy::patient().attempts;

/// Records asked for per page (S2's maximum).
pub const PAGE_SIZE: u64 = 100;

/// One run as listed: its id and, when the answer has it, `startedAt`
/// (epoch seconds, W4).
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    /// The run's executionId.
    pub id: Id,
    /// `startedAt` as a number, if the record carries one.
    pub started_at: Option<f64>,
}

/// Reads `flow`'s runs newest first, page after page, handing each page to
/// `each` until it answers `false` (the reader has seen enough) or the
/// pages end. `max_pages` bounds the read.
///
/// # Errors
/// A page that still fails after [`PAGE_ATTEMPTS`] (the status and body),
/// an answer without a `flowExecutions` list, a `nextToken` answered twice
/// in one read, or more than `max_pages` pages: each names the flow, and
/// the last two name S2.
pub async fn read_newest_first(
    endpoint: &Endpoint,
    flow: &str,
    max_pages: u64,
    mut each: impl FnMut(&[Listed]) -> bool,
) -> Result<(), String> {
    let op = Operation::DescribeFlowExecutionRecords;
    let first = json!({"flowName": flow, "maxResults": PAGE_SIZE});
    let reading = Reading {
        bound: usize::try_from(max_pages).unwrap_or(usize::MAX),
        // Pages are read lean below ([`page`]), not into a JSON tree.
        parse: false,
        pad: None,
    };
    let mut failed: Option<String> = None;
    let read = pages::read_all(endpoint, &RetryPolicy::patient(), op, &first, reading, |call| {
        let reply = match call.outcome {
            CallOutcome::Reply(r) if r.status == 200 => r,
            CallOutcome::Reply(r) => {
                let status = r.status;
                failed = Some(format!(
                    "{op:?} {flow}: {status} {} (after {PAGE_ATTEMPTS} attempts for 429 and 5xx)",
                    r.parsed().body_summary()
                ));
                return Visit::Stop;
            }
            CallOutcome::Transport { message, .. } => {
                failed = Some(format!(
                    "{op:?} {flow}: {message} (after {PAGE_ATTEMPTS} attempts)"
                ));
                return Visit::Stop;
            }
        };
        match page(reply) {
            Err(summary) => {
                failed = Some(format!(
                    "{op:?} {flow}: the answer lists no flowExecutions: {summary}"
                ));
                Visit::Stop
            }
            Ok((listed, next)) if each(&listed) => Visit::Next(next),
            Ok(_) => Visit::Stop,
        }
    })
    .await
    .map_err(|e| format!("{op:?} {flow}: {e}"))?;
    if let Some(e) = failed {
        return Err(e);
    }
    match read.end {
        // An empty last token ends the read as the SDKs end it: the runs
        // read are evidence, and the endpoint's W5 is the checks' to name.
        End::Complete | End::EmptyToken(_) | End::Stopped => Ok(()),
        End::Repeated(v) => Err(format!(
            "{op:?} {flow}: the endpoint answered a nextToken a second time in one read: the pages never end ({}: {})",
            v.id, v.rule
        )),
        End::TooMany(_) => Err(format!(
            "{op:?} {flow}: more than {max_pages} pages, more than the runs this test made can fill: the pages never end (S2)"
        )),
    }
}

/// The page bound of a read of a flow on which `tokens` fresh tokens were
/// sent: room for every run twice over at one run a page, and some more.
pub fn page_bound(tokens: u64) -> u64 {
    tokens.saturating_mul(2).saturating_add(1_000)
}

/// A records page as far as the verdict reads it: each run's id and
/// `startedAt`, and `nextToken`. Members not named here are skipped without
/// being built (a page holds up to 100 records; this is read for every run
/// of a load test).
#[derive(Deserialize)]
struct Page<'a> {
    #[serde(rename = "flowExecutions", borrow)]
    flow_executions: Vec<Execution<'a>>,
    #[serde(rename = "nextToken", default)]
    next_token: Option<String>,
}

#[derive(Deserialize)]
struct Execution<'a> {
    #[serde(rename = "executionId", default, borrow)]
    execution_id: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "startedAt", default)]
    started_at: Option<f64>,
}

/// The runs a 200 page lists and its `nextToken`: read into [`Page`] when
/// the answer has that shape, else leniently from the whole JSON value
/// (records that are not objects or lack an executionId skipped, a
/// `startedAt` or `nextToken` of another type read as absent).
///
/// # Errors
/// The body's summary, when the answer lists no `flowExecutions` array.
fn page(reply: Reply) -> Result<(Vec<Listed>, Option<String>), String> {
    if let Ok(p) = serde_json::from_slice::<Page<'_>>(&reply.raw) {
        let listed = p
            .flow_executions
            .into_iter()
            .filter_map(|e| listed(e.execution_id.as_deref(), e.started_at))
            .collect();
        return Ok((listed, p.next_token));
    }
    let reply = reply.parsed();
    let Some(executions) = reply
        .json
        .as_ref()
        .and_then(|j| j.get("flowExecutions"))
        .and_then(Value::as_array)
    else {
        return Err(reply.body_summary());
    };
    let listed = executions
        .iter()
        .filter_map(|e| {
            listed(
                e.get("executionId").and_then(Value::as_str),
                e.get("startedAt").and_then(Value::as_f64),
            )
        })
        .collect();
    let next = reply
        .json
        .as_ref()
        .and_then(|j| j.get("nextToken"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok((listed, next))
}

/// A record with an executionId as a listed run; without one it is skipped.
fn listed(execution_id: Option<&str>, started_at: Option<f64>) -> Option<Listed> {
    Some(Listed {
        id: Id::new(execution_id?),
        started_at,
    })
}
