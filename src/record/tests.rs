//! The recording as a scenario file: templates, captures, flows the
//! application did not create, and the contract lines as answers pass.

use bytes::Bytes;
use http::HeaderMap;
use serde_json::{Value, json};

use super::fingerprint;
use super::scenario::{RecordedFrom, write};
use super::{Answered, Exchange, judge};
use crate::appflow::Operation;
use crate::reply::Reply;

fn reply(status: u16, error: Option<&str>, body: Value) -> Answered {
    let mut h = HeaderMap::new();
    h.insert("content-type", "application/json".parse().expect("header"));
    h.insert("x-amzn-requestid", "r-1".parse().expect("header"));
    if let Some(e) = error {
        h.insert("x-amzn-errortype", e.parse().expect("header"));
    }
    Answered::Reply(Reply::new(status, &h, Bytes::from(body.to_string())))
}

fn call(operation: Operation, request: Value, answer: Answered) -> Exchange {
    Exchange {
        raw: None,
        operation,
        request,
        answer,
    }
}

fn recording() -> Vec<Exchange> {
    let start = json!({ "flowName": "app-a", "clientToken": "secret-looking-token" });
    let ok = json!({ "flowStatus": "Active", "executionId": "run-1" });
    vec![
        call(
            Operation::CreateFlow,
            json!({ "flowName": "app-a", "triggerConfig": { "triggerType": "OnDemand" } }),
            reply(200, None, json!({ "flowStatus": "Active" })),
        ),
        call(
            Operation::StartFlow,
            start.clone(),
            reply(200, None, ok.clone()),
        ),
        call(Operation::StartFlow, start, reply(200, None, ok)),
        call(
            Operation::DescribeFlow,
            json!({ "flowName": "not-ours" }),
            reply(200, None, json!({ "flowStatus": "Suspended" })),
        ),
        call(
            Operation::DescribeFlowExecutionRecords,
            json!({ "flowName": "app-a", "maxResults": 1 }),
            reply(
                200,
                None,
                json!({ "flowExecutions": [{ "executionId": "run-1" }], "nextToken": "page-2" }),
            ),
        ),
        call(
            Operation::DescribeFlowExecutionRecords,
            json!({ "flowName": "app-a", "maxResults": 1, "nextToken": "page-2" }),
            reply(200, None, json!({ "flowExecutions": [] })),
        ),
        call(
            Operation::CancelFlowExecutions,
            json!({ "flowName": "app-a", "executionIds": ["run-1"] }),
            reply(200, None, json!({ "invalidExecutions": [] })),
        ),
    ]
}

fn text() -> String {
    let calls = recording();
    let print = fingerprint::of(&calls);
    let from = RecordedFrom {
        kind: "url",
        region: "us-east-1",
        date: "2026-12-06".into(),
        replay_flags: "--no-snapshots".into(),
    };
    write(&calls, &print, &from).expect("written")
}

#[test]
fn a_replayed_token_is_one_template_and_its_answer_the_captured_run() {
    let text = text();
    let file = crate::scenario::write::read(&text).expect("reads back");
    let steps: Vec<Value> = file
        .steps
        .iter()
        .map(|s| serde_json::to_value(&s.value).expect("json"))
        .collect();
    assert_eq!(
        steps[1]["StartFlow"]["clientToken"], "{{token.t0}}",
        "{text}"
    );
    assert_eq!(
        steps[2]["StartFlow"]["clientToken"], "{{token.t0}}",
        "the same token, the same template"
    );
    assert_eq!(
        steps[1]["StartFlow"]["flowName"], "{{flow.f0}}",
        "a created flow's name is its template"
    );
    assert_eq!(
        steps[1]["capture"]["r0"], "executionId",
        "the first run is captured"
    );
    assert_eq!(
        steps[1]["expect"]["body"]["executionId"]["none-of"], "{{runs}}",
        "the first answer is a new run"
    );
    assert_eq!(
        steps[2]["expect"]["body"]["executionId"], "{{r0}}",
        "the replay answers the first run (T1)"
    );
    assert!(
        steps[2]["name"].as_str().is_some_and(|n| n.contains("T1")),
        "the replay step names the rule that decided it: {}",
        steps[2]["name"]
    );
    assert!(
        !text.contains("secret-looking-token"),
        "recorded tokens are not kept, only their templates"
    );
    crate::scenario::parse(std::path::Path::new("recorded.yaml"), &text)
        .expect("the recording is a valid scenario");
}

#[test]
fn a_flow_the_application_did_not_create_is_judged_on_status_alone() {
    let text = text();
    let file = crate::scenario::write::read(&text).expect("reads back");
    let last = serde_json::to_value(&file.steps[3].value).expect("json");
    assert_eq!(
        last["DescribeFlow"]["flowName"], "not-ours",
        "its name is kept as it was"
    );
    assert_eq!(last["expect"]["status"], 200);
    assert!(
        last["expect"].get("body").is_none(),
        "no assumption about its state: {last}"
    );
    assert!(
        text.contains("Flows the application did not create (1)"),
        "the header says so:\n{text}"
    );
    assert_eq!(
        file.flows.len(),
        1,
        "only created flows are the scenario's flows"
    );
}

#[test]
fn an_answer_breaking_a_wire_rule_gives_one_line_naming_the_rule() {
    let bare = Answered::Reply(Reply::new(200, &HeaderMap::new(), Bytes::from("{}")));
    let lines = judge(3, Operation::DescribeFlow, &bare, None);
    assert!(
        lines.iter().any(
            |l| l.starts_with("call 3 (DescribeFlow): header x-amzn-RequestId")
                && l.ends_with("(W3)")
        ),
        "no request id is W3: {lines:?}"
    );
    let lost = judge(
        4,
        Operation::StartFlow,
        &Answered::Transport("refused".into()),
        None,
    );
    assert_eq!(lost.len(), 1, "a transport failure is one line: {lost:?}");
    assert!(
        lost[0].contains("502"),
        "it says what the application got: {lost:?}"
    );
}

#[test]
fn a_paged_read_follows_every_page_and_a_cancelled_run_is_its_capture() {
    let text = text();
    let file = crate::scenario::write::read(&text).expect("reads back");
    assert_eq!(file.steps.len(), 6, "the later page is not a step:\n{text}");
    let read = serde_json::to_value(&file.steps[4].value).expect("json");
    assert_eq!(
        read["all-pages"], true,
        "the first page's step reads every page: {read}"
    );
    assert_eq!(
        read["expect"]["body"]["flowExecutions"]["contains"][0]["executionId"], "{{r0}}",
        "the listed run is the captured one: {read}"
    );
    assert!(
        read["expect"]["eventually"].is_string(),
        "a read of runs waits (L2): {read}"
    );
    assert!(
        !text.contains("page-2"),
        "the target's page token is not replayed"
    );
    let cancel = serde_json::to_value(&file.steps[5].value).expect("json");
    assert_eq!(
        cancel["CancelFlowExecutions"]["executionIds"][0], "{{r0}}",
        "a run named in a request is its capture: {cancel}"
    );
    crate::scenario::parse(std::path::Path::new("recorded.yaml"), &text)
        .expect("the recording is a valid scenario");
}

#[test]
fn a_flow_whose_create_failed_is_not_the_applications() {
    let calls = vec![call(
        Operation::CreateFlow,
        json!({ "flowName": "existed", "triggerConfig": { "triggerType": "OnDemand" } }),
        reply(
            409,
            Some("ConflictException"),
            json!({ "message": "exists" }),
        ),
    )];
    assert!(
        fingerprint::created(&calls).is_empty(),
        "a CreateFlow that failed created nothing"
    );
    let from = RecordedFrom {
        kind: "aws",
        region: "eu-west-1",
        date: "2026-12-06".into(),
        replay_flags: "--no-snapshots".into(),
    };
    let text = write(&calls, &fingerprint::of(&calls), &from).expect("written");
    assert!(
        text.contains("flowName: existed") && !text.contains("flows:"),
        "its name stays literal and it is not a flow of the scenario:\n{text}"
    );
    assert!(
        text.contains("contract: seen")
            && text.contains("evidence for APPFLOW.md's open questions"),
        "a recording on AWS is seen, and says what it is evidence for:\n{text}"
    );
}

#[test]
fn the_transcript_shows_the_traffic_as_its_replay_would_with_pages_folded() {
    let mut calls = recording();
    // The records read's second page lists another run.
    calls[5].answer = reply(
        200,
        None,
        json!({ "flowExecutions": [{ "executionId": "run-2" }] }),
    );
    let print = fingerprint::of(&calls);
    let from = RecordedFrom {
        kind: "url",
        region: "us-east-1",
        date: "2026-12-06".into(),
        replay_flags: "--reference url".into(),
    };
    let text = write(&calls, &print, &from).expect("written");
    let path = std::path::Path::new("recorded.yaml");
    let scenario = crate::scenario::parse(path, &text).expect("the file reads back");
    let redactor = crate::redact::Redactor::default();
    let t = super::transcript::of_recording(&scenario, &calls, &redactor);
    let steps = t["steps"].as_array().expect("steps");
    assert_eq!(
        (t["scenario"].as_str(), steps.len()),
        (Some("recorded"), scenario.steps.len()),
        "one entry per step of the file, the later page no step of its own: {t:#}"
    );
    assert_eq!(
        steps[1]["request"]["body"],
        json!({ "flowName": "<flow:f0>", "clientToken": "<token:t0>" }),
        "names and tokens are the replay's placeholders"
    );
    assert_eq!(
        (
            &steps[1]["response"]["body"]["executionId"],
            &steps[2]["response"]["body"]["executionId"]
        ),
        (&json!("<execution-id:1>"), &json!("<execution-id:1>")),
        "a replayed token's run is the run it replays"
    );
    assert_eq!(
        steps[4]["response"]["body"],
        json!({ "flowExecutions": [
            { "executionId": "<execution-id:1>" },
            { "executionId": "<execution-id:2>" }
        ] }),
        "the pages are one answer with every page's runs and no page token, as an all-pages step reads them"
    );
    let shown = t.to_string();
    assert!(
        !shown.contains("app-a") && !shown.contains("secret-looking-token"),
        "no name or token of the application: {shown}"
    );
    assert!(
        shown.contains("not-ours"),
        "a flow the application did not create keeps its name"
    );
}

#[test]
fn a_delete_after_a_run_holds_for_every_run_time() {
    let mut calls = recording();
    calls.push(call(
        Operation::DeleteFlow,
        json!({ "flowName": "app-a" }),
        reply(200, None, json!({ "flowStatus": "Deleted" })),
    ));
    let from = RecordedFrom {
        kind: "url",
        region: "us-east-1",
        date: "2026-12-06".into(),
        replay_flags: "--no-snapshots".into(),
    };
    let text = write(&calls, &fingerprint::of(&calls), &from).expect("written");
    let file = crate::scenario::write::read(&text).expect("reads back");
    let last = serde_json::to_value(&file.steps.last().expect("a step").value).expect("json");
    assert_eq!(
        last["expect"]["one-of"],
        json!([{ "status": 200 }, { "status": 409, "error": "ConflictException" }]),
        "recorded 200 after a run began: the replay may find the run still in progress (L6): {text}"
    );
}
