//! Quotas (Q1-Q3, T12), lost answers and large bodies (W6) judged by
//! hand-made answers.

use super::*;
use crate::appflow::TriggerType;

use super::tests::{err, ok, ok_run};

fn create(name: &str) -> Invocation {
    Invocation::CreateFlow {
        name: name.into(),
        trigger: TriggerType::OnDemand,
        token: None,
        variant: 0,
    }
}

fn start(token: Option<&str>) -> Invocation {
    Invocation::StartFlow {
        name: "ah-q".into(),
        token: token.map(Into::into),
    }
}

fn records(ids: &[&str]) -> Observed {
    Observed {
        runs: Some(
            ids.iter()
                .map(|id| ListedRun {
                    id: (*id).into(),
                    status: Some("InProgress".into()),
                })
                .collect(),
        ),
        ..ok("Active")
    }
}

fn read() -> Invocation {
    Invocation::Records {
        name: "ah-q".into(),
        page: 3,
    }
}

fn yes(v: Judgement) -> bool {
    matches!(v, Judgement::Admitted { .. })
}

const QUOTA_402: &str = "ServiceQuotaExceededException";

fn with_quotas(flows: u8, runs: u8) -> Worlds {
    let mut w = Worlds::new();
    assert!(yes(w.judge(&create("ah-q"), &ok("Active"))));
    let set = Invocation::SetQuotas {
        flows,
        runs,
        concurrent: 50,
    };
    assert!(yes(w.judge(&set, &Observed::default())));
    w
}

#[test]
fn known_quotas_decide_402_or_200_and_a_refused_token_is_judged_afresh() {
    let mut w = with_quotas(0, 1);
    assert!(
        !yes(w.clone().judge(&create("ah-q2"), &ok("Active"))),
        "Q1: no room for another flow, so a 200 is refused"
    );
    assert!(yes(w.judge(&create("ah-q2"), &err(402, QUOTA_402))));
    assert!(
        !yes(w.clone().judge(&start(Some("t")), &err(402, QUOTA_402))),
        "Q2: room for one run, so a 402 is refused"
    );
    assert!(yes(w.judge(&start(Some("t")), &ok_run("r1"))));
    assert!(yes(w.judge(&start(Some("t")), &ok_run("r1"))), "T1 replay");
    assert!(yes(w.judge(&start(Some("u")), &err(402, QUOTA_402))));
    assert!(
        !yes(w.clone().judge(&start(None), &ok_run("r2"))),
        "Q2: the month's run is used, so a 200 is refused"
    );
    // The limit raised: the refused token is a new call (T12), never the 402 again.
    let raise = Invocation::SetQuotas {
        flows: 1,
        runs: 5,
        concurrent: 50,
    };
    assert!(yes(w.judge(&raise, &Observed::default())));
    assert!(
        !yes(w.clone().judge(&start(Some("u")), &err(402, QUOTA_402))),
        "T12: a token refused by a quota is judged afresh"
    );
    assert!(yes(w.judge(&start(Some("u")), &ok_run("r2"))));
}

#[test]
fn without_a_quota_step_a_402_is_not_admitted_and_the_quotas_are_unknown() {
    let mut w = Worlds::new();
    assert!(yes(w.judge(&create("ah-q"), &ok("Active"))));
    assert!(!w.quotas_known());
    assert!(!yes(w.judge(&start(None), &err(402, QUOTA_402))));
}

#[test]
fn a_lost_answer_is_either_world_and_a_replay_narrows_to_exactly_one_run() {
    let mut w = with_quotas(3, 50);
    assert!(yes(w.lost(&start(Some("t")))));
    // The replay answers a run not seen before: the lost one, or a first one.
    assert!(yes(w.judge(&start(Some("t")), &ok_run("r1"))));
    assert!(yes(w.clone().judge(&read(), &records(&["r1"]))));
    assert!(
        !yes(w.judge(&read(), &records(&["r1", "r0"]))),
        "a retry after a lost answer must not start a second run"
    );
}

#[test]
fn a_read_after_a_lost_answer_may_show_its_run_or_none_then_holds_to_it() {
    let mut w = Worlds::new();
    assert!(yes(w.judge(&create("ah-q"), &ok("Active"))));
    assert!(yes(w.lost(&start(Some("t")))));
    assert!(yes(w.clone().judge(&read(), &records(&[]))));
    assert!(!yes(w.clone().judge(&read(), &records(&["a", "b"]))));
    assert!(yes(w.judge(&read(), &records(&["r0"]))));
    assert!(
        !yes(w.clone().judge(&start(Some("t")), &ok_run("r9"))),
        "the run was listed: the replay must answer it (T1)"
    );
    assert!(yes(w.judge(&start(Some("t")), &ok_run("r0"))));
}

#[test]
fn a_large_start_is_refused_with_nothing_done_or_served_once() {
    let large = Invocation::LargeStart {
        name: "ah-q".into(),
        token: Some("t".into()),
        bytes: 1_100_000,
    };
    let mut w = Worlds::new();
    assert!(yes(w.judge(&create("ah-q"), &ok("Active"))));
    assert!(!yes(w
        .clone()
        .judge(&large, &err(500, "InternalServerException"))));
    let mut refused = w.clone();
    assert!(yes(refused.judge(&large, &err(400, "ValidationException"))));
    assert!(
        !yes(refused.clone().judge(&read(), &records(&["r0"]))),
        "refused, so nothing ran"
    );
    assert!(yes(refused.judge(&read(), &records(&[]))));
    assert!(yes(w.clone().judge(&large, &err(413, ""))));
    assert!(yes(w.judge(&large, &ok_run("r0"))));
    assert!(
        !yes(w.clone().judge(&start(Some("t")), &ok_run("r1"))),
        "served, so its token replays its run (T1)"
    );
    assert!(yes(w.judge(&start(Some("t")), &ok_run("r0"))));
}
