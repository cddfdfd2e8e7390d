//! Sending a step's request: `n` at once (a `concurrent` step), page by
//! page (`all-pages`), each call through the endpoint client's one retry
//! loop ([`RetryPolicy::judged`]) and its one pager. The client's shared
//! adaptive rate paces them all.

use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

use super::judge::Context;
use super::ledger::Observed;
use super::step::observe;
use crate::appflow::Operation;
use crate::client::pages::{self, End, Reading, Visit};
use crate::client::{Call, CallOutcome, Endpoint, Repeats, RetryPolicy, TransportKind};

/// Reads every page of a list read, judged as one answer: the first
/// page's body with every page's list in `member` and no `nextToken`. A
/// page that is not a 200 ends the read and stands for it; a repeated
/// token or too many pages ends it with an S2 violation (the client's
/// pager). An empty last token ends it too: its W5 is the page's own
/// contract finding (the model's pattern), so it is not added twice.
pub(super) async fn read_all_pages(
    endpoint: &Endpoint,
    operation: Operation,
    first: &Value,
    member: &str,
    retry: bool,
    cx: &Context<'_>,
    o: &mut Observed,
) -> Vec<Call> {
    let page_size = first.get("maxResults").and_then(Value::as_u64);
    let mut items: Vec<Value> = Vec::new();
    let mut merged: Option<(Call, Value)> = None;
    let mut refused: Option<Call> = None;
    let mut violations = Vec::new();
    let read = pages::read_all(
        endpoint,
        &policy(retry),
        operation,
        first,
        Reading::default(),
        |call| {
            observe(std::slice::from_ref(&call), cx, o);
            let body = match &call.outcome {
                CallOutcome::Reply(r) if r.status == 200 => r.json.clone(),
                _ => None,
            };
            let Some(body) = body else {
                refused = Some(call);
                return Visit::Stop;
            };
            let list = body
                .get(member)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if let Some(n) = page_size.filter(|n| list.len() as u64 > *n) {
                violations.push(crate::contract::Violation::new(
                    &format!("body.{member}"),
                    format!("a page holds at most maxResults items (asked {n})"),
                    "S2",
                ));
            }
            items.extend(list);
            let token = body
                .get("nextToken")
                .and_then(Value::as_str)
                .map(str::to_owned);
            if merged.is_none() {
                merged = Some((call, body));
            }
            Visit::Next(token)
        },
    )
    .await;
    let read = match read {
        Ok(read) => read,
        Err(e) => return vec![no_answer(TransportKind::Connect, e.to_string())],
    };
    o.throttled += read.repeats.throttled;
    o.lost += read.repeats.lost;
    o.violations
        .extend(violations.into_iter().map(|v| (operation, v)));
    match read.end {
        End::Repeated(v) | End::TooMany(v) => o.violations.push((operation, v)),
        End::Complete | End::EmptyToken(_) | End::Stopped => {}
    }
    if let Some(call) = refused {
        return vec![call];
    }
    let Some((mut call, body)) = merged else {
        return Vec::new();
    };
    if let CallOutcome::Reply(r) = &mut call.outcome {
        r.json = Some(super::transcript::pages_as_one(body, items, member));
    }
    vec![call]
}

/// The retry policy of a judged call: [`RetryPolicy::judged`] where the
/// step allows a retry (safe to repeat, no 429 expected), else none.
fn policy(retry: bool) -> RetryPolicy {
    if retry {
        RetryPolicy::judged()
    } else {
        RetryPolicy::none()
    }
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
        repeats.add(*r);
    }
    (calls.into_iter().map(|(_, (c, _))| c).collect(), repeats)
}

/// One call under the judged retry policy ([`policy`]): the endpoint
/// client's one retry loop; a client error (a bad URL, a signing failure)
/// counts as no answer.
async fn call_once(
    endpoint: &Endpoint,
    operation: Operation,
    body: Bytes,
    safe: bool,
) -> (Call, Repeats) {
    match endpoint.call_with(&policy(safe), operation, body).await {
        Ok(r) => (r.call, r.repeats),
        Err(e) => (
            no_answer(TransportKind::Connect, e.to_string()),
            Repeats::default(),
        ),
    }
}

/// Throttled calls are retried this many times at most.
pub(super) const THROTTLE_RETRIES: u32 = RetryPolicy::judged().throttles;

fn no_answer(kind: TransportKind, message: String) -> Call {
    Call {
        outcome: CallOutcome::Transport { kind, message },
        latency: Duration::ZERO,
    }
}
