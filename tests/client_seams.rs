//! Every engine calls a target through the one client: endpoints that
//! redirect, compress unasked, end a listing with an empty `nextToken`, or
//! lose a fixture's CreateFlow answer, met by check, explore, compare,
//! cleanup, doctor and load's verdict reads alike.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use appflow_harness::appflow::TriggerType;
use appflow_harness::endpoint::Environment;
use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::support::forwarder::{Twist, forwarder};
use crate::support::proxy::{self, Answer, Change};
use crate::support::{Api, run_cli, serve_app};

const SESSION: &str = "FwoGZXIvYXdzEJr//////////wEaDSeamsSessionToken0123456789";

fn signing_env() -> Environment {
    Environment {
        access_key_id: Some("AKIAHARNESSSEAMS1234".into()),
        secret_access_key: Some("sEaMsSeCrEtKeY/0123456789abcdefEXAMPLE".into()),
        session_token: Some(SESSION.into()),
        ..Environment::default()
    }
}

fn scenario(name: &str) -> String {
    format!("{}/scenarios/{name}.yaml", env!("CARGO_MANIFEST_DIR"))
}

/// The catalogue's own references, so that a conforming endpoint passes.
fn snapshots() -> String {
    format!("{}/snapshots", env!("CARGO_MANIFEST_DIR"))
}

fn tempdir() -> String {
    let dir = std::env::temp_dir().join(format!("appflow-harness-seams-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    dir.display().to_string()
}

#[tokio::test]
async fn a_redirecting_endpoint_is_judged_w10_by_every_engine_and_the_other_port_gets_nothing() {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    let other = serve_app(Router::new().fallback(move |headers: HeaderMap| {
        let log = log.clone();
        async move {
            let names: Vec<String> = headers.keys().map(|k| k.to_string()).collect();
            log.lock().expect("lock").push(names.join(","));
            (StatusCode::OK, "{}").into_response()
        }
    }))
    .await;
    let hop = other.trim_start_matches("http://").to_owned();
    let redirector = serve_app(Router::new().fallback(move |request: Request| {
        let hop = hop.clone();
        async move {
            let to = format!("http://user:pw@{hop}{}", request.uri().path());
            let mut r = (StatusCode::TEMPORARY_REDIRECT, "").into_response();
            r.headers_mut()
                .insert("location", to.parse().expect("location"));
            r
        }
    }))
    .await;
    let dir = tempdir();
    let env = signing_env();
    let check = scenario("on_demand_start");
    let runs: [(&str, Vec<&str>); 5] = [
        (
            "check",
            vec![
                "check",
                &check,
                "--target",
                &redirector,
                "--sign",
                "--snapshot-dir",
                &dir,
            ],
        ),
        (
            "explore",
            vec![
                "explore",
                "--target",
                &redirector,
                "--sign",
                "--cases",
                "2",
                "--steps",
                "3",
                "--time",
                "20s",
            ],
        ),
        (
            "compare",
            vec![
                "compare",
                &check,
                "--target",
                &redirector,
                "--sign",
                "--snapshot-dir",
                &dir,
            ],
        ),
        (
            "cleanup",
            vec!["cleanup", "--target", &redirector, "--sign", "--yes"],
        ),
        ("doctor", vec!["doctor", "--target", &redirector, "--sign"]),
    ];
    for (command, args) in runs {
        let (code, out) = run_cli(&args, &env).await;
        assert_ne!(
            code, 0,
            "{command} must not pass against an endpoint that redirects every request:\n{out}"
        );
        assert!(
            out.contains("W10"),
            "{command} names W10 for a redirect:\n{out}"
        );
        assert!(
            !out.contains("pw@") && !out.contains(SESSION),
            "{command} shows nothing secret of the Location or the credentials:\n{out}"
        );
        assert!(
            seen.lock().expect("lock").is_empty(),
            "{command} sent a request to the redirect's target (headers {:?})",
            seen.lock().expect("lock")
        );
    }
}

/// A flow with one run on the emulator; the flow's name.
async fn flow_with_a_run(api: &Api, name: &str) {
    assert_eq!(api.create(name, TriggerType::OnDemand).await.status, 200);
    assert_eq!(api.start(name, None).await.status, 200);
}

#[tokio::test]
async fn an_endpoint_that_always_gzips_is_read_by_check_and_by_loads_verdict_reads() {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let (url, _) = forwarder(emulator.url(), Twist::Gzip).await;
    let dir = snapshots();
    let (code, out) = run_cli(
        &[
            "check",
            &scenario("on_demand_start"),
            "--target",
            &url,
            "--snapshot-dir",
            &dir,
        ],
        &Environment::default(),
    )
    .await;
    assert_eq!(
        code, 0,
        "check passes a gzip-answering conforming endpoint:\n{out}"
    );
    let api = Api::new(&emulator.url());
    flow_with_a_run(&api, "gz-flow").await;
    let target = crate::support::url_target(&url, Duration::from_secs(10)).await;
    let mut runs = 0;
    appflow_harness::load::records::read_newest_first(&target.endpoint, "gz-flow", 10, |page| {
        runs += page.len();
        true
    })
    .await
    .expect("load's verdict reads a gzip page");
    assert_eq!(runs, 1, "the verdict read finds the flow's one run");
}

/// Ends every listing with `"nextToken": ""` instead of no token.
struct EmptyLastToken;

impl Change for EmptyLastToken {
    fn answer(&self, path: &str, _request: &Value, answer: &mut Answer) {
        let listing = path == "/list-flows" || path == "/describe-flow-execution-records";
        if let (true, 200, Some(Value::Object(m))) = (listing, answer.status, &mut answer.json)
            && !m.contains_key("nextToken")
        {
            m.insert("nextToken".into(), json!(""));
        }
    }
}

#[tokio::test]
async fn an_empty_last_next_token_ends_the_listing_with_w5_and_keeps_the_evidence() {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let url = proxy::start(&emulator.url(), EmptyLastToken).await;
    let dir = tempdir();
    let (_, out) = run_cli(
        &[
            "check",
            &scenario("list_flows_paging"),
            "--target",
            &url,
            "--snapshot-dir",
            &dir,
        ],
        &Environment::default(),
    )
    .await;
    assert!(
        out.contains("W5") && out.contains("nextToken"),
        "check names the empty nextToken as W5:\n{out}"
    );
    let api = Api::new(&emulator.url());
    flow_with_a_run(&api, "ah-left-behind").await;
    let target = crate::support::url_target(&url, Duration::from_secs(10)).await;
    let mut runs = 0;
    appflow_harness::load::records::read_newest_first(
        &target.endpoint,
        "ah-left-behind",
        10,
        |page| {
            runs += page.len();
            true
        },
    )
    .await
    .expect("load's verdict read ends on the empty token instead of sending it back");
    assert_eq!(runs, 1, "the run listed before the empty token is kept");
    let (code, out) = run_cli(
        &["cleanup", "--target", &url, "--yes"],
        &Environment::default(),
    )
    .await;
    assert_eq!(
        code, 0,
        "the listing is complete, so cleanup did its job:\n{out}"
    );
    assert!(
        out.contains("W5"),
        "cleanup names the empty nextToken:\n{out}"
    );
    assert!(
        out.contains("deleted 1 of 1"),
        "cleanup deletes the flow listed on that page:\n{out}"
    );
}

#[tokio::test]
async fn a_lost_create_flow_answer_is_replayed_and_leaves_no_flow_behind() {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let api = Api::new(&emulator.url());
    let dir = snapshots();
    for args in [vec!["check", "--snapshot-dir", &dir], vec!["doctor"]] {
        let (url, dropped) = forwarder(emulator.url(), Twist::LoseFirstCreate).await;
        let on_demand = scenario("on_demand_start");
        let mut argv = args.clone();
        if args[0] == "check" {
            argv.push(&on_demand);
        }
        argv.extend(["--target", &url]);
        let (code, out) = run_cli(&argv, &Environment::default()).await;
        assert_eq!(
            dropped.load(Ordering::SeqCst),
            1,
            "{}: the first CreateFlow's answer was dropped",
            args[0]
        );
        assert_eq!(
            code, 0,
            "{}: a retried CreateFlow with its clientToken replays, no 409:\n{out}",
            args[0]
        );
        let listed = api.call("ListFlows", json!({"maxResults": 100})).await;
        assert_eq!(
            listed.json.as_ref().map(|j| j["flows"].clone()),
            Some(json!([])),
            "{}: no flow is left on the emulator",
            args[0]
        );
    }
}

/// Gives every answer the same `x-amzn-RequestId`.
struct OneRequestId;

impl Change for OneRequestId {
    fn answer(&self, _path: &str, _request: &Value, answer: &mut Answer) {
        answer
            .headers
            .insert("x-amzn-requestid", "the-one-id".parse().expect("value"));
    }
}

#[tokio::test]
async fn explore_catches_an_endpoint_that_answers_one_request_id_every_time() {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let url = proxy::start(&emulator.url(), OneRequestId).await;
    let (code, out) = run_cli(
        &[
            "explore", "--target", &url, "--cases", "3", "--steps", "4", "--time", "30s",
        ],
        &Environment::default(),
    )
    .await;
    assert_ne!(
        code, 0,
        "explore must not pass an endpoint that reuses one request id:\n{out}"
    );
    assert!(
        out.contains("W3: every answer carries a request id of its own"),
        "explore names W3's repeated id (the run-wide request-id ledger):\n{out}"
    );
}

#[tokio::test]
async fn the_one_retry_loop_repeats_only_safe_requests_within_its_bounds_and_not_after_a_stop() {
    use appflow_harness::appflow::Operation;
    use appflow_harness::client::{Endpoint, RetryPolicy};
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    let url = serve_app(Router::new().fallback(move |request: Request| {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            // A server error, not a throttle: throttles would also slow the
            // endpoint's adaptive rate, and this test counts tries only.
            let _ = request;
            let status = StatusCode::SERVICE_UNAVAILABLE;
            let mut r = (status, r#"{"message":"try later"}"#).into_response();
            r.headers_mut()
                .insert("content-type", "application/json".parse().expect("value"));
            r
        }
    }))
    .await;
    let endpoint = Endpoint::new(&url, Duration::from_secs(5), None).expect("endpoint");
    // The standard bounds with millisecond waits: the test counts tries.
    let quick = RetryPolicy {
        base: Duration::from_millis(1),
        cap: Duration::from_millis(2),
        ..RetryPolicy::standard()
    };
    let sent = |op: Operation, body: &'static str, policy: RetryPolicy| {
        let (endpoint, hits) = (endpoint.clone(), hits.clone());
        async move {
            hits.store(0, Ordering::SeqCst);
            let r = endpoint
                .call_with(&policy, op, Bytes::from_static(body.as_bytes()))
                .await
                .expect("sent");
            (hits.load(Ordering::SeqCst), r)
        }
    };
    let (n, r) = sent(Operation::ListFlows, "{}", quick).await;
    assert_eq!(
        n, 10,
        "a failing read is tried the policy's 10 times in all"
    );
    assert_eq!(r.repeats.server_errors, 9, "and the 9 retries are counted");
    let (n, _) = sent(Operation::StartFlow, r#"{"flowName":"f"}"#, quick).await;
    assert_eq!(n, 1, "a StartFlow without a clientToken is never repeated");
    let (n, _) = sent(
        Operation::StartFlow,
        r#"{"flowName":"f","clientToken":"t"}"#,
        quick,
    )
    .await;
    assert_eq!(
        n, 10,
        "with a clientToken a retry is a replay (T1), so it is sent"
    );
    let judged = RetryPolicy {
        base: Duration::from_millis(1),
        cap: Duration::from_millis(2),
        ..RetryPolicy::judged()
    };
    let (n, _) = sent(Operation::DescribeFlow, r#"{"flowName":"f"}"#, judged).await;
    assert_eq!(n, 1, "a check judges a 5xx as it comes, unretried");
    endpoint.stop_flag().store(true, Ordering::SeqCst);
    let (n, r) = sent(Operation::ListFlows, "{}", quick).await;
    assert_eq!(n, 1, "after a stop no retry is sent");
    assert!(r.stopped, "and the call says a retry was due but not sent");
}
