//! Endpoints in front of the emulator that throttle reads or never end
//! their pages; options refused before anything starts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use appflow_harness::load;
use serde_json::{Value, json};

use super::{ONE_ATTACK, options, run_cli, text, unbounded_quotas};

#[test]
fn options_without_meaning_are_refused_before_anything_starts() {
    let cases: [(&[&str], &str); 10] = [
        (&["--max-rps", "5"], "--throttle 5"),
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
        if !flags.contains(&"--run-time") {
            args.extend_from_slice(&["--run-time", "1s"]);
        }
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

#[test]
fn load_without_a_run_time_prints_its_usage_and_sends_nothing() {
    use std::process::Command;
    // A listener that counts the connections made to it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let bin = env!("CARGO_BIN_EXE_appflow-harness");
    for args in [vec!["load"], vec!["load", "--target", &url, "--users", "2"]] {
        let out = Command::new(bin).args(&args).output().expect("load");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(appflow_harness::exit_codes::USAGE),
            "{args:?} is a usage error (exit 2), not a 30-second attack: {stderr}"
        );
        assert!(
            stderr.contains("--run-time") && stderr.contains("Usage:"),
            "{args:?}: the usage names the missing --run-time: {stderr}"
        );
    }
    assert!(listener.accept().is_err(), "nothing was sent to the target");
    // `load merge` takes no run time.
    let (code, message) = run_cli(&["load", "merge", "/nonexistent/w0.json"]);
    assert_eq!(
        code,
        appflow_harness::exit_codes::INVALID_INPUT,
        "merge reads its files without --run-time: {message}"
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
    let emu = appflow_harness::emulator::Emulator::start_with(unbounded_quotas())
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

/// Throttles every third StartFlow (429), passes the rest.
struct ThrottleStarts(AtomicU64);

impl crate::support::proxy::Change for ThrottleStarts {
    fn intercept(&self, path: &str, _: &Value, _: usize) -> Option<crate::support::proxy::Answer> {
        (path == "/start-flow" && self.0.fetch_add(1, Ordering::Relaxed) % 3 == 2)
            .then(|| crate::support::proxy::error(429, "ThrottlingException", "Rate exceeded"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_starts_back_off_and_the_report_says_how_throttling_shaped_the_run() {
    let _one = ONE_ATTACK.lock().await;
    let emu = appflow_harness::emulator::Emulator::start_with(unbounded_quotas())
        .await
        .expect("emulator");
    let url = crate::support::proxy::start(&emu.url(), ThrottleStarts(AtomicU64::new(0))).await;
    let target = crate::support::url_target(&url, Duration::from_secs(5)).await;
    let mut o = options("fresh=100".parse().expect("mix"));
    o.thresholds.max_error_rate_pct = 100.0;
    o.thresholds.min_verified = 1;
    let report = load::run(&target, &o).await.expect("load");
    let t = text(&report);
    assert!(report.verdict.clean(), "throttled starts lose nothing: {t}");
    let note = report
        .notes
        .iter()
        .find(|n| n.starts_with("throttling:"))
        .unwrap_or_else(|| panic!("the report says the run was throttled: {t}"));
    assert!(
        note.contains("backing off") && !note.contains(" 0.0 s backed off"),
        "and that the retries backed off, for how long: {note}"
    );
}

/// Answers every StartFlow with 307 to another port.
struct RedirectStarts;

impl crate::support::proxy::Change for RedirectStarts {
    fn intercept(&self, path: &str, _: &Value, _: usize) -> Option<crate::support::proxy::Answer> {
        (path == "/start-flow").then(|| {
            let mut a = crate::support::proxy::error(307, "", "");
            a.headers.remove("x-amzn-errortype");
            a.headers.insert(
                "location",
                axum::http::HeaderValue::from_static("http://127.0.0.1:9/start-flow"),
            );
            a
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirected_start_is_reported_as_w10_not_followed_nor_refused() {
    let _one = ONE_ATTACK.lock().await;
    let emu = appflow_harness::emulator::Emulator::start_with(unbounded_quotas())
        .await
        .expect("emulator");
    let url = crate::support::proxy::start(&emu.url(), RedirectStarts).await;
    let target = crate::support::url_target(&url, Duration::from_secs(5)).await;
    let mut o = options("fresh=100".parse().expect("mix"));
    o.run_time = Duration::from_secs(1);
    let report = load::run(&target, &o).await.expect("load");
    let t = text(&report);
    assert!(!report.passed(), "nothing verified: {t}");
    assert_eq!(
        report.verdict.classes.refused, 0,
        "a 3xx is not a refusal: {t}"
    );
    assert!(
        t.contains("307 redirect not followed (W10"),
        "the redirect is named with its rule: {t}"
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
    let emu = appflow_harness::emulator::Emulator::start_with(unbounded_quotas())
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_refusing_starts_while_a_run_is_in_progress_is_named_c2_not_a_fault() {
    use appflow_harness::emulator::config::InProgressStart;
    let _one = ONE_ATTACK.lock().await;
    let mut config = unbounded_quotas();
    config.profile.in_progress_start = InProgressStart::Conflict;
    // Runs last long enough for the next start on their flow to meet them.
    config.run_time_ms = 60_000;
    let emu = appflow_harness::emulator::Emulator::start_with(config)
        .await
        .expect("emulator");
    let target = crate::support::url_target(&emu.url(), Duration::from_secs(5)).await;
    let mut o = options("fresh=100".parse().expect("mix"));
    o.users = 2;
    o.flows = 1;
    let report = load::run(&target, &o).await.expect("load");
    let t = text(&report);
    assert!(
        report.verdict.clean(),
        "409s are refusals, not lost or duplicated runs: {t}"
    );
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.starts_with("in progress:") && n.contains("C2")),
        "the report says the 409s are C2's other candidate and what to do: {t}"
    );
}

/// An endpoint that gzips every answer, whatever the request asked (RFC
/// 9110 lets a server choose when the request names no encoding): the
/// attack's client asks for gzip and decodes it as `check` does (it read
/// nothing: "200 without executionId" on every start), so the run is
/// verified.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_always_gzips_is_read_by_the_attack() {
    use crate::support::forwarder::{Twist, forwarder};
    let _one = ONE_ATTACK.lock().await;
    let emu = appflow_harness::emulator::Emulator::start_with(unbounded_quotas())
        .await
        .expect("emulator");
    let (url, _) = forwarder(emu.url(), Twist::Gzip).await;
    let target = crate::support::url_target(&url, Duration::from_secs(5)).await;
    let mut o = options("fresh=100".parse().expect("mix"));
    o.run_time = Duration::from_secs(1);
    let report = load::run(&target, &o).await.expect("load");
    let t = text(&report);
    assert!(
        !t.contains("without executionId"),
        "every gzip answer is read: {t}"
    );
    assert!(report.passed(), "the run is verified: {t}");
}
