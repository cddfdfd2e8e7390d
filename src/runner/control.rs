//! Test-control steps (`advance-clock`, `fault`, `configure`) and undoing
//! what they changed once the scenario ends.

use bytes::Bytes;
use serde_json::{Value, json};

use super::FailureKind;
use super::scenario_run::Run;
use crate::client::Outcome;
use crate::scenario::{Action, Step};

impl Run<'_> {
    pub(super) async fn play_control(&mut self, step: &Step) {
        if self.saved_config.is_none() {
            self.saved_config = self.target.endpoint.get_json("/_harness/config").await;
        }
        let (path, body, shown) = match &step.action {
            Action::AdvanceClock(d) => (
                "/_harness/clock",
                json!({"seconds": d.as_secs_f64()}),
                json!({"advance-clock-seconds": d.as_secs_f64()}),
            ),
            Action::Fault(f) => ("/_harness/faults", f.clone(), json!({"fault": f})),
            Action::Configure(c) => ("/_harness/config", c.clone(), json!({"configure": c})),
            _ => return,
        };
        let call = self
            .target
            .endpoint
            .call_path(path, Bytes::from(body.to_string()))
            .await;
        let at = Some(step.index);
        match call.map(|c| c.outcome) {
            Ok(Outcome::Reply(r)) if r.status == 200 => {}
            Ok(Outcome::Reply(r)) => self.fail(
                at,
                FailureKind::Control,
                format!("{path} answered {}: {}", r.status, r.body_text()),
            ),
            Ok(Outcome::Transport { message, .. }) => self.fail(
                at,
                FailureKind::Control,
                format!("{path}: no answer: {message}"),
            ),
            Err(e) => self.fail(at, FailureKind::Control, e.to_string()),
        }
        self.transcript
            .push(json!({"step": step.index, "name": step.name, "control": shown}));
    }

    /// Clears injected faults, before the clean-up calls meet them.
    pub(super) async fn undo_control(&mut self) {
        if self.saved_config.is_some() {
            let _ = self.target.endpoint.delete("/_harness/faults").await;
        }
    }

    /// Puts back the configuration that control steps changed.
    pub(super) async fn restore_config(&mut self) {
        if let Some(saved) = self.saved_config.take() {
            let restore = restore_patch(&saved);
            let _ = self
                .target
                .endpoint
                .call_path("/_harness/config", Bytes::from(restore.to_string()))
                .await;
        }
    }
}

/// The `/_harness/config` patch that puts back a saved configuration.
fn restore_patch(saved: &Value) -> Value {
    let mut patch = serde_json::Map::new();
    if let Some(p) = saved.get("profile").and_then(Value::as_object) {
        for (k, v) in p {
            patch.insert(k.clone(), v.clone());
        }
    }
    for k in [
        "maxFlows",
        "maxConcurrentRuns",
        "maxRunsPerMonth",
        "runTimeMs",
        "cancelTimeMs",
        "tokenTtlMs",
    ] {
        if let Some(v) = saved.get(k) {
            patch.insert(k.into(), v.clone());
        }
    }
    Value::Object(patch)
}
