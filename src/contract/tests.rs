//! The contract checks of one answer, and of ARNs across a run.

use super::*;
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue};

fn reply(status: u16, error: Option<&'static str>, body: &str) -> Reply {
    let mut h = HeaderMap::new();
    h.insert("x-amzn-requestid", HeaderValue::from_static("r-1"));
    h.insert("content-type", HeaderValue::from_static("application/json"));
    if let Some(e) = error {
        h.insert("x-amzn-errortype", HeaderValue::from_static(e));
    }
    Reply::new(status, &h, Bytes::from(body.to_owned()))
}

#[test]
fn a_good_start_passes_and_bad_ones_are_named() {
    let ok = reply(
        200,
        None,
        r#"{"flowArn":"arn:aws:appflow:us-east-1:000000000000:flow/a1","flowStatus":"Active","executionId":"e1"}"#,
    );
    assert_eq!(
        check(Operation::StartFlow, &ok, Some(TriggerType::OnDemand)),
        Findings::default()
    );
    let bad = reply(
        200,
        None,
        r#"{"flowArn":"x","flowStatus":"Running","extra":1}"#,
    );
    let f = check(Operation::StartFlow, &bad, Some(TriggerType::OnDemand));
    let at: Vec<&str> = f.violations.iter().map(|x| x.at.as_str()).collect();
    assert!(at.contains(&"body.flowStatus"), "{f:?}");
    assert!(at.contains(&"body.executionId"), "{f:?}");
    assert!(
        !at.contains(&"body.extra"),
        "W5: an unknown member is no violation: {f:?}"
    );
    assert_eq!(f.notes.len(), 1, "{f:?}");
    assert_eq!(f.notes[0].at, "body.extra");
    let sched = reply(
        200,
        None,
        r#"{"flowArn":"arn:aws:appflow:us-east-1:000000000000:flow/a1","flowStatus":"Active","executionId":"e1"}"#,
    );
    assert_eq!(
        check(Operation::StartFlow, &sched, Some(TriggerType::Scheduled))
            .violations
            .len(),
        1
    );
}

#[test]
fn errors_need_their_status_type_and_message() {
    let wrong = reply(400, Some("ConflictException"), r#"{"message":"x"}"#);
    assert_eq!(
        check(Operation::StartFlow, &wrong, None).violations[0].at,
        "status"
    );
    let untyped = reply(404, None, r#"{"Message":"x"}"#);
    assert_eq!(
        check(Operation::StartFlow, &untyped, None).violations[0].at,
        "header x-amzn-ErrorType"
    );
    let garbage = reply(500, Some("InternalServerException"), "<html>");
    assert_eq!(
        check(Operation::StartFlow, &garbage, None).violations[0].at,
        "body"
    );
}

#[test]
fn a_redirect_is_w10_with_its_host_only() {
    let mut h = HeaderMap::new();
    h.insert(
        "location",
        HeaderValue::from_static("http://user:pw@127.0.0.1:9/x?X-Amz-Security-Token=t"),
    );
    let f = check(
        Operation::ListFlows,
        &Reply::new(307, &h, Bytes::new()),
        None,
    );
    assert_eq!(f.violations.len(), 1, "one W10 finding only: {f:?}");
    assert_eq!(f.violations[0].id, "W10");
    assert!(f.violations[0].rule.contains("to 127.0.0.1:9"), "{f:?}");
    assert!(
        !f.violations[0].rule.contains("pw") && !f.violations[0].rule.contains("Token"),
        "no secret of the Location is shown: {f:?}"
    );
}

#[test]
fn arns_name_the_target_region_and_one_account() {
    let account = Mutex::new(None);
    let body = serde_json::json!({"flowArn": "arn:aws:appflow:us-east-1:111122223333:flow/a1"});
    assert_eq!(check_arns(&body, "us-east-1", &account), vec![]);
    let other = serde_json::json!({"flows": [{"flowArn": "arn:aws:appflow:eu-west-1:999999999999:flow/a1"}]});
    let v = check_arns(&other, "us-east-1", &account);
    assert_eq!(v.len(), 2, "{v:?}");
    assert_eq!(v[0].at, "body.flows.0.flowArn");
    assert!(v.iter().all(|x| x.id == "O1"));
}

#[test]
fn an_adopted_account_is_the_one_later_arns_are_held_to() {
    let account = Mutex::new(None);
    adopt_account("arn:aws:appflow:us-east-1:12345:flow/short", &account);
    assert_eq!(
        *account.lock().expect("lock"),
        None,
        "an account of 5 digits is not adopted"
    );
    adopt_account("arn:aws:appflow:us-east-1:111122223333:flow/a1", &account);
    adopt_account("arn:aws:appflow:us-east-1:999999999999:flow/a2", &account);
    assert_eq!(
        account.lock().expect("lock").as_deref(),
        Some("111122223333"),
        "the first valid account is kept"
    );
    let foreign = serde_json::json!({"flowArn": "arn:aws:appflow:us-east-1:999999999999:flow/a2"});
    let v = check_arns(&foreign, "us-east-1", &account);
    assert_eq!(
        v.len(),
        1,
        "another account than the adopted one is O1: {v:?}"
    );
}
