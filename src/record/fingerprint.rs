//! The recording judged by the contract's model ([`crate::model::Worlds`],
//! as `explore` judges its sequences): which candidate of each [chosen]
//! rule the target showed, and the rule ids its answers touched. Only calls
//! about flows the application created are judged: the model knows nothing
//! of other flows.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Answered, Exchange};
use crate::appflow::{Operation, TriggerType};
use crate::model::{Dimension, Invocation, Judgement, ListedRun, Observed, ProfileSet, Worlds};

/// What the model made of a recording.
#[derive(Debug, Clone)]
pub struct ModelReading {
    /// The behaviour profiles still consistent with every judged answer.
    pub profiles: ProfileSet,
    /// The APPFLOW.md rule ids the judged answers were decided by.
    pub rules: Vec<&'static str>,
    /// The first call (1-based) no world of the model admits, with its
    /// operation: judging stopped there (a contract finding, or a call the
    /// model does not follow).
    pub refused: Option<(usize, Operation)>,
    /// Calls judged by the model.
    pub judged: usize,
    /// Per recorded call (same order), the rule ids that decided its
    /// answer; empty for a call the model did not judge. The scenario's
    /// step names carry them, so a failing replay names its rule.
    pub per_call: Vec<Vec<&'static str>>,
}

impl ModelReading {
    /// Where the model stopped following the traffic, said once for the
    /// file's header and the terminal: "The model admits no answer the
    /// target gave at call N (Operation): ...", or `None`.
    pub fn refused_line(&self) -> Option<String> {
        self.refused.map(|(n, op)| {
            format!(
                "The model admits no answer the target gave at call {n} ({}): the fingerprint stops there; replay the file to see which rule it breaks.",
                op.name()
            )
        })
    }

    /// One line per [chosen] rule: the candidate the traffic showed, or
    /// that it did not decide it.
    pub fn lines(&self) -> Vec<String> {
        Dimension::ALL
            .iter()
            .map(|d| match self.profiles.candidates(*d)[..] {
                [one] => format!("{}: {one} (shown by the recorded traffic)", d.rule()),
                [] => format!("{}: no candidate fits the recorded traffic", d.rule()),
                _ => format!(
                    "{}: not shown ({} both still possible)",
                    d.rule(),
                    d.candidates().join(" and ")
                ),
            })
            .collect()
    }
}

/// The names of the flows the application created (a CreateFlow of it
/// answered 200), in order. A name whose CreateFlow only failed (the flow
/// existed before, say) is not the application's: its calls are judged
/// without assumptions about it.
pub fn created(calls: &[Exchange]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let made = |c: &&Exchange| {
        c.operation == Operation::CreateFlow
            && matches!(&c.answer, Answered::Reply(r) if r.status == 200)
    };
    for c in calls.iter().filter(made) {
        if let Some(n) = c.request.get("flowName").and_then(Value::as_str)
            && !out.iter().any(|o| o == n)
        {
            out.push(n.to_owned());
        }
    }
    out
}

/// Judges every call about a created flow, in order, until one is refused.
pub fn of(calls: &[Exchange]) -> ModelReading {
    let created: BTreeSet<String> = created(calls).into_iter().collect();
    let mut worlds = Worlds::new();
    let mut rules: Vec<&'static str> = Vec::new();
    let mut judged = 0;
    let mut per_call = vec![Vec::new(); calls.len()];
    for (i, c) in calls.iter().enumerate() {
        let Some(call) = model_call(c, &created) else {
            continue;
        };
        let Answered::Reply(reply) = &c.answer else {
            // No answer: it happened or it did not, as the model allows.
            worlds.lost(&call);
            continue;
        };
        judged += 1;
        match worlds.judge(&call, &observed(c.operation, reply)) {
            Judgement::Admitted { rules: r } => {
                per_call[i].clone_from(&r);
                for id in r {
                    if !rules.contains(&id) {
                        rules.push(id);
                    }
                }
            }
            // A read that lacks a run is L2's room: the worlds stay.
            Judgement::Lagging => {}
            Judgement::Refused => {
                return ModelReading {
                    profiles: worlds.profiles(),
                    rules,
                    refused: Some((i + 1, c.operation)),
                    judged,
                    per_call,
                };
            }
        }
    }
    ModelReading {
        profiles: worlds.profiles(),
        rules,
        refused: None,
        judged,
        per_call,
    }
}

/// The flow a request names (`flowName`).
pub fn flow_of(request: &Value) -> Option<&str> {
    request.get("flowName").and_then(Value::as_str)
}

fn model_call(c: &Exchange, created: &BTreeSet<String>) -> Option<Invocation> {
    let r = &c.request;
    let name = flow_of(r)
        .filter(|n| created.contains(*n))
        .map(str::to_owned);
    let token = r
        .get("clientToken")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let page = r
        .get("maxResults")
        .and_then(Value::as_u64)
        .map_or(100, |n| u8::try_from(n).unwrap_or(u8::MAX));
    let trigger = || {
        r.pointer("/triggerConfig/triggerType")
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<TriggerType>().ok())
    };
    Some(match c.operation {
        Operation::CreateFlow => Invocation::CreateFlow {
            name: name?,
            trigger: trigger()?,
            token,
            variant: 0,
        },
        Operation::UpdateFlow => Invocation::UpdateFlow {
            name: name?,
            trigger: trigger()?,
            token,
            variant: 0,
        },
        Operation::StartFlow => Invocation::StartFlow { name: name?, token },
        Operation::StopFlow => Invocation::StopFlow { name: name? },
        Operation::DeleteFlow => Invocation::DeleteFlow {
            name: name?,
            force: r.get("forceDelete").and_then(Value::as_bool) == Some(true),
        },
        Operation::DescribeFlow => Invocation::DescribeFlow { name: name? },
        Operation::DescribeFlowExecutionRecords if r.get("nextToken").is_none() => {
            Invocation::Records { name: name?, page }
        }
        Operation::CancelFlowExecutions => {
            let ids = r.get("executionIds").and_then(Value::as_array)?;
            let [one] = ids.as_slice() else { return None };
            Invocation::Cancel {
                name: name?,
                execution_id: one.as_str()?.to_owned(),
            }
        }
        // Account-wide reads and later pages: the model judges whole reads only.
        Operation::ListFlows | Operation::DescribeFlowExecutionRecords => return None,
    })
}

fn observed(operation: Operation, reply: &crate::reply::Reply) -> Observed {
    let body = reply.json.as_ref();
    let text = |pointer: &str| {
        body.and_then(|b| b.pointer(pointer))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let mut o = Observed {
        status: reply.status,
        error: reply.error_type.clone().filter(|_| reply.status != 200),
        ..Observed::default()
    };
    if reply.status != 200 {
        return o;
    }
    o.flow_status = text("/flowStatus");
    o.execution_id = text("/executionId");
    match operation {
        Operation::DescribeFlow => o.trigger = text("/triggerConfig/triggerType"),
        Operation::DescribeFlowExecutionRecords => {
            let runs = body
                .and_then(|b| b.get("flowExecutions"))
                .and_then(Value::as_array)
                .map(|runs| {
                    runs.iter()
                        .filter_map(|run| {
                            Some(ListedRun {
                                id: run.get("executionId")?.as_str()?.to_owned(),
                                status: run
                                    .get("executionStatus")
                                    .and_then(Value::as_str)
                                    .map(str::to_owned),
                            })
                        })
                        .collect()
                });
            o.runs = Some(runs.unwrap_or_default());
        }
        Operation::CancelFlowExecutions => {
            o.invalid = Some(
                body.and_then(|b| b.get("invalidExecutions"))
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
            );
        }
        _ => {}
    }
    o
}
