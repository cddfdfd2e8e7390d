//! The AWS paths, tested against local servers: signed runs against an
//! emulator that verifies SigV4, throttles and lists runs late; a refused
//! signature as one clear error; Ctrl-C and SIGKILL in the middle of a run,
//! with `cleanup` for what a killed run left.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use appflow_harness::emulator::{Config, Emulator};
use appflow_harness::endpoint::Environment;
use serde_json::{Value, json};

const KEY: &str = "AKIDHARNESSEDGE0";
const SECRET: &str = "edge-secret-0123456789";

fn env(secret: &str) -> Environment {
    Environment {
        access_key_id: Some(KEY.into()),
        secret_access_key: Some(secret.into()),
        session_token: None,
        ..Environment::default()
    }
}

async fn run(args: &[&str], env: &Environment) -> (i32, String) {
    crate::support::run_cli(args, env).await
}

fn edge_config(throttle: Option<u32>, lag: u64) -> Config {
    Config {
        verify_sigv4: Some(format!("{KEY}:{SECRET}")),
        throttle_rps: throttle,
        records_lag_ms: lag,
        ..Config::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalogue_passes_signed_against_an_emulator_that_verifies_throttles_and_lags() {
    // Runs last 9 s instead of 5: paced calls of 40 scenarios at once on a
    // loaded machine left more than 5 s between delete_in_progress's
    // StartFlow and its DeleteFlow now and then, and the run had ended (the
    // scenarios that advance the clock move it 10 s, so runs still end).
    let emu = Emulator::start_with(Config {
        run_time_ms: 9_000,
        ..edge_config(Some(20), 500)
    })
    .await
    .expect("emulator");
    let url = emu.url();
    let scenarios = format!("{}/scenarios", env!("CARGO_MANIFEST_DIR"));
    // Paced under the throttle: writes without a clientToken cannot be
    // retried safely, so the run stays below the target's rate.
    let (code, out) = run(
        &[
            "check",
            &scenarios,
            "--target",
            &url,
            "--sign",
            "--no-snapshots",
            "--max-rps",
            "18",
        ],
        &env(SECRET),
    )
    .await;
    assert_eq!(code, 0, "{out}");
    let all = appflow_harness::scenario::load(&[scenarios.clone().into()])
        .expect("catalogue")
        .len();
    assert!(
        out.contains(&format!("{all} passed, 0 failed")),
        "every one of the {all} scenarios passed:\n{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_steps_with_a_token_are_retried_and_counted() {
    let emu = Emulator::start_with(edge_config(Some(4), 0))
        .await
        .expect("emulator");
    let url = emu.url();
    let s = |n: &str| format!("{}/scenarios/{n}.yaml", env!("CARGO_MANIFEST_DIR"));
    let (code, out) = run(
        &[
            "check",
            &s("token_replay_on_demand"),
            &s("client_token_boundaries"),
            &s("different_token_new_run"),
            &s("token_other_flow_on_demand"),
            "--target",
            &url,
            "--sign",
            "--no-snapshots",
        ],
        &env(SECRET),
    )
    .await;
    assert_eq!(code, 0, "{out}");
    let line = out
        .lines()
        .find(|l| l.starts_with("throttled: "))
        .unwrap_or_else(|| panic!("no throttle line:\n{out}"));
    let n: u32 = line["throttled: ".len()..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert!(n > 0, "{line}");
}

#[tokio::test]
async fn a_refused_signature_is_one_clear_error_before_any_scenario() {
    let emu = Emulator::start_with(edge_config(None, 0))
        .await
        .expect("emulator");
    let url = emu.url();
    let scenarios = format!("{}/scenarios", env!("CARGO_MANIFEST_DIR"));
    let (code, out) = run(
        &["check", &scenarios, "--target", &url, "--sign"],
        &env("not-the-secret"),
    )
    .await;
    assert_eq!(code, appflow_harness::exit_codes::USAGE, "{out}");
    assert!(out.contains("refused the credentials from the environment (AWS_ACCESS_KEY_ID) (access key id ending in …DGE0): InvalidSignatureException"), "{out}");
    assert!(
        !out.contains("PASS") && !out.contains("FAIL"),
        "no scenario ran: {out}"
    );
    assert!(!out.contains("not-the-secret"), "{out}");
    let (code, out) = run(
        &["check", &scenarios, "--target", &url],
        &Environment::default(),
    )
    .await;
    assert_eq!(
        code, 1,
        "unsigned requests are refused by the scenarios' checks: {out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_signature_is_the_same_exit_for_check_explore_and_load() {
    let emu = Emulator::start_with(edge_config(None, 0))
        .await
        .expect("emulator");
    let url = emu.url();
    let bad = env("not-the-secret");
    for args in [
        vec!["explore", "--target", &url, "--sign", "--cases", "1"],
        vec![
            "load",
            "--target",
            &url,
            "--sign",
            "--users",
            "1",
            "--run-time",
            "1s",
        ],
    ] {
        let (code, out) = run(&args, &bad).await;
        assert_eq!(
            code,
            appflow_harness::exit_codes::USAGE,
            "`{}` exits as check does on refused credentials: {out}",
            args[0]
        );
        assert!(out.contains("refused the credentials"), "{out}");
    }
}

/// `serve` as a process on a free port (its answers slowed by [`slow_down`]).
fn slow_serve() -> (Child, String) {
    crate::support::spawn_serve(&[])
}

async fn slow_down(url: &str, ms: u64) {
    let api = crate::support::Api::new(url);
    for op in [
        "StartFlow",
        "DescribeFlowExecutionRecords",
        "DescribeFlow",
        "StopFlow",
    ] {
        api.control(
            "faults",
            json!({"kind": "latency", "latencyMs": ms, "count": 100000, "operation": op}),
        )
        .await;
    }
}

async fn flows(url: &str) -> Vec<String> {
    let r = crate::support::Api::new(url)
        .call("ListFlows", json!({"maxResults": 100}))
        .await;
    r.json
        .and_then(|j| j.get("flows").and_then(Value::as_array).cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|f| f["flowName"].as_str().map(str::to_owned))
        .collect()
}

fn signal(child: &Child, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_in_the_middle_of_check_cleans_up_and_writes_the_report() {
    let (mut serve, url) = slow_serve();
    slow_down(&url, 150).await;
    let dir = std::env::temp_dir().join(format!("appflow-harness-sigint-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let json_path = dir.join("report.json");
    let junit_path = dir.join("junit.xml");
    let out_path = dir.join("out.txt");
    let mut check = Command::new(env!("CARGO_BIN_EXE_appflow-harness"))
        .args([
            "check",
            &format!("{}/scenarios", env!("CARGO_MANIFEST_DIR")),
            "--target",
            &url,
            "--no-snapshots",
            "--json",
        ])
        .arg(&json_path)
        .arg("--junit")
        .arg(&junit_path)
        .stdout(std::fs::File::create(&out_path).expect("out file"))
        .stderr(Stdio::null())
        .spawn()
        .expect("check");
    // Wait (bounded) until the run has made flows: a busy machine may take a
    // while to start the binary.
    let mut under_way = false;
    for _ in 0..300 {
        if !flows(&url).await.is_empty() {
            under_way = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(under_way, "the run is under way");
    signal(&check, "-INT");
    let status = check.wait().expect("check ends");
    assert_eq!(
        status.code(),
        Some(appflow_harness::exit_codes::INTERRUPTED)
    );
    assert_eq!(flows(&url).await, Vec::<String>::new(), "no flow left");
    let report: Value =
        serde_json::from_slice(&std::fs::read(&json_path).expect("report written")).expect("json");
    let interrupted = report["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .flat_map(|s| s["steps"].as_array().cloned().unwrap_or_default())
        .filter(|st| st["skipped"] == "interrupted (Ctrl-C): not played")
        .count();
    assert!(interrupted > 0, "the steps not played are marked");
    // Every report says the run was cut short, and none shows PASS for a
    // scenario that was not played to its end.
    assert_eq!(
        report["interrupted"], true,
        "the JSON report says interrupted"
    );
    for s in report["scenarios"].as_array().expect("scenarios") {
        let cut = s["steps"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|st| st["skipped"] == "interrupted (Ctrl-C): not played");
        assert!(
            !(cut && s["status"] == "passed"),
            "a scenario cut short is not passed: {}",
            s["name"]
        );
    }
    let junit = std::fs::read_to_string(&junit_path).expect("junit written");
    assert!(
        junit.contains("name=\"interrupted\" value=\"true\"")
            && junit.contains("this run is no verdict"),
        "the JUnit report says interrupted: {junit}"
    );
    assert!(
        !junit.contains("every step needs an ability"),
        "scenarios not begun are skipped for the interruption, not for an ability: {junit}"
    );
    let out = std::fs::read_to_string(&out_path).expect("stdout");
    assert!(
        out.contains("interrupted (Ctrl-C):") && out.contains("this run is no verdict"),
        "the terminal report says interrupted: {out}"
    );
    let _ = serve.kill();
    let _ = serve.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_removes_what_a_killed_run_left_and_nothing_else() {
    let (mut serve, url) = slow_serve();
    let api = crate::support::Api::new(&url);
    // A flow of the user's: another name, another description.
    let mut mine = appflow_harness::fixtures::create_flow_body(
        "mine-keep-me",
        appflow_harness::appflow::TriggerType::OnDemand,
    );
    mine["description"] = json!("the nightly export");
    assert_eq!(api.call("CreateFlow", mine).await.status, 200);
    slow_down(&url, 600).await;
    // Two scenarios: one with prefixed names, one whose 2-character name
    // cannot carry a prefix (found by the fixtures' description instead).
    let scenario = |n: &str| format!("{}/scenarios/{n}.yaml", env!("CARGO_MANIFEST_DIR"));
    let mut check = Command::new(env!("CARGO_BIN_EXE_appflow-harness"))
        .arg("check")
        .args([
            scenario("execution_records_paging"),
            scenario("flow_name_boundaries"),
        ])
        .args(["--target", &url, "--no-snapshots"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("check");
    // Killed once both kinds of flow exist (a loaded machine may take
    // longer than any fixed wait to get there), bounded.
    for _ in 0..300 {
        let now = flows(&url).await;
        if now.iter().any(|f| f.starts_with("ah-")) && now.iter().any(|f| f.len() == 2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    signal(&check, "-KILL");
    let _ = check.wait();
    let left = flows(&url).await;
    assert!(
        left.iter().any(|f| f.starts_with("ah-")) && left.iter().any(|f| f.len() == 2),
        "the killed run left flows of both kinds: {left:?}"
    );
    let (code, out) = run(&["cleanup", "--target", &url], &Environment::default()).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("run again with --yes"), "{out}");
    assert!(!out.contains("mine-keep-me"), "{out}");
    let (code, out) = run(
        &["cleanup", "--target", &url, "--yes"],
        &Environment::default(),
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(flows(&url).await, vec!["mine-keep-me".to_owned()], "{out}");
    let _ = serve.kill();
    let _ = serve.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_in_the_middle_of_load_cleans_up_and_reports() {
    let (mut serve, url) = slow_serve();
    let dir = std::env::temp_dir().join(format!(
        "appflow-harness-load-sigint-{}",
        uuid::Uuid::new_v4()
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    let json_path = dir.join("load.json");
    let mut load = Command::new(env!("CARGO_BIN_EXE_appflow-harness"))
        .args([
            "load",
            "--target",
            &url,
            "--users",
            "2",
            "--run-time",
            "60s",
            "--flows",
            "2",
            "--json",
        ])
        .arg(&json_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("load");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    signal(&load, "-INT");
    let status = load.wait().expect("load ends");
    assert_eq!(
        status.code(),
        Some(appflow_harness::exit_codes::INTERRUPTED)
    );
    assert_eq!(flows(&url).await, Vec::<String>::new(), "no flow left");
    let report: Value =
        serde_json::from_slice(&std::fs::read(&json_path).expect("report written")).expect("json");
    assert_eq!(report["interrupted"], true);
    let _ = serve.kill();
    let _ = serve.wait();
}

/// `check --target aws` as a user runs it, with a temporary HOME holding a
/// profile and AppFlow's endpoint pointed at a local emulator.
fn check_with_profile(emulator_url: &str, secret: &str) -> (Option<i32>, String) {
    check_scenarios_with_profile(emulator_url, secret, &["on_demand_start"])
}

fn check_scenarios_with_profile(
    emulator_url: &str,
    secret: &str,
    names: &[&str],
) -> (Option<i32>, String) {
    let home = std::env::temp_dir().join(format!("appflow-harness-home-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(home.join(".aws")).expect("home");
    std::fs::write(
        home.join(".aws/credentials"),
        format!("[harness]\naws_access_key_id = {KEY}\naws_secret_access_key = {secret}\n"),
    )
    .expect("credentials");
    std::fs::write(
        home.join(".aws/config"),
        "[profile harness]\nregion = eu-central-1\n",
    )
    .expect("config");
    let files: Vec<String> = names
        .iter()
        .map(|n| format!("{}/scenarios/{n}.yaml", env!("CARGO_MANIFEST_DIR")))
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_appflow-harness"))
        .arg("check")
        .args(&files)
        .args(["--target", "aws", "--no-snapshots"])
        .env("HOME", &home)
        .env("AWS_PROFILE", "harness")
        .env("AWS_ENDPOINT_URL_APPFLOW", emulator_url)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_CONFIG_FILE")
        .env_remove("AWS_SHARED_CREDENTIALS_FILE")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .output()
        .expect("check");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_and_region_come_from_a_profile_and_the_endpoint_from_the_environment() {
    let emu = Emulator::start_with(Config {
        region: "eu-central-1".into(),
        ..edge_config(None, 0)
    })
    .await
    .expect("emulator");
    let (code, out) = check_with_profile(&emu.url(), SECRET);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(&format!("against {} (aws", emu.url())),
        "{out}"
    );
    let (code, out) = check_with_profile(&emu.url(), "a-wrong-secret");
    assert_eq!(code, Some(appflow_harness::exit_codes::USAGE), "{out}");
    assert!(
        out.contains("refused the credentials from profile `harness` (the AWS SDK's credential chain) (access key id ending in …DGE0): InvalidSignatureException"),
        "{out}"
    );
    assert!(
        !out.contains("a-wrong-secret") && !out.contains(KEY),
        "{out}"
    );
    // S3 cannot start event flows: on AWS without a configured event source,
    // the scenarios that need one are skipped, saying why; the rest run.
    let (code, out) =
        check_scenarios_with_profile(&emu.url(), SECRET, &["event_activation", "on_demand_start"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("SKIP event_activation"), "{out}");
    assert!(out.contains("PASS on_demand_start"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_says_what_was_resolved_and_what_to_fix() {
    let emu = Emulator::start_with(edge_config(None, 0))
        .await
        .expect("emulator");
    let (code, out) = run(&["doctor", "--target", &emu.url(), "--sign"], &env(SECRET)).await;
    assert_eq!(code, 0, "{out}");
    for line in [
        &format!("target:      {} (url)", emu.url()),
        "region:      us-east-1",
        "credentials: the environment (AWS_ACCESS_KEY_ID) (access key id ending in …DGE0)",
        "abilities:   test-control API yes",
        "read:        ok (ListFlows)",
        "fixture:     ok (created and deleted ah-doctor-",
    ] {
        assert!(out.contains(line), "{line}:\n{out}");
    }
    assert!(!out.contains(SECRET) && !out.contains(KEY), "{out}");
    assert_eq!(
        emu.handle().lock().flows.len(),
        0,
        "the fixture flow was deleted"
    );

    // An identity that may read but not create: the failing call and the fix.
    struct NoCreate;
    impl crate::support::proxy::Change for NoCreate {
        fn intercept(
            &self,
            path: &str,
            _: &Value,
            _: usize,
        ) -> Option<crate::support::proxy::Answer> {
            (path == "/create-flow").then(|| {
                crate::support::proxy::error(
                    403,
                    "AccessDeniedException",
                    "not authorized to perform appflow:CreateFlow",
                )
            })
        }
    }
    let plain = Emulator::start().await.expect("emulator");
    let url = crate::support::proxy::start(&plain.url(), NoCreate).await;
    let (code, out) = run(&["doctor", "--target", &url], &Environment::default()).await;
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("fixture:     FAILED: CreateFlow answered 403 AccessDeniedException"),
        "{out}"
    );
    assert!(
        out.contains("fix: grant the identity appflow:CreateFlow"),
        "{out}"
    );
}

#[tokio::test]
async fn a_dry_run_prints_the_plan_and_sends_nothing() {
    let emu = Emulator::start().await.expect("emulator");
    let scenarios = format!("{}/scenarios", env!("CARGO_MANIFEST_DIR"));
    let (code, out) = run(
        &["check", &scenarios, "--target", &emu.url(), "--dry-run"],
        &Environment::default(),
    )
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("dry run against") && out.contains("nothing is sent"),
        "{out}"
    );
    // The totals are the catalogue's own: every scenario, every flow it makes.
    let catalogue =
        appflow_harness::scenario::load(&[scenarios.clone().into()]).expect("catalogue");
    let flows: usize = catalogue.iter().map(|s| s.flows.len()).sum();
    let total = format!(
        "total: {} scenarios, {flows} flows created and deleted",
        catalogue.len()
    );
    assert!(out.contains(&total), "the plan says `{total}`:\n{out}");
    assert!(out.contains("AppFlow charges per flow run"), "{out}");
    let api = crate::support::Api::new(&emu.url());
    assert_eq!(
        api.counters().await["requests"],
        json!(0),
        "no AppFlow request was sent"
    );
}
