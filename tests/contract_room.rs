//! Endpoints that differ from ours only where the contract leaves room, or
//! that throttle, or that break a rule in a way that could hang the harness:
//! `check` (and `cleanup`) judge them by APPFLOW.md, never by the emulator's
//! habits, and always end. Each endpoint is the emulator behind a proxy that
//! changes one thing.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use appflow_harness::commands::Outcome;
use appflow_harness::endpoint::Environment;
use appflow_harness::runner::{self, Options, Status, Summary};
use serde_json::{Value, json};

use crate::support::proxy::{self, Answer, Change};
use crate::support::url_target;

/// `appflow-harness ARGS` in-process; the exit code and what it printed.
async fn run(args: &[&str]) -> (i32, String) {
    crate::support::run_cli(args, &Environment::default()).await
}

fn scenario(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.yaml"))
        .display()
        .to_string()
}

fn catalogue() -> Vec<appflow_harness::scenario::Scenario> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    appflow_harness::scenario::load(&[dir]).expect("the catalogue loads")
}

/// The catalogue (no snapshots) against `url`.
async fn play(url: &str, scenarios: Vec<appflow_harness::scenario::Scenario>) -> Summary {
    let target = url_target(url, Duration::from_secs(10)).await;
    runner::run(
        scenarios,
        Arc::new(target),
        Options::new("room", "2026-11-29"),
        |_| {},
    )
    .await
}

fn report(summary: &Summary) -> String {
    let mut out = Vec::new();
    appflow_harness::report::terminal::render(summary, &mut out).expect("render");
    String::from_utf8_lossy(&out).into_owned()
}

/// Serves bodies of any size: padding never reaches the emulator's limit.
struct AcceptsAnySize;
impl Change for AcceptsAnySize {
    fn compact(&self) -> bool {
        true
    }
}

/// Serves bodies up to 5 MiB (as one emulator does), refuses larger with 400.
struct RefusesAt5MiB;
impl Change for RefusesAt5MiB {
    fn compact(&self) -> bool {
        true
    }
    fn intercept(&self, _: &str, _: &Value, size: usize) -> Option<Answer> {
        (size > 5 << 20).then(|| proxy::error(400, "ValidationException", "too large"))
    }
}

/// Refuses bodies over 1 MiB with a bare 413, as a front door would.
struct Bare413At1MiB;
impl Change for Bare413At1MiB {
    fn intercept(&self, _: &str, _: &Value, size: usize) -> Option<Answer> {
        (size > 1 << 20).then(|| {
            let mut a = proxy::error(413, "", "Request Entity Too Large");
            a.headers.remove("x-amzn-errortype");
            a
        })
    }
}

/// Drops the connection on bodies over 1 MiB (W6 says never).
struct DropsLargeBodies;
impl Change for DropsLargeBodies {
    fn drop_connection(&self, _: &str, size: usize) -> bool {
        size > 1 << 20
    }
}

/// Answers 500 to bodies over 1 MiB (W6 says never).
struct LargeBodiesAre500;
impl Change for LargeBodiesAre500 {
    fn intercept(&self, _: &str, _: &Value, size: usize) -> Option<Answer> {
        (size > 1 << 20).then(|| proxy::error(500, "InternalServerException", "boom"))
    }
}

async fn body_too_large_against(change: impl Change) -> (i32, String) {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let url = proxy::start(&emulator.url(), change).await;
    run(&[
        "check",
        "--target",
        &url,
        "--no-snapshots",
        &scenario("body_too_large"),
    ])
    .await
}

#[tokio::test]
async fn a_large_body_served_or_refused_with_a_4xx_conforms_and_a_500_or_a_drop_does_not() {
    for (name, (code, out)) in [
        (
            "accepts any size",
            body_too_large_against(AcceptsAnySize).await,
        ),
        (
            "refuses at 5 MiB",
            body_too_large_against(RefusesAt5MiB).await,
        ),
        (
            "a bare 413 at 1 MiB",
            body_too_large_against(Bare413At1MiB).await,
        ),
    ] {
        assert_eq!(
            code, 0,
            "W6 leaves the size limit open; {name} conforms:\n{out}"
        );
        assert!(out.contains("PASS body_too_large"), "{name}:\n{out}");
    }
    for (name, (code, out)) in [
        (
            "answers 500",
            body_too_large_against(LargeBodiesAre500).await,
        ),
        (
            "drops the connection",
            body_too_large_against(DropsLargeBodies).await,
        ),
    ] {
        assert_eq!(
            code, 1,
            "W6: never a 500 or a dropped connection; {name} fails:\n{out}"
        );
        assert!(out.contains("FAIL body_too_large"), "{name}:\n{out}");
    }
}

#[tokio::test]
async fn an_account_that_holds_other_flows_passes_the_catalogue() {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let client = crate::support::Api::new(&emulator.url());
    for i in 0..5 {
        let r = client
            .create(
                &format!("someone-else-{i}"),
                appflow_harness::appflow::TriggerType::OnDemand,
            )
            .await;
        assert_eq!(r.status, 200, "a foreign flow is made");
    }
    let summary = play(&emulator.url(), catalogue()).await;
    assert_eq!(
        Outcome::of_summary(&summary).exit_code(),
        0,
        "scenarios judge their own flows only:\n{}",
        report(&summary)
    );
    let left = client.call("ListFlows", json!({"maxResults": 100})).await;
    let names: Vec<&str> = left
        .json
        .as_ref()
        .and_then(|j| j["flows"].as_array())
        .into_iter()
        .flatten()
        .filter_map(|f| f["flowName"].as_str())
        .collect();
    assert_eq!(
        names.len(),
        5,
        "the foreign flows are untouched, ours are gone: {names:?}"
    );
}

#[tokio::test]
async fn a_throttling_endpoint_is_paced_and_verified_with_default_flags() {
    let (mut serve, url) = crate::support::spawn_serve(&["--throttle-above-rps", "20"]);
    let (code, out) = run(&["check", "--target", &url]).await;
    let _ = serve.kill();
    let _ = serve.wait();
    assert_eq!(
        code, 0,
        "throttling at 20/s is paced, not a failure:\n{out}"
    );
    assert!(
        out.contains(" 0 failed, 0 inconclusive"),
        "all verified:\n{out}"
    );
    assert!(
        out.contains("answers were 429 and retried"),
        "throttles are counted:\n{out}"
    );
    // Slower still: inconclusive at worst, never a rule failure.
    let some: Vec<String> = [
        "on_demand_start",
        "delete_in_progress",
        "start_after_delete",
        "stop_scheduled",
        "no_token_twice",
        "cancel_execution",
    ]
    .iter()
    .map(|n| scenario(n))
    .collect();
    let (mut serve, url) = crate::support::spawn_serve(&["--throttle-above-rps", "5"]);
    let mut args = vec!["check", "--target", url.as_str()];
    args.extend(some.iter().map(String::as_str));
    let (code, out) = run(&args).await;
    let _ = serve.kill();
    let _ = serve.wait();
    assert!(
        code == 0 || code == 6,
        "at 5/s: passed or inconclusive (6), never failed:\n{out}"
    );
    assert!(!out.contains("FAIL "), "{out}");
}

/// Answers every list read with the first page and the nextToken it was
/// given (or a first one): a client that follows tokens blindly pages forever.
#[derive(Default)]
struct EchoesNextToken(std::sync::Mutex<Option<String>>);
impl Change for EchoesNextToken {
    fn request(&self, path: &str, body: &mut Value) {
        if path == "/list-flows" || path == "/describe-flow-execution-records" {
            let token = body.as_object_mut().and_then(|m| m.remove("nextToken"));
            *self.0.lock().expect("lock") = token.and_then(|t| t.as_str().map(str::to_owned));
        }
    }
    fn answer(&self, path: &str, _: &Value, a: &mut Answer) {
        let lists = path == "/list-flows" || path == "/describe-flow-execution-records";
        if let (true, 200, Some(Value::Object(m))) = (lists, a.status, a.json.as_mut()) {
            let token = self
                .0
                .lock()
                .expect("lock")
                .clone()
                .unwrap_or_else(|| "echo".into());
            m.insert("nextToken".into(), json!(token));
        }
    }
}

#[tokio::test]
async fn an_endpoint_echoing_next_token_is_named_and_nothing_hangs() {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let url = proxy::start(&emulator.url(), EchoesNextToken::default()).await;
    let (code, out) = run(&[
        "check",
        "--target",
        &url,
        "--no-snapshots",
        &scenario("list_flows_paging"),
    ])
    .await;
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "nextToken: a nextToken names the next page: one answered again would page forever (S2)"
        ),
        "the violation is named:\n{out}"
    );
    let client = crate::support::Api::new(&emulator.url());
    client
        .create(
            "ah-leftover-1",
            appflow_harness::appflow::TriggerType::OnDemand,
        )
        .await;
    let (code, out) = run(&["cleanup", "--target", &url, "--prefix", "ah-", "--yes"]).await;
    assert_eq!(
        code, 1,
        "cleanup ends, and says the endpoint broke S2:\n{out}"
    );
    assert!(out.contains("breaks S2"), "{out}");
}

/// Writes every timestamp as a string (W4 broken on every answer that has one).
struct StringTimestamps;
impl Change for StringTimestamps {
    fn answer(&self, _: &str, _: &Value, a: &mut Answer) {
        fn walk(v: &mut Value) {
            match v {
                Value::Object(m) => {
                    for (k, x) in m.iter_mut() {
                        if (k.ends_with("At") || k.ends_with("Time")) && x.is_number() {
                            *x = json!("2026-11-29T12:00:00Z");
                        } else {
                            walk(x);
                        }
                    }
                }
                Value::Array(a) => a.iter_mut().for_each(walk),
                _ => {}
            }
        }
        if let Some(j) = a.json.as_mut() {
            walk(j);
        }
    }
}

#[tokio::test]
async fn string_timestamps_are_one_w4_line_per_path_and_nothing_polls_for_them() {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let conforming = play(&emulator.url(), catalogue()).await;
    assert!(conforming.passed(), "{}", report(&conforming));
    let url = proxy::start(&emulator.url(), StringTimestamps).await;
    let broken = play(&url, catalogue()).await;
    let text = report(&broken);
    // The run's contract section (the scenarios' own lines start with a step).
    let w4: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("(W4): broken on") && !l.contains("[contract]"))
        .collect();
    assert!(!w4.is_empty(), "W4 is named:\n{text}");
    let mut paths: Vec<&str> = w4
        .iter()
        .map(|l| l.split(": ").next().unwrap_or(""))
        .collect();
    let n = paths.len();
    paths.sort_unstable();
    paths.dedup();
    assert_eq!(
        paths.len(),
        n,
        "one W4 line per path in the run's contract section:\n{}",
        w4.join("\n")
    );
    assert!(
        !text.contains("(W5): broken"),
        "string timestamps are W4, not W5:\n{text}"
    );
    // `eventually` stops at once: about as many requests as the conforming run.
    let (calls, base) = (broken.totals.calls as f64, conforming.totals.calls as f64);
    assert!(
        calls <= base * 1.2,
        "{calls} requests against {base} on the conforming endpoint: something polled"
    );
    assert!(
        broken
            .scenarios
            .iter()
            .all(|s| s.status != Status::Inconclusive)
    );
}
