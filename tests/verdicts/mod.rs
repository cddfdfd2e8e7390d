//! Verdicts an emulator's maintainer can act on (issue 28): endpoints made
//! here that behave as emulators written elsewhere do, each with the
//! verdict and the report text asserted.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use appflow_harness::runner::{self, Options, Summary};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::url_target;

/// An AppFlow error answer, with a request id of its own (W3).
fn error(status: u16, kind: &str) -> ResponseTemplate {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    ResponseTemplate::new(status)
        .insert_header(
            "x-amzn-RequestId",
            format!("req-err-{}", N.fetch_add(1, Ordering::SeqCst)).as_str(),
        )
        .insert_header("x-amzn-ErrorType", kind)
        .set_body_json(json!({"message": "no"}))
}

/// A fake AppFlow whose setup and clean-up calls succeed.
async fn fake() -> MockServer {
    let server = MockServer::start().await;
    let created = json!({"flowArn": "arn:aws:appflow:us-east-1:000000000000:flow/f1", "flowStatus": "Active"});
    Mock::given(method("POST"))
        .and(path("/create-flow"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-amzn-RequestId", "req-c")
                .set_body_json(created),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/delete-flow"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-amzn-RequestId", "req-d")
                .set_body_json(json!({})),
        )
        .mount(&server)
        .await;
    server
}

/// Plays the catalogue scenario `scenario` against `url`, one at a time.
async fn check(url: &str, scenario: &str, timeout: Duration) -> Summary {
    play(url_target(url, timeout).await, scenario).await
}

/// Plays the catalogue scenario `scenario` against `target`, without a reference.
async fn play(target: appflow_harness::endpoint::Target, scenario: &str) -> Summary {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{scenario}.yaml"));
    let scenarios = appflow_harness::scenario::load(&[file]).expect("scenario");
    let options = Options {
        jobs: 1,
        ..Options::new("verdicts", "2026-12-06")
    };
    runner::run(scenarios, Arc::new(target), options, |_| {}).await
}

/// What `check` prints: a line per scenario as it ends, then the report.
fn terminal(summary: &Summary) -> String {
    use appflow_harness::report::terminal::{render, scenario_line};
    let mut text: String = summary
        .scenarios
        .iter()
        .map(|r| scenario_line(r) + "\n")
        .collect();
    let mut out = Vec::new();
    render(summary, &mut out).expect("render");
    text.push_str(&String::from_utf8_lossy(&out));
    text
}

/// A 200 with `body` and a request id of its own (W3).
fn ok(body: serde_json::Value) -> ResponseTemplate {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    ResponseTemplate::new(200)
        .insert_header(
            "x-amzn-RequestId",
            format!("req-ok-{}", N.fetch_add(1, Ordering::SeqCst)).as_str(),
        )
        .set_body_json(body)
}

mod compare_room;
mod cut_off;
mod reports;
mod timing;
mod traced;
