//! Timings the contract allows: silences (W9), runs that end at once, runs
//! listed in any order within one second (S2), lists that cannot shrink.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use appflow_harness::runner::Status;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::{check, error, fake, ok, play, terminal};

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

/// Runs that all started in one whole second, listed in another order on
/// each new listing (as floci does); a listing's pages are one listing
/// (the token carries the rest of it), as S2 asks.
#[derive(Default)]
struct SameSecondRuns {
    runs: std::sync::Mutex<Vec<String>>,
    listings: std::sync::atomic::AtomicUsize,
}

struct Records(Arc<SameSecondRuns>);
struct Starts(Arc<SameSecondRuns>);

impl Respond for Starts {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut runs = self.0.runs.lock().expect("lock");
        let id = format!("run-{}", runs.len() + 1);
        runs.push(id.clone());
        ok(
            json!({"flowArn": "arn:aws:appflow:us-east-1:000000000000:flow/f1", "flowStatus": "Active", "executionId": id}),
        )
    }
}

impl Respond for Records {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
        let max = body["maxResults"].as_u64().unwrap_or(20) as usize;
        if max > 100 {
            return error(400, "ValidationException");
        }
        let listing: Vec<String> = match body["nextToken"].as_str() {
            Some(t) => match t.strip_prefix("rest:") {
                Some(rest) => rest.split(',').map(str::to_owned).collect(),
                None => return error(400, "ValidationException"),
            },
            None => {
                let mut all = self.0.runs.lock().expect("lock").clone();
                let n = self.0.listings.fetch_add(1, Ordering::SeqCst);
                if !all.is_empty() {
                    let k = n % all.len();
                    all.rotate_left(k);
                }
                all
            }
        };
        let page: Vec<serde_json::Value> = listing
            .iter()
            .take(max)
            .map(|id| json!({"executionId": id, "executionStatus": "Successful", "startedAt": 1_765_015_200, "lastUpdatedAt": 1_765_015_200}))
            .collect();
        let mut answer = json!({ "flowExecutions": page });
        if listing.len() > max {
            answer["nextToken"] = json!(format!("rest:{}", listing[max..].join(",")));
        }
        ok(answer)
    }
}

#[tokio::test]
async fn paging_runs_of_one_second_in_any_order_passes_every_time() {
    for round in 0..4 {
        let server = fake().await;
        let state = Arc::new(SameSecondRuns::default());
        state.listings.store(round, Ordering::SeqCst);
        Mock::given(method("POST"))
            .and(path("/start-flow"))
            .respond_with(Starts(state.clone()))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/describe-flow-execution-records"))
            .respond_with(Records(state))
            .mount(&server)
            .await;
        let summary = check(
            &server.uri(),
            "execution_records_paging",
            Duration::from_secs(5),
        )
        .await;
        let report = terminal(&summary);
        assert_eq!(
            summary.scenarios[0].status,
            Status::Passed,
            "round {round}: S2 leaves the order free; one listing's pages neither overlap nor skip:\n{report}"
        );
    }
}
