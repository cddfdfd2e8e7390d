//! The steps that go through the test-control API (`/_harness/`): clock
//! moves, quota limits and dropped answers; the limits put back after a
//! sequence. These change the whole account: `explore` plays one sequence
//! at a time, and a sequence puts back the limits it lowered before the
//! next one starts (running two explorations, or `check`, against one
//! emulator at once would mix them up).

use bytes::Bytes;
use serde_json::{Value, json};

use super::generate::Move;
use super::observe::Unjudged;
use crate::appflow::Operation;
use crate::client::{CallOutcome, Endpoint};
use crate::model::Invocation;

/// Posts `body` to a control path; fails unless it answers 200.
async fn post(endpoint: &Endpoint, path: &str, body: &Value) -> Result<(), Unjudged> {
    let call = endpoint
        .call_path(path, Bytes::from(body.to_string()))
        .await;
    match call.map(|c| c.outcome) {
        Ok(CallOutcome::Reply(r)) if r.status == 200 => Ok(()),
        Ok(CallOutcome::Reply(r)) => Err(Unjudged(format!("{path} answered {}", r.status))),
        Ok(CallOutcome::Transport { message, .. }) => Err(Unjudged(format!("{path}: {message}"))),
        Err(e) => Err(Unjudged(format!("{path}: {e}"))),
    }
}

/// Moves the target's clock 8 hours (T4); the model's call.
pub async fn advance_clock(endpoint: &Endpoint) -> Result<Invocation, Unjudged> {
    let secs = crate::model::TOKEN_TTL_SECS;
    post(endpoint, "/_harness/clock", &json!({ "seconds": secs }))
        .await
        .map_err(|_| Unjudged("the clock did not move".into()))?;
    Ok(Invocation::AdvanceClock { secs })
}

/// A quota step (Q1-Q3): the account's flows and running runs are read
/// (`/_harness/counters`), and the limits set to leave the step's room
/// (`/_harness/config`, runs this month counted from 0). `saved` keeps the
/// configuration from before the sequence's first quota step, for
/// [`restore`]. Answers the model's call and the `configure:` a scenario
/// file writes, whose limits count only the file's own flows (`flows`
/// live now) and runs (`runs` at most so far).
pub async fn set_quotas(
    endpoint: &Endpoint,
    step: &Move,
    saved: &mut Option<Value>,
    flows: usize,
    runs: usize,
) -> Result<(Invocation, Value), Unjudged> {
    let Move::Quota {
        flows: f,
        runs: r,
        concurrent: c,
    } = *step
    else {
        return Err(Unjudged("not a quota step".into()));
    };
    let counters = endpoint.get_json("/_harness/counters").await;
    let count = |k: &str| counters.as_ref().and_then(|v| v[k].as_u64());
    let (Some(account_flows), Some(running)) = (count("flows"), count("runningRuns")) else {
        return Err(Unjudged(
            "the target's test-control API has no /_harness/counters".into(),
        ));
    };
    if saved.is_none() {
        *saved = endpoint.get_json("/_harness/config").await;
    }
    let patch = |flows: u64, running: u64| {
        json!({
            "maxFlows": flows + u64::from(f),
            "maxConcurrentRuns": running + u64::from(c),
            "maxRunsPerMonth": r,
            "runsThisMonth": 0,
        })
    };
    post(endpoint, "/_harness/config", &patch(account_flows, running)).await?;
    let call = Invocation::SetQuotas {
        flows: f,
        runs: r,
        concurrent: c,
    };
    Ok((call, patch(flows as u64, runs as u64)))
}

/// Asks the target to drop the answer of its next StartFlow, with the run
/// started first (`after`) or not; answers the fault as a file writes it.
pub async fn drop_next_start(endpoint: &Endpoint, after: bool) -> Result<Value, Unjudged> {
    let fault = json!({
        "kind": "drop",
        "when": if after { "after" } else { "before" },
        "count": 1,
        "operation": Operation::StartFlow.name(),
    });
    post(endpoint, "/_harness/faults", &fault).await?;
    Ok(fault)
}

/// Ends the runs of flow `name` at once (`/_harness/finish-runs`, as if
/// their run time had passed); a target that refuses is waited out instead.
pub async fn finish_runs(endpoint: &Endpoint, name: &str) -> bool {
    post(
        endpoint,
        "/_harness/finish-runs",
        &json!({ "flowName": name }),
    )
    .await
    .is_ok()
}

/// Puts back the limits a sequence's quota steps changed.
pub async fn restore(endpoint: &Endpoint, saved: Option<Value>) {
    let Some(saved) = saved else { return };
    let mut patch = serde_json::Map::new();
    for k in ["maxFlows", "maxConcurrentRuns", "maxRunsPerMonth"] {
        if let Some(v) = saved.get(k) {
            patch.insert(k.into(), v.clone());
        }
    }
    let _ = post(endpoint, "/_harness/config", &Value::Object(patch)).await;
}

/// The slot a step is about (0 for steps about none).
pub fn slot_of(step: &Move) -> u8 {
    match step {
        Move::Create { slot, .. }
        | Move::Update { slot, .. }
        | Move::Start { slot, .. }
        | Move::Stop { slot }
        | Move::Delete { slot, .. }
        | Move::Describe { slot }
        | Move::Settle { slot }
        | Move::Records { slot, .. }
        | Move::Cancel { slot, .. }
        | Move::Burst { slot, .. }
        | Move::Lost { slot, .. }
        | Move::Large { slot, .. }
        | Move::Race { slot, .. } => *slot,
        Move::List { .. } | Move::Clock | Move::Pause | Move::Quota { .. } => 0,
    }
}

/// The trigger type of the flow a step's CreateFlow makes, if it makes one.
pub fn created_trigger(step: &Move) -> Option<crate::appflow::TriggerType> {
    match step {
        Move::Create { trigger, .. }
        | Move::Race {
            with: super::generate::Write::Create { trigger },
            ..
        } => Some(*trigger),
        _ => None,
    }
}

/// The operation of a step's calls (`None` for a control step).
pub fn operation_of(step: &Move) -> Option<Operation> {
    Some(match step {
        Move::Create { .. }
        | Move::Race {
            with: super::generate::Write::Create { .. },
            ..
        } => Operation::CreateFlow,
        Move::Update { .. } => Operation::UpdateFlow,
        Move::Start { .. }
        | Move::Burst { .. }
        | Move::Lost { .. }
        | Move::Large { .. }
        | Move::Race { .. } => Operation::StartFlow,
        Move::Stop { .. } => Operation::StopFlow,
        Move::Delete { .. } => Operation::DeleteFlow,
        Move::Describe { .. } => Operation::DescribeFlow,
        Move::List { .. } => Operation::ListFlows,
        Move::Records { .. } | Move::Settle { .. } => Operation::DescribeFlowExecutionRecords,
        Move::Cancel { .. } => Operation::CancelFlowExecutions,
        Move::Clock | Move::Pause | Move::Quota { .. } => return None,
    })
}
