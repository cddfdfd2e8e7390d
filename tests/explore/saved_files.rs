//! What a saved file holds beyond single calls: a burst with several
//! tokens (or none) as one concurrent step (`concurrent`, `each`, counts
//! every order agrees on), and ListFlows contents judged on the
//! sequence's own flows (`all-pages`, `contains`, `excludes`). Each fault
//! is found by explore, and its file fails `check` on the faulty endpoint,
//! passes on the emulator (and, for ListFlows, on one holding foreign flows).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use appflow_harness::scenario::write::read;

use super::faults::found_at;
use super::{check_file, url};
use crate::support::proxy::{self, Answer, Change};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_at_once_merged_into_one_run_are_saved_as_a_concurrent_step() {
    let (_, text) = found_at(
        "concurrency (several tokens)",
        |up| Box::pin(async move { super::coalescing::start(&up).await }),
        1,
    )
    .await;
    eprintln!("{text}");
    let file = read(&text).expect("the saved file reads");
    let burst = file
        .steps
        .iter()
        .map(|s| &s.value)
        .find(|s| s.concurrent.is_some())
        .unwrap_or_else(|| panic!("the burst is one concurrent step:\n{text}"));
    assert!(
        burst.each.contains_key("clientToken"),
        "each copy sends its own token (`each:`):\n{text}"
    );
    assert!(
        burst.expect.is_some(),
        "the concurrent step carries expectations every order allows:\n{text}"
    );
}

/// reads: a deleted flow stays in ListFlows (on the last page, where
/// maxResults leaves room), as a flow was listed (an item of the
/// emulator's, renamed).
#[derive(Default, Clone)]
struct DeletedFlowsListed(Arc<Mutex<Lingering>>);

/// A listed item to copy; the deleted flow that lingers, by name.
type Lingering = (Option<Value>, HashMap<String, Value>);
impl Change for DeletedFlowsListed {
    fn answer(&self, path: &str, request: &Value, a: &mut Answer) {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let (like, gone) = &mut *m;
        let name = request["flowName"].as_str().unwrap_or_default().to_owned();
        match (path, a.status, a.json.as_mut()) {
            ("/create-flow", 200, _) => {
                gone.remove(&name);
            }
            ("/delete-flow", 200, _) => {
                if let Some(item) = like.clone() {
                    let mut item = item;
                    let arn = item["flowArn"].as_str().unwrap_or_default();
                    let arn = format!("{}/{name}", arn.rsplit_once('/').map_or(arn, |(a, _)| a));
                    item["flowArn"] = json!(arn);
                    item["flowName"] = json!(name);
                    item["triggerType"] = json!("OnDemand");
                    item["flowStatus"] = json!("Active");
                    // Only the last flow deleted lingers.
                    gone.clear();
                    gone.insert(name, item);
                }
            }
            ("/list-flows", 200, Some(j)) => {
                if let Some(first) = j["flows"].as_array().and_then(|l| l.first()) {
                    *like = Some(first.clone());
                }
                // On the last page, where maxResults leaves room (S2 holds).
                let room = request["maxResults"].as_u64().unwrap_or(100) as usize;
                if j["nextToken"].as_str().is_none() && !gone.is_empty() {
                    let mut list = j["flows"].as_array().cloned().unwrap_or_default();
                    let n = room.saturating_sub(list.len());
                    list.extend(gone.values().take(n).cloned());
                    j["flows"] = Value::Array(list);
                }
            }
            _ => {}
        }
    }
}

/// reads and paging: every page after the first loses its first flow.
#[derive(Clone)]
struct LosesAFlowOnLaterPages;
impl Change for LosesAFlowOnLaterPages {
    fn answer(&self, path: &str, request: &Value, a: &mut Answer) {
        if path == "/list-flows"
            && a.status == 200
            && request["nextToken"].is_string()
            && let Some(list) = a.json.as_mut().and_then(|j| j["flows"].as_array_mut())
            && !list.is_empty()
        {
            list.remove(0);
        }
    }
}

/// Explores the emulator behind `change`; the saved file holds a ListFlows
/// read through every page with expectations on the sequence's own flows,
/// and passes on an emulator that holds flows of others too.
async fn list_fault(area: &str, change: impl Change + Clone) {
    let (file, text) = found_at(
        area,
        move |up| {
            let change = change.clone();
            Box::pin(async move { proxy::start(&up, change).await })
        },
        1,
    )
    .await;
    eprintln!("{text}");
    let saved = read(&text).expect("the saved file reads");
    let list = saved
        .steps
        .iter()
        .map(|s| &s.value)
        .find(|s| s.list_flows.is_some())
        .unwrap_or_else(|| panic!("{area}: the file reads ListFlows:\n{text}"));
    let flows = list
        .expect
        .as_ref()
        .and_then(|e| e.body.as_ref())
        .map(|b| &b["flows"]);
    assert!(
        list.all_pages
            && flows.is_some_and(|f| f.get("contains").is_some() || f.get("excludes").is_some()),
        "{area}: ListFlows is read through every page and judged on the sequence's flows:\n{text}"
    );
    // Another account user's flows, listed beside the file's own.
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let http = reqwest::Client::new();
    for i in 0..7 {
        let body = appflow_harness::fixtures::create_flow_body(
            &format!("someone-elses-flow-{i}"),
            appflow_harness::appflow::TriggerType::OnDemand,
        );
        let r = http
            .post(format!("{}/create-flow", emulator.url()))
            .json(&body)
            .send()
            .await
            .expect("create a foreign flow");
        assert_eq!(r.status(), 200, "the foreign flow {i} is created");
    }
    let (code, out) = check_file(url(&emulator.url()), &file).await;
    assert_eq!(
        code, 0,
        "{area}: no false alarm where the account holds other flows:\n{text}\n{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_flow_still_listed_is_saved_as_an_excludes() {
    list_fault("reads (deleted flow listed)", DeletedFlowsListed::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flow_lost_on_a_later_page_is_saved_as_a_contains_over_all_pages() {
    list_fault("paging (flow lost on page 2)", LosesAFlowOnLaterPages).await;
}

/// Records the clientTokens of StartFlow requests.
#[derive(Default, Clone)]
struct Tokens(Arc<Mutex<Vec<Value>>>);
impl Change for Tokens {
    fn request(&self, path: &str, body: &mut Value) {
        if path == "/start-flow" {
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(body["clientToken"].clone());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_copy_of_a_concurrent_step_sends_its_own_fresh_token_or_none() {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let seen = Tokens::default();
    let u = proxy::start(&emulator.url(), seen.clone()).await;
    let dir = crate::scenarios::tempdir();
    let file = dir.join("each.yaml");
    std::fs::write(
        &file,
        r#"description: three starts at once, two tokens and none, on an on-demand flow
contract: chosen
covers: [T1, T7]
flows:
  nightly: { trigger: OnDemand }
steps:
  - StartFlow: { flowName: "{{flow.nightly}}" }
    concurrent: 3
    each: { clientToken: ["{{token.a}}", "{{token.b}}", null] }
    expect: { status: [200, 409], distinct: { executionId: 3 } }
"#,
    )
    .expect("write");
    for run in 0..2 {
        let (code, out) = check_file(url(&u), &file).await;
        assert_eq!(
            code, 0,
            "run {run}: three new runs (or C2 refusals):\n{out}"
        );
    }
    let tokens = seen.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let sent: Vec<&str> = tokens.iter().filter_map(Value::as_str).collect();
    assert_eq!(tokens.len(), 6, "three calls per run: {tokens:?}");
    assert_eq!(
        sent.len(),
        4,
        "one call of three per run has no token: {tokens:?}"
    );
    assert!(
        sent.iter().all(|t| !t.contains("{{")),
        "templates are rendered: {tokens:?}"
    );
    let mut fresh = sent.clone();
    fresh.sort_unstable();
    fresh.dedup();
    assert_eq!(
        fresh.len(),
        4,
        "every copy and every run its own token: {tokens:?}"
    );
}
