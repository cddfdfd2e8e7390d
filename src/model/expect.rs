//! What the contract admits for one call in one world, and whether an
//! observed answer is one of those.

use std::fmt;

use serde::Serialize;

use super::call::Observed;
use super::state::ModelState;
use crate::appflow::{ErrorKind, ExecutionStatus, FlowStatus, TriggerType};

/// The executionId a StartFlow answer must carry (O3, T1, T9).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum Exec {
    /// Absent or null (scheduled and event flows, O3).
    Absent,
    /// Present, and never answered before (a new run).
    New,
    /// The executionId of an earlier run (a replay); empty: the run whose
    /// StartFlow answer was lost, so any id not answered before.
    Same(String),
}

/// The body of a 200 the contract admits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum OkBody {
    /// StartFlow.
    /// StartFlow: `flowStatus` and the executionId.
    Start {
        /// `flowStatus`.
        flow_status: FlowStatus,
        /// The executionId.
        exec: Exec,
    },
    /// CreateFlow, UpdateFlow, StopFlow: the flow's status.
    Status(FlowStatus),
    /// A 200 whose `flowStatus` the contract does not decide (the world adopts it).
    AnyStatus,
    /// DescribeFlow.
    Describe {
        /// `flowStatus`.
        flow_status: FlowStatus,
        /// The trigger type.
        trigger: TriggerType,
    },
    /// DeleteFlow.
    Deleted,
    /// ListFlows: these flows listed once each (with trigger and status),
    /// those not at all; other flows of the account are not judged.
    List {
        /// Flows listed once each, with trigger type and status.
        present: Vec<(String, TriggerType, FlowStatus)>,
        /// Flows not listed at all.
        absent: Vec<String>,
    },
    /// Records: exactly these runs (as a set), each with a status of its list.
    Records {
        /// Runs as a set, each with the statuses a read may show.
        runs: Vec<(String, Vec<ExecutionStatus>)>,
    },
    /// CancelFlowExecutions: exactly these `invalidExecutions` (as a set).
    Cancel {
        /// The execution ids, as a set.
        invalid: Vec<String>,
    },
}

/// An answer the contract admits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum Admission {
    /// The contract does not decide this answer.
    Any,
    /// Some 4xx error; the contract does not say which.
    AnyError,
    /// This error, with its status (W2).
    Error(#[serde(serialize_with = "error_name")] ErrorKind),
    /// 413, whatever the error type (W6: a body larger than the endpoint accepts).
    TooLarge,
    /// 200 with this body.
    Ok(OkBody),
}

fn error_name<S: serde::Serializer>(k: &ErrorKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(k.name())
}

/// How an answer compares with one admitted answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// It is the admitted answer.
    Yes,
    /// A read that lacks a run the model knows: admitted for a bounded time (L2).
    Lagging,
    /// It is not.
    No,
}

impl Admission {
    /// Whether `o` is this answer, in a world whose state (before the call) is `s`.
    pub fn fit(&self, o: &Observed, s: &ModelState) -> Fit {
        let yes = |b: bool| if b { Fit::Yes } else { Fit::No };
        match self {
            Self::Any => Fit::Yes,
            Self::AnyError => yes((400..500).contains(&o.status) && o.status != 429),
            Self::Error(k) => yes(o.status == k.status() && o.error.as_deref() == Some(k.name())),
            Self::TooLarge => yes(o.status == 413),
            Self::Ok(_) if o.status != 200 || o.paging.is_some() => Fit::No,
            Self::Ok(body) => body.fit(o, s),
        }
    }
}

impl OkBody {
    fn fit(&self, o: &Observed, s: &ModelState) -> Fit {
        let yes = |b: bool| if b { Fit::Yes } else { Fit::No };
        let status_is = |f: FlowStatus| o.flow_status.as_deref() == Some(f.as_str());
        let fresh = || {
            o.execution_id.as_ref().is_some_and(|id| {
                !id.is_empty()
                    && id.len() <= 256
                    && !id.chars().any(char::is_whitespace)
                    && !s.execution_ids.contains(id)
            })
        };
        match self {
            Self::Start { flow_status, exec } => yes(status_is(*flow_status)
                && match exec {
                    Exec::Absent => o.execution_id.is_none(),
                    Exec::New => fresh(),
                    Exec::Same(id) if id.is_empty() => fresh(),
                    Exec::Same(id) => o.execution_id.as_ref() == Some(id),
                }),
            Self::Status(f) => yes(status_is(*f)),
            Self::AnyStatus => yes(o.flow_status.is_some()),
            Self::Describe {
                flow_status,
                trigger,
            } => yes(status_is(*flow_status) && o.trigger.as_deref() == Some(trigger.as_str())),
            Self::Deleted => Fit::Yes,
            Self::List { present, absent } => {
                let listed = o.flows.as_deref().unwrap_or_default();
                let count = |n: &str| listed.iter().filter(|f| f.name == n).count();
                let ok_present = present.iter().all(|(n, t, st)| {
                    count(n) == 1
                        && listed.iter().any(|f| {
                            f.name == *n
                                && f.trigger.as_deref() == Some(t.as_str())
                                && f.status.as_deref() == Some(st.as_str())
                        })
                });
                yes(ok_present && absent.iter().all(|n| count(n) == 0))
            }
            // A run whose StartFlow answer was lost (empty id) may be
            // listed under any id not known, or not at all (it may not exist).
            Self::Records { runs } => {
                let listed = o.runs.as_deref().unwrap_or_default();
                let unknown = runs.iter().filter(|(id, _)| id.is_empty()).count();
                let mut lagging = false;
                for (id, statuses) in runs.iter().filter(|(id, _)| !id.is_empty()) {
                    let found: Vec<_> = listed.iter().filter(|r| r.id == *id).collect();
                    match found.as_slice() {
                        [] => lagging = true,
                        [r] if statuses
                            .iter()
                            .any(|st| r.status.as_deref() == Some(st.as_str())) => {}
                        _ => return Fit::No,
                    }
                }
                let extra: Vec<_> = listed
                    .iter()
                    .filter(|r| !runs.iter().any(|(id, _)| *id == r.id))
                    .collect();
                let running = [ExecutionStatus::InProgress, ExecutionStatus::Successful];
                let extra = extra.len() > unknown
                    || !extra.iter().all(|r| {
                        running
                            .iter()
                            .any(|st| r.status.as_deref() == Some(st.as_str()))
                    });
                match (extra, lagging) {
                    (true, _) => Fit::No,
                    (false, true) => Fit::Lagging,
                    (false, false) => Fit::Yes,
                }
            }
            Self::Cancel { invalid } => {
                let got = o.invalid.as_deref().unwrap_or_default();
                let mut a: Vec<&String> = got.iter().collect();
                let mut b: Vec<&String> = invalid.iter().collect();
                a.sort();
                b.sort();
                yes(a == b)
            }
        }
    }
}

impl fmt::Display for Admission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("any answer (undecided)"),
            Self::AnyError => f.write_str("a 4xx error (which one is undecided)"),
            Self::Error(k) => write!(f, "{} {}", k.status(), k.name()),
            Self::TooLarge => f.write_str("413 (body too large)"),
            Self::Ok(body) => match body {
                OkBody::Start { flow_status, exec } => {
                    let e = match exec {
                        Exec::Absent => "no executionId".to_owned(),
                        Exec::New => "a new executionId".to_owned(),
                        Exec::Same(id) if id.is_empty() => {
                            "the executionId of the run whose answer was lost".to_owned()
                        }
                        Exec::Same(id) => format!("executionId {id}"),
                    };
                    write!(f, "200 flowStatus {flow_status}, {e}")
                }
                OkBody::Status(s) => write!(f, "200 flowStatus {s}"),
                OkBody::AnyStatus => f.write_str("200 with a flowStatus"),
                OkBody::Describe {
                    flow_status,
                    trigger,
                } => write!(f, "200 flowStatus {flow_status}, triggerType {trigger}"),
                OkBody::Deleted => f.write_str("200"),
                OkBody::List { present, absent } => {
                    let p: Vec<String> = present
                        .iter()
                        .map(|(n, t, s)| format!("{n} ({t}, {s})"))
                        .collect();
                    write!(f, "200 listing [{}]", p.join(", "))?;
                    if !absent.is_empty() {
                        write!(f, " and not [{}]", absent.join(", "))?;
                    }
                    Ok(())
                }
                OkBody::Records { runs } => {
                    let r: Vec<String> = runs
                        .iter()
                        .map(|(id, st)| {
                            let st: Vec<&str> = st.iter().map(|s| s.as_str()).collect();
                            let id = if id.is_empty() {
                                "(a lost answer's run, if any)"
                            } else {
                                id
                            };
                            format!("{id} ({})", st.join("|"))
                        })
                        .collect();
                    write!(f, "200 with exactly the runs [{}]", r.join(", "))
                }
                OkBody::Cancel { invalid } => {
                    write!(f, "200 invalidExecutions [{}]", invalid.join(", "))
                }
            },
        }
    }
}
