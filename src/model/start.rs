//! StartFlow's branches: validation aside, existence (L7, T10), the token
//! (T1, T9, T11 replays; T2, T3, T8 on another flow; T4, T14 new again),
//! then the run (L2, C2) or the activation (L3, C1).

use super::expect::{Admission, Exec, OkBody};
use super::profile::{Dimension, ProfileSet};
use super::rules::{Branch, branch};
use super::state::{ModelState, Phase, Run, StoredStart};
use crate::appflow::{ErrorKind, FlowStatus, TriggerType};

/// Every answer the contract admits for StartFlow of `name` with `token`.
// Long on purpose: one match over what the contract says of a StartFlow, branch by branch with its rule ids (T1-T14, C1, C2, L2-L7): split, the rules would lose their order.
pub(super) fn start(s: &ModelState, p: ProfileSet, name: &str, token: Option<&str>) -> Vec<Branch> {
    let mut p = p;
    let Some(flow) = s.flows.get(name) else {
        return vec![branch(
            p,
            &["L7", "T10"],
            Admission::Error(ErrorKind::ResourceNotFound),
            s.clone(),
        )];
    };
    let mut rules: Vec<&'static str> = Vec::new();
    let mut extra: Vec<Branch> = Vec::new();
    if let Some(t) = token {
        let key = (t.to_owned(), name.to_owned());
        if let Some(stored) = s.start_tokens.get(&key)
            && stored.generation == flow.generation
            && !stored.ended
            && s.remembered(stored.at)
        {
            let exec = match stored.run {
                Some(i) => Exec::Same(flow.runs[i].id.clone()),
                None => Exec::Absent,
            };
            let rules: &[&'static str] = if flow.trigger == TriggerType::OnDemand {
                &["T1", "T9", "T10"]
            } else {
                &["T1", "T11"]
            };
            let mut b = branch(
                p,
                rules,
                Admission::Ok(OkBody::Start {
                    flow_status: stored.flow_status,
                    exec,
                }),
                s.clone(),
            );
            // The run of a lost answer: the replay tells its executionId.
            if let Some(i) = stored.run
                && flow.runs[i].id.is_empty()
            {
                b.new_run = Some((name.to_owned(), i));
            }
            return vec![b];
        }
        let foreign = s
            .start_tokens
            .iter()
            .any(|((tk, f), st)| tk == t && f != name && s.remembered(st.at) && !st.ended);
        // Used on a flow since deleted: T14 ends the token for a flow
        // re-created under that name; whether it still counts for T2 on
        // another flow, APPFLOW.md does not say, so both answers stand.
        let ended_elsewhere = s
            .start_tokens
            .iter()
            .any(|((tk, f), st)| tk == t && f != name && s.remembered(st.at) && st.ended);
        if ended_elsewhere && !foreign && flow.trigger != TriggerType::OnDemand {
            let [conflict, validation] = p.split(Dimension::ForeignTokenError);
            extra.push(branch(
                conflict,
                &["T2", "T14"],
                Admission::Error(ErrorKind::Conflict),
                s.clone(),
            ));
            extra.push(branch(
                validation,
                &["T2", "T14"],
                Admission::Error(ErrorKind::Validation),
                s.clone(),
            ));
        }
        if foreign {
            // T8: the trigger of the flow the request names decides, or
            // (its other candidate) that of the flow the token was first
            // used on; where they differ, each profile follows its own.
            let by_new = flow.trigger != TriggerType::OnDemand;
            let by_first = s
                .start_tokens
                .iter()
                .filter(|((tk, f), st)| tk == t && f != name && s.remembered(st.at) && !st.ended)
                .min_by_key(|(_, st)| st.at)
                .and_then(|((_, f), _)| s.flows.get(f))
                .map_or(by_new, |f| f.trigger != TriggerType::OnDemand);
            let [new_request, first_use] = p.split(Dimension::TokenTrigger);
            let (errs, rest) = match (by_new, by_first) {
                (true, true) => (p, ProfileSet::NONE),
                (true, false) => (new_request, first_use),
                (false, true) => (first_use, new_request),
                (false, false) => (ProfileSet::NONE, p),
            };
            let [conflict, validation] = errs.split(Dimension::ForeignTokenError);
            for (profiles, kind) in [
                (conflict, ErrorKind::Conflict),
                (validation, ErrorKind::Validation),
            ] {
                if !profiles.is_empty() {
                    extra.push(branch(
                        profiles,
                        &["T2", "T8"],
                        Admission::Error(kind),
                        s.clone(),
                    ));
                }
            }
            if rest.is_empty() {
                return extra;
            }
            p = rest;
            rules.push("T3");
            if by_new != by_first {
                rules.push("T8");
            }
        }
        match s.start_tokens.get(&key) {
            Some(st) if st.ended || st.generation != flow.generation => rules.push("T14"),
            Some(_) => rules.push("T4"),
            None => {}
        }
    } else {
        rules.push("T7");
    }
    let remember = |next: &mut ModelState, run: Option<usize>, status: FlowStatus| {
        if let Some(t) = token {
            next.start_tokens.insert(
                (t.to_owned(), name.to_owned()),
                StoredStart {
                    at: s.now,
                    generation: flow.generation,
                    flow_status: status,
                    run,
                    ended: false,
                },
            );
        }
    };
    match flow.trigger {
        TriggerType::OnDemand => {
            let run = |p: ProfileSet, finished: bool, extra: &'static str| {
                let mut next = s.clone();
                if finished {
                    next.finish_runs(name);
                }
                let f = next.flows.get_mut(name).expect("the flow is live");
                f.runs.push(Run {
                    id: String::new(),
                    phase: Phase::Running,
                });
                let i = f.runs.len() - 1;
                let status = f.status;
                remember(&mut next, Some(i), status);
                let mut b = branch(
                    p,
                    &[],
                    Admission::Ok(OkBody::Start {
                        flow_status: status,
                        exec: Exec::New,
                    }),
                    next,
                );
                b.rules = [&["L2", "O3", "S1"][..], &rules, &[extra]].concat();
                b.rules.retain(|r| !r.is_empty());
                b.new_run = Some((name.to_owned(), i));
                b
            };
            // C2 names a run "still InProgress"; one being canceled (S3's
            // CancelStarted) may still count as one: a target may refuse then
            // too (an independent fake does), so both are admitted.
            let last_may_run = flow
                .runs
                .last()
                .is_some_and(|r| matches!(r.phase, Phase::Running | Phase::Canceling));
            let mut out = extra;
            if !last_may_run {
                out.push(run(p, false, ""));
                return out;
            }
            let [accept, conflict] = p.split(Dimension::InProgressStart);
            out.extend([
                run(accept, false, "C2"),
                branch(
                    conflict,
                    &["C2"],
                    Admission::Error(ErrorKind::Conflict),
                    s.clone(),
                ),
                run(conflict, true, "C2"),
            ]);
            out
        }
        TriggerType::Scheduled | TriggerType::Event => {
            let activate = |p: ProfileSet, rule: &'static str| {
                let mut next = s.clone();
                if let Some(f) = next.flows.get_mut(name) {
                    f.status = FlowStatus::Active;
                }
                remember(&mut next, None, FlowStatus::Active);
                let mut b = branch(
                    p,
                    &[rule, "O3"],
                    Admission::Ok(OkBody::Start {
                        flow_status: FlowStatus::Active,
                        exec: Exec::Absent,
                    }),
                    next,
                );
                b.rules.extend(rules.iter().copied());
                b
            };
            let mut out = extra;
            if flow.status != FlowStatus::Active {
                out.push(activate(p, "L3"));
                return out;
            }
            let [conflict, idempotent] = p.split(Dimension::ActiveStart);
            out.push(branch(
                conflict,
                &["C1"],
                Admission::Error(ErrorKind::Conflict),
                s.clone(),
            ));
            out.push(activate(idempotent, "C1"));
            out
        }
    }
}
