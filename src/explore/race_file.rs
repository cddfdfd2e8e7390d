//! A race ([`Move::Race`]) written as two steps of a scenario file, the
//! second `with-previous: true`: each expects, as `one-of`, every answer
//! some order of the two calls admits it; the StartFlow's run is captured
//! only when every order makes it a new run; and the steps after the race
//! are guarded by the call whose status tells the order best.

use super::burst::{admits_status, outcomes, per_call};
use super::file_expect::StepLines;
use super::file_templates::Templates;
use super::names::requests;
use super::play::Played;
use super::scenario_file::{UNCAPTURED, known, run_id};
use crate::fixtures::FixtureVars;
use crate::model::{Admission, Exec, OkBody};
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
    let vectors = p.before.as_ref().and_then(|w| outcomes(w, &p.calls));
    let failing = if p.failed { " (the failing step)" } else { "" };
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
    let guard = match &vectors {
        Some(v) => (0..statuses.len()).rev().min_by_key(|&k| {
            v.iter()
                .filter(|a| a.get(k).is_some_and(|e| admits_status(e, statuses[k])))
                .count()
        }),
        None => statuses.len().checked_sub(1),
    };
    (steps, guard.map(|k| (k, statuses[k])))
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
        let p = Played {
            index: 2,
            step: Move::Race {
                slot: 0,
                with: Write::Delete { force: false },
                token: TokenArg::None,
            },
            trigger: TriggerType::OnDemand,
            calls,
            admitted: Vec::new(),
            observed: vec![ok(Some("run-1")), ok(None)],
            bodies: Vec::new(),
            rules: Vec::new(),
            violations: Vec::new(),
            skipped: None,
            failed: false,
            wire_only: false,
            control: None,
            before: Some(w),
        };
        let t = Templates {
            played_prefix: "ah-xrace-s".into(),
            ..Templates::default()
        };
        let mut runs = Vec::new();
        let (steps, guard) = step_files(&p, &t, &FixtureVars::default(), &mut runs, false);
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
