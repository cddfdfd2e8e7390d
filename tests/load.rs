//! The load command: a short attack on the embedded emulator ends with a
//! clean verdict; one on an endpoint that answers new executionIds on replay
//! and loses runs ends with those counted and a failing exit code.

use std::time::Duration;

use appflow_harness::emulator::Config;
use appflow_harness::load::{self, LoadOptions, Mix};
use axum::Json;
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
        report_file: None,
        co_mitigation: "disabled".into(),
        pool: 256,
        timeout: Duration::from_secs(5),
        settle: Duration::ZERO,
        goose_output: false,
    }
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
    let mut text = Vec::new();
    report.render(&mut text).expect("render");
    let text = String::from_utf8_lossy(&text);
    assert!(report.verdict.clean(), "{text}");
    assert!(report.passed(), "{text}");
    assert_eq!(report.verdict.counted_by, "counters");
    assert!(report.verdict.fresh_ok > 100, "{text}");
    assert_eq!(report.verdict.runs_found, report.verdict.fresh_ok, "{text}");
    let names: Vec<&str> = report.by_request.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "DescribeFlow",
            "StartFlow conflict",
            "StartFlow fresh",
            "StartFlow replay"
        ],
        "{text}"
    );
    let conflict = report
        .by_request
        .iter()
        .find(|r| r.name == "StartFlow conflict")
        .expect("conflict");
    assert_eq!(conflict.failures, 0, "{text}");
    assert!(conflict.statuses.keys().all(|s| *s == 409), "{text}");
    assert!(
        text.contains("lost: 0  duplicated: 0  wrong replays: 0"),
        "{text}"
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

/// A fake AppFlow that starts nothing it can list and forgets every token.
fn faulty_app() -> axum::Router {
    async fn ok_flow(Json(body): Json<Value>) -> Json<Value> {
        Json(
            json!({"flowArn": format!("arn:aws:appflow:us-east-1:000000000000:flow/{}", body["flowName"].as_str().unwrap_or("x")), "flowStatus": "Active"}),
        )
    }
    async fn start(Json(body): Json<Value>) -> Json<Value> {
        Json(json!({
            "flowArn": format!("arn:aws:appflow:us-east-1:000000000000:flow/{}", body["flowName"].as_str().unwrap_or("x")),
            "flowStatus": "Active",
            "executionId": uuid::Uuid::new_v4().to_string(),
        }))
    }
    axum::Router::new()
        .route("/create-flow", post(ok_flow))
        .route("/delete-flow", post(|| async { Json(json!({})) }))
        .route("/start-flow", post(start))
        .route(
            "/describe-flow-execution-records",
            post(|| async { Json(json!({"flowExecutions": []})) }),
        )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_runs_and_wrong_replays_are_counted_and_fail_the_exit_code() {
    use clap::Parser;
    let _one = ONE_ATTACK.lock().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, faulty_app()).await });

    let target = crate::support::url_target(&url, Duration::from_secs(5)).await;
    let report = load::run(&target, &options(Mix::default()))
        .await
        .expect("load");
    let v = &report.verdict;
    assert_eq!(v.counted_by, "records");
    assert!(v.wrong_replays > 0, "{v:?}");
    assert!(v.wrong_conflicts > 0, "{v:?}");
    assert_eq!(
        v.lost, v.fresh_ok,
        "no run of any fresh token is listed: {v:?}"
    );
    assert!(
        v.examples
            .iter()
            .any(|e| e.contains("answered executionId")),
        "{v:?}"
    );
    assert!(!report.passed());

    let cli = appflow_harness::cli::Cli::try_parse_from([
        "appflow-harness",
        "load",
        "--target",
        &url,
        "--users",
        "2",
        "--run-time",
        "1s",
        "--flows",
        "2",
    ])
    .expect("args");
    assert_eq!(
        crate::support::exit_code(&appflow_harness::cli::run(cli).await),
        appflow_harness::exit_codes::FAILURES
    );
}
