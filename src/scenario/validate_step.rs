//! Stage two for steps: each step's one action, its request members, its
//! templates, its expectations (against the service model) and captures.

use std::collections::BTreeMap;

use serde_json::Value;
use serde_saphyr::Spanned;

use super::duration::parse_duration;
use super::file::StepFile;
use super::plan::{Action, Expect, FlowPlan, ScenarioError, Step};
use super::step_parts::{
    ActionFile, action_of, check_templates, expect_plan, s_actions, when_plan,
};
use super::validate::At;
use crate::appflow::Operation;

/// The steps of a file, in order; a file needs at least one.
pub(super) fn steps_plan(
    at: &At<'_>,
    files: Vec<Spanned<StepFile>>,
    flows: &BTreeMap<String, FlowPlan>,
) -> Result<Vec<Step>, Vec<ScenarioError>> {
    let mut steps = Vec::with_capacity(files.len());
    let mut errors = Vec::new();
    let mut captured: Vec<String> = Vec::new();
    // The step a `with-previous` step joins, and the captures of its group
    // so far (sent at once, so not yet taken when the step is rendered).
    let mut previous = None;
    let mut group: Vec<String> = Vec::new();
    for (i, spanned) in files.into_iter().enumerate() {
        let here = StepAt {
            at,
            line: spanned.referenced.line(),
            column: spanned.referenced.column(),
            index: i + 1,
        };
        // A broken step's captures still count as written, so that the
        // steps after it are not blamed for using them.
        let names: Vec<String> = spanned.value.capture.keys().cloned().collect();
        if !spanned.value.with_previous {
            group.clear();
        }
        let joins = super::group::check(&spanned.value, previous, &group);
        previous = Some(super::group::Joinable::of(&spanned.value));
        let planned = joins
            .map_err(|g| here.err_near(&g.needle, g.message, Some(g.hint)))
            .and_then(|()| step_plan(&here, spanned.value, flows, &captured));
        match planned {
            Ok(step) => steps.push(step),
            Err(e) => errors.push(e),
        }
        group.extend(names.iter().cloned());
        captured.extend(names);
    }
    if steps.is_empty() && errors.is_empty() {
        errors.push(at.err_at(
            "steps:",
            String::new(),
            "a scenario needs at least one step".into(),
            None,
        ));
    }
    if errors.is_empty() {
        Ok(steps)
    } else {
        Err(errors)
    }
}

/// Where a step starts, for its errors.
struct StepAt<'a> {
    at: &'a At<'a>,
    line: u64,
    column: u64,
    /// 1-based.
    index: usize,
}

impl StepAt<'_> {
    fn err(&self, message: String, hint: Option<&str>) -> ScenarioError {
        self.at.err(
            self.line,
            self.column,
            format!("step {}: ", self.index),
            message,
            hint,
        )
    }

    /// An error on the step's first line holding `needle` (a member name
    /// or a value), else on the step's first line.
    fn err_near(&self, needle: &str, message: String, hint: Option<&str>) -> ScenarioError {
        let inner = self.column.saturating_sub(1) as usize;
        let lines = self.at.text.lines().enumerate();
        for (n, l) in lines.skip(self.line.saturating_sub(1) as usize) {
            let indent = l.len() - l.trim_start().len();
            let blank = l.trim().is_empty() || l.trim_start().starts_with('#');
            // The step's own lines are indented at least as far as its first key.
            if n as u64 + 1 > self.line && !blank && indent < inner {
                break;
            }
            if let Some(col) = l.find(needle) {
                let context = format!("step {}: ", self.index);
                return self
                    .at
                    .err(n as u64 + 1, col as u64 + 1, context, message, hint);
            }
        }
        self.err(message, hint)
    }
}

fn step_plan(
    here: &StepAt<'_>,
    s: StepFile,
    flows: &BTreeMap<String, FlowPlan>,
    captured: &[String],
) -> Result<Step, ScenarioError> {
    let (action, label) = action_of(s_actions(&s)).map_err(|m| {
        here.err(
            m,
            Some("a step has exactly one of: an operation (StartFlow, ...), raw, advance-clock, wait, fault, configure"),
        )
    })?;
    let action = action_plan(here, action, flows, captured)?;
    let has_expect = s.expect.is_some();
    let expect = match s.expect {
        Some(e) => expect_plan(e).map_err(|m| here.err(m, None))?,
        None => Expect::default(),
    };
    if let Some(b) = &expect.body {
        check_templates(b, flows, captured)
            .map_err(|m| here.err(format!("expect.body: {m}"), None))?;
    }
    let concurrent = s.concurrent.unwrap_or(1);
    if s.capture.contains_key(super::template::RUNS) {
        return Err(here.err(
            format!(
                "capture `{}` would hide `{{{{{}}}}}`, the runs the scenario has seen",
                super::template::RUNS,
                super::template::RUNS
            ),
            Some("give the capture another name"),
        ));
    }
    let mut captures: Vec<&str> = Vec::new();
    for path in s.capture.values() {
        let (copy, path) = super::step_parts::capture_copy(path).map_err(|m| here.err(m, None))?;
        if u32::try_from(copy).ok().is_none_or(|c| c > concurrent) {
            return Err(here.err(
                format!("capture names copy {copy}, but the step sends {concurrent}"),
                Some("a capture of copy N (`[N].executionId`) needs `concurrent:` of at least N"),
            ));
        }
        captures.push(path);
    }
    if let Some(op) = action.operation() {
        super::expect_check::check(op, &expect, &captures).map_err(|p| {
            here.err_near(&p.needle, format!("{op}: {}", p.message), p.hint.as_deref())
        })?;
    }
    if expect.eventually.is_some() && !action.operation().is_some_and(Operation::is_read) {
        return Err(here.err(
            "expect.eventually repeats the request until it holds, so it is only for reads".into(),
            Some("use it on DescribeFlow, ListFlows or DescribeFlowExecutionRecords"),
        ));
    }
    if !(1..=1000).contains(&concurrent) {
        return Err(here.err("concurrent must be between 1 and 1000".into(), None));
    }
    if !expect.distinct.is_empty() && concurrent == 1 {
        return Err(here.err("expect.distinct needs `concurrent: N`".into(), None));
    }
    if !expect.status_count.is_empty() && concurrent == 1 {
        return Err(here.err("expect.status-count needs `concurrent: N`".into(), None));
    }
    if !expect.statuses_in_order.is_empty()
        && (concurrent == 1
            || expect
                .statuses_in_order
                .iter()
                .any(|v| u32::try_from(v.len()).ok() != Some(concurrent)))
    {
        return Err(here.err(
            format!("expect.statuses-in-order needs `concurrent: N` and lists of N statuses (N = {concurrent})"),
            None,
        ));
    }
    each_check(&s.each, concurrent, &action, flows, captured).map_err(|m| here.err(m, None))?;
    if action.operation().is_none() && concurrent > 1 {
        return Err(here.err(
            format!("`{label}` steps send nothing, so `concurrent:` means nothing there"),
            None,
        ));
    }
    if action.operation().is_none() && (has_expect || !s.capture.is_empty()) {
        return Err(here.err(format!("`{label}` steps take no expect or capture"), None));
    }
    let when = when_plan(s.when, here.index).map_err(|m| here.err(m, None))?;
    if let Some(body) = when.as_ref().and_then(|w| w.body.as_ref()) {
        check_templates(body, flows, captured)
            .map_err(|m| here.err(format!("when.body: {m}"), None))?;
    }
    Ok(Step {
        index: here.index,
        line: here.line,
        name: s.name.clone().unwrap_or_else(|| label.clone()),
        action,
        concurrent,
        each: s.each,
        expect,
        capture: s.capture,
        needs_control: s.needs_control,
        when,
        all_pages: s.all_pages,
        with_previous: s.with_previous,
    })
}

fn action_plan(
    here: &StepAt<'_>,
    action: ActionFile,
    flows: &BTreeMap<String, FlowPlan>,
    captured: &[String],
) -> Result<Action, ScenarioError> {
    Ok(match action {
        ActionFile::Op(op, v) => {
            if !v.is_object() {
                return Err(here.err(
                    format!("the {op} request must be a mapping of members"),
                    None,
                ));
            }
            check_templates(&v, flows, captured).map_err(|m| here.err(m, None))?;
            let unknown = crate::contract::model().unknown_input_members(op.name(), &v);
            if let Some(first) = unknown.first() {
                let members = crate::contract::model().input_members(op.name());
                let names: Vec<&str> = members.iter().map(String::as_str).collect();
                let last = first.rsplit('.').next().unwrap_or(first);
                let hint = match super::expect_check::did_you_mean(last, &names) {
                    Some(m) => format!(
                        "did you mean `{m}`? {op} takes {}; use `raw:` to send a body as written",
                        members.join(", ")
                    ),
                    None => format!(
                        "{op} takes {}; use `raw:` to send a body as written",
                        members.join(", ")
                    ),
                };
                return Err(here.err(
                    format!("{op}: `{first}` is no member of the {op} request"),
                    Some(&hint),
                ));
            }
            Action::Call {
                operation: op,
                body: v,
            }
        }
        ActionFile::Raw(op, body, pad_to) => {
            let op = Operation::from_name(&op).ok_or_else(|| {
                here.err(
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
            parse_duration(&d).map_err(|m| here.err(format!("advance-clock: {m}"), None))?,
        ),
        ActionFile::Wait(d) => {
            let d = parse_duration(&d).map_err(|m| here.err(format!("wait: {m}"), None))?;
            if d > super::plan::MAX_WAIT {
                return Err(here.err(
                    format!(
                        "wait: {} s is longer than the {} s a step may wait",
                        d.as_secs(),
                        super::plan::MAX_WAIT.as_secs()
                    ),
                    Some(
                        "to pass hours, use `advance-clock:` on a target with the test-control API",
                    ),
                ));
            }
            Action::Wait(d)
        }
        ActionFile::Fault(v) => Action::Fault(v),
        ActionFile::Configure(v) => Action::Configure(v),
    })
}

/// `each:` needs `concurrent: N` and a JSON call; each member is one the
/// operation's request has, with N values whose templates are known.
fn each_check(
    each: &BTreeMap<String, Vec<Value>>,
    concurrent: u32,
    action: &Action,
    flows: &BTreeMap<String, FlowPlan>,
    captured: &[String],
) -> Result<(), String> {
    if each.is_empty() {
        return Ok(());
    }
    let Action::Call { operation, .. } = action else {
        return Err(
            "`each` varies the members of an operation's request (not raw or control steps)".into(),
        );
    };
    let members = crate::contract::model().input_members(operation.name());
    for (member, values) in each {
        if !members.iter().any(|m| m == member) {
            return Err(format!(
                "each: `{member}` is no member of the {operation} request (it takes {})",
                members.join(", ")
            ));
        }
        if values.len() != concurrent as usize {
            return Err(format!(
                "each.{member} has {} values for `concurrent: {concurrent}` (one per copy)",
                values.len()
            ));
        }
        for v in values {
            check_templates(v, flows, captured).map_err(|m| format!("each.{member}: {m}"))?;
        }
    }
    Ok(())
}
