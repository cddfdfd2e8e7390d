//! The model judged by hand-made answers: chosen rules narrow, a target
//! switching between candidates is refused, bursts are linearised.

use super::*;
use crate::appflow::TriggerType;

pub(super) fn ok(flow_status: &str) -> Observed {
    Observed {
        status: 200,
        flow_status: Some(flow_status.into()),
        ..Observed::default()
    }
}

pub(super) fn ok_run(id: &str) -> Observed {
    Observed {
        execution_id: Some(id.into()),
        ..ok("Active")
    }
}

pub(super) fn err(status: u16, kind: &str) -> Observed {
    Observed {
        status,
        error: Some(kind.into()),
        ..Observed::default()
    }
}

fn create(name: &str, trigger: TriggerType) -> Invocation {
    Invocation::CreateFlow {
        name: name.into(),
        trigger,
        token: None,
        variant: 0,
    }
}

fn start(name: &str, token: Option<&str>) -> Invocation {
    Invocation::StartFlow {
        name: name.into(),
        token: token.map(Into::into),
    }
}

fn admitted(v: Judgement) -> bool {
    matches!(v, Judgement::Admitted { .. })
}

#[test]
fn a_target_always_answering_draft_after_stop_passes_one_switching_fails() {
    let mut w = Worlds::new();
    let stop = Invocation::StopFlow {
        name: "ah-s".into(),
    };
    assert!(admitted(
        w.judge(&create("ah-s", TriggerType::Scheduled), &ok("Draft"))
    ));
    for _ in 0..2 {
        assert!(admitted(w.judge(&start("ah-s", None), &ok("Active"))));
        assert!(
            admitted(w.judge(&stop, &ok("Draft"))),
            "Draft is L5's other candidate"
        );
    }
    assert_eq!(w.profiles().candidates(Dimension::StoppedStatus), ["draft"]);
    assert!(admitted(w.judge(&start("ah-s", None), &ok("Active"))));
    assert_eq!(
        w.judge(&stop, &ok("Suspended")),
        Judgement::Refused,
        "no profile explains both"
    );
}

#[test]
fn replays_answer_the_first_run_and_a_new_token_a_new_one() {
    let mut w = Worlds::new();
    assert!(admitted(
        w.judge(&create("ah-o", TriggerType::OnDemand), &ok("Active"))
    ));
    assert!(admitted(w.judge(&start("ah-o", Some("t1")), &ok_run("e1"))));
    assert!(admitted(w.judge(&start("ah-o", Some("t1")), &ok_run("e1"))));
    assert_eq!(
        w.judge(&start("ah-o", Some("t1")), &ok_run("e9")),
        Judgement::Refused
    );
    assert_eq!(
        w.judge(&start("ah-o", Some("t2")), &ok_run("e1")),
        Judgement::Refused,
        "a new token must not answer an earlier run"
    );
    // After 8 hours the token is a new call (T4).
    assert!(admitted(w.judge(
        &Invocation::AdvanceClock {
            secs: TOKEN_TTL_SECS
        },
        &Observed::default()
    )));
    assert!(admitted(w.judge(&start("ah-o", Some("t1")), &ok_run("e2"))));
}

#[test]
fn c2_conflict_is_admitted_only_while_a_run_may_be_in_progress() {
    let mut w = Worlds::new();
    assert!(admitted(
        w.judge(&create("ah-o", TriggerType::OnDemand), &ok("Active"))
    ));
    assert_eq!(
        w.judge(&start("ah-o", None), &err(409, "ConflictException")),
        Judgement::Refused
    );
    assert!(admitted(w.judge(&start("ah-o", None), &ok_run("e1"))));
    assert!(admitted(
        w.judge(&start("ah-o", None), &err(409, "ConflictException"))
    ));
    assert_eq!(
        w.profiles().candidates(Dimension::InProgressStart),
        ["conflict"]
    );
}

#[test]
fn a_same_token_burst_must_make_one_run() {
    let mut w = Worlds::new();
    assert!(admitted(
        w.judge(&create("ah-o", TriggerType::OnDemand), &ok("Active"))
    ));
    let calls = vec![
        start("ah-o", Some("t")),
        start("ah-o", Some("t")),
        start("ah-o", Some("t")),
    ];
    let same = vec![ok_run("e1"), ok_run("e1"), ok_run("e1")];
    assert!(admitted(w.clone().judge_burst(&calls, &same)));
    let two = vec![ok_run("e1"), ok_run("e2"), ok_run("e1")];
    assert_eq!(w.judge_burst(&calls, &two), Judgement::Refused);
}

#[test]
fn near_misses_are_other_tokens_or_invalid() {
    let mut w = Worlds::new();
    assert!(admitted(
        w.judge(&create("ah-o", TriggerType::OnDemand), &ok("Active"))
    ));
    assert!(admitted(
        w.judge(&start("ah-o", Some("tok")), &ok_run("e1"))
    ));
    assert!(admitted(
        w.judge(&start("ah-o", Some("tok ")), &ok_run("e2"))
    ));
    let long = "t".repeat(257);
    assert!(admitted(w.judge(
        &start("ah-o", Some(&long)),
        &err(400, "ValidationException")
    )));
    assert_eq!(
        w.judge(&start("ah-o", Some(&long)), &ok_run("e3")),
        Judgement::Refused
    );
    assert!(admitted(w.judge(
        &start("AH-O", None),
        &err(404, "ResourceNotFoundException")
    )));
}

#[test]
fn stopping_a_flow_that_is_not_active_may_be_refused_or_answer_a_status() {
    let stop = Invocation::StopFlow {
        name: "ah-s".into(),
    };
    let created = || {
        let mut w = Worlds::new();
        assert!(admitted(
            w.judge(&create("ah-s", TriggerType::Scheduled), &ok("Draft"))
        ));
        w
    };
    // The contract does not say: a refusal, an idempotent 200 Draft (an
    // independent fake's answer), or a 200 with L5's stopped status.
    assert!(admitted(
        created().judge(&stop, &err(409, "ConflictException"))
    ));
    assert!(admitted(created().judge(&stop, &ok("Draft"))));
    let mut w = created();
    assert!(admitted(w.judge(&stop, &ok("Suspended"))));
    assert_eq!(
        w.profiles().candidates(Dimension::StoppedStatus),
        ["suspended"],
        "a 200 Suspended for a Draft flow is L5's suspended candidate"
    );
    assert_eq!(
        created().judge(&stop, &ok("Active")),
        Judgement::Refused,
        "a stop never answers Active"
    );
}

#[test]
fn c2_conflict_may_last_while_the_run_is_being_canceled() {
    let mut w = Worlds::new();
    assert!(admitted(
        w.judge(&create("ah-o", TriggerType::OnDemand), &ok("Active"))
    ));
    assert!(admitted(w.judge(&start("ah-o", None), &ok_run("e1"))));
    let cancel = Invocation::Cancel {
        name: "ah-o".into(),
        execution_id: "e1".into(),
    };
    let canceled = Observed {
        status: 200,
        invalid: Some(vec![]),
        ..Observed::default()
    };
    assert!(admitted(w.judge(&cancel, &canceled)));
    // S3: CancelStarted, then Canceled; a target may count the run as in
    // progress until then (C2=conflict) or not.
    assert!(admitted(
        w.clone()
            .judge(&start("ah-o", None), &err(409, "ConflictException"))
    ));
    assert!(admitted(w.judge(&start("ah-o", None), &ok_run("e2"))));
}

#[test]
fn the_emulator_flags_name_only_settled_candidates_that_are_not_the_default() {
    let mut w = Worlds::new();
    assert_eq!(
        w.profiles().emulator_flags(),
        (vec![], vec![]),
        "nothing settled: no flag"
    );
    let stop = Invocation::StopFlow {
        name: "ah-s".into(),
    };
    assert!(admitted(
        w.judge(&create("ah-s", TriggerType::Scheduled), &ok("Draft"))
    ));
    assert!(admitted(w.judge(&start("ah-s", None), &ok("Active"))));
    assert!(admitted(w.judge(&stop, &ok("Draft"))));
    assert!(admitted(w.judge(&start("ah-s", None), &ok("Active"))));
    assert!(admitted(w.judge(&start("ah-s", None), &ok("Active"))));
    assert_eq!(
        w.profiles().emulator_flags().0,
        ["--active-start idempotent", "--stopped-status draft"],
        "L5 draft and C1 idempotent settled (neither is the default)"
    );
}

#[test]
fn either_trigger_may_decide_t8_but_a_target_holds_to_one() {
    let mut w = Worlds::new();
    assert!(admitted(
        w.judge(&create("ah-h", TriggerType::Scheduled), &ok("Draft"))
    ));
    assert!(admitted(
        w.judge(&create("ah-o", TriggerType::OnDemand), &ok("Active"))
    ));
    assert!(admitted(
        w.judge(&create("ah-h2", TriggerType::Scheduled), &ok("Draft"))
    ));
    assert!(admitted(w.judge(&start("ah-h", Some("a")), &ok("Active"))));
    // Token a, first used on a scheduled flow, now on an on-demand one: a
    // new call where the new request's trigger decides, T2 where the first
    // use's does.
    assert!(
        admitted(w.judge(&start("ah-o", Some("a")), &err(400, "ValidationException"))),
        "T8's other candidate (the first use's trigger) with T2's other error"
    );
    assert_eq!(
        w.profiles().candidates(Dimension::TokenTrigger),
        ["first-use"]
    );
    // Token b, first used on the on-demand flow: under first-use, a new
    // call on the scheduled flow, which it activates; an error would be
    // the other candidate, which this target no longer has.
    assert!(admitted(w.judge(&start("ah-o", Some("b")), &ok_run("r-b"))));
    assert_eq!(
        w.judge(&start("ah-h2", Some("b")), &err(400, "ValidationException")),
        Judgement::Refused,
        "a target that decided by the first use answers token b with a new call"
    );
}
