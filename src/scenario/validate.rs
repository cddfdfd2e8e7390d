//! Stage two: validates a scenario file into a plan, reporting every problem
//! against the file, line and step, with a hint. The file's parts are
//! checked here; its steps in `validate_step.rs`.

use std::collections::BTreeMap;
use std::path::Path;

use super::file::{FlowFile, ShapeFile};
use super::locate::line_of;
use super::plan::{ContractTag, FlowPlan, Scenario, ScenarioError, Shape};
use crate::appflow::TargetKind;
use crate::appflow::TriggerType;

/// Where errors of one file point: its name as shown and its text.
pub(super) struct At<'a> {
    pub shown: String,
    pub text: &'a str,
}

impl At<'_> {
    /// An error at `line:column` of this file.
    pub fn err(
        &self,
        line: u64,
        column: u64,
        context: String,
        message: String,
        hint: Option<&str>,
    ) -> ScenarioError {
        ScenarioError {
            path: self.shown.clone(),
            line,
            column,
            context,
            message,
            hint: hint.map(str::to_owned),
        }
    }

    /// An error on the first line that contains `needle` (else line 1).
    pub fn err_at(
        &self,
        needle: &str,
        context: String,
        message: String,
        hint: Option<&str>,
    ) -> ScenarioError {
        self.err(line_of(self.text, needle), 1, context, message, hint)
    }
}

/// Parses and validates one scenario file's text: stage one (serde, into
/// the file model), then each part into the plan, the first problem
/// returned with its location. [`parse_all`] returns every problem.
pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    parse_all(path, text).map_err(|mut errors| errors.swap_remove(0))
}

/// As [`parse`], with every problem found (at least one on `Err`, at most
/// [`super::read::MAX_ERRORS`], in file order): stage one goes on past a
/// mistake inside a step by reading the file again without that step;
/// stage two checks every part and every step. A file with stage-one
/// mistakes is not checked further: its stage-two problems may be their echo.
pub fn parse_all(path: &Path, text: &str) -> Result<Scenario, Vec<ScenarioError>> {
    let at = At {
        shown: path.display().to_string(),
        text,
    };
    let file = super::read::read_file_all(&at)?;
    let mut errors = Vec::new();
    let step_count = file.steps.len();
    let flows = take(flows_plan(&at, file.flows), &mut errors);
    let tokens = take(tokens_plan(&at, file.tokens), &mut errors);
    let covers = take(check_covers(&at, &file.covers), &mut errors);
    let needs = take(needs_plan(&at, &file.needs), &mut errors);
    let settles = take(settles_plan(&at, &file.settles), &mut errors);
    let contract = take(contract_tag(&at, file.contract.as_deref()), &mut errors);
    // A step naming a flow of a broken `flows:` would only echo it.
    let steps = flows.as_ref().and_then(|flows| {
        super::validate_step::steps_plan(&at, file.steps, flows)
            .map_err(|e| errors.extend(e))
            .ok()
    });
    let known_differences = take(
        known_differences_plan(&at, file.known_differences, step_count),
        &mut errors,
    );
    let (
        Some(flows),
        Some(tokens),
        Some(()),
        Some(needs),
        Some(settles),
        Some(contract),
        Some(steps),
        Some(known_differences),
    ) = (
        flows,
        tokens,
        covers,
        needs,
        settles,
        contract,
        steps,
        known_differences,
    )
    else {
        errors.sort_by_key(|e| (e.line, e.column));
        errors.truncate(super::read::MAX_ERRORS);
        return Err(errors);
    };
    Ok(Scenario {
        name: path
            .file_stem()
            .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned()),
        path: path.to_path_buf(),
        description: file.description,
        contract,
        digest: super::digest(text),
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

/// The value of `r`, or `None` with its error kept in `errors`.
fn take<T>(r: Result<T, ScenarioError>, errors: &mut Vec<ScenarioError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

fn flows_plan(
    at: &At<'_>,
    files: BTreeMap<String, FlowFile>,
) -> Result<BTreeMap<String, FlowPlan>, ScenarioError> {
    let mut flows = BTreeMap::new();
    for (alias, f) in files {
        let here = |message: String, hint: Option<&str>| {
            at.err_at(
                &format!("{alias}:"),
                format!("flow `{alias}`: "),
                message,
                hint,
            )
        };
        let Ok(trigger) = f.trigger.parse::<TriggerType>() else {
            return Err(here(
                format!("unknown trigger `{}`", f.trigger),
                Some("trigger is one of OnDemand, Scheduled, Event"),
            ));
        };
        if !alias
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(here(
                "a flow alias is letters, digits, `_` and `-`".into(),
                None,
            ));
        }
        let name = match f.name {
            Some(shape) => {
                Some(shape_plan(shape, 2).map_err(|m| here(format!("name: {m}"), None))?)
            }
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
    Ok(flows)
}

fn tokens_plan(
    at: &At<'_>,
    files: BTreeMap<String, ShapeFile>,
) -> Result<BTreeMap<String, Shape>, ScenarioError> {
    let mut tokens = BTreeMap::new();
    for (alias, shape) in files {
        let shape = shape_plan(shape, 1)
            .map_err(|m| at.err_at(&format!("{alias}:"), format!("token `{alias}`: "), m, None))?;
        tokens.insert(alias, shape);
    }
    Ok(tokens)
}

fn check_covers(at: &At<'_>, covers: &[String]) -> Result<(), ScenarioError> {
    let known = crate::contract::rule_ids();
    match covers.iter().find(|id| !known.contains(&id.as_str())) {
        Some(id) => Err(at.err_at(
            "covers:",
            String::new(),
            format!("covers: `{id}` is no rule id of APPFLOW.md"),
            Some("rule ids look like T1, V2, W6; see docs/APPFLOW.md"),
        )),
        None => Ok(()),
    }
}

fn needs_plan(at: &At<'_>, names: &[String]) -> Result<Vec<super::plan::Need>, ScenarioError> {
    names
        .iter()
        .map(|n| {
            super::plan::Need::from_name(n).ok_or_else(|| {
                at.err_at(
                    "needs:",
                    String::new(),
                    format!("needs: unknown need `{n}`"),
                    Some("a scenario can need: event-source, runs-in-progress"),
                )
            })
        })
        .collect()
}

fn settles_plan(at: &At<'_>, numbers: &[usize]) -> Result<Vec<(usize, String)>, ScenarioError> {
    let questions = crate::contract::open_questions();
    numbers
        .iter()
        .map(|n| match n.checked_sub(1).and_then(|i| questions.get(i)) {
            Some(q) => Ok((*n, (*q).to_owned())),
            None => Err(at.err_at(
                "settles:",
                String::new(),
                format!(
                    "settles: APPFLOW.md has no open question {n} (it has 1 to {})",
                    questions.len()
                ),
                None,
            )),
        })
        .collect()
}

fn contract_tag(at: &At<'_>, tag: Option<&str>) -> Result<Option<ContractTag>, ScenarioError> {
    let Some(tag) = tag else {
        return Ok(None);
    };
    ContractTag::ALL
        .into_iter()
        .find(|t| t.as_str() == tag)
        .map(Some)
        .ok_or_else(|| {
            at.err_at(
                "contract:",
                String::new(),
                format!("contract: unknown tag `{tag}`"),
                Some("contract is one of model, doc, seen, chosen (APPFLOW.md's tags)"),
            )
        })
}

fn known_differences_plan(
    at: &At<'_>,
    files: BTreeMap<String, Vec<String>>,
    steps: usize,
) -> Result<BTreeMap<TargetKind, Vec<String>>, ScenarioError> {
    let mut known_differences = BTreeMap::new();
    for (kind, paths) in files {
        let here = |message: String, hint: &str| {
            at.err_at(
                "known-differences:",
                "known-differences: ".into(),
                message,
                Some(hint),
            )
        };
        let kind = TargetKind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind)
            .ok_or_else(|| {
                here(
                    format!("unknown target kind `{kind}`"),
                    "the keys are target kinds: embedded, url, aws",
                )
            })?;
        for p in &paths {
            transcript_path(p, steps).map_err(|m| {
                here(
                    format!("`{p}`: {m}"),
                    "a path is steps.<N or *>.<request|response|responses|control>.<...>, e.g. steps.*.response.body.flowStatus",
                )
            })?;
        }
        known_differences.insert(kind, paths);
    }
    Ok(known_differences)
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
