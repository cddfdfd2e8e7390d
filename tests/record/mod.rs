//! `record`: the proxy, the saved scenario and its transcript (a reference
//! recording), the fingerprint, and what never reaches any of them. The
//! SDK application's recording through `serve --verify-sigv4`, replayed
//! with its transcript and compared, is in `sdk.rs`.

use appflow_harness::commands::record::{RecordOptions, run_on};
use appflow_harness::commands::{Console, Outcome};
use appflow_harness::endpoint::{Environment, TargetChoice, TargetOptions};

mod app;
mod sdk;

use app::application;

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

/// `record` started in-process on a port of its own, forwarding to
/// `target` with `env`'s credentials and saving to `file` after CALLS
/// calls, its transcript under [`snapshots_of`]`(file)`; answers its URL
/// and the run (its outcome, what it printed).
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
        snapshot_root: Some(snapshots_of(file)),
        reference: None,
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

/// The snapshot root of a recording saved at `file`: beside it, never
/// the project's own `snapshots/`.
fn snapshots_of(file: &std::path::Path) -> std::path::PathBuf {
    file.parent().expect("a folder").join("snapshots")
}

/// `check FILE` on the embedded emulator against the transcript `record`
/// wrote beside it ([`snapshots_of`]), with `extra` flags: (exit code, output).
async fn replay_with_transcript(file: &std::path::Path, extra: &[&str]) -> (i32, String) {
    let path = file.display().to_string();
    let root = snapshots_of(file).display().to_string();
    let mut args = vec!["check", path.as_str(), "--snapshot-dir", root.as_str()];
    args.extend_from_slice(extra);
    crate::support::run_cli(&args, &Environment::default()).await
}

fn scratch() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ah-record-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
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
    let (code, out) = replay_with_transcript(&file, &["--active-start", "idempotent"]).await;
    assert!(
        code == 0 && out.contains("reference: `embedded`, strict"),
        "green on the emulator with the matching flag, held strictly against the transcript recorded on the embedded emulator:\n{out}"
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
    // Safe against AWS: a dry run prices the replay, with no credentials.
    let (code, out) = crate::support::run_cli(
        &["check", &path, "--target", "aws", "--dry-run"],
        &Environment::default(),
    )
    .await;
    assert!(
        code == 0
            && out.contains("nothing is sent")
            && out.contains("idempotent: 3 flow(s) [f0: OnDemand, f1: Scheduled, f2: Scheduled], 11 step(s), 5 StartFlow call(s)"),
        "`check RECORDING --target aws --dry-run` prices the replay without credentials:\n{out}"
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
    // The target echoes the harness's secret: in a body that is not JSON
    // (StartFlow), and in a JSON member no normalising hides (DescribeFlow);
    // the application sends it too, in the name of a flow it did not create.
    let app = axum::Router::new().fallback(|uri: axum::http::Uri| async move {
        if uri.path() == "/describe-flow" {
            (
                [
                    ("content-type", "application/json"),
                    ("x-amzn-requestid", "r-2"),
                ],
                serde_json::json!({"description": format!("internal error, key {SECRET}")})
                    .to_string(),
            )
        } else {
            (
                [("content-type", "text/plain"), ("x-amzn-requestid", "r-1")],
                format!("internal error, key {SECRET}"),
            )
        }
    });
    let hostile = crate::support::serve_app(app).await;
    let dir = scratch();
    let file = dir.join("hostile.yaml");
    let mut target = TargetOptions::new(TargetChoice::Url(hostile));
    target.sign = true;
    let (proxy_url, recording) = start_recording(target, harness_env(), &file).await;
    let http = reqwest::Client::new();
    for i in 0..CALLS {
        let (path, flow) = if i % 2 == 0 {
            ("start-flow", format!("f{i}"))
        } else {
            ("describe-flow", format!("other-{SECRET}"))
        };
        let answer = http
            .post(format!("{proxy_url}/{path}"))
            .body(format!(r#"{{"flowName":"{flow}"}}"#))
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
    let transcript = snapshots_of(&file).join("url").join("hostile.snap");
    let transcript = std::fs::read_to_string(&transcript).expect("the transcript was written");
    assert!(
        !printed.contains(SECRET) && !text.contains(SECRET) && !transcript.contains(SECRET),
        "the secret in the requests and answers is redacted everywhere:\n{printed}\n{text}\n{transcript}"
    );
    assert!(
        printed.contains(appflow_harness::redact::REDACTED),
        "the answer's body is shown, its secret replaced:\n{printed}"
    );
    assert!(
        transcript.contains(&format!("other-{}", appflow_harness::redact::REDACTED))
            && transcript.contains(&format!(
                "internal error, key {}",
                appflow_harness::redact::REDACTED
            )),
        "the transcript keeps the request and the JSON answer, their secret replaced:\n{transcript}"
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_that_does_not_read_back_as_a_scenario_is_said_and_does_not_pass() {
    let dir = scratch();
    let file = dir.join("unknown_member.yaml");
    let target = TargetOptions::new(TargetChoice::Embedded);
    let (proxy_url, recording) = start_recording(target, Environment::default(), &file).await;
    let http = reqwest::Client::new();
    for i in 0..CALLS {
        // `note` is no member of StartFlow's request in the service model.
        let _ = http
            .post(format!("{proxy_url}/start-flow"))
            .body(format!(r#"{{"flowName":"f{i}","note":"n"}}"#))
            .send()
            .await
            .expect("the proxy answers");
    }
    let (outcome, printed) = recording.await.expect("record ran");
    assert_eq!(
        outcome,
        Ok(Outcome::Failed),
        "a recording that cannot be replayed does not pass: {printed}"
    );
    assert!(
        printed.contains("does not read back as a scenario") && printed.contains("`note`"),
        "it says why, naming the member:\n{printed}"
    );
    assert!(
        file.exists() && !snapshots_of(&file).join("embedded").exists(),
        "the file is kept for the user to see, and no transcript is written for it"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A call that is not JSON (an application's malformed request) is kept as
/// a `raw:` step with its names as templates, so the saved file is one
/// `check` reads and replays: it was written as `CreateFlow: null`, which
/// `check` refused ("the step has no action"). Its transcript entry shows
/// the text as the replay shows it, so the strict replay passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_call_is_kept_as_a_raw_step_that_replays() {
    let dir = scratch();
    let file = dir.join("malformed.yaml");
    let target = TargetOptions::new(TargetChoice::Embedded);
    let (proxy_url, recording) = start_recording(target, Environment::default(), &file).await;
    let http = reqwest::Client::new();
    let post =
        |path: &str, body: String| http.post(format!("{proxy_url}/{path}")).body(body).send();
    let create = appflow_harness::fixtures::create_flow_body(
        "app-orders",
        appflow_harness::appflow::TriggerType::OnDemand,
    );
    let created = post("create-flow", create.to_string())
        .await
        .expect("proxy");
    assert_eq!(created.status(), 200);
    let broken = post(
        "start-flow",
        r#"{"flowName": "app-orders", "clientToken": "#.into(),
    )
    .await
    .expect("proxy");
    assert_eq!(
        broken.status(),
        400,
        "malformed JSON is a 400 ValidationException"
    );
    for _ in 2..CALLS {
        let _ = post("describe-flow", r#"{"flowName":"app-orders"}"#.into())
            .await
            .expect("proxy");
    }
    let (outcome, printed) = recording.await.expect("record ran");
    assert_eq!(outcome, Ok(Outcome::Passed), "{printed}");
    let text = std::fs::read_to_string(&file).expect("the scenario was saved");
    assert!(
        text.contains("raw:")
            && text.contains("operation: StartFlow")
            && text.contains(r#"\"flowName\": \"{{flow.f0}}\", \"clientToken\": "#),
        "the malformed call is a raw step, its flow name a template:\n{text}"
    );
    let (code, out) = replay_with_transcript(&file, &["--snapshots", "strict"]).await;
    assert!(
        code == 0 && out.contains("1 passed"),
        "the file reads back and replays green, strictly against its transcript:\n{out}\n{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
