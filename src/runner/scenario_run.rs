//! One scenario against one target, as a pipeline: bind names, set up the
//! fixture flows, play the steps, clean up whatever happened (a panic
//! included), then compare the transcript with the snapshot.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use serde_json::{Value, json};

use super::{Failure, FailureKind, Options, ScenarioResult, Status, StepResult};
use crate::appflow::TriggerType;
use crate::normalise::Normaliser;
use crate::scenario::template::Bindings;
use crate::scenario::{Action, Scenario};
use crate::target::Target;

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
}

pub(super) async fn play(
    s: &Scenario,
    index: usize,
    target: &Target,
    options: &Options,
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
    };
    run.bind(index, &options.run_id);
    // A panic in the harness while playing fails this scenario with its
    // message; the clean-up below still runs.
    let played = AssertUnwindSafe(async {
        if run.setup().await {
            run.play_steps(options).await;
        }
    })
    .catch_unwind()
    .await;
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
    let transcript = json!({
        "scenario": s.name,
        "description": s.description,
        "steps": run.transcript,
    });
    let snapshot_written = options
        .snapshots
        .as_ref()
        .and_then(|dir| run.check_snapshot(dir, &transcript, options));
    let ran_any = run.steps.iter().any(|st| st.status != Status::Skipped);
    let status = if !run.failures.is_empty() {
        Status::Failed
    } else if ran_any {
        Status::Passed
    } else {
        Status::Skipped
    };
    ScenarioResult {
        name: s.name.clone(),
        file: s.path.display().to_string(),
        description: s.description.clone(),
        contract: s.contract,
        status,
        steps: run.steps,
        failures: run.failures,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        transcript,
        snapshot_written,
        latencies: run.latencies,
    }
}

/// The result of a scenario whose task died outside [`play`]'s own guard.
pub(super) fn lost(s: &Scenario, why: &str) -> ScenarioResult {
    ScenarioResult {
        name: s.name.clone(),
        file: s.path.display().to_string(),
        description: s.description.clone(),
        contract: s.contract,
        status: Status::Failed,
        steps: Vec::new(),
        failures: vec![Failure::new(
            None,
            FailureKind::Panic,
            format!("the scenario's task failed: {why}"),
        )],
        duration_ms: 0.0,
        transcript: Value::Null,
        snapshot_written: None,
        latencies: Vec::new(),
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
        let mut skip_reason: Option<String> = None;
        for (position, step) in self.scenario.steps.iter().enumerate() {
            self.playing = Some(position);
            if skip_reason.is_none()
                && step.action.needs_control()
                && !self.target.abilities.control
            {
                skip_reason = Some(format!(
                    "the target has no test-control API (/_harness/), which `{}` needs",
                    step.name
                ));
            }
            if let Some(reason) = &skip_reason {
                self.steps.push(StepResult {
                    index: step.index,
                    name: step.name.clone(),
                    status: Status::Skipped,
                    skipped: Some(reason.clone()),
                    calls: 0,
                });
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
