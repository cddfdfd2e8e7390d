//! A scenario file step's `expect:` from the answers the model admitted:
//! statuses (a list where profiles or timing differ), the error type when
//! only one is admitted, and the body members every admitted 200 shares.
//! Built as the format's own structs ([`crate::scenario::file`]), which
//! `scenario::write` serializes.

use serde_json::{Value, json};

use super::generate::Move;
use super::play::AdmittedView;
use crate::model::{Admission, Exec, Observed, OkBody};
use crate::scenario::file::{ExpectFile, StatusFile, StepFile};

/// The `expect:` of a step, from every answer the model admitted.
pub(super) fn expectation(
    views: &[AdmittedView],
    failed: bool,
    observed: Option<&Observed>,
    step: &Move,
    runs: &[String],
) -> ExpectFile {
    let mut admitted: Vec<&Admission> = views.iter().map(|a| &a.admitted.expect).collect();
    // The failing step expects what the contract admits with the status the
    // target gave, when it admits that status at all: the body is the fault.
    if failed && let Some(actual) = observed {
        let same: Vec<&Admission> = admitted
            .iter()
            .copied()
            .filter(|e| match e {
                Admission::Ok(_) => actual.status == 200,
                Admission::Error(k) => k.status() == actual.status,
                _ => false,
            })
            .collect();
        if !same.is_empty() {
            admitted = same;
        }
    }
    of_expects(&admitted, step, runs)
}

/// The `expect:` every one of `admitted` meets: statuses, the error type
/// when only one is admitted, the body members every admitted 200 shares
/// (a new run: none of `{{runs}}`). Empty when an answer is undecided.
pub(super) fn of_expects(admitted: &[&Admission], step: &Move, runs: &[String]) -> ExpectFile {
    if admitted.is_empty() || admitted.iter().any(|e| **e == Admission::Any) {
        return ExpectFile::default();
    }
    let mut statuses: Vec<u16> = Vec::new();
    for e in admitted {
        let s: &[u16] = match e {
            Admission::Error(k) => &[k.status()],
            Admission::Ok(_) => &[200],
            Admission::TooLarge => &[413],
            _ => &[400, 401, 402, 403, 404, 409],
        };
        for x in s {
            if !statuses.contains(x) {
                statuses.push(*x);
            }
        }
    }
    statuses.sort_unstable();
    let mut out = ExpectFile {
        status: Some(StatusFile(statuses)),
        ..ExpectFile::default()
    };
    if let [Admission::Error(k), rest @ ..] = admitted
        && rest.iter().all(|e| **e == Admission::Error(*k))
    {
        out.error = Some(k.name().to_owned());
    }
    let oks: Vec<&OkBody> = admitted
        .iter()
        .filter_map(|e| match e {
            Admission::Ok(b) => Some(b),
            _ => None,
        })
        .collect();
    if oks.len() == admitted.len() {
        out.body = ok_body(&oks, runs);
    }
    if matches!(step, Move::Records { .. } | Move::Settle { .. }) && out.body.is_some() {
        out.eventually = Some(crate::scenario::format_duration(crate::model::L2_LAG));
    }
    out
}

/// `{{runs}}`: every run the replayed scenario has seen before the step.
fn runs_template() -> String {
    format!("{{{{{}}}}}", crate::scenario::template::RUNS)
}

/// A new run's `executionId` expectation: present, and none of the runs
/// the scenario has seen (`none-of: "{{runs}}"`, T1, T3). The one way a
/// saved file says it: explore's files and `record`'s.
pub(crate) fn new_run() -> Value {
    json!({ "present": true, "none-of": runs_template() })
}

/// A new run to a scenario file: a new executionId, or the run of a lost
/// answer (which the file has not seen either).
pub(super) fn is_new(exec: &Exec) -> bool {
    matches!(exec, Exec::New) || matches!(exec, Exec::Same(id) if id.is_empty())
}

fn one_of(values: Vec<String>) -> Value {
    let mut v = values;
    v.sort();
    v.dedup();
    if v.len() == 1 {
        json!(v[0])
    } else {
        json!({ "one-of": v })
    }
}

/// The body expectation all admitted 200s share, if any can be written.
// Long on purpose: one match over the model's expected bodies, operation by operation.
fn ok_body(oks: &[&OkBody], runs: &[String]) -> Option<Value> {
    // A run no step captured is kept in `runs` (its place counts) marked
    // by UNCAPTURED, so that it is never named.
    let capture = |id: &str| {
        runs.iter()
            .position(|r| r == id)
            .map(|i| format!("{{{{r{i}}}}}"))
    };
    match oks[0] {
        OkBody::Start { .. } => {
            let mut statuses = Vec::new();
            let mut execs = Vec::new();
            for b in oks {
                if let OkBody::Start { flow_status, exec } = b {
                    statuses.push(flow_status.to_string());
                    execs.push(if is_new(exec) {
                        Exec::New
                    } else {
                        exec.clone()
                    });
                }
            }
            let mut body = json!({ "flowStatus": one_of(statuses) });
            let exec = if execs.iter().all(|e| *e == Exec::Absent) {
                Some(json!({ "absent": true }))
            } else if execs.iter().all(|e| *e == Exec::New) {
                // A new run: none the scenario has seen, whichever step
                // (a copy of a burst, a raw step) answered it (T1, T3).
                Some(new_run())
            } else if let Exec::Same(id) = &execs[0]
                && execs.iter().all(|e| *e == execs[0])
            {
                capture(id).map(Value::String)
            } else {
                None
            };
            if let Some(e) = exec {
                body["executionId"] = e;
            }
            Some(body)
        }
        OkBody::Status(_) => {
            let s: Vec<String> = oks
                .iter()
                .filter_map(|b| match b {
                    OkBody::Status(s) => Some(s.to_string()),
                    _ => None,
                })
                .collect();
            (s.len() == oks.len()).then(|| json!({ "flowStatus": one_of(s) }))
        }
        OkBody::Describe { trigger, .. } => {
            let s: Vec<String> = oks
                .iter()
                .filter_map(|b| match b {
                    OkBody::Describe { flow_status, .. } => Some(flow_status.to_string()),
                    _ => None,
                })
                .collect();
            Some(json!({ "flowStatus": one_of(s), "triggerConfig": { "triggerType": trigger } }))
        }
        OkBody::Records { runs: want } => {
            let ids: Vec<&String> = want.iter().map(|(id, _)| id).collect();
            let same_runs = oks.iter().all(|b| {
                matches!(b, OkBody::Records { runs } if runs.iter().map(|(id, _)| id).collect::<Vec<_>>() == ids)
            });
            if !same_runs {
                return None;
            }
            let mut items = Vec::new();
            for (id, _) in want {
                let mut st: Vec<String> = Vec::new();
                for b in oks {
                    if let OkBody::Records { runs } = b {
                        for (rid, s) in runs {
                            if rid == id {
                                st.extend(s.iter().map(ToString::to_string));
                            }
                        }
                    }
                }
                st.sort();
                st.dedup();
                // A run no step captured (a copy of a burst, a raw step) is
                // still counted by `length`, though not named.
                if let Some(c) = capture(id) {
                    items.push(json!({ "executionId": c, "executionStatus": { "one-of": st } }));
                }
            }
            let mut list = json!({ "length": want.len() });
            if !items.is_empty() {
                list["contains"] = Value::Array(items);
            }
            Some(json!({ "flowExecutions": list }))
        }
        OkBody::Cancel { invalid } => {
            if invalid.is_empty() || !oks.iter().all(|b| *b == oks[0]) {
                return None;
            }
            let ids: Vec<Value> = invalid
                .iter()
                .map(|id| capture(id).map_or_else(|| json!("ah-norun-scenario"), Value::String))
                .collect();
            Some(json!({ "invalidExecutions": ids }))
        }
        // ListFlows is account-wide: the file does not judge its contents.
        OkBody::List { .. } | OkBody::AnyStatus | OkBody::Deleted => None,
    }
}

/// What every step of the file carries besides its action.
pub(super) struct StepLines {
    /// Its `name:`.
    pub name: String,
    /// It follows a clock move (`needs-control: true`).
    pub after_clock: bool,
}

impl StepLines {
    /// `step` with its `name:` and, after a clock move, `needs-control:`.
    pub(super) fn apply(&self, step: &mut StepFile) {
        step.name = Some(self.name.clone());
        step.needs_control = self.after_clock;
    }
}

/// What a saved file's failing step's `name:` ends with (`step 4 (the
/// failing step)`): how a replay finds the step the finding failed at.
pub const FAILING_STEP: &str = " (the failing step)";

/// A step's `name:` in the file.
pub(super) fn step_name(p: &super::play::Played) -> String {
    format!(
        "step {}{}",
        p.index,
        if p.failed { FAILING_STEP } else { "" }
    )
}
