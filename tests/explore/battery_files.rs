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
