//! One attempt at one scenario against one target, as a pipeline: bind
//! names, set up the fixture flows, play the steps (each returns what it
//! observed; the [`Ledger`] folds it in), clean up whatever happened (a
//! panic included), then compare the transcript with the snapshot.

use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Instant;

use futures_util::FutureExt;
use serde_json::{Value, json};

use super::control::{play_control, restore_config, undo_control};
use super::fixtures::Fixtures;
use super::ledger::{Ledger, Observed};
use super::snapshot_check::{Played, check_snapshot};
use super::step::{Names, play_call};
use super::{Failure, FailureKind, Options, ScenarioResult, Status, StepResult};
use crate::endpoint::Target;
use crate::scenario::{Action, Scenario, Step};

/// Where the attempt is played: the scenario's place in the run and the
/// run's shared things.
pub(super) struct Attempt<'a> {
    pub scenario: &'a Scenario,
    /// Its position in the run (names carry it).
    pub index: usize,
    /// 0 for the first play, then 1, 2 ... for replays with fresh names.
    pub attempt: u32,
    pub target: &'a Target,
    pub options: &'a Options,
    /// The account of the run's first ARN (O1), shared by all scenarios.
    pub account: &'a Mutex<Option<String>>,
}

/// Plays one attempt at a scenario.
pub(super) async fn play(a: &Attempt<'_>) -> ScenarioResult {
    let (s, target, options) = (a.scenario, a.target, a.options);
    let started = Instant::now();
    let mut fx = Fixtures::bind(s, &target.region, a.index, a.attempt, &options.run_id);
    let mut ledger = Ledger::default();
    let mut saved = None;
    let playing = Mutex::new(None);
    let interrupted = options.interrupt.load(Ordering::Relaxed);
    let missing = s.needs.iter().find_map(|n| match n {
        crate::scenario::Need::EventSource => (!target.abilities.event_source).then_some(
            "the scenario needs an event source, which this target has not (configure event_connector_profile: see README, Running against real AWS)",
        ),
        crate::scenario::Need::RunsInProgress => (!target.abilities.runs_last).then_some(
            "the scenario needs a run still InProgress at its next steps, and this target's runs end at once (its runTimeMs is under 1 s): the timing cannot be given",
        ),
    });
    let unplayable = if interrupted {
        Some(INTERRUPTED.to_owned())
    } else {
        missing.map(str::to_owned)
    };
    // A panic in the harness while playing fails this scenario with its
    // message; the clean-up below still runs.
    let played = AssertUnwindSafe(async {
        if unplayable.is_some() {
            return;
        }
        match fx.setup(s, target, a.account).await {
            Ok(latencies) => ledger.latencies.extend(latencies),
            Err(f) => {
                ledger.failures.push(f);
                return;
            }
        }
        play_steps(a, &mut fx, &mut ledger, &mut saved, &playing).await;
    })
    .catch_unwind()
    .await;
    if let Some(why) = &unplayable {
        for step in &s.steps {
            ledger.steps.push(StepResult::skipped(step, why));
        }
    }
    if let Err(panic) = played {
        let at = *playing.lock().unwrap_or_else(|p| p.into_inner());
        let step = at.and_then(|i| s.steps.get(i));
        if let Some(step) = step {
            ledger.steps.push(StepResult {
                index: step.index,
                name: step.name.clone(),
                status: Status::Failed,
                skipped: None,
                calls: 0,
            });
        }
        ledger.failures.push(Failure::new(
            step.map(|st| st.index),
            FailureKind::Panic,
            format!("the harness panicked: {}", panic_message(&*panic)),
        ));
    }
    undo_control(target, &saved).await;
    fx.cleanup(target).await;
    restore_config(target, saved).await;
    finish(a, ledger, started)
}

/// The result of a played attempt: contract counts, snapshot, status.
fn finish(a: &Attempt<'_>, mut ledger: Ledger, started: Instant) -> ScenarioResult {
    let (s, options) = (a.scenario, a.options);
    let wire = ledger.contract_failures();
    let transcript = super::transcript::of_scenario(
        s,
        std::mem::take(&mut ledger.transcript),
        &options.redactor,
    );
    let undecided = ledger
        .failures
        .iter()
        .any(|f| f.kind == FailureKind::Inconclusive);
    let ran_any = ledger.steps.iter().any(|st| st.status != Status::Skipped);
    let cut = ledger
        .steps
        .iter()
        .filter(|st| st.skipped.as_deref() == Some(INTERRUPTED))
        .count();
    let (reference, parity, snapshot_written) = match &options.snapshots {
        // An undecided transcript says nothing about the reference, nor
        // does one of a scenario not played (a need the target lacks) or
        // cut short by Ctrl-C (its steps never sent are no difference).
        Some(snapshots) if !undecided && ran_any && cut == 0 => {
            let played = Played {
                scenario: s,
                target: a.target,
                skipped: ledger
                    .steps
                    .iter()
                    .filter(|st| {
                        st.skipped
                            .as_deref()
                            .is_some_and(|w| !w.starts_with(NOT_APPLICABLE))
                    })
                    .map(|st| st.index)
                    .collect(),
                request_ids: &ledger.request_ids,
            };
            let v = check_snapshot(&played, snapshots, &transcript, options);
            ledger.failures.extend(v.failures);
            v.notes.into_iter().for_each(|n| ledger.note(n));
            (Some(v.used), v.parity, v.written)
        }
        _ => (None, Vec::new(), None),
    };
    // A scenario cut short by Ctrl-C is never PASS: what was not played
    // was not judged (a failure found before the stop still stands).
    if cut > 0 && ran_any {
        ledger.failures.push(Failure::new(
            None,
            FailureKind::Inconclusive,
            format!(
                "interrupted (Ctrl-C) after {} of {} steps: the rest was not played, so the scenario is not judged",
                ledger.steps.len() - cut,
                ledger.steps.len()
            ),
        ));
    }
    let refused = |f: &Failure| f.kind == FailureKind::SetupRefused;
    let status = if !ledger.failures.is_empty() && ledger.failures.iter().all(refused) {
        Status::NotStarted
    } else if ledger
        .failures
        .iter()
        .any(|f| f.kind != FailureKind::Inconclusive)
    {
        Status::Failed
    } else if !ledger.failures.is_empty() {
        Status::Inconclusive
    } else if ran_any {
        Status::Passed
    } else {
        Status::Skipped
    };
    ScenarioResult {
        status,
        notes: ledger.notes(),
        steps: ledger.steps,
        failures: ledger.failures,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        transcript,
        snapshot_written,
        reference,
        parity,
        answers: ledger.answers,
        throttled_retries: ledger.throttled,
        wire,
        latencies: ledger.latencies,
        attempts: a.attempt + 1,
        unanswered: ledger.unanswered,
        ..ScenarioResult::of(s)
    }
}

/// Why a step is not played, if it is not.
fn skip_reason(
    a: &Attempt<'_>,
    ledger: &Ledger,
    step: &Step,
    bindings: &crate::scenario::template::Bindings,
) -> Option<String> {
    if a.options.interrupt.load(Ordering::Relaxed) {
        return Some(INTERRUPTED.to_owned());
    }
    if let Some(why) = &ledger.stopped {
        return Some(why.clone());
    }
    if step.depends_on_control() && !a.target.abilities.control {
        return Some(if step.action.needs_control() {
            format!(
                "the target has no test-control API (/_harness/), which `{}` needs",
                step.name
            )
        } else {
            "the step depends on a test-control step, and the target has no test-control API"
                .to_owned()
        });
    }
    super::when::reason(ledger, step, bindings)
}

async fn play_steps(
    a: &Attempt<'_>,
    fx: &mut Fixtures,
    ledger: &mut Ledger,
    saved: &mut Option<Value>,
    playing: &Mutex<Option<usize>>,
) {
    for (position, step) in a.scenario.steps.iter().enumerate() {
        // Played with its group's first step, at the same moment.
        if step.with_previous {
            continue;
        }
        *playing.lock().unwrap_or_else(|p| p.into_inner()) = Some(position);
        let group = super::group::group_of(&a.scenario.steps, position);
        // A group is played whole or not at all (its first step's `when:`).
        let skip = group
            .iter()
            .find_map(|st| skip_reason(a, ledger, st, &fx.bindings));
        if let Some(reason) = skip {
            for step in group {
                ledger.steps.push(StepResult::skipped(step, &reason));
                ledger
                    .transcript
                    .push(json!({"step": step.index, "name": step.name, "skipped": true}));
            }
            continue;
        }
        if let Some(hook) = &a.options.step_hook {
            group.iter().for_each(|st| hook(a.scenario, st));
        }
        if group.len() > 1 {
            let mut names = Names {
                bindings: &fx.bindings,
                triggers: &fx.triggers,
                normaliser: &mut fx.normaliser,
            };
            let all = super::group::play_group(group, a.target, a.account, &mut names).await;
            for (step, observed) in group.iter().zip(all) {
                fold_step(fx, ledger, step, observed);
            }
            continue;
        }
        let observed = match &step.action {
            Action::Call { .. } | Action::Raw { .. } => {
                let names = Names {
                    bindings: &fx.bindings,
                    triggers: &fx.triggers,
                    normaliser: &mut fx.normaliser,
                };
                play_call(step, a.target, a.account, names).await
            }
            Action::Wait(d) => super::control::play_wait(step, *d).await,
            _ => play_control(step, a.target, saved).await,
        };
        fold_step(fx, ledger, step, observed);
    }
    *playing.lock().unwrap_or_else(|p| p.into_inner()) = None;
}

/// Folds what `step` observed into the scenario: its runs, captures,
/// failures and result.
fn fold_step(fx: &mut Fixtures, ledger: &mut Ledger, step: &Step, observed: Observed) {
    let calls = observed.sent;
    // `{{runs}}` for later steps: every run answered or captured so far.
    let captured = observed.captures.iter().filter_map(|(_, v)| v.as_str());
    let seen: Vec<String> = observed
        .started
        .iter()
        .map(String::as_str)
        .chain(captured)
        .map(str::to_owned)
        .collect();
    fx.seen_runs(seen);
    let bindings = &mut fx.bindings;
    let status = ledger.fold(step.index, observed, |k, v| {
        bindings.values.insert(k, v);
    });
    ledger.steps.push(StepResult {
        index: step.index,
        name: step.name.clone(),
        status,
        skipped: None,
        calls,
    });
}

/// How the reason of a step not played because of its `when:` begins: the
/// endpoint chose another outcome the contract allows (not a gap in the run).
pub const NOT_APPLICABLE: &str = "not applicable";

/// Why a step was skipped after Ctrl-C.
pub const INTERRUPTED: &str = "interrupted (Ctrl-C): not played";

/// The result of a scenario whose task died outside [`play`]'s own guard.
pub(super) fn lost(s: &Scenario, why: &str) -> ScenarioResult {
    ScenarioResult {
        status: Status::Failed,
        failures: vec![Failure::new(
            None,
            FailureKind::Panic,
            format!("the scenario's task failed: {why}"),
        )],
        ..ScenarioResult::of(s)
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}
