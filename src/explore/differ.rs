//! Which fields of an answer differ from an admitted one, in words: a
//! report names the field (`executionId`, `flowStatus`, a listed run), not
//! only the two answers side by side.

use std::collections::HashSet;

use crate::model::{Admission, Exec, Observed, OkBody};

/// The fields of `o` that differ from `a`, one line each (`flowStatus:
/// expected Active, got Suspended`); empty when `o` is `a` (or only lags,
/// L2). `earlier`: the executionIds the sequence was answered before this
/// step, so that a replayed run is named as one.
pub fn differences(a: &Admission, o: &Observed, earlier: &HashSet<&str>) -> Vec<String> {
    let mut out = Vec::new();
    let got_error = || {
        o.error
            .as_deref()
            .map_or_else(|| o.status.to_string(), |e| format!("{} {e}", o.status))
    };
    match a {
        Admission::Any => {}
        Admission::AnyError if !(400..500).contains(&o.status) || o.status == 429 => {
            out.push(format!("status: expected a 4xx error, got {}", got_error()));
        }
        Admission::AnyError => {}
        Admission::Error(k) => {
            if o.status != k.status() {
                out.push(format!("status: expected {}, got {}", k.status(), o.status));
            }
            if o.error.as_deref() != Some(k.name()) {
                out.push(format!(
                    "error type: expected {}, got {}",
                    k.name(),
                    o.error.as_deref().unwrap_or("none")
                ));
            }
        }
        Admission::TooLarge if o.status != 413 => {
            out.push(format!("status: expected 413, got {}", got_error()));
        }
        Admission::TooLarge => {}
        Admission::Ok(_) if o.status != 200 => {
            out.push(format!("status: expected 200, got {}", got_error()));
        }
        Admission::Ok(body) => {
            if let Some(p) = &o.paging {
                out.push(format!("paging: {p}"));
            }
            body_differences(body, o, earlier, &mut out);
        }
    }
    out
}

fn field(out: &mut Vec<String>, name: &str, expected: &str, got: Option<&str>) {
    if got != Some(expected) {
        out.push(format!(
            "{name}: expected {expected}, got {}",
            got.unwrap_or("none")
        ));
    }
}

fn body_differences(body: &OkBody, o: &Observed, earlier: &HashSet<&str>, out: &mut Vec<String>) {
    let fs = o.flow_status.as_deref();
    match body {
        OkBody::Start { flow_status, exec } => {
            field(out, "flowStatus", flow_status.as_str(), fs);
            let got = o.execution_id.as_deref();
            let seen = |id: &str| {
                if earlier.contains(id) {
                    format!("{id}, a run answered earlier in the sequence")
                } else {
                    id.to_owned()
                }
            };
            match (exec, got) {
                (Exec::Absent, Some(id)) => {
                    out.push(format!("executionId: expected none (O3), got {id}"))
                }
                (Exec::New | Exec::Same(_), None) => {
                    out.push("executionId: expected one, got none".to_owned())
                }
                (Exec::New, Some(id)) if earlier.contains(id) => {
                    out.push(format!("executionId: expected a new run, got {}", seen(id)))
                }
                (Exec::Same(want), Some(id)) if !want.is_empty() && want != id => {
                    out.push(format!(
                        "executionId: expected {want} (the earlier run), got {}",
                        seen(id)
                    ))
                }
                _ => {}
            }
        }
        OkBody::Status(f) => field(out, "flowStatus", f.as_str(), fs),
        OkBody::AnyStatus if fs.is_none() => out.push("flowStatus: expected one, got none".into()),
        OkBody::AnyStatus | OkBody::Deleted => {}
        OkBody::Describe {
            flow_status,
            trigger,
        } => {
            field(out, "flowStatus", flow_status.as_str(), fs);
            field(out, "triggerType", trigger.as_str(), o.trigger.as_deref());
        }
        OkBody::List { present, absent } => {
            let listed = o.flows.as_deref().unwrap_or_default();
            for (n, t, st) in present {
                let found: Vec<_> = listed.iter().filter(|f| f.name == *n).collect();
                match found.as_slice() {
                    [] => out.push(format!("flows: {n} not listed")),
                    [f] => {
                        field(
                            out,
                            &format!("flows: {n} triggerType"),
                            t.as_str(),
                            f.trigger.as_deref(),
                        );
                        field(
                            out,
                            &format!("flows: {n} flowStatus"),
                            st.as_str(),
                            f.status.as_deref(),
                        );
                    }
                    many => out.push(format!("flows: {n} listed {} times", many.len())),
                }
            }
            for n in absent
                .iter()
                .filter(|n| listed.iter().any(|f| f.name == **n))
            {
                out.push(format!("flows: {n} listed, though no such flow exists"));
            }
        }
        OkBody::Records { runs } => {
            let listed = o.runs.as_deref().unwrap_or_default();
            for (id, statuses) in runs.iter().filter(|(id, _)| !id.is_empty()) {
                let found: Vec<_> = listed.iter().filter(|r| r.id == *id).collect();
                let want: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
                match found.as_slice() {
                    [] => out.push(format!("runs: {id} not listed")),
                    [r] if !want.contains(&r.status.as_deref().unwrap_or("none")) => {
                        out.push(format!(
                            "runs: {id} executionStatus: expected {}, got {}",
                            want.join(" or "),
                            r.status.as_deref().unwrap_or("none")
                        ))
                    }
                    [_] => {}
                    many => out.push(format!("runs: {id} listed {} times", many.len())),
                }
            }
            let unknown = runs.iter().filter(|(id, _)| id.is_empty()).count();
            let extra: Vec<&str> = listed
                .iter()
                .filter(|r| !runs.iter().any(|(id, _)| *id == r.id))
                .map(|r| r.id.as_str())
                .collect();
            if extra.len() > unknown {
                out.push(format!(
                    "runs: [{}] listed, not runs of this flow",
                    extra.join(", ")
                ));
            }
        }
        OkBody::Cancel { invalid } => {
            let mut got: Vec<&str> = o.invalid.iter().flatten().map(String::as_str).collect();
            let mut want: Vec<&str> = invalid.iter().map(String::as_str).collect();
            got.sort_unstable();
            want.sort_unstable();
            if got != want {
                out.push(format!(
                    "invalidExecutions: expected [{}], got [{}]",
                    want.join(", "),
                    got.join(", ")
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appflow::FlowStatus;

    #[test]
    fn a_replayed_run_where_a_new_one_was_due_names_the_execution_id() {
        let a = Admission::Ok(OkBody::Start {
            flow_status: FlowStatus::Active,
            exec: Exec::New,
        });
        let o = Observed {
            status: 200,
            flow_status: Some("Active".into()),
            execution_id: Some("run-1".into()),
            ..Observed::default()
        };
        let earlier = HashSet::from(["run-1"]);
        assert_eq!(
            differences(&a, &o, &earlier),
            ["executionId: expected a new run, got run-1, a run answered earlier in the sequence"],
            "the field that differed is named, with why"
        );
        assert!(
            differences(&a, &o, &HashSet::new()).is_empty(),
            "a run not seen before is new"
        );
    }

    #[test]
    fn a_wrong_status_names_status_and_error_type() {
        let a = Admission::Error(crate::appflow::ErrorKind::Conflict);
        let o = Observed {
            status: 200,
            ..Observed::default()
        };
        let d = differences(&a, &o, &HashSet::new());
        assert!(
            d.iter()
                .any(|l| l.starts_with("status: expected 409, got 200"))
                && d.iter().any(|l| l.starts_with("error type: expected")),
            "status and error type are named: {d:?}"
        );
    }
}
