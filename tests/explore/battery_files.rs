//! The language a saved file needs, replayed by `check` on faulty
//! endpoints and on the emulator: a new run (`none-of: "{{runs}}"`) where
//! the earlier run came from a burst's copy, and equality to the run of a
//! burst's second copy (`[2].executionId`). Explore's battery is in
//! `battery.rs`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use appflow_harness::endpoint::{TargetChoice, TargetOptions};
use serde_json::{Value, json};

use super::{check_file, url};
use crate::support::proxy::{self, Answer, Change};

/// T3: a token reused on another on-demand flow answers the run it started
/// on the first flow (the contract: a new run).
#[derive(Default, Clone)]
pub(super) struct AnswersTheEarlierRun(Arc<Mutex<HashMap<String, (String, String)>>>);
impl Change for AnswersTheEarlierRun {
    fn answer(&self, path: &str, request: &Value, a: &mut Answer) {
        let (Some(token), Some(flow)) = (
            request["clientToken"].as_str(),
            request["flowName"].as_str(),
        ) else {
            return;
        };
        let Some(j) = a
            .json
            .as_mut()
            .filter(|_| path == "/start-flow" && a.status == 200)
        else {
            return;
        };
        let Some(id) = j["executionId"].as_str().map(str::to_owned) else {
            return;
        };
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match m.get(token) {
            Some((first, earlier)) if first != flow => j["executionId"] = json!(earlier),
            Some(_) => {}
            None => {
                m.insert(token.to_owned(), (flow.to_owned(), id));
            }
        }
    }
}

/// T3 with the earlier run answered by a copy of a concurrent step (which
/// names no capture): `none-of: "{{runs}}"` holds the reuse on another
/// flow to a new run. Explore's own battery entry for T3 (seed 3) is in
/// `battery.rs`; this one checks the file the writer makes for a burst.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_reused_on_another_flow_answering_the_earlier_run_fails_a_new_run_expectation() {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let u = proxy::start(&emulator.url(), AnswersTheEarlierRun::default()).await;
    let dir = crate::scenarios::tempdir();
    let file = dir.join("t3.yaml");
    std::fs::write(
        &file,
        r#"description: a token of a burst's copy reused on another on-demand flow starts a new run
contract: chosen
covers: [T3, T5]
flows:
  a: { trigger: OnDemand }
  b: { trigger: OnDemand }
steps:
  - StartFlow: { flowName: "{{flow.a}}" }
    concurrent: 2
    each: { clientToken: ["{{token.x}}", "{{token.y}}"] }
    expect: { status: 200, distinct: { executionId: 2 } }
  - StartFlow: { flowName: "{{flow.b}}", clientToken: "{{token.y}}" }
    name: reuse on b
    expect: { status: 200, body: { executionId: { present: true, none-of: "{{runs}}" } } }
"#,
    )
    .expect("write");
    let (code, out) = check_file(url(&u), &file).await;
    assert_eq!(
        code, 1,
        "the earlier run answered again is not a new run:\n{out}"
    );
    assert!(out.contains("reuse on b"), "the reuse step fails:\n{out}");
    let (code, out) = check_file(TargetOptions::new(TargetChoice::Embedded), &file).await;
    assert_eq!(code, 0, "the emulator starts a new run (T3):\n{out}");
}

/// Every replay of a token starts another run (T1 broken everywhere).
#[derive(Default, Clone)]
struct ReplaysAreNew(Arc<Mutex<HashMap<String, usize>>>);
impl Change for ReplaysAreNew {
    fn answer(&self, path: &str, request: &Value, a: &mut Answer) {
        let Some(t) = request["clientToken"]
            .as_str()
            .filter(|_| path == "/start-flow")
        else {
            return;
        };
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = m.entry(t.to_owned()).or_insert(0);
        *n += 1;
        if *n > 1
            && let Some(j) = a.json.as_mut().filter(|j| j.get("executionId").is_some())
        {
            j["executionId"] = json!(uuid::Uuid::new_v4().to_string());
        }
    }
}

/// Equality to a run answered inside a burst: copy 2's run is captured
/// (`[2].executionId`) and its token's replay held to it, which a file
/// could not say before (only the first copy was captured).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capture_of_a_bursts_second_copy_holds_its_replay_to_that_run() {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let u = proxy::start(&emulator.url(), ReplaysAreNew::default()).await;
    let file = crate::scenarios::tempdir().join("copy.yaml");
    std::fs::write(
        &file,
        r#"description: the replay of a burst copy's token answers that copy's run
contract: chosen
covers: [T1]
flows:
  a: { trigger: OnDemand }
steps:
  - StartFlow: { flowName: "{{flow.a}}" }
    concurrent: 2
    each: { clientToken: ["{{token.x}}", "{{token.y}}"] }
    expect: { status: 200, distinct: { executionId: 2 } }
    capture: { second: "[2].executionId" }
  - StartFlow: { flowName: "{{flow.a}}", clientToken: "{{token.y}}" }
    name: replay of copy 2
    expect: { status: 200, body: { executionId: "{{second}}" } }
"#,
    )
    .expect("write");
    let (code, out) = check_file(url(&u), &file).await;
    assert_eq!(
        code, 1,
        "the forgotten token's replay is another run:\n{out}"
    );
    assert!(out.contains("replay of copy 2"), "{out}");
    let (code, out) = check_file(TargetOptions::new(TargetChoice::Embedded), &file).await;
    assert_eq!(
        code, 0,
        "the emulator answers copy 2's run again (T1):\n{out}"
    );
}

/// Calls at once whose order decides what follows (C2 conflict: the copy
/// that comes second is refused): a capture of the copy that lost binds
/// nothing (no failure), and a later step runs only for the order it
/// names (`when: statuses-in-order`), so exactly one of the two replays
/// plays, whichever copy won, and it is held to the winner's run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_after_calls_at_once_holds_for_the_order_the_copies_answered() {
    use appflow_harness::emulator::config::{Config, InProgressStart, Profile};
    let emulator = appflow_harness::emulator::Emulator::start_with(Config {
        profile: Profile {
            in_progress_start: InProgressStart::Conflict,
            ..Profile::default()
        },
        ..Default::default()
    })
    .await
    .expect("emulator");
    let dir = crate::scenarios::tempdir();
    let file = dir.join("order.yaml");
    std::fs::write(
        &file,
        r#"description: two tokens at once on an on-demand flow under C2 conflict; the replay of the winner's token answers its run
contract: chosen
covers: [C2, T1]
flows:
  a: { trigger: OnDemand }
steps:
  - StartFlow: { flowName: "{{flow.a}}" }
    concurrent: 2
    each: { clientToken: ["{{token.x}}", "{{token.y}}"] }
    expect: { statuses-in-order: [[200, 409], [409, 200]] }
    capture: { rx: "executionId", ry: "[2].executionId" }
  - StartFlow: { flowName: "{{flow.a}}", clientToken: "{{token.x}}" }
    name: x won
    when: { step: 1, statuses-in-order: [200, 409] }
    expect: { status: 200, body: { executionId: "{{rx}}" } }
  - StartFlow: { flowName: "{{flow.a}}", clientToken: "{{token.y}}" }
    name: y won
    when: { step: 1, statuses-in-order: [409, 200] }
    expect: { status: 200, body: { executionId: "{{ry}}" } }
"#,
    )
    .expect("write");
    for _ in 0..3 {
        let json = dir.join("order.json");
        let mut o = appflow_harness::commands::check::CheckOptions::new(url(&emulator.url()));
        o.scenarios = vec![file.clone()];
        o.snapshot_root = None;
        o.json = Some(json.clone());
        let (mut out, mut log) = (Vec::new(), Vec::new());
        let mut console = appflow_harness::commands::Console {
            out: &mut out,
            log: &mut log,
        };
        let result = appflow_harness::commands::check::run(
            o,
            &appflow_harness::endpoint::Environment::default(),
            &mut console,
        )
        .await;
        let out = String::from_utf8_lossy(&out);
        assert_eq!(
            crate::support::exit_code(&result),
            0,
            "the loser's capture is no failure, and the replay for the other order is not played:\n{out}"
        );
        let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).expect("json"))
            .expect("a JSON report");
        let steps = report["scenarios"][0]["steps"].as_array().expect("steps");
        let played: Vec<&str> = steps[1..]
            .iter()
            .filter(|s| s["status"] == "passed")
            .filter_map(|s| s["name"].as_str())
            .collect();
        let skipped: Vec<&str> = steps[1..]
            .iter()
            .filter_map(|s| s["skipped"].as_str())
            .collect();
        assert!(
            played.len() == 1 && skipped.len() == 1 && skipped[0].starts_with("not applicable"),
            "exactly one replay is played (the winner's) and the other is not applicable: played {played:?}, skipped {skipped:?}"
        );
    }
}

/// [`AnswersTheEarlierRun`] once: the first reuse on another flow answers
/// the earlier run, every later one a new run (a fault that shows once).
#[derive(Default, Clone)]
pub(super) struct AnswersTheEarlierRunOnce {
    fault: AnswersTheEarlierRun,
    fired: Arc<std::sync::atomic::AtomicBool>,
}
impl Change for AnswersTheEarlierRunOnce {
    fn answer(&self, path: &str, request: &Value, a: &mut Answer) {
        let before = a.json.clone();
        self.fault.answer(path, request, a);
        if a.json != before && self.fired.swap(true, std::sync::atomic::Ordering::SeqCst) {
            a.json = before;
        }
    }
}
