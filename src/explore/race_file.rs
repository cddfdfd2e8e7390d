//! A race ([`Move::Race`]) written as two steps of a scenario file, the
//! second `with-previous: true`: each expects, as `one-of`, every answer
//! some order of the two calls admits it; the StartFlow's run is captured
//! only when every order makes it a new run; and the steps after the race
//! are guarded by the call whose status tells the order best.

use super::burst::{admits_status, outcomes_after, per_call};
use super::file_expect::StepLines;
use super::file_templates::Templates;
use super::file_templates::{UNCAPTURED, known, run_id};
use super::names::requests;
use super::play::Played;
use crate::fixtures::FixtureVars;
use crate::model::{Admission, Exec, ModelState, OkBody};
use crate::scenario::file::{ExpectFile, StepFile};

/// The race's steps, and which of them (0 or 1) with which status the
/// steps after it are played for: the call whose status leaves the fewest
/// orders, the write (the second) on a tie, as its status says whether it
/// took effect. `runs` gains the StartFlow's run (captured or not).
pub(super) fn step_files(
    p: &Played,
    t: &Templates,
    fixtures: &FixtureVars,
    runs: &mut Vec<String>,
    after_clock: bool,
) -> (Vec<StepFile>, Option<(usize, u16)>) {
    t.runs.replace(runs.clone());
    let reqs = requests(&p.step, t, fixtures, p.trigger);
    let after = p.before.as_ref().and_then(|w| outcomes_after(w, &p.calls));
    let vectors: Option<Vec<Vec<Admission>>> =
        (after.as_ref()).map(|v| v.iter().map(|(a, _)| a.clone()).collect());
    let failing = if p.failed {
        super::file_expect::FAILING_STEP
    } else {
        ""
    };
    let mut steps = Vec::new();
    for (k, (op, body)) in reqs.iter().enumerate() {
        let mut s = StepFile::call(*op, body.clone());
        let name = match k {
            0 => format!("step {}{failing}", p.index),
            _ => format!("step {}, sent with the step before{failing}", p.index),
        };
        StepLines { name, after_clock }.apply(&mut s);
        s.with_previous = k > 0;
        let e = vectors
            .as_ref()
            .map(|v| per_call(v, k, &p.step, runs))
            .unwrap_or_default();
        if e != ExpectFile::default() {
            s.expect = Some(e);
        }
        steps.push(s);
    }
    // The StartFlow's run (the first call's; a race of creates has none).
    let always_new = vectors.as_ref().is_some_and(|v| {
        !v.is_empty()
            && v.iter().all(|a| {
                matches!(
                    a.first(),
                    Some(Admission::Ok(OkBody::Start {
                        exec: Exec::New,
                        ..
                    }))
                )
            })
    });
    if let Some(id) = p.observed.first().and_then(run_id)
        && !known(runs, &id)
    {
        if always_new && let Some(first) = steps.first_mut() {
            runs.push(id);
            first
                .capture
                .insert(format!("r{}", runs.len() - 1), "executionId".into());
        } else {
            runs.push(format!("{UNCAPTURED}{id}"));
        }
    }
    let statuses: Vec<u16> = p.observed.iter().map(|o| o.status).collect();
    let guard = match &after {
        Some(v) => guard(v, &statuses),
        None => statuses.len().checked_sub(1),
    };
    (steps, guard.map(|k| (k, statuses[k])))
}

/// The call whose status the steps after a race are played for: none
/// when every order ends in the same state (nothing after depends on the
/// order); else the call whose status leaves the fewest end states, then
/// the fewest orders, the later call (the write) on a tie.
fn guard(after: &[(Vec<Admission>, Vec<ModelState>)], statuses: &[u16]) -> Option<usize> {
    if end_states(after.iter()) < 2 {
        return None;
    }
    (0..statuses.len()).rev().min_by_key(|&k| {
        let fits: Vec<_> = (after.iter())
            .filter(|(a, _)| a.get(k).is_some_and(|e| admits_status(e, statuses[k])))
            .collect();
        (end_states(fits.iter().copied()), fits.len())
    })
}

/// How many different states the orders of `vectors` end in.
fn end_states<'a>(vectors: impl Iterator<Item = &'a (Vec<Admission>, Vec<ModelState>)>) -> usize {
    let mut ends: Vec<&ModelState> = Vec::new();
    for s in vectors.flat_map(|(_, states)| states) {
        if !ends.contains(&s) {
            ends.push(s);
        }
    }
    ends.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appflow::TriggerType;
    use crate::explore::generate::{Move, TokenArg, Write};
    use crate::model::{Invocation, Observed, Worlds};
    use crate::scenario::file::StatusFile;

    fn ok(execution_id: Option<&str>) -> Observed {
        Observed {
            status: 200,
            flow_status: Some("Active".into()),
            execution_id: execution_id.map(str::to_owned),
            ..Observed::default()
        }
    }

    /// The race's file steps, as played with `calls` answered `observed`
    /// from `before`.
    fn files(
        with: Write,
        calls: Vec<Invocation>,
        observed: Vec<Observed>,
        before: Worlds,
        runs: &mut Vec<String>,
    ) -> (Vec<StepFile>, Option<(usize, u16)>) {
        let race = Move::Race {
            slot: 0,
            with,
            token: TokenArg::None,
        };
        let p = Played {
            calls,
            observed,
            before: Some(before),
            ..Played::new(2, race, TriggerType::OnDemand)
        };
        let t = Templates {
            played_prefix: "ah-xrace-s".into(),
            ..Templates::default()
        };
        step_files(&p, &t, &FixtureVars::default(), runs, false)
    }

    /// Two CreateFlows of one free name: either may make the flow, and
    /// both orders end alike, so nothing after the race is guarded.
    #[test]
    fn two_creates_of_one_name_admit_either_winner_and_guard_nothing() {
        let create = Invocation::CreateFlow {
            name: "ah-xrace-s0".into(),
            trigger: TriggerType::OnDemand,
            token: None,
            variant: 0,
        };
        let refused = Observed {
            status: 409,
            error: Some("ConflictException".into()),
            ..Observed::default()
        };
        let with = Write::Create {
            trigger: TriggerType::OnDemand,
        };
        let calls = vec![create.clone(), create];
        let mut runs = Vec::new();
        let (steps, guard) = files(
            with,
            calls,
            vec![ok(None), refused],
            Worlds::new(),
            &mut runs,
        );
        for s in &steps {
            let e = s.expect.clone().unwrap_or_default();
            assert!(
                s.create_flow.is_some() && e.one_of.len() == 2,
                "each create admits making the flow or a refusal: {steps:?}"
            );
        }
        assert_eq!(guard, None, "both orders end with one flow: {steps:?}");
    }

    /// A StartFlow racing a DeleteFlow (no force) on a live on-demand
    /// flow, both answered 200: the file's two steps admit every order.
    #[test]
    fn a_start_racing_a_delete_is_two_steps_admitting_every_order_and_guarding_on_the_delete() {
        let name = "ah-xrace-s0";
        let mut w = Worlds::new();
        let create = Invocation::CreateFlow {
            name: name.into(),
            trigger: TriggerType::OnDemand,
            token: None,
            variant: 0,
        };
        w.judge(&create, &ok(None));
        let calls = vec![
            Invocation::StartFlow {
                name: name.into(),
                token: None,
            },
            Invocation::DeleteFlow {
                name: name.into(),
                force: false,
            },
        ];
        let with = Write::Delete { force: false };
        let observed = vec![ok(Some("run-1")), ok(None)];
        let mut runs = Vec::new();
        let (steps, guard) = files(with, calls, observed, w, &mut runs);
        assert_eq!(steps.len(), 2, "a StartFlow step and a DeleteFlow step");
        assert!(
            steps[0].start_flow.is_some() && !steps[0].with_previous,
            "{steps:?}"
        );
        assert!(
            steps[1].delete_flow.is_some() && steps[1].with_previous,
            "the DeleteFlow is sent with the StartFlow: {steps:?}"
        );
        let statuses = |s: &StepFile| -> Vec<StatusFile> {
            let e = s.expect.clone().unwrap_or_default();
            e.one_of.into_iter().filter_map(|a| a.status).collect()
        };
        assert_eq!(
            statuses(&steps[0]),
            vec![StatusFile(vec![200]), StatusFile(vec![404])],
            "the start runs (before the delete) or finds no flow (after it): {steps:?}"
        );
        assert_eq!(
            statuses(&steps[1]),
            vec![StatusFile(vec![200]), StatusFile(vec![409])],
            "the delete deletes, or is refused beside a run in progress (L6): {steps:?}"
        );
        assert!(
            steps[0].capture.is_empty() && runs.len() == 1,
            "the run is not new in every order (404 after the delete): not captured, still counted: {steps:?}"
        );
        assert_eq!(
            guard,
            Some((1, 200)),
            "what follows holds where the delete answered 200 (the flow is gone in either order)"
        );
    }
}
