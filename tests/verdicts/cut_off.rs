//! Answers the harness could not read whole, and throttles that say so
//! only by their error type: the report names what happened instead of
//! blaming another client or failing the endpoint.

use std::sync::Arc;
use std::time::Duration;

use appflow_harness::endpoint::{Environment, TargetChoice, TargetOptions, resolve};
use appflow_harness::runner::{self, FailureKind, Options};
use serde_json::json;
use wiremock::Mock;
use wiremock::matchers::{method, path};

use super::{check, error, fake, ok, terminal};

#[tokio::test]
async fn a_run_whose_start_answer_was_cut_off_is_the_scenarios_own_not_another_clients() {
    let server = fake().await;
    let arn = "arn:aws:appflow:us-east-1:000000000000:flow/f1";
    Mock::given(method("POST"))
        .and(path("/start-flow"))
        .respond_with(ok(
            json!({"flowArn": arn, "flowStatus": "Active", "executionId": "run-1"}),
        ))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    // The replay's answer is larger than the answer limit: the run it
    // names (run-x) is never read.
    Mock::given(method("POST"))
        .and(path("/start-flow"))
        .respond_with(ok(json!({"flowArn": arn, "flowStatus": "Active", "executionId": "run-x", "padding": "x".repeat(8192)})))
        .mount(&server)
        .await;
    let run =
        |id: &str| json!({"executionId": id, "executionStatus": "Successful", "startedAt": 1.0e9});
    Mock::given(method("POST"))
        .and(path("/describe-flow-execution-records"))
        .respond_with(ok(json!({"flowExecutions": [run("run-x"), run("run-1")]})))
        .mount(&server)
        .await;
    let mut options = TargetOptions::new(TargetChoice::Url(server.uri()));
    options.timeout = Duration::from_secs(5);
    options.answer_limit = 4096;
    let target = resolve(options, &Environment::default())
        .await
        .expect("target");
    let file = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/token_replay_on_demand.yaml");
    let scenarios = appflow_harness::scenario::load(&[file]).expect("scenario");
    let summary = runner::run(
        scenarios,
        Arc::new(target),
        Options {
            jobs: 1,
            ..Options::new("verdicts", "2026-12-06")
        },
        |_| {},
    )
    .await;
    let report = terminal(&summary);
    assert!(
        report.contains("run run-x on this scenario's flow was not started by it (this scenario's StartFlow of step 2 was answered, but its answer was cut off at the answer limit"),
        "the note says the answer naming the run was cut off:\n{report}"
    );
    assert!(!report.contains("another client"), "{report}");
    assert!(!report.contains("got no answer"), "{report}");
}

#[tokio::test]
async fn a_throttling_error_type_on_a_400_is_a_throttle_not_an_expectation_failure() {
    let server = fake().await;
    // Some endpoints throttle with 400 and the error type only; the SDKs
    // retry it as a throttle, and so does every engine of the harness.
    Mock::given(method("POST"))
        .and(path("/start-flow"))
        .respond_with(error(400, "ThrottlingException"))
        .mount(&server)
        .await;
    let summary = check(&server.uri(), "unknown_flow", Duration::from_secs(5)).await;
    let report = terminal(&summary);
    let r = &summary.scenarios[0];
    assert!(
        r.failures
            .iter()
            .any(|f| f.kind == FailureKind::Inconclusive
                && f.message
                    .contains("throttled (429 or a throttling error type)")),
        "the step is not judged, as for a 429:\n{report}"
    );
    assert!(
        !r.failures
            .iter()
            .any(|f| f.kind == FailureKind::Expectation),
        "no expectation is judged on a throttle:\n{report}"
    );
}
