//! After the attack: every fresh token accounted for, one by one, against
//! the runs the target lists (DescribeFlowExecutionRecords, every page,
//! read until two reads agree). Nothing can cancel out: a lost run and a
//! duplicated one are each counted.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::ledger::{Final, Id};
use super::state::LoadState;
use crate::client::{Endpoint, Outcome};

/// How the fresh tokens ended, by class.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenClasses {
    /// Answered a run, found exactly once, at the first try.
    pub exactly_once: u64,
    /// An answer was lost or never came, the retry answered, and exactly one
    /// run exists.
    pub recovered: u64,
    /// Answered a run that the target does not list.
    pub lost: u64,
    /// Runs beyond one per token: listed runs no answer names, more than
    /// the unanswered tokens of their flow can explain.
    pub duplicated: u64,
    /// No definite answer even after the retries: zero or one run allowed.
    pub unanswered: u64,
    /// Refused with a 4xx (not 429): no run expected.
    pub refused: u64,
}

/// One anomaly, with what is needed to find it on the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Witness {
    pub class: String,
    pub flow: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Milliseconds after the attack began.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_ms: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u8>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// How runs were counted: `records` (DescribeFlowExecutionRecords).
    pub counted_by: String,
    pub fresh_tokens: u64,
    pub classes: TokenClasses,
    pub runs_found: u64,
    /// Requests sent with fresh tokens, and how many were retries.
    pub attempts: u64,
    pub retries: u64,
    pub wrong_replays: u64,
    pub wrong_conflicts: u64,
    pub witnesses: Vec<Witness>,
    pub examples: Vec<String>,
    /// Why counting failed, if it did (the verdict is then not clean).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A request that could not be signed (the run proves nothing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_failed: Option<String>,
}

impl Verdict {
    /// Correctness: nothing lost, duplicated or answered wrongly, and
    /// every count could be made.
    pub fn clean(&self) -> bool {
        self.error.is_none()
            && self.signing_failed.is_none()
            && self.classes.lost == 0
            && self.classes.duplicated == 0
            && self.wrong_replays == 0
            && self.wrong_conflicts == 0
    }

    /// Fresh starts whose run was found: the evidence.
    pub fn verified(&self) -> u64 {
        self.classes.exactly_once + self.classes.recovered
    }
}

const WITNESSES: usize = 20;

/// Accounts for every fresh token of `state`; waits at most `settle` for
/// the target's lists to stop changing.
pub async fn judge(endpoint: &Endpoint, state: &LoadState, settle: Duration) -> Verdict {
    let mut v = Verdict {
        counted_by: "records".into(),
        wrong_replays: state.wrong_replays.load(Ordering::Relaxed),
        wrong_conflicts: state.wrong_conflicts.load(Ordering::Relaxed),
        examples: state.examples(),
        signing_failed: state
            .signing_failed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone(),
        ..Verdict::default()
    };
    let tokens = state.ledger.all();
    let mut runs: Vec<HashSet<Id>> = Vec::with_capacity(state.flows.len());
    for flow in &state.flows {
        match stable_runs(endpoint, flow, settle).await {
            Ok(r) => runs.push(r),
            Err(e) => {
                v.error = Some(e);
                return v;
            }
        }
    }
    v.runs_found = runs.iter().map(|r| r.len() as u64).sum();
    let mut answered: Vec<HashSet<&Id>> = vec![HashSet::new(); state.flows.len()];
    let mut unanswered: Vec<u64> = vec![0; state.flows.len()];
    let witness = |w: Witness, v: &mut Verdict| {
        if v.witnesses.len() < WITNESSES {
            v.witnesses.push(w);
        }
    };
    for (n, r) in &tokens {
        let f = usize::from(r.flow).min(state.flows.len().saturating_sub(1));
        let flow = &state.flows[f];
        v.fresh_tokens += 1;
        v.attempts += u64::from(r.attempts);
        v.retries += u64::from(r.attempts.saturating_sub(1));
        match &r.last {
            Final::Started(id) => {
                answered[f].insert(id);
                if runs[f].contains(id) {
                    if r.interrupted {
                        v.classes.recovered += 1;
                    } else {
                        v.classes.exactly_once += 1;
                    }
                } else {
                    v.classes.lost += 1;
                    witness(
                        Witness {
                            class: "lost".into(),
                            flow: flow.clone(),
                            token: Some(format!("ld-{}-{n}", state.run_id)),
                            execution_id: Some(id.to_string()),
                            request_id: r.request_id.as_ref().map(ToString::to_string),
                            at_ms: Some(r.at_ms),
                            attempts: Some(r.attempts),
                        },
                        &mut v,
                    );
                }
            }
            Final::Indeterminate => {
                v.classes.unanswered += 1;
                unanswered[f] += 1;
            }
            Final::Refused(_) => v.classes.refused += 1,
        }
    }
    for (f, found) in runs.iter().enumerate() {
        let extra: Vec<&Id> = found
            .iter()
            .filter(|id| !answered[f].contains(id))
            .collect();
        let duplicated = (extra.len() as u64).saturating_sub(unanswered[f]);
        v.classes.duplicated += duplicated;
        for id in extra.iter().take(duplicated as usize) {
            witness(
                Witness {
                    class: "duplicated".into(),
                    flow: state.flows[f].clone(),
                    token: None,
                    execution_id: Some(id.to_string()),
                    request_id: None,
                    at_ms: None,
                    attempts: None,
                },
                &mut v,
            );
        }
    }
    v
}

/// The runs of `flow`, read until two reads agree (real services list runs
/// late), within `settle`.
async fn stable_runs(
    endpoint: &Endpoint,
    flow: &str,
    settle: Duration,
) -> Result<HashSet<Id>, String> {
    let deadline = Instant::now() + settle;
    let mut last = list_runs(endpoint, flow).await?;
    loop {
        if Instant::now() >= deadline {
            return Ok(last);
        }
        tokio::time::sleep(Duration::from_millis(200).min(settle)).await;
        let again = list_runs(endpoint, flow).await?;
        if again == last {
            return Ok(again);
        }
        last = again;
    }
}

/// Every run of `flow`, through all the pages of DescribeFlowExecutionRecords.
async fn list_runs(endpoint: &Endpoint, flow: &str) -> Result<HashSet<Id>, String> {
    let mut ids = HashSet::new();
    let mut token: Option<String> = None;
    for _ in 0..1_000_000 {
        let mut body = json!({"flowName": flow, "maxResults": 100});
        if let Some(t) = &token {
            body["nextToken"] = json!(t);
        }
        let call = endpoint
            .call(
                crate::appflow::Operation::DescribeFlowExecutionRecords,
                Bytes::from(body.to_string()),
            )
            .await
            .map_err(|e| e.to_string())?;
        let reply = match call.outcome {
            Outcome::Reply(r) if r.status == 200 => r,
            Outcome::Reply(r) => {
                return Err(format!(
                    "DescribeFlowExecutionRecords {flow}: {} {}",
                    r.status,
                    r.body_text()
                ));
            }
            Outcome::Transport { message, .. } => {
                return Err(format!("DescribeFlowExecutionRecords {flow}: {message}"));
            }
        };
        let text = reply.body_text();
        let Some(page) = reply
            .json
            .filter(|j| j.get("flowExecutions").is_some_and(Value::is_array))
        else {
            return Err(format!(
                "DescribeFlowExecutionRecords {flow}: the answer lists no flowExecutions: {text}"
            ));
        };
        for e in page["flowExecutions"].as_array().into_iter().flatten() {
            if let Some(id) = e.get("executionId").and_then(Value::as_str) {
                ids.insert(Id::new(id));
            }
        }
        match page.get("nextToken").and_then(Value::as_str) {
            Some(t) => token = Some(t.to_owned()),
            None => return Ok(ids),
        }
    }
    Err(format!(
        "DescribeFlowExecutionRecords {flow}: too many pages"
    ))
}

/// Sums verdicts of several workers (each counted its own flows and tokens).
pub fn merge(verdicts: &[Verdict]) -> Verdict {
    let mut m = Verdict {
        counted_by: "records".into(),
        ..Verdict::default()
    };
    for v in verdicts {
        m.fresh_tokens += v.fresh_tokens;
        m.runs_found += v.runs_found;
        m.attempts += v.attempts;
        m.retries += v.retries;
        m.wrong_replays += v.wrong_replays;
        m.wrong_conflicts += v.wrong_conflicts;
        let (a, b) = (&mut m.classes, &v.classes);
        a.exactly_once += b.exactly_once;
        a.recovered += b.recovered;
        a.lost += b.lost;
        a.duplicated += b.duplicated;
        a.unanswered += b.unanswered;
        a.refused += b.refused;
        m.witnesses.extend(
            v.witnesses
                .iter()
                .take(WITNESSES.saturating_sub(m.witnesses.len()))
                .cloned(),
        );
        m.examples.extend(v.examples.iter().cloned());
        if m.error.is_none() {
            m.error.clone_from(&v.error);
        }
        if m.signing_failed.is_none() {
            m.signing_failed.clone_from(&v.signing_failed);
        }
    }
    m
}

/// Statuses by count, for the availability section.
pub type Statuses = BTreeMap<u16, u64>;
