//! Endpoints that break the contract in one way each: `check` fails on the
//! right scenario and step with a readable message, and never crashes.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use appflow_harness::runner::{self, Options, Status, Summary};

use crate::support::url_target;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn ok(body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("x-amzn-RequestId", "req-1")
        .set_body_json(body)
}

fn error(status: u16, kind: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("x-amzn-RequestId", "req-1")
        .insert_header("x-amzn-ErrorType", kind)
        .set_body_json(json!({"message": "no"}))
}

/// A fake AppFlow whose setup and cleanup calls succeed.
async fn fake() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/create-flow"))
        .respond_with(ok(json!({"flowArn": "arn:aws:appflow:us-east-1:000000000000:flow/f1", "flowStatus": "Active"})))
        .mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/delete-flow"))
        .respond_with(ok(json!({})))
        .mount(&server)
        .await;
    server
}

/// A StartFlow answer with no executionId: right for scheduled flows only.
fn active_without_execution_id() -> ResponseTemplate {
    ok(json!({"flowArn": "arn:aws:appflow:us-east-1:000000000000:flow/f1", "flowStatus": "Active"}))
}

/// Makes the fake answer StartFlow with `responder`.
async fn on_start_flow(server: &MockServer, responder: impl Respond + 'static) {
    Mock::given(method("POST"))
        .and(path("/start-flow"))
        .respond_with(responder)
        .mount(server)
        .await;
}

/// Answers every StartFlow with a new executionId, replays included.
struct NewIdEachTime(AtomicU64);
impl Respond for NewIdEachTime {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::Relaxed);
        ok(
            json!({"flowArn": "arn:aws:appflow:us-east-1:000000000000:flow/f1", "flowStatus": "Active", "executionId": format!("exec-{n}")}),
        )
    }
}

async fn check(url: &str, scenario: &str, timeout: Duration) -> Summary {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{scenario}.yaml"));
    let scenarios = appflow_harness::scenario::load(&[file]).expect("scenario");
    let target = url_target(url, timeout).await;
    let options = Options {
        jobs: 1,
        ..Options::new("faulty", "2026-11-25")
    };
    runner::run(scenarios, Arc::new(target), options, |_| {}).await
}

/// The scenario failed at `step`, with a message containing `text`; the report renders.
fn assert_fails(summary: &Summary, step: usize, text: &str) {
    let mut out = Vec::new();
    appflow_harness::report::terminal::render(summary, &mut out).expect("render");
    let report = String::from_utf8_lossy(&out);
    let s = &summary.scenarios[0];
    assert_eq!(s.status, Status::Failed, "{report}");
    assert!(
        s.failures
            .iter()
            .any(|f| f.step == Some(step) && f.message.contains(text)),
        "expected a failure at step {step} containing {text:?}:\n{report}"
    );
    assert!(report.contains(&format!("step {step} (")), "{report}");
}

#[tokio::test]
async fn a_new_execution_id_on_replay_fails_the_replay_step() {
    let server = fake().await;
    on_start_flow(&server, NewIdEachTime(AtomicU64::new(0))).await;
    let summary = check(
        &server.uri(),
        "token_other_flow_on_demand",
        Duration::from_secs(5),
    )
    .await;
    assert_fails(
        &summary,
        3,
        "body.executionId: expected \"exec-1\", got \"exec-2\"",
    );
}

#[tokio::test]
async fn a_200_where_409_is_due_fails_that_step() {
    let server = fake().await;
    on_start_flow(&server, active_without_execution_id()).await;
    let summary = check(
        &server.uri(),
        "token_other_flow_scheduled",
        Duration::from_secs(5),
    )
    .await;
    assert_fails(&summary, 2, "status: expected 409, got 200");
}

#[tokio::test]
async fn a_wrong_error_type_fails_the_expectation_and_the_contract() {
    let server = fake().await;
    on_start_flow(&server, error(404, "ConflictException")).await;
    let summary = check(&server.uri(), "unknown_flow", Duration::from_secs(5)).await;
    assert_fails(
        &summary,
        1,
        "error type: expected ResourceNotFoundException, got ConflictException",
    );
    assert_fails(
        &summary,
        1,
        "ConflictException comes with HTTP 409, not 404",
    );
}

#[tokio::test]
async fn a_missing_execution_id_breaks_the_contract() {
    let server = fake().await;
    on_start_flow(&server, active_without_execution_id()).await;
    let summary = check(&server.uri(), "cancel_execution", Duration::from_secs(5)).await;
    assert_fails(
        &summary,
        1,
        "body.executionId: an on-demand start answers a non-empty executionId",
    );
    // The capture failed, so the steps that use it are not played on with a
    // literal `{{run}}`: they are skipped, with the reason.
    assert_fails(
        &summary,
        1,
        "capture `run`: the answer has no `executionId`",
    );
    let rest = &summary.scenarios[0].steps[1..];
    assert!(!rest.is_empty());
    for st in rest {
        assert_eq!(st.status, Status::Skipped, "{st:?}");
        assert_eq!(
            st.skipped.as_deref(),
            Some("capture `run` of step 1 failed, and later steps use it")
        );
    }
}

#[tokio::test]
async fn eventually_stops_at_once_on_an_answer_that_waiting_cannot_fix() {
    let server = fake().await;
    on_start_flow(
        &server,
        ok(json!({"flowArn": "arn:aws:appflow:us-east-1:000000000000:flow/f1", "flowStatus": "Active", "executionId": "e-1"})),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/describe-flow-execution-records"))
        .respond_with(error(404, "ResourceNotFoundException"))
        .mount(&server)
        .await;
    let summary = check(&server.uri(), "on_demand_start", Duration::from_secs(5)).await;
    assert_fails(
        &summary,
        2,
        "(stopped polling after 1 request(s): a 404 ResourceNotFoundException answer does not change by waiting)",
    );
    assert_eq!(
        summary.scenarios[0].steps[1].calls, 1,
        "one request, not 30 s of them"
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_reported() {
    let server = fake().await;
    on_start_flow(
        &server,
        ResponseTemplate::new(200)
            .insert_header("x-amzn-RequestId", "r")
            .set_body_string("<html>gateway</html>"),
    )
    .await;
    let summary = check(&server.uri(), "unknown_flow", Duration::from_secs(5)).await;
    assert_fails(
        &summary,
        1,
        "the body must be JSON, got not JSON (20 bytes): `<html>gateway</html>`",
    );
}

#[tokio::test]
async fn a_closed_connection_is_a_transport_failure() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            drop(sock);
        }
    });
    let summary = check(
        &format!("http://{addr}"),
        "unknown_flow",
        Duration::from_secs(5),
    )
    .await;
    assert_fails(&summary, 1, "no answer (\"closed\")");
}

#[tokio::test]
async fn a_target_without_control_api_skips_those_steps_and_says_so() {
    let server = fake().await;
    on_start_flow(&server, NewIdEachTime(AtomicU64::new(0))).await;
    let summary = check(
        &server.uri(),
        "quota_concurrent_runs",
        Duration::from_secs(5),
    )
    .await;
    let s = &summary.scenarios[0];
    assert_eq!(s.status, Status::Skipped);
    assert!(s.steps.iter().all(|st| st.status == Status::Skipped));
    assert!(
        s.steps[0]
            .skipped
            .as_deref()
            .is_some_and(|r| r.contains("/_harness/"))
    );
}

/// In front of `upstream`: the first DeleteFlow is applied upstream, and its
/// answer held back for 2 s (past the harness's timeout).
async fn late_first_delete(upstream: String) -> String {
    use axum::body::Bytes;
    use axum::http::{StatusCode, Uri};
    let first = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let http = reqwest::Client::new();
    let app = axum::Router::new().fallback(move |uri: Uri, body: Bytes| {
        let (first, http, upstream) = (first.clone(), http.clone(), upstream.clone());
        async move {
            let r = http
                .post(format!("{upstream}{}", uri.path()))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("upstream");
            let status = StatusCode::from_u16(r.status().as_u16()).expect("status");
            let headers = r.headers().clone();
            let body = r.bytes().await.expect("body");
            if uri.path() == "/delete-flow" && first.swap(false, Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            let mut out = axum::response::Response::new(axum::body::Body::from(body));
            *out.status_mut() = status;
            for name in ["content-type", "x-amzn-requestid", "x-amzn-errortype"] {
                if let Some(v) = headers.get(name) {
                    out.headers_mut().insert(name, v.clone());
                }
            }
            out
        }
    });
    crate::support::serve_app(app).await
}

#[tokio::test]
async fn a_delete_whose_answer_was_lost_is_repeated_and_the_scenario_replayed_not_failed() {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let url = late_first_delete(emulator.url()).await;
    let summary = check(&url, "start_after_delete", Duration::from_millis(500)).await;
    let s = &summary.scenarios[0];
    assert_eq!(
        s.status,
        Status::Passed,
        "a lost DeleteFlow is repeated (its 404 then says nothing about the rule), and the undecided play is replayed with fresh flows: {:?}",
        s.failures
    );
    assert_eq!(s.attempts, 2, "played again once: {:?}", s.failures);
    assert!(summary.passed());
}
