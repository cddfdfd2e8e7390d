//! Stage two: validates a scenario file into a plan, reporting every problem
//! against the file, line and step, with a hint. The file's parts are
//! checked here; its steps in `validate_step.rs`.

use std::collections::BTreeMap;
use std::path::Path;

use super::file::{FlowFile, ScenarioFile, ShapeFile};
use super::locate::{first_line, line_of, missing_key, plain_words, step_at, strip_location};
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
/// returned with its location.
pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    let at = At {
        shown: path.display().to_string(),
        text,
    };
    let file = read_file(&at)?;
    let flows = flows_plan(&at, file.flows)?;
    let tokens = tokens_plan(&at, file.tokens)?;
    check_covers(&at, &file.covers)?;
    let needs = needs_plan(&at, &file.needs)?;
    let settles = settles_plan(&at, &file.settles)?;
    let steps = super::validate_step::steps_plan(&at, file.steps, &flows)?;
    let contract = contract_tag(&at, file.contract.as_deref())?;
    let known_differences = known_differences_plan(&at, file.known_differences, steps.len())?;
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

/// Stage one: the file as written, with serde's messages said in words
/// and a missing top-level key located at the top of the file.
fn read_file(at: &At<'_>) -> Result<ScenarioFile, ScenarioError> {
    let text = at.text;
    serde_saphyr::from_str(text).map_err(|e| {
        let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        let message = plain_words(&strip_location(&first_line(&e.to_string())));
        if let Some(key) = missing_key(&message)
            && step_at(text, line).is_none()
        {
            // serde notices a missing key at the end of the mapping; say
            // it at the top, where the key belongs.
            return at.err(
                1,
                1,
                String::new(),
                format!("the scenario has no `{key}`"),
                Some(&format!(
                    "a scenario file starts with `{key}:` (see the scenario format in README.md)"
                )),
            );
        }
        let suggestion = did_you_mean(&message);
        ScenarioError {
            path: at.shown.clone(),
            line,
            column,
            context: step_at(text, line).map_or_else(String::new, |n| format!("step {n}: ")),
            message,
            hint: text.lines().nth(line.saturating_sub(1) as usize).map(|l| {
                let suggestion =
                    suggestion.map_or_else(String::new, |k| format!("did you mean `{k}`? "));
                format!(
                    "{suggestion}the line reads `{}`; see the scenario format in README.md",
                    l.trim()
                )
            }),
        }
    })
}

/// The expected key closest to a misspelled one, from serde's "unknown
/// field `expcet`, expected one of a, b, ..." (as clap suggests a flag).
fn did_you_mean(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (typo, rest) = rest.split_once('`')?;
    let expected: Vec<&str> = rest
        .split_once("expected one of ")?
        .1
        .split(',')
        .map(|k| k.trim().trim_matches('`'))
        .collect();
    super::expect_check::did_you_mean(typo, &expected).map(str::to_owned)
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
                    Some("a scenario can need: event-source"),
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
