//! The goose transactions: StartFlow with a fresh token, a replayed token,
//! a token reused on a scheduled flow, and DescribeFlow. Each checks its
//! answer; a wrong one is a goose failure of that transaction, with the reason.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use goose::metrics::GooseRequestMetric;
use goose::prelude::*;
use serde_json::Value;

use super::state::{LoadState, Used};
use crate::client::error_type;
use crate::client::sigv4::Signer;

pub struct Ctx {
    pub state: Arc<LoadState>,
    pub signer: Option<Signer>,
}

/// What came back from one call.
struct Answer {
    status: u16,
    error: Option<String>,
    body: Option<Value>,
}

async fn post(
    user: &mut GooseUser,
    ctx: &Ctx,
    path: &str,
    name: &str,
    body: String,
    expect_status: u16,
) -> Result<(GooseRequestMetric, Option<Answer>), Box<TransactionError>> {
    let mut rb = user
        .get_request_builder(&GooseMethod::Post, path)?
        .header("content-type", "application/json");
    if let Some(signer) = &ctx.signer {
        let url = user.build_url(path)?;
        if let Ok(headers) = signer.sign("POST", &url, body.as_bytes(), SystemTime::now()) {
            for (k, v) in headers {
                rb = rb.header(k, v);
            }
        }
    }
    let request = GooseRequest::builder()
        .method(GooseMethod::Post)
        .path(path)
        .name(name)
        .expect_status_code(expect_status)
        .set_request_builder(rb.body(body))
        .build();
    let goose = user.request(request).await?;
    let answer = match goose.response {
        Ok(response) => {
            let status = response.status().as_u16();
            let header = response
                .headers()
                .get("x-amzn-errortype")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let bytes = response.bytes().await.ok();
            let body: Option<Value> = bytes
                .as_deref()
                .and_then(|b| serde_json::from_slice(b).ok());
            Some(Answer {
                status,
                error: error_type(header.as_deref(), body.as_ref()),
                body,
            })
        }
        Err(_) => None,
    };
    Ok((goose.request, answer))
}

fn start_body(flow: &str, token: &str) -> String {
    serde_json::json!({ "flowName": flow, "clientToken": token }).to_string()
}

fn execution_id(a: &Answer) -> Option<&str> {
    a.body
        .as_ref()?
        .get("executionId")?
        .as_str()
        .filter(|s| !s.is_empty())
}

/// StartFlow with a token never used: one new run, remembered for replays.
pub async fn fresh(user: &mut GooseUser, ctx: &Ctx) -> TransactionResult {
    let state = &ctx.state;
    let (token, flow) = state.fresh();
    let (mut request, answer) = post(
        user,
        ctx,
        "/start-flow",
        "StartFlow fresh",
        start_body(&state.flows[flow], &token),
        200,
    )
    .await?;
    match answer {
        Some(a) if a.status == 200 => match execution_id(&a) {
            Some(id) => {
                state.fresh_ok[flow].fetch_add(1, Ordering::Relaxed);
                state.remember(Used {
                    token,
                    flow,
                    execution_id: id.to_owned(),
                });
            }
            None => {
                state.fresh_uncertain[flow].fetch_add(1, Ordering::Relaxed);
                user.set_failure(
                    "StartFlow fresh: 200 without executionId",
                    &mut request,
                    None,
                    None,
                )?;
            }
        },
        // A 5xx or no answer: the run may exist ("the answer was lost").
        Some(a) if a.status >= 500 => {
            state.fresh_uncertain[flow].fetch_add(1, Ordering::Relaxed);
        }
        None => {
            state.fresh_uncertain[flow].fetch_add(1, Ordering::Relaxed);
        }
        Some(_) => {}
    }
    Ok(())
}

/// StartFlow replaying a recent token on its flow: the first run's executionId.
pub async fn replay(user: &mut GooseUser, ctx: &Ctx) -> TransactionResult {
    let state = &ctx.state;
    let Some(used) = state.recent() else {
        return fresh(user, ctx).await;
    };
    let (mut request, answer) = post(
        user,
        ctx,
        "/start-flow",
        "StartFlow replay",
        start_body(&state.flows[used.flow], &used.token),
        200,
    )
    .await?;
    if let Some(a) = answer
        && a.status == 200
        && execution_id(&a) != Some(used.execution_id.as_str())
    {
        state.wrong_replays.fetch_add(1, Ordering::Relaxed);
        let got = execution_id(&a).unwrap_or("(none)").to_owned();
        state.example(format!(
            "replay of token {} on {} answered executionId {got}, first answer was {}",
            used.token, state.flows[used.flow], used.execution_id
        ));
        user.set_failure(
            "StartFlow replay: a different executionId than the first answer",
            &mut request,
            None,
            None,
        )?;
    }
    Ok(())
}

/// StartFlow on a scheduled flow with a token already used on another flow: 409.
pub async fn conflict(user: &mut GooseUser, ctx: &Ctx) -> TransactionResult {
    let state = &ctx.state;
    let (Some(used), Some(flow)) = (state.recent(), state.pick_scheduled()) else {
        return fresh(user, ctx).await;
    };
    let (mut request, answer) = post(
        user,
        ctx,
        "/start-flow",
        "StartFlow conflict",
        start_body(flow, &used.token),
        409,
    )
    .await?;
    if let Some(a) = answer
        && a.status < 500
        && a.status != 429
        && (a.status != 409 || a.error.as_deref() != Some("ConflictException"))
    {
        state.wrong_conflicts.fetch_add(1, Ordering::Relaxed);
        state.example(format!(
            "token {} reused on scheduled flow {flow} answered {} {}, not 409 ConflictException",
            used.token,
            a.status,
            a.error.as_deref().unwrap_or("")
        ));
        user.set_failure(
            "StartFlow conflict: not 409 ConflictException",
            &mut request,
            None,
            None,
        )?;
    }
    Ok(())
}

/// DescribeFlow on one of the on-demand flows.
pub async fn describe(user: &mut GooseUser, ctx: &Ctx) -> TransactionResult {
    let state = &ctx.state;
    let body = serde_json::json!({ "flowName": state.flows[state.pick_flow()] }).to_string();
    let (mut request, answer) =
        post(user, ctx, "/describe-flow", "DescribeFlow", body, 200).await?;
    if let Some(a) = answer
        && a.status == 200
        && a.body.as_ref().and_then(|b| b.get("flowStatus")).is_none()
    {
        user.set_failure("DescribeFlow: no flowStatus", &mut request, None, None)?;
    }
    Ok(())
}
