//! Verdicts an emulator's maintainer can act on (issue 28): endpoints made
//! here that behave as emulators written elsewhere do, each with the
//! verdict and the report text asserted.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use appflow_harness::runner::{self, Options, Status, Summary};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::support::url_target;

fn error(status: u16, kind: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("x-amzn-RequestId", "req-1")
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

/// Answers StartFlow 404, but only in time for a token other than the
/// first one it saw when `first_only` (the first play's token: a replay
/// comes with fresh tokens); never in time otherwise.
struct Silent {
    first: std::sync::Mutex<Option<String>>,
    first_only: bool,
}

impl Respond for Silent {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
        let token = body["clientToken"].as_str().unwrap_or_default().to_owned();
        let mut first = self.first.lock().expect("lock");
        let is_first = first.get_or_insert_with(|| token.clone()) == &token;
        let answer = error(404, "ResourceNotFoundException");
        if is_first || !self.first_only {
            answer.set_delay(Duration::from_secs(3))
        } else {
            answer
        }
    }
}

async fn start_flow_answers(server: &MockServer, first_only: bool) {
    Mock::given(method("POST"))
        .and(path("/start-flow"))
        .respond_with(Silent {
            first: std::sync::Mutex::new(None),
            first_only,
        })
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_request_unanswered_again_on_the_replay_breaks_w9() {
    let server = fake().await;
    start_flow_answers(&server, false).await;
    let summary = check(&server.uri(), "unknown_flow", Duration::from_millis(300)).await;
    let report = terminal(&summary);
    let s = &summary.scenarios[0];
    assert_eq!(
        s.status,
        Status::Failed,
        "a request unanswered on the play and on its replay fails (W9), not inconclusive:\n{report}"
    );
    assert_eq!(
        s.attempts, 2,
        "W9 needs one replay, not every replay the runner allows:\n{report}"
    );
    assert!(
        report.contains("W9: the request of step 1 (StartFlow) was read and never answered"),
        "the report names W9 and the step:\n{report}"
    );
    assert!(!summary.passed() && !summary.inconclusive(), "{report}");
}

#[tokio::test]
async fn a_request_unanswered_once_then_answered_on_the_replay_is_judged_by_the_replay() {
    let server = fake().await;
    start_flow_answers(&server, true).await;
    let summary = check(&server.uri(), "unknown_flow", Duration::from_millis(300)).await;
    let report = terminal(&summary);
    let s = &summary.scenarios[0];
    assert_eq!(
        s.status,
        Status::Passed,
        "once may be the network (W9): the replay decides:\n{report}"
    );
    assert_eq!(s.attempts, 2, "one replay:\n{report}");
    assert!(!report.contains("W9"), "no W9 after one silence:\n{report}");
}

fn ok(body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("x-amzn-RequestId", "req-1")
        .set_body_json(body)
}

#[tokio::test]
async fn eventually_stops_at_once_when_more_runs_are_listed_than_it_waits_for() {
    let server = fake().await;
    Mock::given(method("POST"))
        .and(path("/start-flow"))
        .respond_with(ok(json!({"flowArn": "arn:aws:appflow:us-east-1:000000000000:flow/f1", "flowStatus": "Active", "executionId": "run-1"})))
        .mount(&server)
        .await;
    let run = |id: &str| json!({"executionId": id, "executionStatus": "Successful", "startedAt": 1.0e9, "lastUpdatedAt": 1.0e9});
    Mock::given(method("POST"))
        .and(path("/describe-flow-execution-records"))
        .respond_with(ok(json!({"flowExecutions": [run("run-1"), run("run-0")]})))
        .mount(&server)
        .await;
    let summary = check(
        &server.uri(),
        "token_replay_on_demand",
        Duration::from_secs(5),
    )
    .await;
    let report = terminal(&summary);
    let s = &summary.scenarios[0];
    assert_eq!(s.status, Status::Failed, "{report}");
    assert_eq!(
        s.steps[2].calls, 1,
        "two runs listed cannot become one: one request, not 60 s of polling:\n{report}"
    );
    assert!(
        report.contains("(stopped polling after 1 request(s): 2 runs are listed, and a list of runs cannot shrink to 1)"),
        "the report says why polling stopped:\n{report}"
    );
}

#[tokio::test]
async fn cancel_execution_holds_for_a_run_that_ended_before_the_cancel() {
    let config = appflow_harness::emulator::Config {
        run_time_ms: 0,
        ..Default::default()
    };
    let summary = play(
        crate::support::embedded_target(config).await,
        "cancel_execution",
    )
    .await;
    let report = terminal(&summary);
    let s = &summary.scenarios[0];
    assert_eq!(
        s.status,
        Status::Passed,
        "S3 lists a run that already ended in invalidExecutions: that timing conforms:\n{report}"
    );
    let canceling = &s.steps[2];
    assert_eq!(canceling.status, Status::Skipped, "{report}");
    assert!(
        canceling.skipped.as_deref().is_some_and(|w| w
            .starts_with("not applicable: step 2 answered invalidExecutions [\"")
            && w.ends_with("this step checks the outcome where it is []")),
        "the skip says which timing the step needs: {:?}",
        canceling.skipped
    );
    assert_eq!(
        s.steps[3].status,
        Status::Passed,
        "the ended run is listed as ended:\n{report}"
    );
}

#[tokio::test]
async fn cancel_execution_still_checks_the_canceling_run_where_runs_last() {
    let config = appflow_harness::emulator::Config {
        run_time_ms: 60_000,
        ..Default::default()
    };
    let summary = play(
        crate::support::embedded_target(config).await,
        "cancel_execution",
    )
    .await;
    let report = terminal(&summary);
    let s = &summary.scenarios[0];
    assert_eq!(s.status, Status::Passed, "{report}");
    assert_eq!(
        s.steps[2].status,
        Status::Passed,
        "the canceling branch was played:\n{report}"
    );
    assert_eq!(s.steps[3].status, Status::Skipped, "{report}");
}

#[tokio::test]
async fn scenarios_that_need_a_run_in_progress_are_skipped_with_the_reason_where_runs_end_at_once()
{
    let config = appflow_harness::emulator::Config {
        run_time_ms: 0,
        ..Default::default()
    };
    let summary = play(
        crate::support::embedded_target(config).await,
        "delete_in_progress",
    )
    .await;
    let report = terminal(&summary);
    let s = &summary.scenarios[0];
    assert_eq!(
        s.status,
        Status::Skipped,
        "not failed, not passed:\n{report}"
    );
    assert!(
        report.contains("SKIP delete_in_progress") && report.contains(
            "the scenario needs a run still InProgress at its next steps, and this target's runs end at once"
        ),
        "the skip names the timing the scenario needs:\n{report}"
    );
    assert!(!summary.passed(), "a run of skips is no pass:\n{report}");
}

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
