//! The test-control API under `/_harness/`: reset, clock, faults, counters,
//! run-time configuration and ending a flow's runs. AppFlow routes are `POST /<kebab-name>`, so no
//! AppFlow request can reach these.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Handle;
use super::config::ConfigPatch;
use super::error::ApiError;
use super::faults::FaultRule;
use super::fields::epoch_seconds;
use super::http::{error_response, json_response, parse_json, read_body};

/// The path the test-control API is nested under (`/_harness/reset`, `/clock`, `/faults`,
/// `/counters`, `/config`, `/finish-runs`); no AppFlow route (`POST /<kebab-name>`) starts with it.
pub const PREFIX: &str = "/_harness";

pub(super) fn routes() -> Router<Handle> {
    Router::new()
        .route("/reset", post(reset))
        .route("/clock", get(clock).post(advance_clock))
        .route("/faults", get(faults).post(add_fault).delete(clear_faults))
        .route("/counters", get(counters))
        .route("/config", get(config).post(patch_config))
        .route("/finish-runs", post(finish_runs))
}

fn ok(v: Value) -> Response {
    json_response(StatusCode::OK, v.to_string().into_bytes(), None)
}

fn answer(r: Result<Value, ApiError>) -> Response {
    r.map_or_else(|e| error_response(&e), ok)
}

async fn reset(State(h): State<Handle>) -> Response {
    h.reset();
    ok(json!({}))
}

async fn clock(State(h): State<Handle>) -> Response {
    let now = h.clock().now();
    ok(json!({ "now": epoch_seconds(now), "offsetSeconds": epoch_seconds(h.clock().offset()) }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Advance {
    seconds: f64,
}

async fn advance_clock(State(h): State<Handle>, body: Result<Bytes, BytesRejection>) -> Response {
    answer(
        read_body(body)
            .and_then(|b| parse_json::<Advance>(&b))
            .and_then(|a| {
                if !(a.seconds.is_finite() && a.seconds >= 0.0) {
                    return Err(ApiError::validation("seconds must be a number >= 0 (the clock only moves forward)"));
                }
                let now = h.clock().advance((a.seconds * 1000.0) as u64);
                Ok(json!({ "now": epoch_seconds(now), "offsetSeconds": epoch_seconds(h.clock().offset()) }))
            }),
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FinishRuns {
    flow_name: String,
}

/// Ends the runs of one flow that are still in progress, as if their run
/// time had passed: `{"flowName": ...}` -> `{"finished": N}`.
async fn finish_runs(State(h): State<Handle>, body: Result<Bytes, BytesRejection>) -> Response {
    answer(
        read_body(body)
            .and_then(|b| parse_json::<FinishRuns>(&b))
            .and_then(|f| {
                let now = h.clock().now();
                let finished = h.lock().finish_runs(&f.flow_name, now)?;
                Ok(json!({ "finished": finished }))
            }),
    )
}

async fn faults(State(h): State<Handle>) -> Response {
    ok(json!({ "faults": h.faults().rules() }))
}

async fn add_fault(State(h): State<Handle>, body: Result<Bytes, BytesRejection>) -> Response {
    answer(
        read_body(body)
            .and_then(|b| parse_json::<FaultRule>(&b))
            .and_then(|rule| {
                h.add_fault(rule).map_err(ApiError::validation)?;
                Ok(json!({ "faults": h.faults().rules() }))
            }),
    )
}

async fn clear_faults(State(h): State<Handle>) -> Response {
    h.clear_faults();
    ok(json!({ "faults": [] }))
}

async fn counters(State(h): State<Handle>) -> Response {
    let now = h.clock().now();
    let mut state = h.lock();
    let running = state.running_runs(now);
    let executions: BTreeMap<&str, usize> = state
        .flows
        .values()
        .map(|f| (&*f.name, f.executions.len()))
        .collect();
    ok(json!({
        "flows": state.flows.len(),
        "executions": executions,
        "tokensHeld": state.start_tokens.held(),
        "runningRuns": running,
        "runsEvicted": state.evicted_runs(),
        "requests": h.requests(),
    }))
}

async fn config(State(h): State<Handle>) -> Response {
    ok(json!(h.lock().config))
}

async fn patch_config(State(h): State<Handle>, body: Result<Bytes, BytesRejection>) -> Response {
    answer(
        read_body(body)
            .and_then(|b| parse_json::<ConfigPatch>(&b))
            .and_then(|patch| {
                let edges = patch.throttle_rps.is_some() || patch.verify_sigv4.is_some();
                if edges && !h.has_edges() {
                    return Err(ApiError::validation(
                        "throttling and signature checks need the emulator started with --throttle-above-rps or --verify-sigv4",
                    ));
                }
                Ok(patch)
            })
            .map(|patch| {
                let mut state = h.lock();
                if let Some(n) = patch.runs_this_month {
                    let now = h.clock().now();
                    state.set_runs_this_month(now, n);
                }
                patch.apply(&mut state.config);
                json!(state.config)
            }),
    )
}
