//! The expectations a burst's saved step carries: counts and orders every
//! order of its calls agrees on.

use super::*;
use crate::appflow::TriggerType;
use crate::model::Observed;
use crate::scenario::file::StatusFile;
use serde_json::json;

fn answer(status: u16, flow_status: Option<&str>, error: Option<&str>) -> Observed {
    Observed {
        status,
        flow_status: flow_status.map(str::to_owned),
        error: error.map(str::to_owned),
        ..Observed::default()
    }
}

fn start(name: &str, token: &str) -> Invocation {
    Invocation::StartFlow {
        name: name.into(),
        token: Some(token.into()),
    }
}

#[test]
fn different_tokens_on_a_draft_scheduled_flow_under_conflict_expect_exactly_one_200() {
    let mut w = Worlds::new();
    for (name, _) in [("flow-a", 0), ("flow-b", 1)] {
        let create = Invocation::CreateFlow {
            name: name.into(),
            trigger: TriggerType::Scheduled,
            token: None,
            variant: 0,
        };
        w.judge(&create, &answer(200, Some("Draft"), None));
    }
    // C1 settled as conflict: a second token on the Active flow is refused.
    w.judge(
        &start("flow-a", "token-0"),
        &answer(200, Some("Active"), None),
    );
    w.judge(
        &start("flow-a", "token-1"),
        &answer(409, None, Some("ConflictException")),
    );
    let calls = [start("flow-b", "token-2"), start("flow-b", "token-3")];
    let vectors = outcomes(&w, &calls).expect("a handful of orders");
    let step = Move::Burst {
        slot: 1,
        tokens: Vec::new(),
    };
    let e = expectation(&vectors, &step, &[]);
    assert_eq!(
        e.status_count,
        BTreeMap::from([(200, 1), (409, 1)]),
        "every order has one activation and one conflict: {e:?}"
    );
    assert_eq!(e.one_of[0].status, Some(StatusFile(vec![200])), "{e:?}");
    assert_eq!(
        e.one_of[0].body.as_ref().map(|b| &b["flowStatus"]),
        Some(&json!("Active")),
        "{e:?}"
    );
    assert_eq!(
        e.one_of[1].error.as_deref(),
        Some("ConflictException"),
        "{e:?}"
    );
    // One token twice beside another: the two copies of one token
    // answer alike in every order (T5), which counts cannot say.
    let calls = [
        start("flow-b", "token-4"),
        start("flow-b", "token-5"),
        start("flow-b", "token-5"),
    ];
    let vectors = outcomes(&w, &calls).expect("a handful of orders");
    let e = expectation(&vectors, &step, &[]);
    assert_eq!(
        e.statuses_in_order,
        vec![vec![200, 409, 409], vec![409, 200, 200]],
        "token-4 first, or token-5 first (its replay answers alike): {e:?}"
    );
}

#[test]
fn no_count_is_written_where_profiles_disagree() {
    let mut w = Worlds::new();
    let create = Invocation::CreateFlow {
        name: "flow-b".into(),
        trigger: TriggerType::Scheduled,
        token: None,
        variant: 0,
    };
    w.judge(&create, &answer(200, Some("Draft"), None));
    let calls = [start("flow-b", "token-2"), start("flow-b", "token-3")];
    let vectors = outcomes(&w, &calls).expect("a handful of orders");
    let step = Move::Burst {
        slot: 0,
        tokens: Vec::new(),
    };
    let e = expectation(&vectors, &step, &[]);
    assert!(
        !e.status_count.contains_key(&200),
        "C1 unsettled: one or two 200s, no count of 200s: {e:?}"
    );
}
