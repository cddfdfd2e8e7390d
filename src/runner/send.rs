//! Sending a step's request: `n` at once (a `concurrent` step), page by
//! page (`all-pages`), each call retried when throttled and safe to repeat.
//! The endpoint client's shared adaptive rate paces them all.

use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};

use super::judge::Context;
use super::ledger::Observed;
use super::step::observe;
use crate::appflow::Operation;
use crate::client::pages::{Next, Pager};
use crate::client::{Call, Endpoint, Outcome, TransportKind};

/// Reads every page of a list read, judged as one answer: the first
/// page's body with every page's list in `member` and no `nextToken`. A
/// page that is not a 200 ends the read and stands for it; a repeated
/// token or too many pages ends it with an S2 violation.
pub(super) async fn read_all_pages(
    endpoint: &Endpoint,
    operation: Operation,
    first: &Value,
    member: &str,
    retry: bool,
    cx: &Context<'_>,
    o: &mut Observed,
) -> Vec<Call> {
    let mut pager = Pager::default();
    let mut request = first.clone();
    let page_size = first.get("maxResults").and_then(Value::as_u64);
    let mut items: Vec<Value> = Vec::new();
    let mut merged: Option<(Call, Value)> = None;
    loop {
        let (call, repeats) =
            call_once(endpoint, operation, Bytes::from(request.to_string()), retry).await;
        o.throttled += repeats.throttled;
        o.lost += repeats.lost;
        observe(std::slice::from_ref(&call), cx, o);
        let body = match &call.outcome {
            Outcome::Reply(r) if r.status == 200 => r.json.clone(),
            _ => None,
        };
        let Some(body) = body else { return vec![call] };
        let list = body
            .get(member)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if let Some(n) = page_size.filter(|n| list.len() as u64 > *n) {
            o.violations.push((
                operation,
                crate::contract::Violation::new(
                    &format!("body.{member}"),
                    format!("a page holds at most maxResults items (asked {n})"),
                    "S2",
                ),
            ));
        }
        items.extend(list);
        if merged.is_none() {
            merged = Some((call, body.clone()));
        }
        match pager.next(&body) {
            Next::Done => break,
            Next::More(token) => request["nextToken"] = json!(token),
            Next::Stop(v) => {
                o.violations.push((operation, v));
                break;
            }
        }
    }
    let Some((mut call, mut body)) = merged else {
        return Vec::new();
    };
    if let Value::Object(m) = &mut body {
        m.remove("nextToken");
        m.insert(member.to_owned(), Value::Array(items));
    }
    if let Outcome::Reply(r) = &mut call.outcome {
        r.json = Some(body);
    }
    vec![call]
}

/// Sends `bodies` at once (a `concurrent` step's copies); the calls in
/// order, each retried when throttled and `retry` allows, and how many
/// retries there were.
pub(super) async fn send_many(
    endpoint: &Endpoint,
    operation: Operation,
    bodies: &[Bytes],
    retry: bool,
) -> (Vec<Call>, Repeats) {
    let mut set = tokio::task::JoinSet::new();
    for (i, body) in bodies.iter().enumerate() {
        let (endpoint, body) = (endpoint.clone(), body.clone());
        let i = u32::try_from(i).unwrap_or(u32::MAX);
        set.spawn(async move { (i, call_once(&endpoint, operation, body, retry).await) });
    }
    let mut calls = Vec::with_capacity(bodies.len());
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(pair) => calls.push(pair),
            Err(e) => calls.push((
                u32::MAX,
                (
                    no_answer(TransportKind::Closed, e.to_string()),
                    Repeats::default(),
                ),
            )),
        }
    }
    calls.sort_by_key(|(i, _)| *i);
    let mut repeats = Repeats::default();
    for (_, (_, r)) in &calls {
        repeats.throttled += r.throttled;
        repeats.lost += r.lost;
    }
    (calls.into_iter().map(|(_, (c, _))| c).collect(), repeats)
}

/// How often a call was sent again: after a throttle, after no answer.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Repeats {
    /// 429s answered and retried.
    pub throttled: u32,
    /// Attempts that got no answer in time and were repeated.
    pub lost: u32,
}

/// One call whose client error (a bad URL, a signing failure) counts as no
/// answer. With `safe` (the request may be repeated as it is), a 429 is
/// retried after an exponential backoff with jitter, up to
/// [`THROTTLE_RETRIES`] times (the endpoint client's shared rate also slows
/// down), and an attempt that timed out is repeated up to [`LOST_RETRIES`]
/// times (a DeleteFlow until it answers, 200 or 404); the repeats come back
/// with the call.
async fn call_once(
    endpoint: &Endpoint,
    operation: Operation,
    body: Bytes,
    safe: bool,
) -> (Call, Repeats) {
    let mut r = Repeats::default();
    loop {
        let c = endpoint
            .call(operation, body.clone())
            .await
            .unwrap_or_else(|e| no_answer(TransportKind::Connect, e.to_string()));
        let throttled = matches!(&c.outcome, Outcome::Reply(r) if r.status == 429);
        let lost = matches!(
            &c.outcome,
            Outcome::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        );
        if safe && throttled && r.throttled < THROTTLE_RETRIES {
            tokio::time::sleep(crate::fixtures::backoff(r.throttled)).await;
            r.throttled += 1;
        } else if safe && lost && r.lost < LOST_RETRIES {
            r.lost += 1;
        } else {
            return (c, r);
        }
    }
}

/// Throttled calls are retried this many times at most.
pub(super) const THROTTLE_RETRIES: u32 = 10;

/// Calls that got no answer in time are repeated this many times at most
/// (each waits the whole timeout).
pub(super) const LOST_RETRIES: u32 = 2;

fn no_answer(kind: TransportKind, message: String) -> Call {
    Call {
        outcome: Outcome::Transport { kind, message },
        latency: Duration::ZERO,
    }
}

/// Whether a throttled request may be sent again as it is: reads; writes
/// whose effect is the same however often they land (DeleteFlow ends with
/// the flow gone, StopFlow with it stopped); and writes that carry a
/// clientToken, which is what the token is for. Decided on the request as
/// rendered.
pub(super) fn retry_safe(operation: Operation, request: Option<&Value>) -> bool {
    operation.is_read()
        || matches!(operation, Operation::DeleteFlow | Operation::StopFlow)
        || request
            .and_then(|r| r.get("clientToken"))
            .is_some_and(|t| t.as_str().is_some_and(|t| !t.is_empty()))
}

/// The list member a paginated read answers.
pub(super) fn list_member(operation: Operation) -> Option<&'static str> {
    match operation {
        Operation::ListFlows => Some("flows"),
        Operation::DescribeFlowExecutionRecords => Some("flowExecutions"),
        _ => None,
    }
}
