//! The emulator against every rule of APPFLOW.md, through HTTP as a user sees it.

use appflow_harness::emulator::fields::TriggerType::{Event, OnDemand, Scheduled};
use appflow_harness::emulator::{Config, Emulator};
use serde_json::json;

use crate::support::{Api, field, outcome};

async fn fixture() -> (Emulator, Api) {
    let emu = Emulator::start().await.expect("emulator");
    let api = Api::new(&emu.url());
    (emu, api)
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_json() {
    let (_emu, api) = fixture().await;
    let ok = api.create("nightly", OnDemand).await;
    let err = api.start("missing", None).await;
    for r in [&ok, &err] {
        assert!(r.request_id.as_deref().is_some_and(|id| id.len() == 36));
        assert!(r.json.is_some());
    }
    assert_eq!(outcome(&err), (404, Some("ResourceNotFoundException")));
    assert!(err.message().is_some_and(|m| m.contains("missing")));
}

#[tokio::test]
async fn create_sets_the_initial_status_by_trigger_type() {
    let (_emu, api) = fixture().await;
    let od = api.create("od", OnDemand).await;
    let sc = api.create("sc", Scheduled).await;
    let ev = api.create("ev", Event).await;
    assert_eq!(field(&od, "flowStatus"), Some(&json!("Active")));
    assert_eq!(field(&sc, "flowStatus"), Some(&json!("Draft")));
    assert_eq!(field(&ev, "flowStatus"), Some(&json!("Draft")));
    assert_eq!(
        field(&od, "flowArn"),
        Some(&json!("arn:aws:appflow:us-east-1:000000000000:flow/od"))
    );
    let dup = api
        .call(
            "CreateFlow",
            appflow_harness::fixtures::create_flow_body("od", OnDemand),
        )
        .await;
    assert_eq!(outcome(&dup), (409, Some("ConflictException")));
}

#[tokio::test]
async fn on_demand_start_runs_and_records_an_execution_that_completes() {
    let (_emu, api) = fixture().await;
    api.create("nightly", OnDemand).await;
    let r = api.start("nightly", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(field(&r, "flowStatus"), Some(&json!("Active")));
    let id = field(&r, "executionId")
        .and_then(|v| v.as_str())
        .expect("executionId")
        .to_owned();
    assert!(!id.is_empty() && !id.contains(char::is_whitespace));

    let records = api
        .call(
            "DescribeFlowExecutionRecords",
            json!({"flowName": "nightly"}),
        )
        .await;
    let execs = field(&records, "flowExecutions")
        .and_then(|v| v.as_array())
        .expect("list");
    assert_eq!(execs.len(), 1);
    assert_eq!(execs[0]["executionId"], json!(id));
    assert_eq!(execs[0]["executionStatus"], json!("InProgress"));

    api.control("clock", json!({"seconds": 6})).await;
    let records = api
        .call(
            "DescribeFlowExecutionRecords",
            json!({"flowName": "nightly"}),
        )
        .await;
    assert_eq!(
        records.json.expect("json")["flowExecutions"][0]["executionStatus"],
        json!("Successful")
    );
    let d = api
        .call("DescribeFlow", json!({"flowName": "nightly"}))
        .await;
    assert_eq!(
        d.json.expect("json")["lastRunExecutionDetails"]["mostRecentExecutionStatus"],
        json!("Successful")
    );
}

#[tokio::test]
async fn token_replay_answers_the_first_run_and_starts_nothing() {
    let (_emu, api) = fixture().await;
    api.create("nightly", OnDemand).await;
    let first = api.start("nightly", Some("tok-1")).await;
    let again = api.start("nightly", Some("tok-1")).await;
    assert_eq!(first.json, again.json, "rule 1: the first answer again");
    let other = api.start("nightly", Some("tok-2")).await;
    assert_ne!(field(&other, "executionId"), field(&first, "executionId"));
    let none1 = api.start("nightly", None).await;
    let none2 = api.start("nightly", None).await;
    assert_ne!(
        field(&none1, "executionId"),
        field(&none2, "executionId"),
        "rule 7"
    );
    assert_eq!(api.counters().await["executions"]["nightly"], json!(4));
}

#[tokio::test]
async fn a_token_is_a_new_call_after_eight_hours() {
    let (_emu, api) = fixture().await;
    api.create("nightly", OnDemand).await;
    let first = api.start("nightly", Some("tok")).await;
    api.control("clock", json!({"seconds": 8 * 3600 - 1})).await;
    let within = api.start("nightly", Some("tok")).await;
    assert_eq!(field(&within, "executionId"), field(&first, "executionId"));
    api.control("clock", json!({"seconds": 1})).await;
    let after = api.start("nightly", Some("tok")).await;
    assert_eq!(after.status, 200);
    assert_ne!(
        field(&after, "executionId"),
        field(&first, "executionId"),
        "rule 4"
    );
    assert_eq!(
        api.counters().await["tokensHeld"],
        json!(1),
        "the expired use was purged"
    );
}

#[tokio::test]
async fn same_token_on_another_flow_conflicts_only_for_scheduled_and_event_flows() {
    let (_emu, api) = fixture().await;
    for (name, t) in [
        ("od1", OnDemand),
        ("od2", OnDemand),
        ("sc", Scheduled),
        ("ev", Event),
    ] {
        api.create(name, t).await;
    }
    let a = api.start("od1", Some("shared")).await;
    let b = api.start("od2", Some("shared")).await;
    assert_eq!(b.status, 200, "rule 3: a new call for an on-demand flow");
    assert_ne!(field(&a, "executionId"), field(&b, "executionId"));
    // Stored per (token, flow): replaying on od2 answers od2's run.
    assert_eq!(api.start("od2", Some("shared")).await.json, b.json);
    assert_eq!(api.start("od1", Some("shared")).await.json, a.json);
    let sc = api.start("sc", Some("shared")).await;
    assert_eq!(outcome(&sc), (409, Some("ConflictException")), "rule 2");
    let ev = api.start("ev", Some("shared")).await;
    assert_eq!(outcome(&ev), (409, Some("ConflictException")), "rule 2");
    // The failed calls were not remembered: a fresh token still activates.
    assert_eq!(api.start("sc", Some("fresh")).await.status, 200);
}

#[tokio::test]
async fn scheduled_flows_activate_once_and_conflict_when_already_active() {
    let (_emu, api) = fixture().await;
    api.create("sc", Scheduled).await;
    let first = api.start("sc", Some("act")).await;
    assert_eq!(first.status, 200);
    assert_eq!(field(&first, "flowStatus"), Some(&json!("Active")));
    assert!(field(&first, "executionId").is_none_or(|v| v.is_null()));
    let replay = api.start("sc", Some("act")).await;
    assert_eq!(
        replay.json, first.json,
        "a replay of the activating token wins"
    );
    let again = api.start("sc", Some("new")).await;
    assert_eq!(outcome(&again), (409, Some("ConflictException")));
    let stop = api.call("StopFlow", json!({"flowName": "sc"})).await;
    assert_eq!(field(&stop, "flowStatus"), Some(&json!("Suspended")));
    assert_eq!(
        api.start("sc", Some("act")).await.json,
        first.json,
        "replay after stop changes nothing"
    );
    let d = api.call("DescribeFlow", json!({"flowName": "sc"})).await;
    assert_eq!(field(&d, "flowStatus"), Some(&json!("Suspended")));
    assert_eq!(api.start("sc", Some("restart")).await.status, 200);
}

#[tokio::test]
async fn the_behaviour_profile_switches_the_chosen_rules() {
    let mut config = Config::default();
    config.profile.active_start = appflow_harness::emulator::config::ActiveStart::Idempotent;
    config.profile.stopped_status = appflow_harness::emulator::config::StoppedStatus::Draft;
    let emu = Emulator::start_with(config).await.expect("emulator");
    let api = Api::new(&emu.url());
    api.create("sc", Scheduled).await;
    api.start("sc", None).await;
    let again = api.start("sc", None).await;
    assert_eq!(outcome(&again), (200, None));
    assert_eq!(field(&again, "flowStatus"), Some(&json!("Active")));
    let stop = api.call("StopFlow", json!({"flowName": "sc"})).await;
    assert_eq!(field(&stop, "flowStatus"), Some(&json!("Draft")));
}

#[tokio::test]
async fn stop_is_unsupported_on_demand_and_delete_then_start_is_not_found() {
    let (_emu, api) = fixture().await;
    api.create("od", OnDemand).await;
    let stop = api.call("StopFlow", json!({"flowName": "od"})).await;
    assert_eq!(outcome(&stop), (400, Some("UnsupportedOperationException")));
    api.start("od", Some("t")).await;
    let busy = api.call("DeleteFlow", json!({"flowName": "od"})).await;
    assert_eq!(outcome(&busy), (409, Some("ConflictException")));
    let del = api
        .call("DeleteFlow", json!({"flowName": "od", "forceDelete": true}))
        .await;
    assert_eq!(outcome(&del), (200, None));
    assert_eq!(del.json, Some(json!({})));
    let replay = api.start("od", Some("t")).await;
    assert_eq!(
        outcome(&replay),
        (404, Some("ResourceNotFoundException")),
        "existence before token"
    );
}

#[tokio::test]
async fn validation_errors_are_400_validation_exceptions() {
    let (_emu, api) = fixture().await;
    api.create("ok", OnDemand).await;
    let long = "a".repeat(257);
    let token = "t".repeat(257);
    let cases = [
        json!({}),
        json!({"flowName": ""}),
        json!({"flowName": "a"}),
        json!({"flowName": "-ab"}),
        json!({"flowName": "a b"}),
        json!({"flowName": long}),
        json!({"flowName": 42}),
        json!({"flowName": "ok", "clientToken": ""}),
        json!({"flowName": "ok", "clientToken": "tab\there"}),
        json!({"flowName": "ok", "clientToken": "é"}),
        json!({"flowName": "ok", "clientToken": token}),
        json!({"flowName": "ok", "clientToken": 7}),
    ];
    for body in cases {
        let r = api.call("StartFlow", body.clone()).await;
        assert_eq!(outcome(&r), (400, Some("ValidationException")), "{body}");
        assert!(r.message().is_some(), "{body}");
    }
    for raw in ["{", "[]", "null", "\"x\"", "{\"flowName\":", "\u{0}"] {
        let r = api.raw("/start-flow", raw).await;
        assert_eq!(outcome(&r), (400, Some("ValidationException")), "{raw:?}");
    }
    assert_eq!(api.counters().await["executions"]["ok"], json!(0));
}

#[tokio::test]
async fn quotas_answer_402_and_free_up_when_runs_end() {
    let mut config = Config {
        max_flows: 2,
        max_concurrent_runs: 2,
        ..Config::default()
    };
    config.run_time_ms = 10_000;
    let emu = Emulator::start_with(config).await.expect("emulator");
    let api = Api::new(&emu.url());
    api.create("a1", OnDemand).await;
    api.create("a2", OnDemand).await;
    let third = api
        .call(
            "CreateFlow",
            appflow_harness::fixtures::create_flow_body("a3", OnDemand),
        )
        .await;
    assert_eq!(
        outcome(&third),
        (402, Some("ServiceQuotaExceededException"))
    );
    assert_eq!(api.start("a1", None).await.status, 200);
    let second = api.start("a2", None).await;
    assert_eq!(second.status, 200);
    let over = api.start("a1", Some("over")).await;
    assert_eq!(outcome(&over), (402, Some("ServiceQuotaExceededException")));
    // Cancel frees a slot at once; the failed token is judged afresh.
    let id = field(&second, "executionId").cloned().expect("id");
    let cancel = api
        .call(
            "CancelFlowExecutions",
            json!({"flowName": "a2", "executionIds": [id, "nope"]}),
        )
        .await;
    assert_eq!(field(&cancel, "invalidExecutions"), Some(&json!(["nope"])));
    assert_eq!(api.start("a1", Some("over")).await.status, 200);
    assert_eq!(
        outcome(&api.start("a1", None).await),
        (402, Some("ServiceQuotaExceededException"))
    );
    api.control("clock", json!({"seconds": 10})).await;
    assert_eq!(
        api.start("a1", None).await.status,
        200,
        "ended runs free their slots"
    );
}

#[tokio::test]
async fn cancel_moves_a_run_to_cancel_started_then_canceled() {
    let (_emu, api) = fixture().await;
    api.create("od", OnDemand).await;
    let id = field(&api.start("od", None).await, "executionId")
        .cloned()
        .expect("id");
    let c = api
        .call("CancelFlowExecutions", json!({"flowName": "od"}))
        .await;
    assert_eq!(field(&c, "invalidExecutions"), Some(&json!([])));
    let status = |r: appflow_harness::client::Reply| {
        r.json.expect("json")["flowExecutions"][0]["executionStatus"].clone()
    };
    let recs = api
        .call("DescribeFlowExecutionRecords", json!({"flowName": "od"}))
        .await;
    assert_eq!(status(recs), json!("CancelStarted"));
    api.control("clock", json!({"seconds": 2})).await;
    let recs = api
        .call("DescribeFlowExecutionRecords", json!({"flowName": "od"}))
        .await;
    assert_eq!(status(recs), json!("Canceled"));
    let again = api
        .call(
            "CancelFlowExecutions",
            json!({"flowName": "od", "executionIds": [id.clone()]}),
        )
        .await;
    assert_eq!(field(&again, "invalidExecutions"), Some(&json!([id])));
}

#[tokio::test]
async fn records_and_flows_page_newest_first_with_opaque_tokens() {
    let (_emu, api) = fixture().await;
    api.create("od", OnDemand).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(
            field(&api.start("od", None).await, "executionId")
                .cloned()
                .expect("id"),
        );
    }
    ids.reverse();
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let mut body = json!({"flowName": "od", "maxResults": 2});
        if let Some(t) = &token {
            body["nextToken"] = json!(t);
        }
        let page = api
            .call("DescribeFlowExecutionRecords", body)
            .await
            .json
            .expect("json");
        for e in page["flowExecutions"].as_array().expect("list") {
            seen.push(e["executionId"].clone());
        }
        match page.get("nextToken") {
            Some(t) => token = Some(t.clone()),
            None => break,
        }
    }
    assert_eq!(seen, ids);
    let bad = api
        .call(
            "DescribeFlowExecutionRecords",
            json!({"flowName": "od", "nextToken": "garbage"}),
        )
        .await;
    assert_eq!(outcome(&bad), (400, Some("ValidationException")));
    let bad = api.call("ListFlows", json!({"maxResults": 0})).await;
    assert_eq!(outcome(&bad), (400, Some("ValidationException")));

    for n in ["b1", "c1", "d1"] {
        api.create(n, OnDemand).await;
    }
    let p1 = api
        .call("ListFlows", json!({"maxResults": 3}))
        .await
        .json
        .expect("json");
    let names: Vec<_> = p1["flows"]
        .as_array()
        .expect("flows")
        .iter()
        .map(|f| f["flowName"].clone())
        .collect();
    assert_eq!(names, [json!("b1"), json!("c1"), json!("d1")]);
    let p2 = api
        .call("ListFlows", json!({"nextToken": p1["nextToken"]}))
        .await
        .json
        .expect("json");
    assert_eq!(p2["flows"][0]["flowName"], json!("od"));
    assert!(p2.get("nextToken").is_none());
}

#[tokio::test]
async fn create_and_update_tokens_replay_or_conflict_on_other_input() {
    let (_emu, api) = fixture().await;
    let mut body = appflow_harness::fixtures::create_flow_body("tok", OnDemand);
    body["clientToken"] = json!("create-1");
    let first = api.call("CreateFlow", body.clone()).await;
    let again = api.call("CreateFlow", body.clone()).await;
    assert_eq!(outcome(&again), (200, None));
    assert_eq!(again.json, first.json);
    body["description"] = json!("changed");
    assert_eq!(
        outcome(&api.call("CreateFlow", body.clone()).await),
        (409, Some("ConflictException"))
    );
    // Tokens are scoped per operation: the CreateFlow token is fresh for StartFlow.
    assert_eq!(api.start("tok", Some("create-1")).await.status, 200);
    let mut upd = appflow_harness::fixtures::create_flow_body("tok", Scheduled);
    upd.as_object_mut().expect("object").remove("description");
    upd["clientToken"] = json!("u1");
    let u = api.call("UpdateFlow", upd.clone()).await;
    assert_eq!(
        field(&u, "flowStatus"),
        Some(&json!("Draft")),
        "now scheduled"
    );
    assert_eq!(api.call("UpdateFlow", upd.clone()).await.json, u.json);
    upd["description"] = json!("other");
    assert_eq!(
        outcome(&api.call("UpdateFlow", upd).await),
        (409, Some("ConflictException"))
    );
}

#[tokio::test]
async fn faults_after_the_change_lose_the_answer_but_keep_the_work() {
    let (_emu, api) = fixture().await;
    api.create("od", OnDemand).await;
    api.control(
        "faults",
        json!({"kind": "drop", "when": "after", "count": 1, "operation": "StartFlow"}),
    )
    .await;
    let lost = api
        .endpoint
        .call(
            appflow_harness::appflow::Operation::StartFlow,
            json!({"flowName": "od", "clientToken": "retry"})
                .to_string()
                .into(),
        )
        .await
        .expect("call");
    assert!(
        matches!(
            lost.outcome,
            appflow_harness::client::CallOutcome::Transport { .. }
        ),
        "{:?}",
        lost.outcome
    );
    assert_eq!(
        api.counters().await["executions"]["od"],
        json!(1),
        "the run happened"
    );
    let retried = api.start("od", Some("retry")).await;
    assert_eq!(retried.status, 200);
    assert_eq!(
        api.counters().await["executions"]["od"],
        json!(1),
        "the retry replayed it"
    );

    api.control(
        "faults",
        json!({"kind": "internal", "when": "before", "count": 1}),
    )
    .await;
    assert_eq!(
        outcome(&api.start("od", None).await),
        (500, Some("InternalServerException"))
    );
    assert_eq!(
        api.counters().await["executions"]["od"],
        json!(1),
        "nothing happened"
    );
    api.control("faults", json!({"kind": "throttle", "fraction": 0.5}))
        .await;
    let statuses: Vec<u16> = futures_statuses(&api, 4).await;
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 2);
    api.control("reset", json!({})).await;
    assert_eq!(api.counters().await["flows"], json!(0));
}

async fn futures_statuses(api: &Api, n: usize) -> Vec<u16> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(
            api.call("DescribeFlow", json!({"flowName": "od"}))
                .await
                .status,
        );
    }
    out
}

#[tokio::test]
async fn concurrent_same_token_starts_create_exactly_one_execution() {
    let (_emu, api) = fixture().await;
    api.create("race", OnDemand).await;
    let api = std::sync::Arc::new(api);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let api = api.clone();
        tasks.spawn(async move { api.start("race", Some("same-token")).await });
    }
    let mut ids = std::collections::HashSet::new();
    while let Some(r) = tasks.join_next().await {
        let r = r.expect("task");
        assert_eq!(r.status, 200);
        ids.insert(field(&r, "executionId").cloned().expect("id"));
    }
    assert_eq!(ids.len(), 1, "64 answers, one executionId");
    assert_eq!(api.counters().await["executions"]["race"], json!(1));
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_aws_json() {
    let (_emu, api) = fixture().await;
    let r = api.raw("/nope", "{}").await;
    assert_eq!(outcome(&r), (404, Some("UnknownOperationException")));
    let r = api.raw("/_harness/nope", "{}").await;
    assert_eq!(r.status, 404);
    assert!(r.json.is_some());
}

#[tokio::test]
async fn a_wrong_method_answers_what_the_contract_checker_expects() {
    let (emu, _api) = fixture().await;
    let http = reqwest::Client::new();
    let resp = http
        .get(format!("{}/start-flow", emu.url()))
        .send()
        .await
        .expect("answer");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.expect("body");
    let reply = appflow_harness::client::Reply::new(status, &headers, body);
    assert_eq!(outcome(&reply), (404, Some("UnknownOperationException")));
    let violations = appflow_harness::contract::check(
        appflow_harness::appflow::Operation::StartFlow,
        &reply,
        None,
    );
    assert_eq!(
        violations,
        appflow_harness::contract::Findings::default(),
        "the emulator and the checker share one error table"
    );
}

#[tokio::test]
async fn finish_runs_ends_one_flows_runs_as_if_their_time_had_passed() {
    let mut config = Config {
        max_concurrent_runs: 2,
        ..Config::default()
    };
    config.run_time_ms = 3_600_000;
    let emu = Emulator::start_with(config).await.expect("emulator");
    let api = Api::new(&emu.url());
    api.create("mine", OnDemand).await;
    api.create("other", OnDemand).await;
    let mine = api.start("mine", None).await;
    assert_eq!(api.start("other", None).await.status, 200);
    assert_eq!(
        outcome(&api.start("mine", None).await),
        (402, Some("ServiceQuotaExceededException")),
        "two runs of an hour hold both slots (Q3)"
    );
    let ended = api
        .control("finish-runs", json!({"flowName": "mine"}))
        .await;
    assert_eq!(
        ended,
        json!({"finished": 1}),
        "the one running run of `mine` ends"
    );
    let records = api
        .call("DescribeFlowExecutionRecords", json!({"flowName": "mine"}))
        .await;
    let runs = field(&records, "flowExecutions").cloned().expect("runs");
    assert_eq!(
        runs[0]["executionId"],
        *field(&mine, "executionId").expect("id")
    );
    assert_eq!(
        runs[0]["executionStatus"], "Successful",
        "ended as if its time had passed"
    );
    let other = api
        .call("DescribeFlowExecutionRecords", json!({"flowName": "other"}))
        .await;
    assert_eq!(
        field(&other, "flowExecutions").expect("runs")[0]["executionStatus"],
        "InProgress",
        "another flow's run is not touched"
    );
    assert_eq!(
        api.start("mine", None).await.status,
        200,
        "its quota slot is free (Q3)"
    );
    let unknown = api
        .raw(
            "/_harness/finish-runs",
            &json!({"flowName": "nope"}).to_string(),
        )
        .await;
    assert_eq!(outcome(&unknown), (404, Some("ResourceNotFoundException")));
    let bad = api.raw("/_harness/finish-runs", "{\"flow\": 1}").await;
    assert_eq!(
        bad.status,
        400,
        "a malformed body is a 400 AWS error: {}",
        bad.body_text()
    );
}
