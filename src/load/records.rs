//! Reading a flow's runs (DescribeFlowExecutionRecords) for the verdict:
//! page by page, newest first as S2 has it, each page retried with backoff
//! while the target throttles (429) or fails (5xx, no answer), so that a
//! throttled read never discards evidence; a read that cannot end (a
//! `nextToken` seen twice, or more pages than the runs made can fill) stops
//! at once and is reported as the endpoint's violation of S2.

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::reply::Reply;

use super::ledger::Id;
use crate::appflow::Operation;
use crate::client::{Endpoint, Outcome};

/// Attempts per page while the target throttles or fails (about 25 s of
/// backoff in all, `fixtures::backoff`).
pub const PAGE_ATTEMPTS: u32 = 12;

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
    let mut token: Option<String> = None;
    let mut tokens_seen: HashSet<String> = HashSet::new();
    for _ in 0..max_pages.max(1) {
        let mut body = json!({"flowName": flow, "maxResults": PAGE_SIZE});
        if let Some(t) = &token {
            body["nextToken"] = json!(t);
        }
        let call =
            crate::fixtures::call_retrying_unparsed(endpoint, op, &body.to_string(), PAGE_ATTEMPTS)
                .await
                .map_err(|e| format!("{op:?} {flow}: {e}"))?;
        let reply = match call.outcome {
            Outcome::Reply(r) if r.status == 200 => r,
            Outcome::Reply(r) => {
                let status = r.status;
                return Err(format!(
                    "{op:?} {flow}: {status} {} (after {PAGE_ATTEMPTS} attempts for 429 and 5xx)",
                    r.parsed().body_summary()
                ));
            }
            Outcome::Transport { message, .. } => {
                return Err(format!(
                    "{op:?} {flow}: {message} (after {PAGE_ATTEMPTS} attempts)"
                ));
            }
        };
        let (listed, next) = page(reply).map_err(|summary| {
            format!("{op:?} {flow}: the answer lists no flowExecutions: {summary}")
        })?;
        if !each(&listed) {
            return Ok(());
        }
        match next.as_deref() {
            None => return Ok(()),
            Some(t) if !tokens_seen.insert(t.to_owned()) => {
                return Err(format!(
                    "{op:?} {flow}: the endpoint answered the nextToken `{}` a second time in one read: the pages never end (S2: nextToken leads to the next page)",
                    crate::safe_text::escape_control(&t.chars().take(80).collect::<String>())
                ));
            }
            Some(t) => token = Some(t.to_owned()),
        }
    }
    Err(format!(
        "{op:?} {flow}: more than {max_pages} pages, more than the runs this test made can fill: the pages never end (S2)"
    ))
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
