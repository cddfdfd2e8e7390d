//! The load command and its fail-closed verdict: a clean attack on the
//! emulator; endpoints that refuse everything, answer garbage, start two
//! runs for some tokens, lose runs, or lose answers after doing the work,
//! each with the right token classes and exit code; honest options.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use appflow_harness::emulator::Config;
use appflow_harness::load::{self, LoadOptions, LoadReport, Mix, Thresholds};
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
        hatch_rate: 8.0,
        run_time: Duration::from_secs(2),
        mix,
        flows: 4,
        pool: 256,
        timeout: Duration::from_secs(5),
        settle: Duration::from_millis(300),
        thresholds: Thresholds {
            max_error_rate_pct: 1.0,
            min_verified: 100,
            max_p99_ms: None,
            min_rps: None,
        },
        ..LoadOptions::default()
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
    load::run(&target, &o).await.expect("load")
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
    o.thresholds.max_error_rate_pct = 100.0;
    let report = load::run(&target, &o).await.expect("load");
    let t = text(&report);
    let c = &report.verdict.classes;
    assert!(c.recovered > 10, "{t}");
    assert_eq!((c.lost, c.duplicated), (0, 0), "{t}");
    assert!(report.verdict.retries >= c.recovered, "{t}");
    assert!(report.verdict.clean(), "{t}");
}

/// The exit code of `appflow-harness <args>` run in this process, and the
/// error's text (clap's refusals count as the binary would exit: 2).
fn run_cli(args: &[&str]) -> (i32, String) {
    use clap::Parser;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let cli = match appflow_harness::cli::Cli::try_parse_from(
        std::iter::once("appflow-harness").chain(args.iter().copied()),
    ) {
        Ok(cli) => cli,
        Err(e) => return (e.exit_code(), e.to_string()),
    };
    let result = rt.block_on(appflow_harness::cli::run(cli));
    let message = match &result {
        Ok(o) => format!("{o:?}"),
        Err(e) => e.to_string(),
    };
    (crate::support::exit_code(&result), message)
}

#[test]
fn options_without_meaning_are_refused_before_anything_starts() {
    let cases: [(&[&str], &str); 9] = [
        (&["--run-time", "0s"], "--run-time"),
        (&["--run-time", "abc"], "run-time"),
        (&["--run-time", "0"], "--run-time"),
        (&["--users", "0"], "--users"),
        (&["--flows", "0"], "--flows"),
        (&["--pool", "0"], "--pool"),
        (&["--throttle", "0"], "--throttle"),
        (&["--hatch-rate", "0"], "--hatch-rate"),
        (&["--interval", "0s"], "--interval"),
    ];
    for (flags, named) in cases {
        let mut args = vec!["load"];
        args.extend_from_slice(flags);
        let (code, message) = run_cli(&args);
        assert_eq!(
            code,
            appflow_harness::exit_codes::USAGE,
            "{flags:?} is refused with exit 2 (nothing started): {message}"
        );
        assert!(
            message.contains(named),
            "{flags:?}: the reason names {named}: {message}"
        );
    }
}

/// A worker's (or, with `worker` None, a standalone run's) report, with
/// one series point per second.
fn worker_report(
    worker: Option<(usize, usize)>,
    target: &str,
    users: u64,
    started_at: f64,
) -> LoadReport {
    use appflow_harness::load::metrics::{Metrics, Recorded};
    use appflow_harness::load::report::{RequestFigures, RunInfo, SeriesReport};
    let metrics = Metrics::new(Duration::from_secs(1));
    for i in 0..30u32 {
        metrics.record("StartFlow fresh", i * 100, 500, 200, None);
    }
    let (name, h, statuses, failures) = metrics.snapshot().remove(0);
    let run = RunInfo {
        harness_version: "test".into(),
        target: target.into(),
        target_kind: "url".into(),
        started_at,
        worker,
        options: json!({"users": users}),
    };
    let figures = RequestFigures::new(name, h, statuses, failures, 3.0);
    let _ = Recorded::default();
    LoadReport::new(
        run,
        3.0,
        vec![figures],
        Default::default(),
        Default::default(),
        SeriesReport {
            interval_ms: 1000,
            by_request: metrics.series(),
        },
    )
}

#[test]
fn merge_refuses_reports_that_do_not_belong_together_and_merges_series_by_time() {
    let dir = std::env::temp_dir().join(format!("appflow-harness-merge-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let write = |name: &str, r: &LoadReport| -> String {
        let path = dir.join(name);
        std::fs::write(&path, serde_json::to_string(r).expect("json")).expect("write");
        path.display().to_string()
    };
    let url = "http://127.0.0.1:9";
    let w0 = write("w0.json", &worker_report(Some((0, 2)), url, 2, 100.0));
    let w1 = write("w1.json", &worker_report(Some((1, 2)), url, 2, 101.0));
    let alone = write("alone.json", &worker_report(None, url, 2, 100.0));
    let other_target = write(
        "t.json",
        &worker_report(Some((1, 2)), "http://127.0.0.1:8", 2, 100.0),
    );
    let other_options = write("o.json", &worker_report(Some((1, 2)), url, 3, 100.0));
    let other_count = write("n.json", &worker_report(Some((1, 3)), url, 2, 100.0));
    for (second, why) in [
        (&w0, "both worker 0"),
        (&alone, "not a worker's report"),
        (&other_target, "different targets"),
        (&other_options, "different options"),
        (&other_count, "not the same run"),
    ] {
        let (code, message) = run_cli(&["load", "merge", &w0, second]);
        assert_eq!(
            code,
            appflow_harness::exit_codes::USAGE,
            "merging {second} with worker 0 is refused, not summed: {message}"
        );
        assert!(message.contains(why), "the reason says {why:?}: {message}");
    }
    let merged_path = dir.join("merged.json");
    let (code, message) = run_cli(&[
        "load",
        "merge",
        &w0,
        &w1,
        "--min-verified",
        "1",
        "--json",
        &merged_path.display().to_string(),
    ]);
    assert_ne!(
        code,
        appflow_harness::exit_codes::USAGE,
        "two workers merge: {message}"
    );
    let merged: Value =
        serde_json::from_slice(&std::fs::read(&merged_path).expect("merged")).expect("json");
    let points = merged["series"]["by_request"][0]["points"]
        .as_array()
        .expect("points");
    let by_index: Vec<(u64, u64)> = points
        .iter()
        .map(|p| {
            (
                p["index"].as_u64().unwrap_or(0),
                p["requests"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    // Worker 1 started a second later: its seconds 0..2 are the merge's 1..3.
    assert_eq!(
        by_index,
        [(0, 10), (1, 20), (2, 20), (3, 10)],
        "series add up by time, not by index: {points:?}"
    );
}

/// Throttles every third DescribeFlowExecutionRecords (429), passes the rest.
struct ThrottleReads(AtomicU64);

impl crate::support::proxy::Change for ThrottleReads {
    fn intercept(&self, path: &str, _: &Value, _: usize) -> Option<crate::support::proxy::Answer> {
        (path == "/describe-flow-execution-records"
            && self.0.fetch_add(1, Ordering::Relaxed) % 3 == 2)
            .then(|| crate::support::proxy::error(429, "ThrottlingException", "Rate exceeded"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_throttles_every_third_read_still_has_every_token_verified() {
    let _one = ONE_ATTACK.lock().await;
    let emu = appflow_harness::emulator::Emulator::start_with(Config {
        max_concurrent_runs: usize::MAX,
        max_runs_per_month: u64::MAX,
        ..Config::default()
    })
    .await
    .expect("emulator");
    let throttle = ThrottleReads(AtomicU64::new(0));
    let url = crate::support::proxy::start(&emu.url(), throttle).await;
    let target = crate::support::url_target(&url, Duration::from_secs(5)).await;
    let mut o = options("fresh=100".parse().expect("mix"));
    o.users = 2;
    let report = load::run(&target, &o).await.expect("load");
    let t = text(&report);
    let v = &report.verdict;
    assert!(
        v.error.is_none() && v.clean(),
        "throttled reads are retried, not fatal: {t}"
    );
    assert!(v.fresh_tokens > 0, "{t}");
    assert_eq!(
        v.verified(),
        v.fresh_tokens,
        "every fresh token verified although every third read was throttled: {t}"
    );
}

/// Answers every DescribeFlowExecutionRecords with no runs and the same nextToken.
struct EchoToken;

impl crate::support::proxy::Change for EchoToken {
    fn intercept(
        &self,
        path: &str,
        body: &Value,
        _: usize,
    ) -> Option<crate::support::proxy::Answer> {
        if path != "/describe-flow-execution-records" {
            return None;
        }
        let mut a = crate::support::proxy::error(200, "", "");
        a.headers.remove("x-amzn-errortype");
        let token = body["nextToken"].as_str().unwrap_or("page-2");
        let json = json!({"flowExecutions": [], "nextToken": token});
        a.raw = json.to_string().into();
        a.json = Some(json);
        Some(a)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_echoes_next_token_is_a_violation_not_a_hang() {
    let _one = ONE_ATTACK.lock().await;
    let emu = appflow_harness::emulator::Emulator::start_with(Config {
        max_concurrent_runs: usize::MAX,
        max_runs_per_month: u64::MAX,
        ..Config::default()
    })
    .await
    .expect("emulator");
    let url = crate::support::proxy::start(&emu.url(), EchoToken).await;
    let target = crate::support::url_target(&url, Duration::from_secs(5)).await;
    let mut o = options("fresh=100".parse().expect("mix"));
    o.run_time = Duration::from_secs(1);
    // A bound far above what the run needs: the test fails rather than hangs.
    let report = tokio::time::timeout(Duration::from_secs(120), load::run(&target, &o))
        .await
        .expect("the run ends")
        .expect("load");
    let t = text(&report);
    assert!(!report.passed(), "{t}");
    let e = report.verdict.error.as_deref().unwrap_or_default();
    assert!(
        e.contains("a second time") && e.contains("S2"),
        "the violation is named with its rule: {t}"
    );
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
    o.run_time = Duration::from_secs(1);
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

/// serve's request counter.
fn served(rt: &tokio::runtime::Runtime, url: &str) -> Value {
    rt.block_on(async {
        reqwest::get(format!("{url}/_harness/counters"))
            .await
            .expect("counters")
            .json::<Value>()
            .await
            .expect("json")
    })
}

#[test]
fn sigterm_and_sigint_mid_run_write_the_report_leave_no_flow_and_exit_130() {
    use std::process::{Command, Stdio};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let bin = env!("CARGO_BIN_EXE_appflow-harness");
    let (mut serve, url) = crate::support::spawn_serve(&[
        "--max-concurrent-runs",
        "100000000",
        "--max-runs-per-month",
        "100000000",
    ]);
    let dir = std::env::temp_dir().join(format!("appflow-harness-signal-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    for signal in ["TERM", "INT"] {
        let json_path = dir.join(format!("{signal}.json"));
        let html_path = dir.join(format!("{signal}.html"));
        let before = served(&rt, &url)["requests"].as_u64().unwrap_or(0);
        let load = Command::new(bin)
            .args(["load", "--target", &url, "--users", "2", "--flows", "2"])
            .args(["--run-time", "120s", "--min-verified", "1", "--json"])
            .arg(&json_path)
            .arg("--report-file")
            .arg(&html_path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("load");
        // Mid-run: the attack has sent a few hundred requests.
        let mut waited = 0;
        while served(&rt, &url)["requests"].as_u64().unwrap_or(0) < before + 300 {
            std::thread::sleep(Duration::from_millis(100));
            waited += 1;
            assert!(waited < 600, "the attack never started");
        }
        let killed = Command::new("kill")
            .args([format!("-{signal}"), load.id().to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
        let out = load.wait_with_output().expect("load ends");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(appflow_harness::exit_codes::INTERRUPTED),
            "SIG{signal}: exit 130 as README's table says: {stderr}"
        );
        assert!(
            !stderr.contains("caught ctrl-c"),
            "goose's own handler stays out: {stderr}"
        );
        let report: Value =
            serde_json::from_slice(&std::fs::read(&json_path).expect("the JSON report is written"))
                .expect("json");
        assert_eq!(report["interrupted"], json!(true), "SIG{signal}");
        assert_eq!(
            report["verdict"]["classes"]["lost"],
            json!(0),
            "what ran is judged: {report}"
        );
        assert!(html_path.exists(), "the HTML report is written too");
        assert_eq!(
            served(&rt, &url)["flows"],
            json!(0),
            "SIG{signal}: the ld- flows were deleted"
        );
    }
    let _ = serve.kill();
    let _ = serve.wait();
}
