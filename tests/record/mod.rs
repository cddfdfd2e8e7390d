//! `record` with an application written with the official AWS SDK for
//! Rust: its traffic goes through the proxy to `serve --verify-sigv4` with
//! other credentials than the application's (so the harness
//! re-signs), the application sees the answers it sees without the proxy,
//! and the saved scenario replays green on the embedded emulator, red
//! (naming the step and T1) on an endpoint whose replays start new runs.

use std::collections::HashSet;
use std::sync::Mutex;

use appflow_harness::commands::record::{RecordOptions, run_on};
use appflow_harness::commands::{Console, Outcome};
use appflow_harness::emulator::{Config, Emulator};
use appflow_harness::endpoint::{Environment, TargetChoice, TargetOptions};
use serde_json::Value;

use crate::support::proxy::{self, Answer, Change};

mod app;

use app::{APP_KEY, APP_SECRET, APP_SESSION, application};

/// The credentials the emulator accepts, which the harness signs with.
const KEY: &str = "AKIDRECORDHARNESS";
const SECRET: &str = "record-harness-secret-0123";
const CALLS: usize = 11;

fn harness_env() -> Environment {
    Environment {
        access_key_id: Some(KEY.into()),
        secret_access_key: Some(SECRET.into()),
        ..Environment::default()
    }
}

/// A StartFlow replay (a token seen before) answers a new run: T1 broken.
struct ReplayStartsNewRun(Mutex<HashSet<String>>);

impl Change for ReplayStartsNewRun {
    fn answer(&self, path: &str, request: &Value, answer: &mut Answer) {
        let Some(token) = request.get("clientToken").and_then(Value::as_str) else {
            return;
        };
        if path != "/start-flow" || answer.status != 200 {
            return;
        }
        let fresh = self.0.lock().expect("lock").insert(token.to_owned());
        if let Some(j) = answer
            .json
            .as_mut()
            .filter(|j| j.get("executionId").is_some())
            && !fresh
        {
            j["executionId"] = Value::String(uuid::Uuid::new_v4().to_string());
        }
    }
}

/// `record` started in-process on a port of its own, forwarding to
/// `target` with `env`'s credentials and saving to `file` after CALLS
/// calls; answers its URL and the run (its outcome, what it printed).
async fn start_recording(
    target: TargetOptions,
    env: Environment,
    file: &std::path::Path,
) -> (
    String,
    tokio::task::JoinHandle<(Result<Outcome, String>, String)>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let options = RecordOptions {
        target,
        listen: addr,
        save: Some(file.to_owned()),
        calls: Some(CALLS),
        time: Some(std::time::Duration::from_secs(120)),
        watch_signals: false,
    };
    let run = tokio::spawn(async move {
        let (mut out, mut log) = (Vec::new(), Vec::new());
        let mut console = Console {
            out: &mut out,
            log: &mut log,
        };
        let outcome = run_on(options, listener, &env, &mut console).await;
        let mut text = String::from_utf8_lossy(&out).into_owned();
        text.push_str(&String::from_utf8_lossy(&log));
        (outcome.map_err(|e| e.message()), text)
    });
    (format!("http://{addr}"), run)
}

fn scratch() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ah-record-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sdk_application_recorded_through_the_harness_replays_and_its_fault_is_named() {
    let (serve, serve_url) =
        crate::support::spawn_serve(&["--verify-sigv4", &format!("{KEY}:{SECRET}")]);
    let serve = Stop(serve);
    let refused = application(&serve_url, "x").await;
    assert!(
        refused[0].starts_with("CreateFlow error"),
        "serve refuses the application's own credentials, so a pass below proves re-signing: {refused:?}"
    );
    let direct = Emulator::start_with(Config::default())
        .await
        .expect("emulator");
    let without = application(&direct.url(), "d").await;

    let dir = scratch();
    let file = dir.join("recorded.yaml");
    let mut target = TargetOptions::new(TargetChoice::Url(serve_url.clone()));
    target.sign = true;
    let (proxy_url, recording) = start_recording(target, harness_env(), &file).await;
    let through = application(&proxy_url, "p").await;
    let (outcome, printed) = recording.await.expect("record ran");
    assert_eq!(
        through, without,
        "the application sees through record the answers it sees without it"
    );
    assert!(
        through.iter().any(|s| s.contains("ConflictException")),
        "the sequence has its conflicts (C1, T2): {through:?}"
    );
    assert_eq!(
        outcome,
        Ok(Outcome::Passed),
        "every answer met the contract as it passed: {printed}"
    );
    let text = std::fs::read_to_string(&file).expect("the scenario was saved");
    for secret in [SECRET, KEY, APP_KEY, APP_SECRET, APP_SESSION] {
        assert!(
            !text.contains(secret) && !printed.contains(secret),
            "no credential reaches the file or the output"
        );
    }
    assert!(
        text.contains("{{flow.f0}}") && text.contains("{{token.t0}}"),
        "names and tokens are templates:\n{text}"
    );
    assert!(
        text.contains("C1: conflict (shown by the recorded traffic)"),
        "the header names the C1 candidate the traffic showed:\n{text}"
    );

    let path = file.display().to_string();
    let (code, out) =
        crate::support::run_cli(&["check", &path, "--no-snapshots"], &Environment::default()).await;
    assert_eq!(
        code, 0,
        "the recording replays green on the embedded emulator:\n{out}\n{text}"
    );

    let faulty = proxy::start(
        &direct.url(),
        ReplayStartsNewRun(Mutex::new(HashSet::new())),
    )
    .await;
    let (code, out) = crate::support::run_cli(
        &["check", &path, "--no-snapshots", "--target", &faulty],
        &Environment::default(),
    )
    .await;
    assert_ne!(
        code, 0,
        "a replay that starts a new run fails the recording:\n{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.contains("call 5 (StartFlow), decided by")
                && l.contains("T1")
                && l.contains("executionId")),
        "the failure names the replay step and T1:\n{out}"
    );
    drop(serve);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The `serve` process this test started, stopped when the test ends (or fails).
struct Stop(std::process::Child);

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_with_the_other_c1_candidate_is_named_and_replays_with_its_flag() {
    let dir = scratch();
    let file = dir.join("idempotent.yaml");
    let mut target = TargetOptions::new(TargetChoice::Embedded);
    target.emulator.profile.active_start =
        appflow_harness::emulator::config::ActiveStart::Idempotent;
    let (proxy_url, recording) = start_recording(target, Environment::default(), &file).await;
    let seen = application(&proxy_url, "i").await;
    let (outcome, printed) = recording.await.expect("record ran");
    assert_eq!(outcome, Ok(Outcome::Passed), "{printed}");
    assert_eq!(
        seen.get(6).map(String::as_str),
        Some("StartFlow Some(Active) run None"),
        "the target answers a new token on an Active scheduled flow 200 (C1 idempotent): {seen:?}"
    );
    let text = std::fs::read_to_string(&file).expect("the scenario was saved");
    assert!(
        text.contains("C1: idempotent (shown by the recorded traffic)")
            && text.contains("--active-start idempotent"),
        "the fingerprint names the candidate and the flag that replays it:\n{text}"
    );
    let path = file.display().to_string();
    let (code, out) = crate::support::run_cli(
        &[
            "check",
            &path,
            "--no-snapshots",
            "--active-start",
            "idempotent",
        ],
        &Environment::default(),
    )
    .await;
    assert_eq!(
        code, 0,
        "green on the emulator with the matching flag:\n{out}"
    );
    let (code, out) =
        crate::support::run_cli(&["check", &path, "--no-snapshots"], &Environment::default()).await;
    assert_ne!(
        code, 0,
        "red on the emulator with the other candidate:\n{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.contains("call 7 (StartFlow), decided by") && l.contains("C1")),
        "the failure names the C1 step:\n{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_without_calls_writes_nothing_and_does_not_pass() {
    let dir = scratch();
    let file = dir.join("empty.yaml");
    let path = file.display().to_string();
    let (code, out) = crate::support::run_cli(
        &[
            "record",
            "--listen",
            "127.0.0.1:0",
            "--target",
            "embedded",
            "--time",
            "1s",
            "--save",
            &path,
        ],
        &Environment::default(),
    )
    .await;
    assert_ne!(code, 0, "no evidence is not a pass:\n{out}");
    assert!(out.contains("no call was recorded"), "it says why:\n{out}");
    assert!(!file.exists(), "no scenario file is written without calls");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_in_a_hostile_answer_reaches_neither_the_terminal_nor_the_file() {
    // The target echoes the harness's secret in a body that is not JSON.
    let app = axum::Router::new().fallback(|| async {
        (
            [("content-type", "text/plain"), ("x-amzn-requestid", "r-1")],
            format!("internal error, key {SECRET}"),
        )
    });
    let hostile = crate::support::serve_app(app).await;
    let dir = scratch();
    let file = dir.join("hostile.yaml");
    let mut target = TargetOptions::new(TargetChoice::Url(hostile));
    target.sign = true;
    let (proxy_url, recording) = start_recording(target, harness_env(), &file).await;
    let http = reqwest::Client::new();
    for i in 0..CALLS {
        let answer = http
            .post(format!("{proxy_url}/start-flow"))
            .body(format!(r#"{{"flowName":"f{i}"}}"#))
            .send()
            .await
            .expect("the proxy answers");
        let body = answer.text().await.expect("body");
        assert!(
            body.contains("internal error"),
            "the application gets the target's answer as it came: {body}"
        );
    }
    let (outcome, printed) = recording.await.expect("record ran");
    assert_eq!(
        outcome,
        Ok(Outcome::Failed),
        "answers breaking the contract fail the recording: {printed}"
    );
    assert!(
        printed.contains("contract: call 1 (StartFlow)") && printed.contains("(W1)"),
        "each broken rule is one line as it passes:\n{printed}"
    );
    let text = std::fs::read_to_string(&file).expect("the scenario was saved");
    assert!(
        !printed.contains(SECRET) && !text.contains(SECRET),
        "the secret in the answer is redacted everywhere:\n{printed}\n{text}"
    );
    assert!(
        printed.contains(appflow_harness::redact::REDACTED),
        "the answer's body is shown, its secret replaced:\n{printed}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_refuses_to_listen_beyond_loopback() {
    let (code, out) = crate::support::run_cli(
        &[
            "record",
            "--listen",
            "0.0.0.0:0",
            "--target",
            "embedded",
            "--calls",
            "1",
        ],
        &harness_env(),
    )
    .await;
    assert_eq!(
        code, 2,
        "a usage error: anyone reaching it would sign with our keys:\n{out}"
    );
    assert!(out.contains("loopback"), "it says what to do:\n{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_arn_of_another_region_is_a_contract_line_as_it_passes() {
    let app = axum::Router::new().fallback(|| async {
        (
            [
                ("content-type", "application/json"),
                ("x-amzn-requestid", "r-1"),
            ],
            r#"{"flowArn":"arn:aws:appflow:eu-west-1:123456789012:flow/x","flowStatus":"Active"}"#,
        )
    });
    let elsewhere = crate::support::serve_app(app).await;
    let dir = scratch();
    let file = dir.join("o1.yaml");
    let target = TargetOptions::new(TargetChoice::Url(elsewhere));
    let (proxy_url, recording) = start_recording(target, Environment::default(), &file).await;
    let http = reqwest::Client::new();
    for _ in 0..CALLS {
        let _ = http
            .post(format!("{proxy_url}/describe-flow"))
            .body(r#"{"flowName":"x"}"#)
            .send()
            .await
            .expect("the proxy answers");
    }
    let (outcome, printed) = recording.await.expect("record ran");
    assert_eq!(outcome, Ok(Outcome::Failed), "{printed}");
    assert!(
        printed.lines().any(
            |l| l.starts_with("contract: call 1 (DescribeFlow): body.flowArn")
                && l.contains("eu-west-1")
                && l.ends_with("(O1)")
        ),
        "an ARN outside the target's region (us-east-1) is O1, as check says it:\n{printed}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
