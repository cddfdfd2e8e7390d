//! Test-control steps (`advance-clock`, `fault`, `configure`), `wait:`
//! steps, and undoing what the control steps changed once the scenario ends.

use bytes::Bytes;
use serde_json::{Value, json};

use super::ledger::Observed;
use super::{Failure, FailureKind};
use crate::client::CallOutcome;
use crate::endpoint::Target;
use crate::scenario::{Action, Step};

/// Plays a control step; `saved` keeps the target's configuration from
/// before the first one, for [`restore_config`].
pub(super) async fn play_control(
    step: &Step,
    target: &Target,
    saved: &mut Option<Value>,
) -> Observed {
    let mut o = Observed::default();
    if saved.is_none() {
        *saved = target.endpoint.get_json("/_harness/config").await;
    }
    let (path, body, shown) = match &step.action {
        Action::AdvanceClock(d) => (
            "/_harness/clock",
            json!({"seconds": d.as_secs_f64()}),
            json!({"advance-clock-seconds": d.as_secs_f64()}),
        ),
        Action::Fault(f) => ("/_harness/faults", f.clone(), json!({"fault": f})),
        Action::Configure(c) => ("/_harness/config", c.clone(), json!({"configure": c})),
        _ => return o,
    };
    let call = target
        .endpoint
        .call_path(path, Bytes::from(body.to_string()))
        .await;
    let failed = match call.map(|c| c.outcome) {
        Ok(CallOutcome::Reply(r)) if r.status == 200 => None,
        Ok(CallOutcome::Reply(r)) => {
            Some(format!("{path} answered {}: {}", r.status, r.body_text()))
        }
        Ok(CallOutcome::Transport { message, .. }) => Some(format!("{path}: no answer: {message}")),
        Err(e) => Some(e.to_string()),
    };
    o.failures
        .extend(failed.map(|m| Failure::new(Some(step.index), FailureKind::Control, m)));
    o.entry = json!({"step": step.index, "name": step.name, "control": shown});
    o
}

/// Plays a `wait:` step: real time passes (on any target; nothing is sent).
pub(super) async fn play_wait(step: &Step, d: std::time::Duration) -> Observed {
    tokio::time::sleep(d).await;
    Observed {
        entry: json!({"step": step.index, "name": step.name, "wait-seconds": d.as_secs_f64()}),
        ..Observed::default()
    }
}

/// Waits `poll` before an `eventually` expectation is tried again; where
/// the harness owns the emulator (the embedded target, `owned`: the first
/// failed try) a run's time is the harness's to make pass, so it ends the
/// runs of the flow the step names (`/_harness/finish-runs`, as if their
/// run time had passed) instead of waiting it out. A refusal is no
/// verdict: it waits `poll`, as on any target.
pub(super) async fn pass_time(
    target: &Target,
    request: Option<&Value>,
    owned: bool,
    poll: std::time::Duration,
) {
    let flow = request
        .and_then(|r| r.get("flowName"))
        .and_then(Value::as_str)
        .filter(|_| owned);
    let ended = match flow {
        Some(flow) => {
            let body = Bytes::from(json!({ "flowName": flow }).to_string());
            let call = target
                .endpoint
                .call_path("/_harness/finish-runs", body)
                .await;
            matches!(call.map(|c| c.outcome), Ok(CallOutcome::Reply(r)) if r.status == 200)
        }
        None => false,
    };
    if !ended {
        tokio::time::sleep(poll).await;
    }
}

/// Clears injected faults, before the clean-up calls meet them.
pub(super) async fn undo_control(target: &Target, saved: &Option<Value>) {
    if saved.is_some() {
        let _ = target.endpoint.delete("/_harness/faults").await;
    }
}

/// Puts back the configuration that control steps changed.
pub(super) async fn restore_config(target: &Target, saved: Option<Value>) {
    if let Some(saved) = saved {
        let restore = restore_patch(&saved);
        let _ = target
            .endpoint
            .call_path("/_harness/config", Bytes::from(restore.to_string()))
            .await;
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
