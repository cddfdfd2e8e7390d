//! The account's quotas (Q1 flows, Q2 runs a month, Q3 concurrent runs)
//! over the branches of a call, and W6's large bodies.
//!
//! A quota is judged only where the model knows it: a quota step of the
//! test-control API sets each limit as the room left from then on, so a
//! CreateFlow or a run-making StartFlow must answer 402
//! ServiceQuotaExceededException where the limit surely bites, must not
//! where it surely does not, and may where the model cannot tell (a run
//! may have finished: Q3 is only ever an upper bound; a clock move may
//! begin a new month for Q2). A refused call changes nothing and its token
//! is not remembered (T12). Without a quota step nothing is admitted for
//! a 402; the player counts such an answer as not judged (the account's
//! own limits and foreign flows are unknown).

use super::call::Invocation;
use super::expect::Admission;
use super::profile::ProfileSet;
use super::rules::{Branch, branch};
use super::state::{ModelState, Quotas};
use crate::appflow::{ErrorKind, FlowStatus, TriggerType};

/// Whether a quota stops a call that would make a flow or a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bite {
    No,
    Maybe,
    Yes,
}

fn flows(s: &ModelState) -> Bite {
    if s.flows.len() >= s.quotas.flows {
        Bite::Yes
    } else {
        Bite::No
    }
}

fn runs(q: &Quotas) -> Bite {
    let (lo, hi) = q.runs_used;
    if lo >= q.runs {
        return Bite::Yes;
    }
    let q2 = hi >= q.runs || q.scheduled;
    let q3 = q.started >= q.concurrent || q.scheduled;
    if q2 || q3 { Bite::Maybe } else { Bite::No }
}

fn run_count(s: &ModelState, name: &str) -> usize {
    s.flows.get(name).map_or(0, |f| f.runs.len())
}

fn scheduled_active(s: &ModelState) -> bool {
    s.flows
        .values()
        .any(|f| f.trigger != TriggerType::OnDemand && f.status == FlowStatus::Active)
}

/// `branches` of `call` in `s` with the known quotas applied: a branch
/// that makes a flow or a run is replaced by a 402 where the quota surely
/// bites, joined by one where it may; the counts move on.
pub(super) fn apply(s: &ModelState, call: &Invocation, branches: Vec<Branch>) -> Vec<Branch> {
    if !s.quotas.known {
        return branches;
    }
    let mut out = Vec::with_capacity(branches.len() + 1);
    for mut b in branches {
        let makes_flow =
            matches!(call, Invocation::CreateFlow { .. }) && b.next.flows.len() > s.flows.len();
        let makes_run = b
            .new_run
            .as_ref()
            .is_some_and(|(n, _)| run_count(&b.next, n) > run_count(s, n));
        let (bite, rules): (Bite, &[&'static str]) = if makes_flow {
            (flows(s), &["Q1"])
        } else if makes_run {
            (runs(&s.quotas), &["Q2", "Q3", "T12"])
        } else {
            (Bite::No, &[])
        };
        if bite != Bite::No {
            let refused = Admission::Error(ErrorKind::ServiceQuotaExceeded);
            out.push(branch(b.profiles, rules, refused, s.clone()));
            if bite == Bite::Yes {
                continue;
            }
        }
        let q = &mut b.next.quotas;
        if makes_run {
            q.runs_used = (q.runs_used.0 + 1, q.runs_used.1 + 1);
            q.started += 1;
        }
        if matches!(call, Invocation::AdvanceClock { .. }) {
            q.runs_used.0 = 0;
        }
        if scheduled_active(&b.next) {
            b.next.quotas.scheduled = true;
        }
        out.push(b);
    }
    out
}

/// A quota step: the limits are known from now on, as room left (Q1-Q3).
pub(super) fn set(s: &ModelState, p: ProfileSet, flows: u8, runs: u8, concurrent: u8) -> Branch {
    let mut next = s.clone();
    next.quotas = Quotas {
        known: true,
        flows: s.flows.len() + usize::from(flows),
        runs: u64::from(runs),
        runs_used: (0, 0),
        concurrent: u64::from(concurrent),
        started: 0,
        scheduled: scheduled_active(s),
    };
    branch(p, &["Q1", "Q2", "Q3"], Admission::Any, next)
}

/// W6: a large StartFlow is refused (400 ValidationException or 413, and
/// nothing happened) or served (as any StartFlow: it happened once).
pub(super) fn large(s: &ModelState, p: ProfileSet, name: &str, token: Option<&str>) -> Vec<Branch> {
    let mut out = super::start::start(s, p, name, token);
    for b in &mut out {
        b.rules.push("W6");
    }
    out.push(branch(
        p,
        &["W6", "T12"],
        Admission::Error(ErrorKind::Validation),
        s.clone(),
    ));
    out.push(branch(p, &["W6", "T12"], Admission::TooLarge, s.clone()));
    out
}
