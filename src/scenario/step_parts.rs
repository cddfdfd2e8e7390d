//! The parts of a step as validated: its one action, its expectations, and
//! the names its templates use.

use std::collections::BTreeMap;

use serde_json::Value;

use super::duration::parse_duration;
use super::file::{ExpectFile, StepFile, WhenFile};
use super::plan::{Expect, FlowPlan, When};
use crate::appflow::Operation;

pub(super) enum ActionFile {
    Op(Operation, Value),
    Raw(String, String, Option<usize>),
    Clock(String),
    Wait(String),
    Fault(Value),
    Configure(Value),
}

pub(super) fn s_actions(s: &StepFile) -> Vec<(String, ActionFile)> {
    let mut found = Vec::new();
    let ops: [(Operation, &Option<Value>); 9] = [
        (Operation::StartFlow, &s.start_flow),
        (Operation::StopFlow, &s.stop_flow),
        (Operation::CreateFlow, &s.create_flow),
        (Operation::DescribeFlow, &s.describe_flow),
        (Operation::DeleteFlow, &s.delete_flow),
        (Operation::ListFlows, &s.list_flows),
        (Operation::UpdateFlow, &s.update_flow),
        (
            Operation::DescribeFlowExecutionRecords,
            &s.describe_flow_execution_records,
        ),
        (Operation::CancelFlowExecutions, &s.cancel_flow_executions),
    ];
    for (name, v) in ops {
        if let Some(v) = v {
            let v = if v.is_null() {
                Value::Object(Default::default())
            } else {
                v.clone()
            };
            found.push((name.name().to_owned(), ActionFile::Op(name, v)));
        }
    }
    if let Some(r) = &s.raw {
        found.push((
            format!("raw {}", r.operation),
            ActionFile::Raw(r.operation.clone(), r.body.clone(), r.pad_to),
        ));
    }
    if let Some(d) = &s.advance_clock {
        found.push((format!("advance-clock {d}"), ActionFile::Clock(d.clone())));
    }
    if let Some(d) = &s.wait {
        found.push((format!("wait {d}"), ActionFile::Wait(d.clone())));
    }
    if let Some(f) = &s.fault {
        found.push(("fault".into(), ActionFile::Fault(f.clone())));
    }
    if let Some(c) = &s.configure {
        found.push(("configure".into(), ActionFile::Configure(c.clone())));
    }
    found
}

pub(super) fn action_of(
    mut found: Vec<(String, ActionFile)>,
) -> Result<(ActionFile, String), String> {
    match found.len() {
        1 => found
            .pop()
            .map(|(l, a)| (a, l))
            .ok_or_else(|| "no action".into()),
        0 => Err("the step has no action".into()),
        _ => Err(format!(
            "the step has {} actions ({}); give one per step",
            found.len(),
            found
                .iter()
                .map(|(l, _)| l.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

pub(super) fn expect_plan(e: ExpectFile) -> Result<Expect, String> {
    if let Some(st) = &e.status {
        if st.0.is_empty() {
            return Err("expect.status lists no status".into());
        }
        if let Some(s) = st.0.iter().find(|s| !(100..=599).contains(*s)) {
            return Err(format!("expect.status {s} is not an HTTP status"));
        }
    }
    if let Some(s) = e.status_count.keys().find(|s| !(100..=599).contains(*s)) {
        return Err(format!("expect.status-count {s} is not an HTTP status"));
    }
    if let Some(s) = e
        .statuses_in_order
        .iter()
        .flatten()
        .find(|s| !(100..=599).contains(*s))
    {
        return Err(format!(
            "expect.statuses-in-order: {s} is not an HTTP status"
        ));
    }
    if e.no_response && (e.status.is_some() || e.error.is_some() || e.body.is_some()) {
        return Err("expect.no-response excludes status, error and body".into());
    }
    let eventually = match e.eventually {
        Some(d) => Some(parse_duration(&d).map_err(|m| format!("expect.eventually: {m}"))?),
        None => None,
    };
    let mut one_of = Vec::new();
    for (i, alt) in e.one_of.into_iter().enumerate() {
        if alt.eventually.is_some()
            || alt.no_response
            || !alt.distinct.is_empty()
            || !alt.status_count.is_empty()
            || !alt.statuses_in_order.is_empty()
            || !alt.one_of.is_empty()
        {
            return Err(format!(
                "expect.one-of[{i}]: an alternative has status, error and body only"
            ));
        }
        one_of.push(expect_plan(alt).map_err(|m| format!("expect.one-of[{i}]: {m}"))?);
    }
    if !one_of.is_empty() && (e.status.is_some() || e.error.is_some() || e.body.is_some()) {
        return Err(
            "expect.one-of excludes status, error and body beside it: put them in each alternative"
                .into(),
        );
    }
    Ok(Expect {
        status: e.status.map(|s| s.0),
        error: e.error,
        body: e.body,
        eventually,
        distinct: e.distinct,
        status_count: e.status_count,
        statuses_in_order: e.statuses_in_order,
        no_response: e.no_response,
        one_of,
    })
}

/// A step's `when:`, which must name an earlier step (`index` is this one's).
pub(super) fn when_plan(w: Option<WhenFile>, index: usize) -> Result<Option<When>, String> {
    let Some(w) = w else { return Ok(None) };
    if w.step == 0 || w.step >= index {
        return Err(format!(
            "when.step {} is not an earlier step (this is step {index})",
            w.step
        ));
    }
    let status = w.status.map(|s| s.0).unwrap_or_default();
    if status.is_empty() && w.body.is_none() && w.statuses_in_order.is_empty() {
        return Err(
            "when: needs a status (a list of at least one), a body or statuses-in-order".into(),
        );
    }
    Ok(Some(When {
        step: w.step,
        status,
        body: w.body,
        statuses_in_order: w.statuses_in_order,
    }))
}

/// Every `{{...}}` names a declared flow, a token, or an earlier capture.
pub(super) fn check_templates(
    v: &Value,
    flows: &BTreeMap<String, FlowPlan>,
    captured: &[String],
) -> Result<(), String> {
    match v {
        Value::String(s) => {
            for name in super::template::names(s)? {
                let (name, _) = super::template::split(name)?;
                if let Some(alias) = name.strip_prefix("flow.") {
                    if !flows.contains_key(alias) {
                        return Err(format!(
                            "`{{{{{name}}}}}` names no flow of this scenario (flows: {})",
                            flows.keys().cloned().collect::<Vec<_>>().join(", ")
                        ));
                    }
                } else if name.starts_with("token.")
                    || name == "region"
                    || name == "account"
                    || name == super::template::RUNS
                {
                } else if !captured.iter().any(|c| c == name) {
                    return Err(format!(
                        "`{{{{{name}}}}}` is neither flow.X, token.X nor a capture of an earlier step"
                    ));
                }
            }
            Ok(())
        }
        Value::Array(a) => a
            .iter()
            .try_for_each(|x| check_templates(x, flows, captured)),
        Value::Object(m) => m
            .values()
            .try_for_each(|x| check_templates(x, flows, captured)),
        _ => Ok(()),
    }
}

/// A capture's path split into the copy of a concurrent step it reads
/// (`[2].executionId`: the second copy's answer; none: the first) and the
/// dotted path in that answer. Errors: a copy that is not a number from 1.
pub fn capture_copy(path: &str) -> Result<(usize, &str), String> {
    let Some(rest) = path.strip_prefix('[') else {
        return Ok((1, path));
    };
    let (n, after) = rest
        .split_once("].")
        .ok_or_else(|| format!("capture `{path}`: write a copy as `[2].executionId`"))?;
    match n.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok((n, after)),
        _ => Err(format!(
            "capture `{path}`: `[{n}]` is not a copy (copies count from 1)"
        )),
    }
}
