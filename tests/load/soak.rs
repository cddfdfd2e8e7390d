//! Issue 31's soak in CI time: a short token TTL and run retention on the
//! emulator (what an hour of load does to a flow, in seconds), concurrent
//! starts on one flow, a flow whose reads stop keeping up, and replays
//! older than the target's token lifetime (T4).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use appflow_harness::appflow::TriggerType;
use appflow_harness::load;
use serde_json::{Value, json};

use super::{ONE_ATTACK, options, text, unbounded_quotas};

/// Concurrent starts on one flow are listed newest first with
/// non-increasing `startedAt` (S2): one inversion in minutes of load made
/// `load` stop reading the flow until the end, after the emulator's
/// retention had dropped its runs (issue 31's lost and duplicated runs).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_starts_on_one_flow_are_listed_with_non_increasing_started_at() {
    let emu = appflow_harness::emulator::Emulator::start_with(unbounded_quotas())
        .await
        .expect("emulator");
    let http = reqwest::Client::new();
    let url = emu.url();
    let post = |path: &str, body: Value| {
        http.post(format!("{url}{path}"))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };
    let create = appflow_harness::fixtures::create_flow_body("soak-1", TriggerType::OnDemand);
    let r = post("/create-flow", create).await.expect("create");
    assert_eq!(r.status(), 200, "the flow is made");
    let mut tasks = Vec::new();
    for t in 0..16 {
        let (http, url) = (http.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..150 {
                let body = json!({"flowName": "soak-1", "clientToken": format!("t{t}-{i}")});
                http.post(format!("{url}/start-flow"))
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .send()
                    .await
                    .expect("start");
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let (mut token, mut previous, mut runs) = (None::<String>, f64::INFINITY, 0);
    for _ in 0..100 {
        let mut body = json!({"flowName": "soak-1", "maxResults": 100});
        if let Some(t) = &token {
            body["nextToken"] = json!(t);
        }
        let page: Value = post("/describe-flow-execution-records", body)
            .await
            .expect("read")
            .json()
            .await
            .expect("json");
        for e in page["flowExecutions"].as_array().expect("runs") {
            let at = e["startedAt"].as_f64().expect("startedAt");
            assert!(
                at <= previous,
                "run {runs} started at {at}, after the newer run before it ({previous}): not newest first"
            );
            previous = at;
            runs += 1;
        }
        token = page["nextToken"].as_str().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(runs, 16 * 150, "every start is listed once");
}

/// Swaps the first two runs of one records page of flow `od-0` (its third
/// read), so that flow is no longer listed newest first: `load` reads it
/// only after the attack, as S2 allows.
struct DisorderOnce(AtomicU64);

impl crate::support::proxy::Change for DisorderOnce {
    fn answer(&self, path: &str, request: &Value, answer: &mut crate::support::proxy::Answer) {
        let od0 = request["flowName"]
            .as_str()
            .is_some_and(|f| f.ends_with("-od-0"));
        if path != "/describe-flow-execution-records" || !od0 {
            return;
        }
        let Some(runs) = answer
            .json
            .as_mut()
            .and_then(|j| j.get_mut("flowExecutions"))
            .and_then(Value::as_array_mut)
        else {
            return;
        };
        if runs.len() >= 2 && self.0.fetch_add(1, Ordering::Relaxed) == 2 {
            let (a, b) = (runs[0]["startedAt"].clone(), runs[1]["startedAt"].clone());
            runs[0]["startedAt"] = json!(b.as_f64().unwrap_or(0.0) - 1.0);
            runs[1]["startedAt"] = a;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_that_fall_behind_say_where_and_runs_the_documented_retention_dropped_are_not_lost() {
    let _one = ONE_ATTACK.lock().await;
    let mut config = unbounded_quotas();
    // An hour of load in seconds: tokens live 300 ms, runs end after
    // 50 ms, and each flow keeps its newest 5 runs beyond those.
    config.token_ttl_ms = 300;
    config.run_time_ms = 50;
    config.max_runs_per_flow = 5;
    let emu = appflow_harness::emulator::Emulator::start_with(config)
        .await
        .expect("emulator");
    let url = crate::support::proxy::start(&emu.url(), DisorderOnce(AtomicU64::new(0))).await;
    let target = crate::support::url_target(&url, Duration::from_secs(5)).await;
    let mut o = options("fresh=100".parse().expect("mix"));
    o.flows = 2;
    o.run_time = Duration::from_secs(3);
    o.thresholds.min_verified = 1;
    let report = load::run(&target, &o).await.expect("load");
    let t = text(&report);
    let v = &report.verdict;
    assert_eq!(
        (v.classes.lost, v.classes.duplicated),
        (0, 0),
        "runs the target's documented retention dropped before they were read are not lost: {t}"
    );
    assert!(
        v.classes.evicted > 0,
        "what the retention may have dropped is counted: {t}"
    );
    assert!(
        v.behind
            .iter()
            .any(|b| b.contains("-od-0") && b.contains("newest first")),
        "the report says which flow's reads stopped keeping up, and from when: {t}"
    );
    assert!(
        t.contains("reads behind:") && t.contains("300 ms"),
        "with the target's documented TTL: {t}"
    );
    assert!(v.clean() && v.verified() > 0, "{t}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_older_than_the_target_token_ttl_are_new_calls_by_t4_not_duplicates() {
    let _one = ONE_ATTACK.lock().await;
    let mut config = unbounded_quotas();
    config.token_ttl_ms = 1_500;
    let emu = appflow_harness::emulator::Emulator::start_with(config)
        .await
        .expect("emulator");
    let target = crate::support::url_target(&emu.url(), Duration::from_secs(5)).await;
    let mut o = options("fresh=50,replay=50".parse().expect("mix"));
    // Slow enough that the pool holds tokens older than the 1.5 s TTL.
    o.throttle = Some(100);
    o.run_time = Duration::from_secs(4);
    o.pool = 4096;
    o.thresholds.min_verified = 1;
    let report = load::run(&target, &o).await.expect("load");
    let t = text(&report);
    let v = &report.verdict;
    assert!(
        v.t4_new_calls > 0,
        "replays older than the TTL were made: {t}"
    );
    assert_eq!(
        (v.classes.duplicated, v.wrong_replays, v.classes.lost),
        (0, 0, 0),
        "a replay past the TTL is a new call by T4, not a duplicate or a wrong replay: {t}"
    );
    assert!(
        t.contains("T4:") && t.contains("1500 ms (the target's configuration document)"),
        "the report names T4 and the target's TTL: {t}"
    );
    assert!(v.clean(), "{t}");
}
