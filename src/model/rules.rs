//! The contract as a transition relation: for a state, the profiles still
//! possible and a call, every answer the contract admits (a branch per
//! answer, naming its rule ids) and the state after it.

use super::call::Invocation;
use super::expect::{Admission, OkBody};
use super::profile::{Dimension, ProfileSet};
use super::state::{ModelFlow, ModelState, Phase, StoredOp, valid_flow_name, valid_token};
use crate::appflow::{ErrorKind, FlowStatus, Operation, TriggerType};

/// One admitted answer, the profiles it belongs to, and the state after it.
#[derive(Debug, Clone)]
pub struct Branch {
    /// The profiles it belongs to.
    pub profiles: ProfileSet,
    /// The APPFLOW.md rule ids that decide this answer.
    pub rules: Vec<&'static str>,
    /// The admitted answer.
    pub expect: Admission,
    /// The state after the answer.
    pub next: ModelState,
    /// A StartFlow that makes a run: (flow, run index) whose executionId
    /// the answer gives.
    pub new_run: Option<(String, usize)>,
}

pub(super) fn branch(
    profiles: ProfileSet,
    rules: &[&'static str],
    expect: Admission,
    next: ModelState,
) -> Branch {
    Branch {
        profiles,
        rules: rules.to_vec(),
        expect,
        next,
        new_run: None,
    }
}

/// Every answer the contract admits for `call` in state `s`, for the
/// profiles `p`, the account's quotas (Q1-Q3) included.
pub fn branches(s: &ModelState, p: ProfileSet, call: &Invocation) -> Vec<Branch> {
    super::quota::apply(s, call, unlimited(s, p, call))
}

/// Every answer the contract admits for `call`, quotas aside.
fn unlimited(s: &ModelState, p: ProfileSet, call: &Invocation) -> Vec<Branch> {
    let same =
        |rules: &[&'static str], expect: Admission| vec![branch(p, rules, expect, s.clone())];
    if let Some(name) = call.name()
        && !valid_flow_name(name)
    {
        return same(&["V1", "V3"], Admission::Error(ErrorKind::Validation));
    }
    let token = match call {
        Invocation::CreateFlow { token, .. }
        | Invocation::UpdateFlow { token, .. }
        | Invocation::StartFlow { token, .. }
        | Invocation::LargeStart { token, .. } => token.as_deref(),
        _ => None,
    };
    if token.is_some_and(|t| !valid_token(t)) {
        return same(&["V2", "V3"], Admission::Error(ErrorKind::Validation));
    }
    match call {
        Invocation::CreateFlow {
            name,
            trigger,
            variant,
            ..
        } => create(s, p, name, *trigger, token, *variant),
        Invocation::UpdateFlow { name, variant, .. } => update(s, p, name, token, *variant),
        Invocation::StartFlow { name, .. } => super::start::start(s, p, name, token),
        Invocation::LargeStart { name, .. } => super::quota::large(s, p, name, token),
        Invocation::SetQuotas {
            flows,
            runs,
            concurrent,
        } => vec![super::quota::set(s, p, *flows, *runs, *concurrent)],
        Invocation::StopFlow { name } => stop(s, p, name),
        Invocation::DeleteFlow { name, force } => delete(s, p, name, *force),
        Invocation::DescribeFlow { name } => match s.flows.get(name) {
            None => same(&["L6"], Admission::Error(ErrorKind::ResourceNotFound)),
            Some(f) => same(
                &["O2", "L1"],
                Admission::Ok(OkBody::Describe {
                    flow_status: f.status,
                    trigger: f.trigger,
                }),
            ),
        },
        Invocation::ListFlows { .. } => {
            let present = s
                .flows
                .iter()
                .map(|(n, f)| (n.clone(), f.trigger, f.status))
                .collect();
            let absent = s
                .names
                .iter()
                .filter(|n| !s.flows.contains_key(*n))
                .cloned()
                .collect();
            same(
                &["S4", "S2"],
                Admission::Ok(OkBody::List { present, absent }),
            )
        }
        Invocation::Records { name, .. } => match s.flows.get(name) {
            None => same(&["L6"], Admission::AnyError),
            // Scheduled and event flows run on their own on a real service.
            Some(f) if f.trigger != TriggerType::OnDemand => same(&["L2"], Admission::Any),
            Some(f) => {
                let runs = f
                    .runs
                    .iter()
                    .map(|r| (r.id.clone(), r.phase.statuses().to_vec()))
                    .collect();
                same(&["L2", "S2"], Admission::Ok(OkBody::Records { runs }))
            }
        },
        Invocation::Cancel { name, execution_id } => cancel(s, p, name, execution_id),
        Invocation::AdvanceClock { secs } | Invocation::Wait { secs } => {
            let mut next = s.clone();
            next.now += secs;
            vec![branch(p, &["T4"], Admission::Any, next)]
        }
    }
}

/// The CreateFlow/UpdateFlow call stored for `token`, if still remembered (T13).
fn remembered_op<'a>(
    s: &'a ModelState,
    op: Operation,
    token: Option<&str>,
) -> Option<&'a StoredOp> {
    token
        .and_then(|t| s.op_tokens.get(&(op, t.to_owned())))
        .filter(|st| s.remembered(st.at))
}

/// A remembered CreateFlow/UpdateFlow token used again (T13): the same input
/// answers the first response again, other input 409.
fn replay_or_conflict(s: &ModelState, p: ProfileSet, stored: &StoredOp, same: bool) -> Branch {
    let expect = if same {
        Admission::Ok(OkBody::Status(stored.flow_status))
    } else {
        Admission::Error(ErrorKind::Conflict)
    };
    branch(p, &["T13"], expect, s.clone())
}

/// The token of a deleted flow used on another name: remembered (T13, other
/// input: 409) or ended with its flow (T14, a new call); this is the 409.
fn orphan_conflict(s: &ModelState, p: ProfileSet) -> Branch {
    branch(
        p,
        &["T13", "T14"],
        Admission::Error(ErrorKind::Conflict),
        s.clone(),
    )
}

fn create(
    s: &ModelState,
    p: ProfileSet,
    name: &str,
    trigger: TriggerType,
    token: Option<&str>,
    variant: u8,
) -> Vec<Branch> {
    let input = format!("{name}/{trigger}/{variant}");
    let stored = remembered_op(s, Operation::CreateFlow, token);
    let either = stored.is_some_and(|st| s.orphaned_elsewhere(st, name));
    if let Some(stored) = stored
        && !s.ended(stored, name)
        && !either
    {
        let same = stored.input == input && s.live(name, stored.generation).is_some();
        return vec![replay_or_conflict(s, p, stored, same)];
    }
    let ended = stored.is_some_and(|st| s.ended(st, name));
    if s.flows.contains_key(name) {
        // A second flow of the same name: refused, how is not decided.
        return vec![branch(p, &["L1"], Admission::AnyError, s.clone())];
    }
    let made = |p: ProfileSet, status: FlowStatus| {
        let mut next = s.clone();
        let generation = next.new_generation();
        next.names.insert(name.to_owned());
        next.flows.insert(
            name.to_owned(),
            ModelFlow {
                trigger,
                status,
                generation,
                runs: Vec::new(),
            },
        );
        if let Some(t) = token {
            next.op_tokens.insert(
                (Operation::CreateFlow, t.to_owned()),
                StoredOp {
                    at: s.now,
                    flow: name.to_owned(),
                    generation,
                    input: input.clone(),
                    flow_status: status,
                },
            );
        }
        let rules: &[&'static str] = if ended { &["L1", "T14"] } else { &["L1"] };
        branch(p, rules, Admission::Ok(OkBody::Status(status)), next)
    };
    let mut branches = match trigger {
        TriggerType::OnDemand => vec![made(p, FlowStatus::Active)],
        TriggerType::Scheduled => vec![made(p, FlowStatus::Draft)],
        TriggerType::Event => {
            let [draft, active] = p.split(Dimension::EventInitialStatus);
            vec![
                made(draft, FlowStatus::Draft),
                made(active, FlowStatus::Active),
            ]
        }
    };
    if either {
        branches.push(orphan_conflict(s, p));
    }
    branches
}

fn update(
    s: &ModelState,
    p: ProfileSet,
    name: &str,
    token: Option<&str>,
    variant: u8,
) -> Vec<Branch> {
    let Some(flow) = s.flows.get(name) else {
        return vec![branch(p, &["L6"], Admission::AnyError, s.clone())];
    };
    let input = format!("{name}/{}/{variant}", flow.trigger);
    let stored = remembered_op(s, Operation::UpdateFlow, token);
    let either = stored.is_some_and(|st| s.orphaned_elsewhere(st, name));
    if let Some(stored) = stored
        && !s.ended(stored, name)
        && !either
    {
        let same = stored.input == input && stored.flow == name;
        return vec![replay_or_conflict(s, p, stored, same)];
    }
    let mut next = s.clone();
    if let Some(t) = token {
        next.op_tokens.insert(
            (Operation::UpdateFlow, t.to_owned()),
            StoredOp {
                at: s.now,
                flow: name.to_owned(),
                generation: flow.generation,
                input,
                flow_status: flow.status,
            },
        );
    }
    // The model's reading: an update that keeps the trigger keeps the status.
    let mut branches = vec![branch(
        p,
        &["T13"],
        Admission::Ok(OkBody::Status(flow.status)),
        next,
    )];
    if either {
        branches.push(orphan_conflict(s, p));
    }
    branches
}

fn stop(s: &ModelState, p: ProfileSet, name: &str) -> Vec<Branch> {
    let Some(flow) = s.flows.get(name) else {
        return vec![branch(p, &["L6"], Admission::AnyError, s.clone())];
    };
    if flow.trigger == TriggerType::OnDemand {
        return vec![branch(
            p,
            &["L4"],
            Admission::Error(ErrorKind::UnsupportedOperation),
            s.clone(),
        )];
    }
    if flow.status != FlowStatus::Active {
        // Stopping a flow that is not active: the contract does not say. A
        // refusal (any 4xx) changes nothing; a 200 answers the status it
        // keeps or the status a stop leaves (L5's candidates), and the flow
        // has that status from then on.
        let mut branches = vec![branch(p, &["L5"], Admission::AnyError, s.clone())];
        let [suspended, draft] = p.split(Dimension::StoppedStatus);
        for (p, stopped) in [
            (suspended, FlowStatus::Suspended),
            (draft, FlowStatus::Draft),
        ] {
            let mut statuses = vec![flow.status];
            if stopped != flow.status {
                statuses.push(stopped);
            }
            for status in statuses {
                let mut next = s.clone();
                if let Some(f) = next.flows.get_mut(name) {
                    f.status = status;
                }
                branches.push(branch(
                    p,
                    &["L5"],
                    Admission::Ok(OkBody::Status(status)),
                    next,
                ));
            }
        }
        return branches;
    }
    let [suspended, draft] = p.split(Dimension::StoppedStatus);
    [
        (suspended, FlowStatus::Suspended),
        (draft, FlowStatus::Draft),
    ]
    .into_iter()
    .map(|(p, status)| {
        let mut next = s.clone();
        if let Some(f) = next.flows.get_mut(name) {
            f.status = status;
        }
        branch(p, &["L5"], Admission::Ok(OkBody::Status(status)), next)
    })
    .collect()
}

fn delete(s: &ModelState, p: ProfileSet, name: &str, force: bool) -> Vec<Branch> {
    if !s.flows.contains_key(name) {
        return vec![branch(
            p,
            &["L6"],
            Admission::Error(ErrorKind::ResourceNotFound),
            s.clone(),
        )];
    }
    let mut gone = s.clone();
    gone.delete(name);
    let deleted = branch(p, &["L6", "T14"], Admission::Ok(OkBody::Deleted), gone);
    if force || !s.may_run(name) {
        return vec![deleted];
    }
    vec![
        branch(p, &["L6"], Admission::Error(ErrorKind::Conflict), s.clone()),
        deleted,
    ]
}

fn cancel(s: &ModelState, p: ProfileSet, name: &str, id: &str) -> Vec<Branch> {
    let Some(flow) = s.flows.get(name) else {
        return vec![branch(p, &["L6"], Admission::AnyError, s.clone())];
    };
    let invalid = |next: ModelState| {
        branch(
            p,
            &["S3"],
            Admission::Ok(OkBody::Cancel {
                invalid: vec![id.to_owned()],
            }),
            next,
        )
    };
    let Some(i) = flow.runs.iter().position(|r| r.id == id) else {
        return vec![invalid(s.clone())];
    };
    if flow.runs[i].phase != Phase::Running {
        return vec![invalid(s.clone())];
    }
    let with_phase = |phase: Phase| {
        let mut next = s.clone();
        if let Some(f) = next.flows.get_mut(name) {
            f.runs[i].phase = phase;
        }
        next
    };
    vec![
        branch(
            p,
            &["S3"],
            Admission::Ok(OkBody::Cancel {
                invalid: Vec::new(),
            }),
            with_phase(Phase::Canceling),
        ),
        invalid(with_phase(Phase::Finished)),
    ]
}
