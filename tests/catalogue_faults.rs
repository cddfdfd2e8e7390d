//! Endpoints that are faulty in one respect each, made by a proxy in front
//! of the emulator: the catalogue catches every one, naming the scenario
//! and the step. Each fault sits in a rule that the catalogue once covered
//! from one side only, or not at all.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use appflow_harness::runner::{self, Options, Status, Summary};
use serde_json::{Value, json};

use crate::support::proxy::{self, Answer, Change};
use crate::support::url_target;

fn catalogue() -> Vec<appflow_harness::scenario::Scenario> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    appflow_harness::scenario::load(&[dir]).expect("catalogue")
}

/// Plays the whole catalogue (no snapshots) against the emulator behind `change`.
async fn play_through(change: impl Change) -> Summary {
    play_these(change, catalogue()).await
}

/// Plays `scenarios` (no snapshots) against the emulator behind `change`.
async fn play_these(
    change: impl Change,
    scenarios: Vec<appflow_harness::scenario::Scenario>,
) -> Summary {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let url = proxy::start(&emulator.url(), change).await;
    let target = url_target(&url, Duration::from_secs(10)).await;
    assert!(
        target.abilities.control,
        "the proxy passes the control API on"
    );
    runner::run(
        scenarios,
        Arc::new(target),
        Options::new("faults", "2026-11-27"),
        |_| {},
    )
    .await
}

/// `scenario` failed at `step` with a message containing `text`.
fn caught(summary: &Summary, scenario: &str, step: usize, text: &str) {
    let s = summary
        .scenarios
        .iter()
        .find(|s| s.name == scenario)
        .unwrap_or_else(|| panic!("no scenario {scenario}"));
    let mut report = Vec::new();
    appflow_harness::report::terminal::render(summary, &mut report).expect("render");
    let report = String::from_utf8_lossy(&report);
    assert_eq!(
        s.status,
        Status::Failed,
        "{scenario} must catch it:\n{report}"
    );
    assert!(
        s.failures
            .iter()
            .any(|f| f.step == Some(step) && f.message.contains(text)),
        "{scenario} must fail at step {step} with {text:?}:\n{report}"
    );
}

fn is(path: &str, op: &str) -> bool {
    path == op
}

struct RefusesLongTokens;
impl Change for RefusesLongTokens {
    fn intercept(&self, path: &str, body: &Value, _: usize) -> Option<Answer> {
        let long = body["clientToken"].as_str().is_some_and(|t| t.len() >= 200);
        (is(path, "/start-flow") && long)
            .then(|| proxy::error(400, "ValidationException", "token too long"))
    }
}

struct RefusesPunctuatedNames;
impl Change for RefusesPunctuatedNames {
    fn intercept(&self, path: &str, body: &Value, _: usize) -> Option<Answer> {
        let odd = body["flowName"]
            .as_str()
            .is_some_and(|n| n.contains(['!', '@', '#']));
        (is(path, "/start-flow") && odd)
            .then(|| proxy::error(400, "ValidationException", "bad flowName"))
    }
}

/// T2 is enforced for scheduled flows only: an event flow accepts a token
/// used on another flow.
#[derive(Default)]
struct EventTokensUnchecked(Mutex<HashMap<String, String>>);
impl Change for EventTokensUnchecked {
    fn request(&self, path: &str, body: &mut Value) {
        let name = body["flowName"].as_str().unwrap_or_default().to_owned();
        if is(path, "/create-flow") {
            let trigger = body["triggerConfig"]["triggerType"]
                .as_str()
                .unwrap_or_default();
            self.0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(name, trigger.to_owned());
        } else if is(path, "/start-flow")
            && self
                .0
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&name)
                .map(String::as_str)
                == Some("Event")
            && let Some(obj) = body.as_object_mut()
        {
            obj.remove("clientToken");
        }
    }
}

struct IgnoresMaxResultsOnListFlows;
impl Change for IgnoresMaxResultsOnListFlows {
    fn request(&self, path: &str, body: &mut Value) {
        if is(path, "/list-flows")
            && let Some(obj) = body.as_object_mut()
        {
            obj.remove("maxResults");
        }
    }
}

struct AlwaysForceDeletes;
impl Change for AlwaysForceDeletes {
    fn request(&self, path: &str, body: &mut Value) {
        if is(path, "/delete-flow") {
            body["forceDelete"] = json!(true);
        }
    }
}

struct CreateTokensIgnored;
impl Change for CreateTokensIgnored {
    fn request(&self, path: &str, body: &mut Value) {
        if (is(path, "/create-flow") || is(path, "/update-flow"))
            && let Some(obj) = body.as_object_mut()
        {
            obj.remove("clientToken");
        }
    }
}

/// DescribeFlow answers carry another account in their ARN (O1).
struct ForeignAccountOnDescribe;
impl Change for ForeignAccountOnDescribe {
    fn answer(&self, path: &str, _: &Value, a: &mut Answer) {
        if is(path, "/describe-flow")
            && let Some(arn) = a.json.as_ref().and_then(|j| j["flowArn"].as_str())
        {
            let arn = arn.replace(":000000000000:", ":123456789012:");
            if let Some(j) = a.json.as_mut() {
                j["flowArn"] = json!(arn);
            }
        }
    }
}

/// The run's account (O1) is the account of the flows it created, not of
/// the first answer that named an ARN: event_activation's first step is a
/// DescribeFlow, and with the account taken from it, its StartFlow (the
/// emulator's own account) was the step blamed. Across the catalogue, which
/// scenario's answer came first decided the blame.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_arn_of_another_account_is_blamed_on_its_answer_even_when_it_is_the_first_step() {
    let only: Vec<_> = catalogue()
        .into_iter()
        .filter(|s| s.name == "event_activation")
        .collect();
    assert_eq!(only.len(), 1, "the catalogue has event_activation");
    caught(
        &play_these(ForeignAccountOnDescribe, only).await,
        "event_activation",
        1,
        "earlier ARNs of this run named `000000000000` (O1)",
    );
}

/// StartFlow's ARN names a hard-coded region (O1).
struct HardCodedRegion;
impl Change for HardCodedRegion {
    fn answer(&self, path: &str, _: &Value, a: &mut Answer) {
        if is(path, "/start-flow")
            && let Some(j) = a.json.as_mut()
            && let Some(arn) = j["flowArn"].as_str()
        {
            j["flowArn"] = json!(arn.replace(":us-east-1:", ":eu-west-1:"));
        }
    }
}

struct LargeBodiesAre500;
impl Change for LargeBodiesAre500 {
    fn intercept(&self, _: &str, _: &Value, size: usize) -> Option<Answer> {
        (size > 1 << 20).then(|| proxy::error(500, "InternalServerException", "boom"))
    }
}

/// DescribeFlowExecutionRecords ignores nextToken: the first page again.
struct RecordsIgnoreNextToken;
impl Change for RecordsIgnoreNextToken {
    fn request(&self, path: &str, body: &mut Value) {
        if is(path, "/describe-flow-execution-records")
            && body["nextToken"]
                .as_str()
                .is_some_and(|t| t != "not-a-token-we-gave")
            && let Some(obj) = body.as_object_mut()
        {
            obj.remove("nextToken");
        }
    }
}

/// ListFlows leaves out each flow's trigger type (S4).
struct ListFlowsWithoutTrigger;
impl Change for ListFlowsWithoutTrigger {
    fn answer(&self, path: &str, _: &Value, a: &mut Answer) {
        if is(path, "/list-flows")
            && let Some(flows) = a.json.as_mut().and_then(|j| j["flows"].as_array_mut())
        {
            for f in flows {
                if let Some(obj) = f.as_object_mut() {
                    obj.remove("triggerType");
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_one_sided_fault_is_caught_by_the_catalogue_naming_scenario_and_step() {
    caught(
        &play_through(RefusesLongTokens).await,
        "client_token_boundaries",
        1,
        "status: expected 200, got 400",
    );
    caught(
        &play_through(RefusesPunctuatedNames).await,
        "flow_name_boundaries",
        3,
        "status: expected 200, got 400",
    );
    caught(
        &play_through(EventTokensUnchecked::default()).await,
        "token_other_flow_event",
        4,
        "status: expected 409, got 200",
    );
    caught(
        &play_through(IgnoresMaxResultsOnListFlows).await,
        "list_flows_paging",
        2,
        "body.flows: expected length: [1,2]",
    );
    caught(
        &play_through(AlwaysForceDeletes).await,
        "delete_in_progress",
        2,
        "status: expected 409, got 200",
    );
    caught(
        &play_through(CreateTokensIgnored).await,
        "create_update_token_replay",
        2,
        "status: expected 200, got 409",
    );
    caught(
        &play_through(ForeignAccountOnDescribe).await,
        "every_operation_answers_json",
        2,
        "earlier ARNs of this run named `000000000000` (O1)",
    );
    caught(
        &play_through(HardCodedRegion).await,
        "on_demand_start",
        1,
        "the ARN names region `eu-west-1`, the target is in `us-east-1` (O1)",
    );
    caught(
        &play_through(LargeBodiesAre500).await,
        "body_too_large",
        1,
        "the answer meets none of the allowed outcomes (400 ValidationException | 413 | 200): status: expected 400, got 500",
    );
    caught(
        &play_through(RecordsIgnoreNextToken).await,
        "execution_records_paging",
        8,
        "body.flowExecutions",
    );
    caught(
        &play_through(ListFlowsWithoutTrigger).await,
        "list_flows_paging",
        1,
        "expected an item like",
    );
}

/// Adds a member no copy of the model knows to every AppFlow answer (W5).
struct AddsUnknownMember;
impl Change for AddsUnknownMember {
    fn answer(&self, path: &str, _: &Value, a: &mut Answer) {
        if !path.starts_with("/_harness")
            && let Some(obj) = a.json.as_mut().and_then(Value::as_object_mut)
        {
            obj.insert("newMemberFromTheFuture".into(), json!({"x": 1}));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_adding_unknown_members_passes_with_the_members_listed_as_notes() {
    use clap::Parser;
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let url = proxy::start(&emulator.url(), AddsUnknownMember).await;
    let root = env!("CARGO_MANIFEST_DIR");
    let cli = appflow_harness::cli::Cli::try_parse_from([
        "appflow-harness",
        "check",
        &format!("{root}/scenarios"),
        "--target",
        &url,
        "--no-snapshots",
    ])
    .expect("args");
    let (mut out, mut log) = (Vec::new(), Vec::new());
    let mut console = appflow_harness::commands::Console {
        out: &mut out,
        log: &mut log,
    };
    let result = appflow_harness::cli::run_with(
        cli,
        &appflow_harness::endpoint::Environment::default(),
        &mut console,
    )
    .await;
    let out = String::from_utf8_lossy(&out);
    assert_eq!(crate::support::exit_code(&result), 0, "{out}");
    assert!(out.contains("notes (not failures):"), "{out}");
    for op in [
        "StartFlow",
        "DescribeFlow",
        "ListFlows",
        "CreateFlow",
        "DescribeFlowExecutionRecords",
    ] {
        let line =
            format!("{op} body.newMemberFromTheFuture: `newMemberFromTheFuture` is no member");
        assert_eq!(out.matches(&line).count(), 1, "one note for {op}:\n{out}");
    }
}

/// Answers without x-amzn-RequestId: one wire line for the run, not a failure per step.
struct NoRequestId;
impl Change for NoRequestId {
    fn answer(&self, path: &str, _: &Value, a: &mut Answer) {
        if !path.starts_with("/_harness") {
            a.headers.remove("x-amzn-requestid");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wire_rule_broken_on_every_answer_is_summed_up_once() {
    let summary = play_through(NoRequestId).await;
    let wire = summary.wire();
    assert_eq!(wire.len(), 1, "{wire:?}");
    assert_eq!(wire[0].at, "header x-amzn-RequestId");
    assert_eq!(
        wire[0].count, summary.totals.answers,
        "every answer broke it"
    );
    let mut report = Vec::new();
    appflow_harness::report::terminal::render(&summary, &mut report).expect("render");
    let report = String::from_utf8_lossy(&report);
    let line = format!(
        "header x-amzn-RequestId: every answer carries a request id (W3): broken on {n} of {n} answers",
        n = summary.totals.answers
    );
    assert!(report.contains(&line), "{report}");
    assert!(
        !report.contains("[contract] header x-amzn-RequestId"),
        "not repeated per step:\n{report}"
    );
}
