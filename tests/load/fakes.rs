//! Fake AppFlow endpoints that refuse, garble, duplicate or lose runs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use appflow_harness::load::{self, LoadReport, Mix};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};

use super::{ONE_ATTACK, options, text};

/// How a fake AppFlow misbehaves.
#[derive(Clone, Copy, PartialEq)]
enum Fault {
    /// 403 AccessDeniedException to every StartFlow.
    Forbidden,
    /// 200 with a body that is not JSON.
    Garbage,
    /// Every 10th fresh start makes two runs.
    TwoRuns,
    /// Every 10th fresh start makes no run it lists.
    LosesRuns,
    /// Lists every 4th run at once, the others up to 0.6 s late (behind
    /// runs listed before them), as an eventually consistent list does.
    LateRuns,
    /// A token reused on a scheduled flow: 400 ValidationException (T2's
    /// other candidate), which the contract admits.
    T2Validation,
    /// A token reused on a scheduled flow: 200 with a new executionId, a
    /// run the contract never admits there (O3, T2).
    RunOnScheduled,
}

#[derive(Default)]
struct Fake {
    /// flow -> (run id, startedAt) oldest first
    runs: Mutex<HashMap<String, Vec<(String, f64)>>>,
    /// (flow, token) -> run id
    tokens: Mutex<HashMap<(String, String), String>>,
    starts: AtomicU64,
}

/// A fake AppFlow with `fault`; it lists runs newest first with `startedAt`
/// (as S2 chooses) when `newest_first`, else oldest first without it (S2
/// leaves the order open: the verdict must then read every run at the end).
fn fake_app(fault: Fault, newest_first: bool) -> axum::Router {
    async fn ok_flow(Json(body): Json<Value>) -> Json<Value> {
        Json(
            json!({"flowArn": format!("arn:aws:appflow:us-east-1:000000000000:flow/{}", body["flowName"].as_str().unwrap_or("x")), "flowStatus": "Active"}),
        )
    }
    let state = Arc::new((fault, Fake::default(), newest_first));
    let start = |State(s): State<Arc<(Fault, Fake, bool)>>, Json(body): Json<Value>| async move {
        let (fault, fake, _) = &*s;
        let flow = body["flowName"].as_str().unwrap_or_default().to_owned();
        let token = body["clientToken"].as_str().unwrap_or_default().to_owned();
        match fault {
            Fault::Forbidden => {
                return (
                    StatusCode::FORBIDDEN,
                    [("x-amzn-errortype", "AccessDeniedException")],
                    Json(json!({"message": "no"})),
                )
                    .into_response();
            }
            Fault::Garbage => return (StatusCode::OK, "<html>hello</html>").into_response(),
            _ => {}
        }
        if flow.contains("-sc-") && *fault == Fault::T2Validation {
            return (
                StatusCode::BAD_REQUEST,
                [("x-amzn-errortype", "ValidationException")],
                Json(json!({"message": "token used on another flow"})),
            )
                .into_response();
        }
        if flow.contains("-sc-") && *fault == Fault::RunOnScheduled {
            let id = uuid::Uuid::new_v4().to_string();
            return Json(json!({"flowArn": "arn:aws:appflow:us-east-1:000000000000:flow/x", "flowStatus": "Active", "executionId": id})).into_response();
        }
        if flow.contains("-sc-") {
            return (
                StatusCode::CONFLICT,
                [("x-amzn-errortype", "ConflictException")],
                Json(json!({"message": "in use"})),
            )
                .into_response();
        }
        let key = (flow.clone(), token);
        if let Some(id) = fake.tokens.lock().expect("lock").get(&key) {
            return Json(json!({"flowArn": "arn:aws:appflow:us-east-1:000000000000:flow/x", "flowStatus": "Active", "executionId": id})).into_response();
        }
        let id = uuid::Uuid::new_v4().to_string();
        let n = fake.starts.fetch_add(1, Ordering::Relaxed);
        {
            let mut runs = fake.runs.lock().expect("lock");
            let list = runs.entry(flow).or_default();
            let at = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("time")
                .as_secs_f64();
            match fault {
                Fault::LosesRuns if n % 10 == 0 => {}
                Fault::TwoRuns if n % 10 == 0 => {
                    list.push((id.clone(), at));
                    list.push((uuid::Uuid::new_v4().to_string(), at));
                }
                _ => list.push((id.clone(), at)),
            }
        }
        fake.tokens.lock().expect("lock").insert(key, id.clone());
        Json(json!({"flowArn": "arn:aws:appflow:us-east-1:000000000000:flow/x", "flowStatus": "Active", "executionId": id})).into_response()
    };
    let records = |State(s): State<Arc<(Fault, Fake, bool)>>, Json(body): Json<Value>| async move {
        let flow = body["flowName"].as_str().unwrap_or_default();
        let from: usize = body["nextToken"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        let mut runs =
            s.1.runs
                .lock()
                .expect("lock")
                .get(flow)
                .cloned()
                .unwrap_or_default();
        if s.0 == Fault::LateRuns {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("time")
                .as_secs_f64();
            let mut i = 0;
            runs.retain(|(_, at)| {
                i += 1;
                now >= at + f64::from(i % 4) * 0.2
            });
        }
        if s.2 {
            runs.reverse();
        }
        let page: Vec<Value> = runs
            .iter()
            .skip(from)
            .take(100)
            .map(|(id, at)| {
                if s.2 {
                    json!({"executionId": id, "executionStatus": "Successful", "startedAt": at})
                } else {
                    json!({"executionId": id, "executionStatus": "Successful"})
                }
            })
            .collect();
        let mut answer = json!({ "flowExecutions": page });
        if from + 100 < runs.len() {
            answer["nextToken"] = json!((from + 100).to_string());
        }
        Json(answer)
    };
    axum::Router::new()
        .route("/create-flow", post(ok_flow))
        .route("/list-flows", post(|| async { Json(json!({"flows": []})) }))
        .route("/delete-flow", post(|| async { Json(json!({})) }))
        .route("/start-flow", post(start))
        .route("/describe-flow-execution-records", post(records))
        .with_state(state)
}

async fn attack(fault: Fault, newest_first: bool) -> LoadReport {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, fake_app(fault, newest_first)).await });
    let target = crate::support::url_target(&url, Duration::from_secs(5)).await;
    let mut o = options(Mix::default());
    o.run_time = Duration::from_secs(1);
    o.users = 2;
    if fault == Fault::LateRuns {
        // Runs are listed at most 0.6 s late; reads go on for 3 s.
        o.settle = Duration::from_millis(1000);
        o.run_time = Duration::from_secs(3);
    }
    load::run(&target, &o).await.expect("load")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_listed_late_behind_others_are_found_not_lost() {
    let _one = ONE_ATTACK.lock().await;
    let report = attack(Fault::LateRuns, true).await;
    let t = text(&report);
    let v = &report.verdict;
    assert!(v.clean(), "late runs are within --settle-ms: {t}");
    assert_eq!(
        v.verified(),
        v.fresh_tokens,
        "every token's run found though 3 in 4 were listed behind newer runs: {t}"
    );
}

/// A token reused on a scheduled flow may be refused with either of T2's
/// errors: load's conflict transaction passes 400 ValidationException as it
/// passes 409, and fails a 200 that starts a run there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicts_pass_on_either_t2_error_and_fail_on_a_run() {
    let _one = ONE_ATTACK.lock().await;
    let report = attack(Fault::T2Validation, true).await;
    let t = text(&report);
    let conflict = report
        .by_request
        .iter()
        .find(|r| r.name == "StartFlow conflict")
        .expect("conflicts were sent");
    assert!(
        conflict.statuses.keys().all(|s| *s == 400) && conflict.failures == 0,
        "400 ValidationException is T2's other candidate: {t}"
    );
    assert!(report.availability.passed, "{t}");
    let report = attack(Fault::RunOnScheduled, true).await;
    let t = text(&report);
    assert!(!report.passed(), "{t}");
    assert!(
        t.contains("StartFlow conflict: not an answer T2, T8 and C1 admit"),
        "a run on a scheduled flow is a wrong conflict: {t}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_refuses_every_start_fails_availability_and_evidence() {
    let _one = ONE_ATTACK.lock().await;
    let report = attack(Fault::Forbidden, true).await;
    let t = text(&report);
    assert!(!report.passed(), "{t}");
    assert!(
        !report.availability.passed && !report.evidence.passed,
        "{t}"
    );
    assert_eq!(report.evidence.verified_starts, 0);
    assert!(report.verdict.classes.refused > 0, "{t}");
    assert!(
        t.contains("StartFlow fresh: 403 AccessDeniedException"),
        "the reason is reported: {t}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_answers_garbage_fails() {
    let _one = ONE_ATTACK.lock().await;
    let report = attack(Fault::Garbage, true).await;
    let t = text(&report);
    assert!(!report.passed(), "{t}");
    assert_eq!(report.evidence.verified_starts, 0, "{t}");
    assert!(
        report.verdict.classes.unanswered > 0,
        "a 200 without executionId proves nothing: {t}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicated_runs_are_counted_with_witnesses() {
    let _one = ONE_ATTACK.lock().await;
    for newest_first in [true, false] {
        let report = attack(Fault::TwoRuns, newest_first).await;
        let t = format!("newest first: {newest_first}\n{}", text(&report));
        let c = &report.verdict.classes;
        assert!(!report.passed(), "{t}");
        assert_eq!(c.lost, 0, "{t}");
        let expected = report.verdict.fresh_tokens.div_ceil(10);
        assert_eq!(
            c.duplicated, expected,
            "every 10th start made two runs: {t}"
        );
        assert!(
            report
                .verdict
                .witnesses
                .iter()
                .any(|w| w.class == "duplicated" && w.execution_id.is_some()),
            "{t}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_runs_are_counted_per_token_and_never_cancel_out() {
    let _one = ONE_ATTACK.lock().await;
    for newest_first in [true, false] {
        let report = attack(Fault::LosesRuns, newest_first).await;
        let t = format!("newest first: {newest_first}\n{}", text(&report));
        let c = &report.verdict.classes;
        assert!(!report.passed(), "{t}");
        assert_eq!(c.lost, report.verdict.fresh_tokens.div_ceil(10), "{t}");
        assert_eq!(c.duplicated, 0, "{t}");
        let w = report
            .verdict
            .witnesses
            .iter()
            .find(|w| w.class == "lost")
            .expect("a witness");
        assert!(
            w.token.is_some() && w.execution_id.is_some() && w.at_ms.is_some(),
            "{w:?}"
        );
    }
}
