//! What the report says: counts of answers, W2 on any error body, set-up
//! the target refused.

use std::sync::Arc;
use std::time::Duration;

use appflow_harness::runner::{self, Options};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{check, error, fake, ok, terminal};
use crate::support::url_target;
use std::path::PathBuf;

#[tokio::test]
async fn a_rule_broken_by_every_item_of_a_list_counts_answers_not_items() {
    let server = fake().await;
    Mock::given(method("POST"))
        .and(path("/start-flow"))
        .respond_with(ok(json!({"flowArn": "arn:aws:appflow:us-east-1:000000000000:flow/f1", "flowStatus": "Active", "executionId": "run-1"})))
        .mount(&server)
        .await;
    let run = |id: &str| json!({"executionId": id, "executionStatus": "Successful", "startedAt": "2026-12-06T10:00:00Z"});
    Mock::given(method("POST"))
        .and(path("/describe-flow-execution-records"))
        .respond_with(ok(
            json!({"flowExecutions": [run("run-1"), run("run-0"), run("run-2")]}),
        ))
        .mount(&server)
        .await;
    let summary = check(
        &server.uri(),
        "token_replay_on_demand",
        Duration::from_secs(5),
    )
    .await;
    let report = terminal(&summary);
    let answers = summary.scenarios[0].answers;
    assert!(
        report.contains(&format!(
            "DescribeFlowExecutionRecords body.flowExecutions.*.startedAt: timestamps are epoch seconds as JSON numbers (W4): broken on 1 of {answers} answers"
        )),
        "three string timestamps in one answer are one broken answer:\n{report}"
    );
}

#[tokio::test]
async fn an_html_503_without_an_error_type_breaks_w2_and_w2_is_not_said_held() {
    let server = fake().await;
    Mock::given(method("POST"))
        .and(path("/start-flow"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("x-amzn-RequestId", "req-h")
                .insert_header("content-type", "text/html")
                .set_body_string("<html>Service Unavailable</html>"),
        )
        .mount(&server)
        .await;
    let summary = check(&server.uri(), "unknown_flow", Duration::from_secs(5)).await;
    let report = terminal(&summary);
    assert!(
        report.contains(
            "header x-amzn-ErrorType: an error (503) must name its type (W2): broken on 1 of"
        ),
        "the 503 names no error type:\n{report}"
    );
    assert!(
        !report.contains("(W2): held"),
        "W2 is not held beside an error without a type:\n{report}"
    );
}

#[tokio::test]
async fn set_up_the_target_refused_is_said_once_and_no_scenario_is_counted_failed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/create-flow"))
        .respond_with(error(400, "ValidationException").set_body_json(
            json!({"message": "the source bucket appflow-harness-source holds no object under in"}),
        ))
        .mount(&server)
        .await;
    let file = |n: &str| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(format!("{n}.yaml"))
    };
    let scenarios =
        appflow_harness::scenario::load(&[file("token_replay_on_demand"), file("on_demand_start")])
            .expect("scenarios");
    let target = url_target(&server.uri(), Duration::from_secs(5)).await;
    let options = Options {
        jobs: 1,
        ..Options::new("verdicts", "2026-12-06")
    };
    let summary = runner::run(scenarios, Arc::new(target), options, |_| {}).await;
    let report = terminal(&summary);
    assert_eq!(
        summary.totals.failed, 0,
        "never started is not failed:\n{report}"
    );
    assert_eq!(summary.totals.not_started, 2, "{report}");
    assert!(!summary.passed(), "nor passed:\n{report}");
    let outcome = appflow_harness::commands::Outcome::of_summary(&summary);
    assert_eq!(
        outcome.exit_code(),
        appflow_harness::exit_codes::SETUP_REFUSED,
        "the run fails closed with its own exit code"
    );
    assert_eq!(
        report.matches("holds no object under in").count(),
        1,
        "the target's message, once:\n{report}"
    );
    assert!(
        report.contains("set-up refused: 2 scenario(s) never started")
            && report.contains("--var KEY=VALUE: source_bucket, source_prefix"),
        "the keys that change the fixtures:\n{report}"
    );
    assert!(
        report.contains("NOT STARTED on_demand_start") && !report.contains("FAIL "),
        "{report}"
    );
}

/// Answers as the emulator does, without a request id (W3): every scenario fails.
struct NoRequestId;
impl crate::support::proxy::Change for NoRequestId {
    fn answer(&self, _: &str, _: &serde_json::Value, a: &mut crate::support::proxy::Answer) {
        a.headers.remove("x-amzn-requestid");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_headline_does_not_look_good_for_an_endpoint_that_fails_every_scenario() {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let url = crate::support::proxy::start(&emulator.url(), NoRequestId).await;
    let dir = std::env::temp_dir().join(format!("ah-verdicts-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (md, html) = (dir.join("parity.md"), dir.join("parity.html"));
    let scenarios = format!("{}/scenarios", env!("CARGO_MANIFEST_DIR"));
    let (code, out) = crate::support::run_cli(
        &[
            "compare",
            &scenarios,
            "--target",
            &url,
            "--filter",
            "on_demand_start",
            "--markdown",
            &md.display().to_string(),
            "--html",
            &html.display().to_string(),
        ],
        &appflow_harness::endpoint::Environment::default(),
    )
    .await;
    assert_eq!(code, 1, "{out}");
    let md = std::fs::read_to_string(md).expect("markdown");
    let html = std::fs::read_to_string(html).expect("html");
    let headline = "the target failed 1 of 1 scenarios (0 passed): parity";
    for (name, text) in [("terminal", &out), ("markdown", &md), ("html", &html)] {
        assert!(
            text.contains(headline),
            "{name} leads with the verdict, not a field parity:\n{text}"
        );
    }
    assert!(!md.contains("**Parity"), "{md}");
    let start_row = html
        .lines()
        .flat_map(|l| l.split("<tr>"))
        .find(|row| row.starts_with("<td>StartFlow</td>"))
        .expect("a StartFlow row");
    assert!(
        !start_row.ends_with("<td class=\"n\">0</td></tr>"),
        "the per-operation violations column counts the target's failures: {start_row}"
    );
}

#[tokio::test]
async fn a_run_the_scenario_itself_may_have_started_is_not_blamed_on_another_client() {
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
    // The replay of step 2 answered without its run's id.
    Mock::given(method("POST"))
        .and(path("/start-flow"))
        .respond_with(ok(json!({"flowArn": arn, "flowStatus": "Active"})))
        .mount(&server)
        .await;
    let run =
        |id: &str| json!({"executionId": id, "executionStatus": "Successful", "startedAt": 1.0e9});
    Mock::given(method("POST"))
        .and(path("/describe-flow-execution-records"))
        .respond_with(ok(json!({"flowExecutions": [run("run-x"), run("run-1")]})))
        .mount(&server)
        .await;
    let summary = check(
        &server.uri(),
        "token_replay_on_demand",
        Duration::from_secs(5),
    )
    .await;
    let report = terminal(&summary);
    assert!(
        report.contains("run run-x on this scenario's flow was not started by it (this scenario's StartFlow of step 2 answered 200 without an executionId: the run may be that request's)"),
        "the note names the scenario's own step:\n{report}"
    );
    assert!(!report.contains("another client"), "{report}");
}
