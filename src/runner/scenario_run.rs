//! One scenario against one target, as a pipeline: bind names, set up the
//! fixture flows, play the steps, clean up whatever happened (a panic
//! included), then compare the transcript with the snapshot.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use serde_json::{Value, json};

use super::{Failure, FailureKind, Options, ScenarioResult, Status, StepResult};
use crate::appflow::TriggerType;
use crate::endpoint::Target;
use crate::normalise::Normaliser;
use crate::scenario::template::Bindings;
use crate::scenario::{Action, Scenario};

/// The state of one scenario being played.
pub(super) struct Run<'a> {
    pub(super) scenario: &'a Scenario,
    pub(super) target: &'a Target,
    pub(super) bindings: Bindings,
    pub(super) normaliser: Normaliser,
    /// real flow name -> trigger
    pub(super) triggers: HashMap<String, TriggerType>,
    /// Flows created and not yet deleted.
    pub(super) created: Vec<String>,
    pub(super) failures: Vec<Failure>,
    pub(super) steps: Vec<StepResult>,
    pub(super) transcript: Vec<Value>,
    pub(super) latencies: Vec<Duration>,
    /// The target's configuration before a control step changed it.
    pub(super) saved_config: Option<Value>,
    /// The position of the step being played, once set-up is done.
    playing: Option<usize>,
    /// The account of the run's first ARN (O1), shared by all scenarios.
    pub(super) account: &'a Mutex<Option<String>>,
    /// Answers that came, polls included.
    pub(super) answers: usize,
    /// Wire rules broken: (at, rule, id) -> answers that broke it.
    pub(super) wire: BTreeMap<(String, String, &'static str), usize>,
    /// Notes, once per operation and member path.
    pub(super) notes: BTreeMap<String, String>,
    /// executionIds this scenario's StartFlow calls were answered.
    pub(super) started: HashSet<String>,
    /// Set when a step failed in a way that makes the rest meaningless.
    pub(super) stopped: Option<String>,
    /// The `x-amzn-RequestId`s of the answers (an AWS recording keeps them).
    pub(super) request_ids: Vec<String>,
    /// Throttled answers retried.
    pub(super) throttled: u32,
}

pub(super) async fn play(
    s: &Scenario,
    index: usize,
    target: &Target,
    options: &Options,
    account: &Mutex<Option<String>>,
) -> ScenarioResult {
    let started = Instant::now();
    let mut run = Run {
        scenario: s,
        target,
        bindings: Bindings::default(),
        normaliser: Normaliser::new(),
        triggers: HashMap::new(),
        created: Vec::new(),
        failures: Vec::new(),
        steps: Vec::new(),
        transcript: Vec::new(),
        latencies: Vec::new(),
        saved_config: None,
        playing: None,
        account,
        answers: 0,
        wire: BTreeMap::new(),
        notes: BTreeMap::new(),
        started: HashSet::new(),
        stopped: None,
        request_ids: Vec::new(),
        throttled: 0,
    };
    run.bind(index, &options.run_id);
    // A panic in the harness while playing fails this scenario with its
    // message; the clean-up below still runs.
    let interrupted = options.interrupt.load(std::sync::atomic::Ordering::Relaxed);
    let missing = s.needs.iter().find(|n| match n {
        crate::scenario::Need::EventSource => !target.abilities.event_source,
    });
    let unplayable = interrupted || missing.is_some();
    let played = AssertUnwindSafe(async {
        // After Ctrl-C no scenario begins: nothing is created, every step
        // is reported as not played.
        if !unplayable && run.setup().await {
            run.play_steps(options).await;
        }
    })
    .catch_unwind()
    .await;
    if unplayable {
        let why = if interrupted {
            INTERRUPTED.to_owned()
        } else {
            "the scenario needs an event source, which this target has not (configure event_connector_profile: see README, Running against real AWS)".to_owned()
        };
        for step in &s.steps {
            run.steps.push(StepResult::skipped(step, &why));
        }
    }
    if let Err(panic) = played {
        let step = run.playing.and_then(|i| s.steps.get(i));
        if let Some(step) = step {
            run.steps.push(StepResult {
                index: step.index,
                name: step.name.clone(),
                status: Status::Failed,
                skipped: None,
                calls: 0,
            });
        }
        run.fail(
            step.map(|st| st.index),
            FailureKind::Panic,
            format!("the harness panicked: {}", panic_message(&*panic)),
        );
    }
    run.cleanup().await;
    let wire = run.wire_failures();
    let mut transcript = json!({
        "scenario": s.name,
        "description": s.description,
        "steps": run.transcript,
    });
    clean_strings(&mut transcript, &options.redactor);
    let (reference, parity, snapshot_written) = match &options.snapshots {
        Some(snapshots) => {
            let (used, parity, written) = run.check_snapshot(snapshots, &transcript, options);
            (Some(used), parity, written)
        }
        None => (None, Vec::new(), None),
    };
    let ran_any = run.steps.iter().any(|st| st.status != Status::Skipped);
    let status = if !run.failures.is_empty() {
        Status::Failed
    } else if ran_any {
        Status::Passed
    } else {
        Status::Skipped
    };
    ScenarioResult {
        status,
        steps: run.steps,
        failures: run.failures,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        transcript,
        snapshot_written,
        reference,
        parity,
        answers: run.answers,
        throttled_retries: run.throttled,
        wire,
        notes: run.notes.into_values().collect(),
        latencies: run.latencies,
        ..ScenarioResult::of(s)
    }
}

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

/// Every string of a transcript as it may be written: no secret, no
/// control character.
fn clean_strings(v: &mut Value, redactor: &crate::redact::Redactor) {
    match v {
        Value::String(s) => {
            let clean = redactor.clean(s);
            if clean != *s {
                *s = clean;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| clean_strings(x, redactor)),
        Value::Object(m) => m.values_mut().for_each(|x| clean_strings(x, redactor)),
        _ => {}
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

impl Run<'_> {
    async fn play_steps(&mut self, options: &Options) {
        for (position, step) in self.scenario.steps.iter().enumerate() {
            self.playing = Some(position);
            let interrupted = options.interrupt.load(std::sync::atomic::Ordering::Relaxed);
            let skip_reason = if interrupted {
                Some(INTERRUPTED.to_owned())
            } else if let Some(why) = &self.stopped {
                Some(why.clone())
            } else if step.depends_on_control() && !self.target.abilities.control {
                Some(if step.action.needs_control() {
                    format!(
                        "the target has no test-control API (/_harness/), which `{}` needs",
                        step.name
                    )
                } else {
                    "the step depends on a test-control step, and the target has no test-control API".to_owned()
                })
            } else {
                None
            };
            if let Some(reason) = &skip_reason {
                self.steps.push(StepResult::skipped(step, reason));
                self.transcript
                    .push(json!({"step": step.index, "name": step.name, "skipped": true}));
                continue;
            }
            if let Some(hook) = &options.step_hook {
                hook(self.scenario, step);
            }
            let before = self.failures.len();
            let calls = match &step.action {
                Action::Call { .. } | Action::Raw { .. } => self.play_call(step).await,
                _ => {
                    self.play_control(step).await;
                    0
                }
            };
            let status = if self.failures.len() > before {
                Status::Failed
            } else {
                Status::Passed
            };
            self.steps.push(StepResult {
                index: step.index,
                name: step.name.clone(),
                status,
                skipped: None,
                calls,
            });
        }
        self.playing = None;
    }

    pub(super) fn fail(&mut self, step: Option<usize>, kind: FailureKind, message: String) {
        self.failures.push(Failure::new(step, kind, message));
    }
}
