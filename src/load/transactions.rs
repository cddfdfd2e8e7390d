//! The goose transactions: StartFlow with a fresh token, a replayed token,
//! a token reused on a scheduled flow, and DescribeFlow. Each times its
//! request, checks its answer, and records both; a fresh token's whole
//! story goes to the ledger.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use goose::prelude::*;

use super::ledger::{Final, Id, Record};
use super::state::{LoadState, Used};
pub use super::wire::client;
use super::wire::{Answer, post, redirect};
use crate::appflow::Operation;
use crate::client::sigv4::Signer;

/// How many times a fresh token is sent, at most, when answers are lost
/// or throttled: [`RetryPolicy::attack`](crate::client::retry::RetryPolicy::attack)'s
/// tries (the AWS SDKs' standard retry mode makes three).
// A handful of tries: the cast cannot truncate.
pub const ATTEMPTS: u8 = crate::client::retry::RetryPolicy::attack().attempts as u8;

/// What every transaction shares.
pub struct Ctx {
    /// The run's shared state.
    pub state: Arc<LoadState>,
    /// Signs each request when the target needs SigV4.
    pub signer: Option<Signer>,
    /// StartFlow's and DescribeFlow's URLs, parsed once (not per request).
    pub start: reqwest::Url,
    /// DescribeFlow's URL.
    pub describe: reqwest::Url,
}

impl Ctx {
    /// The context of an attack on `base` (the target's URL).
    ///
    /// # Errors
    /// A base URL that does not parse.
    pub fn new(state: Arc<LoadState>, signer: Option<Signer>, base: &str) -> Result<Self, String> {
        let url = |op: Operation| {
            reqwest::Url::parse(&format!("{}{}", base.trim_end_matches('/'), op.path()))
                .map_err(|e| format!("{base}: {e}"))
        };
        Ok(Self {
            state,
            signer,
            start: url(Operation::StartFlow)?,
            describe: url(Operation::DescribeFlow)?,
        })
    }
}

/// StartFlow's request (the model's StartFlowRequest), serialized straight
/// from borrowed text: one allocation per request, no JSON tree.
#[derive(serde::Serialize)]
struct StartFlowRequest<'a> {
    #[serde(rename = "flowName")]
    flow_name: &'a str,
    #[serde(rename = "clientToken")]
    client_token: &'a str,
}

fn start_body(flow: &str, token: &str) -> Bytes {
    let request = StartFlowRequest {
        flow_name: flow,
        client_token: token,
    };
    // Two strings always serialize; the fallback only satisfies the type.
    serde_json::to_vec(&request).map_or_else(|_| Bytes::new(), Bytes::from)
}

fn execution_id(a: &Answer) -> Option<&str> {
    a.body
        .execution_id
        .as_ref()?
        .as_str()
        .filter(|s| !s.is_empty())
}

fn status_of(a: &Option<Answer>) -> u16 {
    a.as_ref().map_or(0, |a| a.status)
}

/// StartFlow with a token never used: one new run, remembered for replays.
/// With `--lose-answers`, some answers are thrown away after they came and
/// the same token is sent again, as an SDK does after a timeout; answers
/// that never came, 5xx and 429 are retried the same way.
pub async fn fresh(user: &mut GooseUser, ctx: &Ctx) -> TransactionResult {
    let state = &ctx.state;
    let (token, n, flow) = state.fresh();
    let body = start_body(&state.flows[flow], &token);
    let mut interrupted = false;
    let mut attempt = 0u8;
    let (last, request_id) = loop {
        attempt += 1;
        let (micros, answer) = post(user, ctx, &ctx.start, "StartFlow fresh", body.clone()).await?;
        let lost = answer.is_some() && state.lose(n, attempt);
        let definite = match &answer {
            Some(a) if lost => {
                let _ = a;
                None
            }
            Some(a) if a.status == 200 => Some(match execution_id(a) {
                Some(id) => Final::Started(Id::new(id)),
                None => Final::Indeterminate,
            }),
            // A redirect is not an answer (W10): whether a run was made is
            // unknown, and sending the token again meets the same.
            Some(a) if redirect("", a).is_some() => Some(Final::Indeterminate),
            Some(a) if a.status >= 500 || a.status == 429 => None,
            Some(a) => Some(Final::Refused(a.status)),
            None => None,
        };
        let failure = match (&answer, &definite) {
            (Some(a), _) if redirect("", a).is_some() => redirect("StartFlow fresh", a),
            (Some(a), Some(Final::Indeterminate)) if a.status == 200 => {
                Some("StartFlow fresh: 200 without executionId".to_owned())
            }
            (Some(a), Some(Final::Refused(_))) => Some(format!(
                "StartFlow fresh: {} {}",
                a.status,
                a.error.as_deref().unwrap_or("")
            )),
            (Some(a), None) if !lost => Some(format!(
                "StartFlow fresh: {} {} (retried with the same token)",
                a.status,
                a.error.as_deref().unwrap_or("")
            )),
            (None, _) => {
                Some("StartFlow fresh: no answer (retried with the same token)".to_owned())
            }
            _ => None,
        };
        state.metrics.record(
            "StartFlow fresh",
            state.elapsed_ms(),
            micros,
            status_of(&answer),
            failure,
        );
        let request_id = answer.as_ref().and_then(|a| a.request_id.clone());
        match definite {
            Some(d) => break (d, request_id),
            // After a stop nothing more is sent: the token stays unanswered.
            None if attempt < ATTEMPTS && !state.stop.load(Ordering::Relaxed) => {
                interrupted = true;
                if status_of(&answer) == 429 {
                    state.throttled.fetch_add(1, Ordering::Relaxed);
                }
                backoff(state, attempt).await;
            }
            None => {
                interrupted = true;
                break (Final::Indeterminate, request_id);
            }
        }
    };
    if let Final::Started(id) = &last
        && state.keeps_tokens()
    {
        state.remember(Used {
            token,
            flow,
            execution_id: id.to_string(),
            n,
            at_ms: state.elapsed_ms(),
        });
    }
    state.ledger.book(flow).answer(Record {
        n,
        attempts: attempt,
        interrupted,
        last,
        request_id: request_id.as_deref().map(Id::new),
        at_ms: state.elapsed_ms(),
        new_call: false,
    });
    Ok(())
}

/// Waits before attempt `attempt + 1`, as the client's
/// [`RetryPolicy::attack`](crate::client::retry::RetryPolicy::attack) says
/// (the SDKs' standard mode); a stop cuts it short.
async fn backoff(state: &LoadState, attempt: u8) {
    let wait =
        crate::client::retry::RetryPolicy::attack().backoff(u32::from(attempt).saturating_sub(1));
    crate::client::retry::wait_or_stop(&state.stop, Some(wait)).await;
    let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
    state.backed_off_ms.fetch_add(ms, Ordering::Relaxed);
}

/// Slack around the target's token TTL within which a replay may answer
/// either the first run or a new one: the first answer's time here and
/// the token's start on the target differ by a request's latency.
const TTL_SLACK_MS: u64 = 1_000;

/// StartFlow replaying a recent token on its flow: the first run's executionId.
pub async fn replay(user: &mut GooseUser, ctx: &Ctx) -> TransactionResult {
    let state = &ctx.state;
    let Some(used) = state.recent() else {
        return fresh(user, ctx).await;
    };
    let (micros, answer) = post(
        user,
        ctx,
        &ctx.start,
        "StartFlow replay",
        start_body(&state.flows[used.flow], &used.token),
    )
    .await?;
    // A replay older than the target's token TTL is a new call (T4): a
    // new run, accounted like a fresh token's, not a wrong replay.
    let age_ms = u64::from(state.elapsed_ms().saturating_sub(used.at_ms));
    let expired = age_ms + TTL_SLACK_MS >= state.retention.token_ttl_ms;
    let failure = match &answer {
        Some(a) if a.status == 200 && expired && execution_id(a) != Some(&used.execution_id) => {
            let id = execution_id(a).map_or(Final::Indeterminate, |id| Final::Started(Id::new(id)));
            state.ledger.book(used.flow).new_call(Record {
                n: used.n,
                attempts: 1,
                interrupted: false,
                last: id,
                request_id: a.request_id.as_deref().map(Id::new),
                at_ms: state.elapsed_ms(),
                new_call: true,
            });
            None
        }
        Some(a) if a.status == 200 && execution_id(a) != Some(used.execution_id.as_str()) => {
            state.wrong_replays.fetch_add(1, Ordering::Relaxed);
            let got = execution_id(a).unwrap_or("(none)").to_owned();
            state.example(format!(
                "replay of token {} on {} answered executionId {got}, first answer was {} (request {})",
                used.token,
                state.flows[used.flow],
                used.execution_id,
                a.request_id.as_deref().unwrap_or("-")
            ));
            Some("StartFlow replay: a different executionId than the first answer".to_owned())
        }
        Some(a) if redirect("", a).is_some() => redirect("StartFlow replay", a),
        Some(a) if a.status != 200 => Some(format!(
            "StartFlow replay: {} {}",
            a.status,
            a.error.as_deref().unwrap_or("")
        )),
        None => Some("StartFlow replay: no answer".to_owned()),
        _ => None,
    };
    state.metrics.record(
        "StartFlow replay",
        state.elapsed_ms(),
        micros,
        status_of(&answer),
        failure,
    );
    Ok(())
}

/// Whether `a` is an answer the contract admits for a token first used on
/// an on-demand flow, sent for an Active scheduled flow: T2's error (409
/// ConflictException, or 400 ValidationException, its other candidate);
/// or, where the first use's trigger decides (T8's other candidate), a new
/// call on an Active scheduled flow: C1's 409 ConflictException or an
/// idempotent 200 `Active` without an executionId (O3). Never a run.
fn admitted_conflict(a: &Answer) -> bool {
    match (a.status, a.error.as_deref()) {
        (409, Some("ConflictException")) | (400, Some("ValidationException")) => true,
        (200, _) => {
            a.body.execution_id.is_none()
                && a.body
                    .flow_status
                    .as_ref()
                    .and_then(serde_json::Value::as_str)
                    == Some("Active")
        }
        _ => false,
    }
}

/// StartFlow on a scheduled flow with a token already used on another flow:
/// an error (T2), or no run at all ([`admitted_conflict`]).
pub async fn conflict(user: &mut GooseUser, ctx: &Ctx) -> TransactionResult {
    let state = &ctx.state;
    let (Some(used), Some(flow)) = (state.recent(), state.pick_scheduled()) else {
        return fresh(user, ctx).await;
    };
    let (micros, answer) = post(
        user,
        ctx,
        &ctx.start,
        "StartFlow conflict",
        start_body(flow, &used.token),
    )
    .await?;
    let failure = match &answer {
        Some(a) if admitted_conflict(a) => None,
        Some(a) if redirect("", a).is_some() => redirect("StartFlow conflict", a),
        // Throttled or a server error: availability, not a wrong answer.
        Some(a) if a.status >= 500 || a.status == 429 => Some(format!(
            "StartFlow conflict: {} {}",
            a.status,
            a.error.as_deref().unwrap_or("")
        )),
        Some(a) => {
            state.wrong_conflicts.fetch_add(1, Ordering::Relaxed);
            state.example(format!(
                "token {} reused on scheduled flow {flow} answered {} {}, not T2's error (409 ConflictException or 400 ValidationException) nor C1's Active without a run",
                used.token,
                a.status,
                a.error.as_deref().unwrap_or("")
            ));
            Some("StartFlow conflict: not an answer T2, T8 and C1 admit".to_owned())
        }
        None => Some("StartFlow conflict: no answer".to_owned()),
    };
    state.metrics.record(
        "StartFlow conflict",
        state.elapsed_ms(),
        micros,
        status_of(&answer),
        failure,
    );
    Ok(())
}

/// DescribeFlow on one of the on-demand flows.
pub async fn describe(user: &mut GooseUser, ctx: &Ctx) -> TransactionResult {
    let state = &ctx.state;
    let body =
        Bytes::from(serde_json::json!({ "flowName": state.flows[state.pick_flow()] }).to_string());
    let (micros, answer) = post(user, ctx, &ctx.describe, "DescribeFlow", body).await?;
    let failure = match &answer {
        Some(a) if a.status == 200 && a.body.flow_status.is_some() => None,
        Some(a) if a.status == 200 => Some("DescribeFlow: no flowStatus".to_owned()),
        Some(a) if redirect("", a).is_some() => redirect("DescribeFlow", a),
        Some(a) => Some(format!(
            "DescribeFlow: {} {}",
            a.status,
            a.error.as_deref().unwrap_or("")
        )),
        None => Some("DescribeFlow: no answer".to_owned()),
    };
    state.metrics.record(
        "DescribeFlow",
        state.elapsed_ms(),
        micros,
        status_of(&answer),
        failure,
    );
    Ok(())
}
