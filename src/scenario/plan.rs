//! Stage two: a validated scenario, ready to run, with every problem found
//! reported against the file, line and step.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use super::file::{ExpectFile, ScenarioFile, StepFile};

use crate::emulator::model::TriggerType;

/// The operations a step can call.
pub const OPERATIONS: [&str; 9] = [
    "StartFlow",
    "StopFlow",
    "CreateFlow",
    "DescribeFlow",
    "DeleteFlow",
    "ListFlows",
    "UpdateFlow",
    "DescribeFlowExecutionRecords",
    "CancelFlowExecutions",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}:{column}: {context}{message}{}", hint.as_ref().map(|h| format!("\n  hint: {h}")).unwrap_or_default())]
pub struct ScenarioError {
    pub path: String,
    pub line: u64,
    pub column: u64,
    /// "step 3: " or empty.
    pub context: String,
    pub message: String,
    pub hint: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file stem: the scenario's and its snapshot's name.
    pub name: String,
    pub path: PathBuf,
    pub description: String,
    pub contract: Option<String>,
    /// alias -> (trigger, members merged over the CreateFlow template)
    pub flows: BTreeMap<String, FlowPlan>,
    pub steps: Vec<Step>,
    pub known_differences: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct FlowPlan {
    pub trigger: TriggerType,
    pub create: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct Step {
    /// 1-based.
    pub index: usize,
    pub line: u64,
    pub name: String,
    pub action: Action,
    pub concurrent: u32,
    pub expect: Expect,
    /// capture name -> dotted path into the response body
    pub capture: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub enum Action {
    /// An operation with a JSON body (templates inside strings).
    Call {
        operation: &'static str,
        body: Value,
    },
    /// An operation with a body sent as written (templates inside).
    Raw {
        operation: &'static str,
        body: String,
    },
    AdvanceClock(Duration),
    Fault(Value),
    Configure(Value),
}

impl Action {
    /// Whether the step needs the target's `/_harness/` control API.
    pub fn needs_control(&self) -> bool {
        matches!(
            self,
            Action::AdvanceClock(_) | Action::Fault(_) | Action::Configure(_)
        )
    }

    pub fn operation(&self) -> Option<&'static str> {
        match self {
            Action::Call { operation, .. } | Action::Raw { operation, .. } => Some(operation),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Expect {
    pub status: Option<u16>,
    pub error: Option<String>,
    pub body: Option<Value>,
    pub eventually: Option<Duration>,
    pub distinct: BTreeMap<String, usize>,
    pub no_response: bool,
}

impl Scenario {
    /// Whether any step changes target-wide state (clock, faults, quotas),
    /// so the scenario must not run beside others.
    pub fn exclusive(&self) -> bool {
        self.steps.iter().any(|s| s.action.needs_control())
    }
}

/// Parses and validates one scenario file's text.
pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    let shown = path.display().to_string();
    let file: ScenarioFile = serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        ScenarioError {
            path: shown.clone(),
            line,
            column,
            context: step_at(text, line).map_or_else(String::new, |n| format!("step {n}: ")),
            message: strip_location(&first_line(&e.to_string())),
            hint: text.lines().nth(line.saturating_sub(1) as usize).map(|l| {
                format!(
                    "the line reads `{}`; see the scenario format in README.md",
                    l.trim()
                )
            }),
        }
    })?;
    let err = |line: u64, column: u64, context: String, message: String, hint: Option<&str>| {
        ScenarioError {
            path: shown.clone(),
            line,
            column,
            context,
            message,
            hint: hint.map(str::to_owned),
        }
    };

    let mut flows = BTreeMap::new();
    for (alias, f) in file.flows {
        let trigger = match f.trigger.as_str() {
            "OnDemand" => TriggerType::OnDemand,
            "Scheduled" => TriggerType::Scheduled,
            "Event" => TriggerType::Event,
            other => {
                return Err(err(
                    line_of(text, &format!("{alias}:")),
                    1,
                    format!("flow `{alias}`: "),
                    format!("unknown trigger `{other}`"),
                    Some("trigger is one of OnDemand, Scheduled, Event"),
                ));
            }
        };
        if !alias
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(err(
                line_of(text, &format!("{alias}:")),
                1,
                format!("flow `{alias}`: "),
                "a flow alias is letters, digits, `_` and `-`".into(),
                None,
            ));
        }
        flows.insert(
            alias,
            FlowPlan {
                trigger,
                create: f.create,
            },
        );
    }

    let mut steps = Vec::with_capacity(file.steps.len());
    let mut captured: Vec<String> = Vec::new();
    for (i, spanned) in file.steps.into_iter().enumerate() {
        let line = spanned.referenced.line();
        let column = spanned.referenced.column();
        let s = spanned.value;
        let index = i + 1;
        let ctx = format!("step {index}: ");
        let step_err =
            |message: String, hint: Option<&str>| err(line, column, ctx.clone(), message, hint);
        let (action, label) = action_of(s_actions(&s)).map_err(|m| {
            step_err(
                m,
                Some("a step has exactly one of: an operation (StartFlow, ...), raw, advance-clock, fault, configure"),
            )
        })?;
        let action = match action {
            ActionFile::Op(op, v) => {
                if !v.is_object() {
                    return Err(step_err(
                        format!("the {op} request must be a mapping of members"),
                        None,
                    ));
                }
                check_templates(&v, &flows, &captured).map_err(|m| step_err(m, None))?;
                Action::Call {
                    operation: op,
                    body: v,
                }
            }
            ActionFile::Raw(op, body) => {
                let op = OPERATIONS
                    .iter()
                    .find(|o| **o == op)
                    .copied()
                    .ok_or_else(|| {
                        step_err(
                            format!("raw: unknown operation `{op}`"),
                            Some("operation is one of the AppFlow operation names, e.g. StartFlow"),
                        )
                    })?;
                Action::Raw {
                    operation: op,
                    body,
                }
            }
            ActionFile::Clock(d) => Action::AdvanceClock(
                parse_duration(&d).map_err(|m| step_err(format!("advance-clock: {m}"), None))?,
            ),
            ActionFile::Fault(v) => Action::Fault(v),
            ActionFile::Configure(v) => Action::Configure(v),
        };
        let has_expect = s.expect.is_some();
        let expect = match s.expect {
            Some(e) => expect_plan(e).map_err(|m| step_err(m, None))?,
            None => Expect::default(),
        };
        if let Some(b) = &expect.body {
            check_templates(b, &flows, &captured)
                .map_err(|m| step_err(format!("expect.body: {m}"), None))?;
        }
        if expect.eventually.is_some()
            && !matches!(
                action.operation(),
                Some("DescribeFlow" | "ListFlows" | "DescribeFlowExecutionRecords")
            )
        {
            return Err(step_err(
                "expect.eventually repeats the request until it holds, so it is only for reads"
                    .into(),
                Some("use it on DescribeFlow, ListFlows or DescribeFlowExecutionRecords"),
            ));
        }
        let concurrent = s.concurrent.unwrap_or(1);
        if !(1..=1000).contains(&concurrent) {
            return Err(step_err(
                "concurrent must be between 1 and 1000".into(),
                None,
            ));
        }
        if !expect.distinct.is_empty() && concurrent == 1 {
            return Err(step_err(
                "expect.distinct needs `concurrent: N`".into(),
                None,
            ));
        }
        if action.operation().is_none() && (has_expect || !s.capture.is_empty()) {
            return Err(step_err(
                format!("`{label}` steps take no expect or capture"),
                None,
            ));
        }
        captured.extend(s.capture.keys().cloned());
        steps.push(Step {
            index,
            line,
            name: s.name.clone().unwrap_or_else(|| label.clone()),
            action,
            concurrent,
            expect,
            capture: s.capture,
        });
    }
    if steps.is_empty() {
        return Err(err(
            1,
            1,
            String::new(),
            "a scenario needs at least one step".into(),
            None,
        ));
    }
    Ok(Scenario {
        name: path
            .file_stem()
            .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned()),
        path: path.to_path_buf(),
        description: file.description,
        contract: file.contract,
        flows,
        steps,
        known_differences: file.known_differences,
    })
}

enum ActionFile {
    Op(&'static str, Value),
    Raw(String, String),
    Clock(String),
    Fault(Value),
    Configure(Value),
}

fn s_actions(s: &StepFile) -> Vec<(String, ActionFile)> {
    let mut found = Vec::new();
    let ops: [(&'static str, &Option<Value>); 9] = [
        ("StartFlow", &s.start_flow),
        ("StopFlow", &s.stop_flow),
        ("CreateFlow", &s.create_flow),
        ("DescribeFlow", &s.describe_flow),
        ("DeleteFlow", &s.delete_flow),
        ("ListFlows", &s.list_flows),
        ("UpdateFlow", &s.update_flow),
        (
            "DescribeFlowExecutionRecords",
            &s.describe_flow_execution_records,
        ),
        ("CancelFlowExecutions", &s.cancel_flow_executions),
    ];
    for (name, v) in ops {
        if let Some(v) = v {
            let v = if v.is_null() {
                Value::Object(Default::default())
            } else {
                v.clone()
            };
            found.push((name.to_owned(), ActionFile::Op(name, v)));
        }
    }
    if let Some(r) = &s.raw {
        found.push((
            format!("raw {}", r.operation),
            ActionFile::Raw(r.operation.clone(), r.body.clone()),
        ));
    }
    if let Some(d) = &s.advance_clock {
        found.push((format!("advance-clock {d}"), ActionFile::Clock(d.clone())));
    }
    if let Some(f) = &s.fault {
        found.push(("fault".into(), ActionFile::Fault(f.clone())));
    }
    if let Some(c) = &s.configure {
        found.push(("configure".into(), ActionFile::Configure(c.clone())));
    }
    found
}

fn action_of(mut found: Vec<(String, ActionFile)>) -> Result<(ActionFile, String), String> {
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

fn expect_plan(e: ExpectFile) -> Result<Expect, String> {
    if let Some(s) = e.status
        && !(100..=599).contains(&s)
    {
        return Err(format!("expect.status {s} is not an HTTP status"));
    }
    if e.no_response && (e.status.is_some() || e.error.is_some() || e.body.is_some()) {
        return Err("expect.no-response excludes status, error and body".into());
    }
    let eventually = match e.eventually {
        Some(d) => Some(parse_duration(&d).map_err(|m| format!("expect.eventually: {m}"))?),
        None => None,
    };
    Ok(Expect {
        status: e.status,
        error: e.error,
        body: e.body,
        eventually,
        distinct: e.distinct,
        no_response: e.no_response,
    })
}

/// "8h", "90s", "250ms", "2m".
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 30s, 250ms, 2m or 8h"))?;
    let ms = match unit {
        "ms" => n,
        "s" => n * 1000,
        "m" => n * 60_000,
        "h" => n * 3_600_000,
        _ => return Err(format!("`{s}` is not a duration like 30s, 250ms, 2m or 8h")),
    };
    Ok(Duration::from_millis(ms))
}

/// Every `{{...}}` names a declared flow, a token, or an earlier capture.
fn check_templates(
    v: &Value,
    flows: &BTreeMap<String, FlowPlan>,
    captured: &[String],
) -> Result<(), String> {
    match v {
        Value::String(s) => {
            for name in super::template::names(s)? {
                if let Some(alias) = name.strip_prefix("flow.") {
                    if !flows.contains_key(alias) {
                        return Err(format!(
                            "`{{{{{name}}}}}` names no flow of this scenario (flows: {})",
                            flows.keys().cloned().collect::<Vec<_>>().join(", ")
                        ));
                    }
                } else if name.starts_with("token.") || name == "region" || name == "account" {
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

/// saphyr's messages start with "error: line L column C: "; we say where ourselves.
fn strip_location(msg: &str) -> String {
    let m = msg.strip_prefix("error: ").unwrap_or(msg);
    match m.strip_prefix("line ").and_then(|r| r.split_once(": ")) {
        Some((loc, rest)) if loc.contains("column") => rest.to_owned(),
        _ => m.to_owned(),
    }
}

/// The 1-based step that line `line` falls in, from the items under `steps:`.
fn step_at(text: &str, line: u64) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.iter().position(|l| l.starts_with("steps:"))?;
    let mut indent = None;
    let mut step = 0;
    for l in lines.iter().take(line as usize).skip(start + 1) {
        let trimmed = l.trim_start();
        let here = l.len() - trimmed.len();
        if trimmed.starts_with("- ") && indent.is_none_or(|i| i == here) {
            indent = Some(here);
            step += 1;
        } else if !trimmed.is_empty() && !trimmed.starts_with('#') && here == 0 {
            return None;
        }
    }
    (step > 0).then_some(step)
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).trim().to_owned()
}

fn line_of(text: &str, needle: &str) -> u64 {
    text.lines()
        .position(|l| l.contains(needle))
        .map_or(1, |i| i as u64 + 1)
}
