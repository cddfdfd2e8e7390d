//! The load command and its fail-closed verdict: a clean attack on the
//! emulator; endpoints that refuse everything, answer garbage, start two
//! runs for some tokens, lose runs, or lose answers after doing the work,
//! each with the right token classes and exit code; honest options.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use appflow_harness::emulator::Config;
use appflow_harness::load::{self, LoadOptions, LoadReport, Mix};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};

/// Goose keeps process-wide state (its Ctrl-C kill switch): one attack at a time.
static ONE_ATTACK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn options(mix: Mix) -> LoadOptions {
    LoadOptions {
        users: 4,
        hatch_rate: "8".into(),
        run_time: "2s".into(),
        mix,
        flows: 4,
        throttle: None,
        co_mitigation: "disabled".into(),
        pool: 256,
        timeout: Duration::from_secs(5),
        settle: Duration::from_millis(300),
        goose_output: false,
        lose_answers_pct: 0.0,
        max_error_rate_pct: 1.0,
        min_verified: 100,
        worker: None,
        start_at: None,
        progress: false,
    }
}

fn text(report: &LoadReport) -> String {
    let mut out = Vec::new();
    report.render(&mut out).expect("render");
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_load_on_the_emulator_has_a_clean_verdict_and_every_transaction() {
    let _one = ONE_ATTACK.lock().await;
    let config = Config {
        max_concurrent_runs: usize::MAX,
        max_runs_per_month: u64::MAX,
        ..Config::default()
    };
    let target = crate::support::embedded_target(config).await;
    let mix: Mix = "fresh=70,replay=15,conflict=10,describe=5"
        .parse()
        .expect("mix");
    let report = load::run(&target, &options(mix)).await.expect("load");
    let t = text(&report);
    assert!(report.passed(), "{t}");
    let c = &report.verdict.classes;
    assert!(c.exactly_once > 100, "{t}");
    assert_eq!(c.exactly_once, report.verdict.fresh_tokens, "{t}");
    assert_eq!(
        report.verdict.runs_found, report.verdict.fresh_tokens,
        "{t}"
    );
    let names: Vec<&str> = report.by_request.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "DescribeFlow",
            "StartFlow conflict",
            "StartFlow fresh",
            "StartFlow replay"
        ],
        "{t}"
    );
    let conflict = report
        .by_request
        .iter()
        .find(|r| r.name == "StartFlow conflict")
        .expect("conflict");
    assert_eq!(conflict.failures, 0, "{t}");
    assert!(conflict.statuses.keys().all(|s| *s == 409), "{t}");
    let mut page = Vec::new();
    appflow_harness::load::html::render(&report, &mut page).expect("html");
    let page = String::from_utf8_lossy(&page);
    assert!(
        page.contains("Fresh tokens") && page.contains("<svg"),
        "the verdict, classes and pictures"
    );
    for banned in ["<script", "<link", "src=", "url(", "@import"] {
        assert!(!page.contains(banned), "the page loads nothing: {banned}");
    }
    let hist = report.by_request[2].histogram.histogram();
    assert_eq!(
        hist.len(),
        report.by_request[2].requests,
        "the histogram holds every request"
    );
    let counters: Value = reqwest::get(format!("{}/_harness/counters", target.endpoint.base_url()))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(
        counters["flows"],
        json!(0),
        "the load test deleted its flows"
    );
}

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
}

#[derive(Default)]
struct Fake {
    /// flow -> run ids
    runs: Mutex<HashMap<String, Vec<String>>>,
    /// (flow, token) -> run id
    tokens: Mutex<HashMap<(String, String), String>>,
    starts: AtomicU64,
}

fn fake_app(fault: Fault) -> axum::Router {
    async fn ok_flow(Json(body): Json<Value>) -> Json<Value> {
        Json(
            json!({"flowArn": format!("arn:aws:appflow:us-east-1:000000000000:flow/{}", body["flowName"].as_str().unwrap_or("x")), "flowStatus": "Active"}),
        )
    }
    let state = Arc::new((fault, Fake::default()));
    let start = |State(s): State<Arc<(Fault, Fake)>>, Json(body): Json<Value>| async move {
        let (fault, fake) = &*s;
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
            match fault {
                Fault::LosesRuns if n % 10 == 0 => {}
                Fault::TwoRuns if n % 10 == 0 => {
                    list.push(id.clone());
                    list.push(uuid::Uuid::new_v4().to_string());
                }
                _ => list.push(id.clone()),
            }
        }
        fake.tokens.lock().expect("lock").insert(key, id.clone());
        Json(json!({"flowArn": "arn:aws:appflow:us-east-1:000000000000:flow/x", "flowStatus": "Active", "executionId": id})).into_response()
    };
    let records = |State(s): State<Arc<(Fault, Fake)>>, Json(body): Json<Value>| async move {
        let flow = body["flowName"].as_str().unwrap_or_default();
        let from: usize = body["nextToken"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        let runs =
            s.1.runs
                .lock()
                .expect("lock")
                .get(flow)
                .cloned()
                .unwrap_or_default();
        let page: Vec<Value> = runs
            .iter()
            .skip(from)
            .take(100)
            .map(|id| json!({"executionId": id, "executionStatus": "Successful"}))
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

async fn attack(fault: Fault) -> LoadReport {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, fake_app(fault)).await });
    let target = crate::support::url_target(&url, Duration::from_secs(5)).await;
    let mut o = options(Mix::default());
    o.run_time = "1s".into();
    o.users = 2;
    load::run(&target, &o).await.expect("load")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_refuses_every_start_fails_availability_and_evidence() {
    let _one = ONE_ATTACK.lock().await;
    let report = attack(Fault::Forbidden).await;
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
    let report = attack(Fault::Garbage).await;
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
    let report = attack(Fault::TwoRuns).await;
    let t = text(&report);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_runs_are_counted_per_token_and_never_cancel_out() {
    let _one = ONE_ATTACK.lock().await;
    let report = attack(Fault::LosesRuns).await;
    let t = text(&report);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_lost_after_the_work_was_done_are_recovered_and_nothing_is_lost() {
    let _one = ONE_ATTACK.lock().await;
    let config = Config {
        max_concurrent_runs: usize::MAX,
        max_runs_per_month: u64::MAX,
        ..Config::default()
    };
    let target = crate::support::embedded_target(config).await;
    // The emulator starts the run, then drops the connection, for 10% of
    // StartFlows; the client also throws away 10% of the answers it gets.
    let api = crate::support::Api::new(target.endpoint.base_url());
    api.control(
        "faults",
        json!({"kind": "drop", "when": "after", "fraction": 0.1, "operation": "StartFlow"}),
    )
    .await;
    let mut o = options("fresh=100".parse().expect("mix"));
    o.lose_answers_pct = 10.0;
    o.max_error_rate_pct = 100.0;
    let report = load::run(&target, &o).await.expect("load");
    let t = text(&report);
    let c = &report.verdict.classes;
    assert!(c.recovered > 10, "{t}");
    assert_eq!((c.lost, c.duplicated), (0, 0), "{t}");
    assert!(report.verdict.retries >= c.recovered, "{t}");
    assert!(report.verdict.clean(), "{t}");
}

#[test]
fn the_run_time_must_be_positive_and_is_checked_before_anything_starts() {
    use clap::Parser;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    for bad in ["0s", "abc", "0"] {
        let cli = appflow_harness::cli::Cli::try_parse_from([
            "appflow-harness",
            "load",
            "--run-time",
            bad,
        ])
        .expect("args");
        let result = rt.block_on(appflow_harness::cli::run(cli));
        assert_eq!(
            crate::support::exit_code(&result),
            appflow_harness::exit_codes::USAGE,
            "{bad}: {result:?}"
        );
    }
}

#[test]
fn three_workers_as_kubernetes_runs_them_merge_into_one_verdict() {
    use std::process::{Command, Stdio};
    let bin = env!("CARGO_BIN_EXE_appflow-harness");
    let (mut serve, url) = crate::support::spawn_serve(&[
        "--max-concurrent-runs",
        "100000000",
        "--max-runs-per-month",
        "100000000",
    ]);
    let dir =
        std::env::temp_dir().join(format!("appflow-harness-workers-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let start_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs_f64()
        + 2.0;
    let workers: Vec<_> = (0..3)
        .map(|i| {
            Command::new(bin)
                .args([
                    "load",
                    "--target",
                    &url,
                    "--users",
                    "2",
                    "--run-time",
                    "2s",
                    "--flows",
                    "2",
                    "--workers",
                    "3",
                ])
                .args(["--start-at", &start_at.to_string(), "--min-verified", "10"])
                .arg("--json")
                .arg(dir.join(format!("w{i}.json")))
                .env("JOB_COMPLETION_INDEX", i.to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("worker")
        })
        .collect();
    for mut w in workers {
        assert!(
            w.wait().expect("worker ends").success(),
            "each worker passes alone"
        );
    }
    let reports: Vec<Value> = (0..3)
        .map(|i| {
            serde_json::from_slice(&std::fs::read(dir.join(format!("w{i}.json"))).expect("report"))
                .expect("json")
        })
        .collect();
    for (i, r) in reports.iter().enumerate() {
        assert_eq!(
            r["run"]["worker"],
            json!([i, 3]),
            "worker {i} knows its index"
        );
    }
    let merged_path = dir.join("merged.json");
    let merge = Command::new(bin)
        .arg("load")
        .arg("merge")
        .args((0..3).map(|i| dir.join(format!("w{i}.json"))))
        .arg("--json")
        .arg(&merged_path)
        .output()
        .expect("merge");
    let _ = serve.kill();
    let _ = serve.wait();
    let out = String::from_utf8_lossy(&merge.stdout);
    assert!(merge.status.success(), "{out}");
    let merged: Value =
        serde_json::from_slice(&std::fs::read(&merged_path).expect("merged")).expect("json");
    let sum = |path: &str| -> u64 {
        reports
            .iter()
            .map(|r| r.pointer(path).and_then(Value::as_u64).unwrap_or(0))
            .sum()
    };
    assert_eq!(merged["merged_from"], 3);
    assert_eq!(merged["requests"].as_u64(), Some(sum("/requests")), "{out}");
    assert_eq!(
        merged["verdict"]["fresh_tokens"].as_u64(),
        Some(sum("/verdict/fresh_tokens"))
    );
    assert_eq!(
        merged["verdict"]["classes"]["exactly_once"].as_u64(),
        Some(sum("/verdict/classes/exactly_once"))
    );
    let fresh_hist: u64 = merged["by_request"]
        .as_array()
        .expect("by_request")
        .iter()
        .find(|r| r["name"] == "StartFlow fresh")
        .and_then(|r| r["histogram"]["values"].as_array())
        .expect("histogram")
        .iter()
        .map(|p| p[1].as_u64().unwrap_or(0))
        .sum();
    let fresh_requests: u64 = reports
        .iter()
        .flat_map(|r| r["by_request"].as_array().cloned().unwrap_or_default())
        .filter(|r| r["name"] == "StartFlow fresh")
        .map(|r| r["requests"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(
        fresh_hist, fresh_requests,
        "histograms are added, not averaged"
    );
    assert!(
        out.contains("merged from 3 reports") && out.contains("correctness (records): ok"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_whose_quotas_refuse_most_starts_is_said_to_be_quota_bound() {
    let _one = ONE_ATTACK.lock().await;
    let emu = appflow_harness::emulator::Emulator::start_with(Config {
        max_concurrent_runs: 50,
        ..Config::default()
    })
    .await
    .expect("emulator");
    let target = crate::support::url_target(&emu.url(), Duration::from_secs(5)).await;
    let mut o = options("fresh=100".parse().expect("mix"));
    o.run_time = "1s".into();
    let report = load::run(&target, &o).await.expect("load");
    let t = text(&report);
    assert!(!report.availability.passed, "{t}");
    assert!(
        report.verdict.clean(),
        "the 402s are refusals, not lost runs: {t}"
    );
    assert!(
        t.contains("note: quota:") && t.contains("402 ServiceQuotaExceededException"),
        "{t}"
    );
    assert!(
        t.contains("--max-concurrent-runs"),
        "says how to lift them: {t}"
    );
}
