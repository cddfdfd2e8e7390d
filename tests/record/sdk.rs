//! `record` with an application written with the official AWS SDK for
//! Rust: its traffic goes through the proxy to `serve --verify-sigv4` with
//! other credentials than the application's (so the harness re-signs),
//! the application sees the answers it sees without the proxy, and the
//! saved scenario with its transcript (reference `url`) replays green on
//! the embedded emulator with the transcript compared strictly, red
//! (naming the step and T1) on an endpoint whose replays start new runs,
//! and is `compare`'s baseline (`reference:url`) for both.

use std::collections::HashSet;
use std::sync::Mutex;

use appflow_harness::commands::Outcome;
use appflow_harness::emulator::{Config, Emulator};
use appflow_harness::endpoint::{Environment, TargetChoice, TargetOptions};
use serde_json::Value;

use super::app::{APP_KEY, APP_SECRET, APP_SESSION, application};
use super::{KEY, SECRET, harness_env, scratch, snapshots_of, start_recording};
use crate::support::proxy::{self, Answer, Change};

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

/// The `serve` process this test started, stopped when the test ends (or fails).
struct Stop(std::process::Child);

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn json_file(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).expect("the report was written");
    serde_json::from_str(&text).expect("the report is JSON")
}

// Long on purpose: one recording, then every way a user replays it.
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
    let snaps = snapshots_of(&file);
    let snap_path = snaps.join("url").join("recorded.snap");
    let snap = std::fs::read_to_string(&snap_path).unwrap_or_else(|e| {
        panic!("the transcript is reference `url`'s recording: {e}\n{printed}")
    });
    for secret in [SECRET, KEY, APP_KEY, APP_SECRET, APP_SESSION] {
        assert!(
            !text.contains(secret) && !printed.contains(secret) && !snap.contains(secret),
            "no credential reaches the file, the transcript or the output"
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
    let today = appflow_harness::appflow::today(std::time::SystemTime::now());
    for provenance in [
        "target: \"url\"".to_owned(),
        "region: \"us-east-1\"".to_owned(),
        format!("recorded: \"{today}\""),
        format!("harness_version: \"{}\"", env!("CARGO_PKG_VERSION")),
    ] {
        assert!(
            snap.contains(&provenance),
            "the transcript's header has its provenance ({provenance}):\n{snap}"
        );
    }
    assert!(
        snap.contains("<flow:f0>") && snap.contains("<token:t0>") && !snap.contains("app-p-a"),
        "the transcript names flows and tokens as the replay does, never by the application's names:\n{snap}"
    );
    assert!(
        printed.contains(&format!(
            "--reference url --snapshot-dir {}",
            snaps.display()
        )),
        "record says how to replay against the transcript:\n{printed}"
    );

    let path = file.display().to_string();
    let root = snaps.display().to_string();
    let with_reference = ["--snapshot-dir", root.as_str(), "--reference", "url"];
    let report = dir.join("check.json");
    let mut args = vec!["check", path.as_str(), "--snapshots", "strict", "--json"];
    let report_arg = report.display().to_string();
    args.push(&report_arg);
    args.extend(with_reference);
    let (code, out) = crate::support::run_cli(&args, &Environment::default()).await;
    assert_eq!(
        code, 0,
        "the recording replays green on the embedded emulator, its transcript equal to the recorded one:\n{out}\n{text}\n{snap}"
    );
    let used = &json_file(&report)["scenarios"][0]["reference"];
    assert_eq!(
        (
            used["name"].as_str(),
            used["recorded_on"].as_str(),
            used["mode"].as_str()
        ),
        (Some("url"), Some("url"), Some("strict")),
        "the replay was held strictly against the recorded transcript: {used}"
    );
    // The comparison compares: one answer changed in the transcript fails it.
    let changed = snap.replacen("\"flowStatus\": \"Active\"", "\"flowStatus\": \"Draft\"", 1);
    assert_ne!(changed, snap, "the transcript holds a flowStatus:\n{snap}");
    std::fs::write(&snap_path, &changed).expect("write");
    let (code, out) = crate::support::run_cli(&args, &Environment::default()).await;
    assert!(
        code != 0 && out.contains("the transcript differs from") && out.contains("Draft"),
        "a replay that differs from the transcript fails strictly, with the difference:\n{out}"
    );
    std::fs::write(&snap_path, &snap).expect("write");

    let faulty = proxy::start(
        &direct.url(),
        ReplayStartsNewRun(Mutex::new(HashSet::new())),
    )
    .await;
    let mut args = vec!["check", path.as_str(), "--target", faulty.as_str()];
    args.extend(with_reference);
    let (code, out) = crate::support::run_cli(&args, &Environment::default()).await;
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

    let compared = dir.join("compare.json");
    let compared_arg = compared.display().to_string();
    let baseline = [
        "--baseline",
        "reference:url",
        "--snapshot-dir",
        root.as_str(),
    ];
    let mut args = vec!["compare", path.as_str(), "--json", compared_arg.as_str()];
    args.extend(baseline);
    args.extend(["--target", "embedded"]);
    let (code, out) = crate::support::run_cli(&args, &Environment::default()).await;
    let totals = json_file(&compared)["totals"].clone();
    assert!(
        code == 0 && totals["compared_fields"].as_u64() > Some(0) && totals["violations"] == 0,
        "compare takes the transcript as its baseline, compares its answers, and the emulator matches: {totals}\n{out}"
    );
    let mut args = vec!["compare", path.as_str()];
    args.extend(baseline);
    args.extend(["--target", faulty.as_str()]);
    let (code, out) = crate::support::run_cli(&args, &Environment::default()).await;
    assert!(
        code == 1
            && out.lines().any(|l| l.contains("target recorded step 5")
                && l.contains("T1")
                && l.contains("body.executionId")),
        "against the recording, the faulty endpoint's replay is a violation at step 5, of T1:\n{out}"
    );
    drop(serve);
    let _ = std::fs::remove_dir_all(&dir);
}
