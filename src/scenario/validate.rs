//! Stage two: validates a scenario file into a plan, reporting every problem
//! against the file, line and step, with a hint.

use std::collections::BTreeMap;
use std::path::Path;

use super::duration::parse_duration;
use super::file::{ScenarioFile, ShapeFile};
use super::locate::{first_line, line_of, step_at, strip_location};
use super::plan::{Action, ContractTag, Expect, FlowPlan, Scenario, ScenarioError, Shape, Step};
use super::step_parts::{
    ActionFile, action_of, check_templates, expect_plan, s_actions, when_plan,
};
use crate::appflow::TargetKind;
use crate::appflow::{Operation, TriggerType};

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
        let Ok(trigger) = f.trigger.parse::<TriggerType>() else {
            return Err(err(
                line_of(text, &format!("{alias}:")),
                1,
                format!("flow `{alias}`: "),
                format!("unknown trigger `{}`", f.trigger),
                Some("trigger is one of OnDemand, Scheduled, Event"),
            ));
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
        let name = match f.name {
            Some(shape) => Some(shape_plan(shape, 2).map_err(|m| {
                err(
                    line_of(text, &format!("{alias}:")),
                    1,
                    format!("flow `{alias}`: "),
                    format!("name: {m}"),
                    None,
                )
            })?),
            None => None,
        };
        flows.insert(
            alias,
            FlowPlan {
                trigger,
                create: f.create,
                name,
                exists: f.exists,
            },
        );
    }

    let mut tokens = BTreeMap::new();
    for (alias, shape) in file.tokens {
        let shape = shape_plan(shape, 1).map_err(|m| {
            err(
                line_of(text, &format!("{alias}:")),
                1,
                format!("token `{alias}`: "),
                m,
                None,
            )
        })?;
        tokens.insert(alias, shape);
    }
    let known = crate::contract::rule_ids();
    for id in &file.covers {
        if !known.contains(&id.as_str()) {
            return Err(err(
                line_of(text, "covers:"),
                1,
                String::new(),
                format!("covers: `{id}` is no rule id of APPFLOW.md"),
                Some("rule ids look like T1, V2, W6; see docs/APPFLOW.md"),
            ));
        }
    }

    let mut needs = Vec::new();
    for n in &file.needs {
        needs.push(super::plan::Need::from_name(n).ok_or_else(|| {
            err(
                line_of(text, "needs:"),
                1,
                String::new(),
                format!("needs: unknown need `{n}`"),
                Some("a scenario can need: event-source"),
            )
        })?);
    }
    let questions = crate::contract::open_questions();
    let mut settles = Vec::new();
    for n in &file.settles {
        match n.checked_sub(1).and_then(|i| questions.get(i)) {
            Some(q) => settles.push((*n, (*q).to_owned())),
            None => {
                return Err(err(
                    line_of(text, "settles:"),
                    1,
                    String::new(),
                    format!(
                        "settles: APPFLOW.md has no open question {n} (it has 1 to {})",
                        questions.len()
                    ),
                    None,
                ));
            }
        }
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
                let unknown = crate::contract::model().unknown_input_members(op.name(), &v);
                if let Some(first) = unknown.first() {
                    let members = crate::contract::model().input_members(op.name());
                    return Err(step_err(
                        format!("{op}: `{first}` is no member of the {op} request"),
                        Some(&format!(
                            "{op} takes {}; use `raw:` to send a body as written",
                            members.join(", ")
                        )),
                    ));
                }
                Action::Call {
                    operation: op,
                    body: v,
                }
            }
            ActionFile::Raw(op, body, pad_to) => {
                let op = Operation::from_name(&op).ok_or_else(|| {
                    step_err(
                        format!("raw: unknown operation `{op}`"),
                        Some("operation is one of the AppFlow operation names, e.g. StartFlow"),
                    )
                })?;
                Action::Raw {
                    operation: op,
                    body,
                    pad_to,
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
        if expect.eventually.is_some() && !action.operation().is_some_and(Operation::is_read) {
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
        let when = when_plan(s.when, index).map_err(|m| step_err(m, None))?;
        steps.push(Step {
            index,
            line,
            name: s.name.clone().unwrap_or_else(|| label.clone()),
            action,
            concurrent,
            expect,
            capture: s.capture,
            needs_control: s.needs_control,
            when,
            all_pages: s.all_pages,
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
    let contract = match &file.contract {
        None => None,
        Some(tag) => Some(
            ContractTag::ALL
                .into_iter()
                .find(|t| t.as_str() == tag)
                .ok_or_else(|| {
                    err(
                        line_of(text, "contract:"),
                        1,
                        String::new(),
                        format!("contract: unknown tag `{tag}`"),
                        Some("contract is one of model, doc, seen, chosen (APPFLOW.md's tags)"),
                    )
                })?,
        ),
    };
    let mut known_differences = BTreeMap::new();
    for (kind, paths) in file.known_differences {
        let at = |message: String, hint: &str| {
            err(
                line_of(text, "known-differences:"),
                1,
                "known-differences: ".into(),
                message,
                Some(hint),
            )
        };
        let kind = TargetKind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind)
            .ok_or_else(|| {
                at(
                    format!("unknown target kind `{kind}`"),
                    "the keys are target kinds: embedded, url, aws",
                )
            })?;
        for p in &paths {
            transcript_path(p, steps.len()).map_err(|m| {
                at(
                    format!("`{p}`: {m}"),
                    "a path is steps.<N or *>.<request|response|responses|control>.<...>, e.g. steps.*.response.body.flowStatus",
                )
            })?;
        }
        known_differences.insert(kind, paths);
    }
    Ok(Scenario {
        name: path
            .file_stem()
            .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned()),
        path: path.to_path_buf(),
        description: file.description,
        contract,
        digest: crate::snapshot::provenance_digest(text),
        transform: file.transform,
        alone: file.exclusive,
        covers: file.covers,
        needs,
        settles,
        tokens,
        flows,
        steps,
        known_differences,
    })
}

fn shape_plan(shape: ShapeFile, min: usize) -> Result<Shape, String> {
    if let Some(n) = shape.length
        && !(min..=1024).contains(&n)
    {
        return Err(format!("length {n} is outside {min}..=1024"));
    }
    if shape
        .length
        .is_some_and(|n| n < 1 + shape.include.chars().count())
    {
        return Err("the length leaves no room for the included characters".into());
    }
    Ok(Shape {
        length: shape.length,
        include: shape.include,
    })
}

/// Checks that a known-difference path can name something in a transcript
/// of `steps` steps: `steps.<index from 0, or *>.<member>...`.
fn transcript_path(path: &str, steps: usize) -> Result<(), String> {
    let parts: Vec<&str> = path.split('.').collect();
    if parts.first() != Some(&"steps") {
        return Err("a transcript path starts with `steps`".into());
    }
    match parts.get(1) {
        Some(&"*") => {}
        Some(n) => match n.parse::<usize>() {
            Ok(i) if i < steps => {}
            _ => {
                return Err(format!(
                    "`{n}` is neither `*` nor a step index below {steps}"
                ));
            }
        },
        None => return Err("the path names no step".into()),
    }
    match parts.get(2) {
        Some(&("request" | "response" | "responses" | "control" | "name" | "concurrent")) => Ok(()),
        Some(other) => Err(format!("a transcript step has no `{other}`")),
        None => Err("the path names no part of the step".into()),
    }
}
