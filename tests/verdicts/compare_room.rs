//! compare classifies by the contract: a rule the target breaks is a
//! violation at every step it shows (not a gap after the first), and what
//! the contract allows (W2 spellings) is neither a gap nor a failure.

use std::path::PathBuf;

use appflow_harness::endpoint::Environment;
use serde_json::{Value, json};

use crate::support::proxy::{self, Answer, Change};

/// `compare` of the catalogue scenarios matching `filter` against `url`:
/// exit code, terminal output, JSON, HTML and Markdown reports.
/// compare's exit code, terminal text, JSON, HTML, Markdown and JUnit.
async fn compare(url: &str, filter: &str) -> (i32, String, Value, String, String, String) {
    let dir = std::env::temp_dir().join(format!("ah-room-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = |n: &str| dir.join(n).display().to_string();
    let scenarios = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let (code, out) = crate::support::run_cli(
        &[
            "compare",
            &scenarios.display().to_string(),
            "--target",
            url,
            "--filter",
            filter,
            "--json",
            &file("c.json"),
            "--html",
            &file("c.html"),
            "--markdown",
            &file("c.md"),
            "--junit",
            &file("c.xml"),
        ],
        &Environment::default(),
    )
    .await;
    let read = |n: &str| std::fs::read_to_string(dir.join(n)).expect("report");
    let json = serde_json::from_str(&read("c.json")).expect("json");
    (code, out, json, read("c.html"), read("c.md"), read("c.xml"))
}

/// Entries of `class` as (step, path, side, rules).
fn entries(report: &Value, class: &str) -> Vec<(u64, String, String, Value)> {
    report["scenarios"][0]["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["class"] == class)
        .map(|e| {
            (
                e["step"].as_u64().unwrap_or_default(),
                e["path"].as_str().unwrap_or_default().to_owned(),
                e["side"].as_str().unwrap_or_default().to_owned(),
                e["rules"].clone(),
            )
        })
        .collect()
}

/// Answers every StartFlow 200 that names no run with an executionId: a
/// scheduled or event start that does breaks O3.
struct RunOnEveryStart;
impl Change for RunOnEveryStart {
    fn answer(&self, path: &str, _: &Value, a: &mut Answer) {
        if path == "/start-flow"
            && a.status == 200
            && let Some(j) = a.json.as_mut()
            && j.get("executionId").is_none()
        {
            j["executionId"] = json!(uuid::Uuid::new_v4().to_string());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_execution_id_on_a_scheduled_start_is_a_violation_of_the_target_at_every_step() {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let url = proxy::start(&emulator.url(), RunOnEveryStart).await;
    let (code, out, report, html, _, junit) = compare(&url, "start_when_active").await;
    assert_eq!(code, 1, "a violation fails compare:\n{out}");
    assert!(
        entries(&report, "gap").is_empty(),
        "an executionId the contract forbids is no gap:\n{out}"
    );
    let violations = entries(&report, "violation");
    for step in [1, 3] {
        assert!(
            violations.iter().any(|(s, p, side, rules)| *s == step
                && p == "response.body.executionId"
                && side == "target"
                && *rules == json!(["O3"])),
            "step {step}'s executionId is the target's O3 violation: {violations:?}\n{out}"
        );
    }
    assert!(
        out.contains("target start_when_active step 1 [O3]: StartFlow body.executionId"),
        "{out}"
    );
    assert!(out.contains("1 violations, 0 gaps"), "{out}");
    let start_row = html
        .split("<tr>")
        .find(|row| row.starts_with("<td>StartFlow</td>"))
        .and_then(|row| row.split("</tr>").next())
        .expect("a StartFlow row");
    assert!(
        start_row.ends_with("<td class=\"n\">0</td><td class=\"n\">1</td>"),
        "StartFlow: no gap behaviour, one violation: {start_row}"
    );
    assert!(
        junit.contains("<testcase name=\"start_when_active\" classname=\"compare\"")
            && junit.contains("message=\"1 violation(s) of the contract\"")
            && junit.contains("target start_when_active step 1 [O3]: "),
        "the JUnit report fails the scenario for its violation, naming step and rule: {junit}"
    );
}

/// Error bodies as some SDK-generated servers write them: `Message` with a
/// capital M, and the error type in the body too (`__type`).
struct CapitalMessage;
impl Change for CapitalMessage {
    fn answer(&self, _: &str, _: &Value, a: &mut Answer) {
        if a.status >= 400
            && let Some(Value::Object(m)) = a.json.as_mut()
            && let Some(text) = m.remove("message")
        {
            m.insert("Message".into(), text);
            let kind = a
                .headers
                .get("x-amzn-errortype")
                .and_then(|h| h.to_str().ok())
                .unwrap_or("")
                .to_owned();
            m.insert(
                "__type".into(),
                json!(format!("com.amazonaws.appflow#{kind}")),
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_with_a_capital_and_a_body_error_type_are_allowed_by_w2_not_gaps() {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let url = proxy::start(&emulator.url(), CapitalMessage).await;
    let (code, out, report, html, md, _) = compare(&url, "start_when_active").await;
    assert_eq!(code, 0, "what W2 allows passes:\n{out}");
    assert!(entries(&report, "gap").is_empty(), "no gap:\n{out}");
    let allowed = entries(&report, "allowed");
    let paths: Vec<&str> = allowed.iter().map(|(_, p, _, _)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "response.body.Message",
            "response.body.__type",
            "response.body.message"
        ]
        .repeat(2),
        "{out}"
    );
    assert!(allowed.iter().all(|(_, _, _, r)| *r == json!(["W2"])));
    assert!(
        out.contains("allowed differences (the contract leaves room; neither gaps nor failures):\n  W2: 6 field(s) (start_when_active step 2, start_when_active step 4)"),
        "{out}"
    );
    assert_eq!(report["totals"]["parity_score"], json!(1.0), "{out}");
    assert!(
        md.contains("No scenario differs beyond the room the contract leaves"),
        "{md}"
    );
    assert!(
        html.contains("<span class=\"tag allowed\">allowed</span>"),
        "{html}"
    );
}
