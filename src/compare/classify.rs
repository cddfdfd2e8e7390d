//! Classifying the differences between two runs of the same scenarios:
//! every difference is a violation (one side breaks an expectation or the
//! contract), allowed (the contract says both answers mean the same, or
//! leaves the timing open: [`super::room`]), a gap (both conform, and chose
//! differently), known (listed for the target's kind), or not compared (a
//! step skipped on one side).

use serde::Serialize;
use serde_json::Value;

use crate::appflow::TargetKind;
use crate::diff::{leaf_count, leaves};
use crate::runner::{FailureKind, ScenarioResult, Status, Summary};
use crate::scenario::Scenario;
use crate::snapshot::transform::{self, Transformer};

/// The class of one difference between the baseline and the target run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// One side breaks an expectation or a contract rule at the step (it fails there).
    Violation,
    /// Both sides conform and behave differently where the contract offers candidates
    /// (\[chosen\] rules): reported, not a failure (unless `--fail-on gap`).
    Gap,
    /// The answers differ only as the contract allows (W2 spellings, W5 members, S2 order, S3,
    /// L2 timing): listed with the rule, neither a gap nor a failure.
    Allowed,
    /// A difference the scenario lists under `known_differences` for the target's kind.
    Known,
    /// Not judged: the step was skipped on one side, or could not be judged (throttled,
    /// unanswered).
    NotCompared,
}

impl Class {
    /// The name shown in the reports (`"violation"`, `"gap"`, `"allowed"`, `"known"`,
    /// `"not compared"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Violation => "violation",
            Self::Gap => "gap",
            Self::Allowed => "allowed",
            Self::Known => "known",
            Self::NotCompared => "not compared",
        }
    }
}

/// Which of the two compared runs an entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// The run compare takes as the reference (`left` in the diff).
    Baseline,
    /// The run under comparison (`right` in the diff).
    Target,
}

/// One classified difference.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Violation, gap, known or not compared.
    pub class: Class,
    /// The 1-based step the difference is at; `None` for a failure of the whole scenario (setup).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
    /// The step's name from the scenario file, when the entry is at a step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_name: Option<String>,
    /// The AppFlow operation the step calls (`StartFlow`, ...); `None` for test-control steps and
    /// failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The transcript path (`response.body.flowStatus`) of a field difference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The baseline's value at `path` (`None` when absent there, or for failures).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Value>,
    /// The target's value at `path` (`None` when absent there, or for failures).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Value>,
    /// For violations: the side that breaks a rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub side: Option<Side>,
    /// For violations: the APPFLOW.md rule ids at stake; for allowed differences, the rule
    /// that allows it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// The failure message of a violation or the reason a step was not compared; `None` for field
    /// differences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// One scenario on both sides.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioParity {
    /// The scenario's name.
    pub name: String,
    /// The scenario's `description`, one line for the reports.
    pub description: String,
    /// How the scenario ended on the baseline.
    pub baseline_status: Status,
    /// How the scenario ended on the target.
    pub target_status: Status,
    /// Answer fields compared, and how many were equal.
    pub compared_fields: usize,
    /// Answer fields (JSON leaves of the transcript) that were equal on both sides.
    pub equal_fields: usize,
    /// Every classified difference: the failures of both sides first, then, step by step, the
    /// steps not compared and one entry per differing field.
    pub entries: Vec<Entry>,
    /// Each compared step's answers side by side, for the steps that differ.
    pub steps: Vec<StepPair>,
    /// Per operation: (answer fields compared, equal).
    pub by_operation: std::collections::BTreeMap<String, (usize, usize)>,
}

/// A step's transcript entry on both sides (after transformers).
#[derive(Debug, Clone, Serialize)]
pub struct StepPair {
    /// The step's 1-based index in the scenario file.
    pub step: usize,
    /// The step's name from the scenario file.
    pub name: String,
    /// The baseline's transcript entry for the step (its `name` and `step` keys removed).
    pub baseline: Value,
    /// The target's transcript entry for the step (its `name` and `step` keys removed).
    pub target: Value,
}

impl ScenarioParity {
    /// Entries of `class`; for violations, the failures (not the fields
    /// that differ at a violated step).
    pub fn count(&self, class: Class) -> usize {
        self.entries
            .iter()
            .filter(|e| e.class == class && (class != Class::Violation || e.message.is_some()))
            .count()
    }
}

/// Classifies `baseline` against `target` for every scenario both played.
pub fn classify(
    scenarios: &[Scenario],
    baseline: &Summary,
    target: &Summary,
    transformers: &[Transformer],
) -> Vec<ScenarioParity> {
    scenarios
        .iter()
        .filter_map(|s| {
            let b = baseline.scenarios.iter().find(|r| r.name == s.name)?;
            let t = target.scenarios.iter().find(|r| r.name == s.name)?;
            Some(scenario(s, b, t, target.target_kind, transformers))
        })
        .collect()
}

/// Whether two sides of a leaf mean the same: an absent list or map and an
/// empty one (W8); and, after an earlier difference, two placeholders of
/// the same kind numbered differently (`<execution-id:2>` and `:3`), which
/// follows from that difference rather than being one of its own.
fn same_meaning(left: Option<&Value>, right: Option<&Value>, troubled: bool) -> bool {
    let empty = |v: Option<&Value>| match v {
        None | Some(Value::Null) => true,
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(m)) => m.is_empty(),
        _ => false,
    };
    if empty(left) && empty(right) {
        return true;
    }
    let kind = |v: Option<&Value>| -> Option<String> {
        let s = v?.as_str()?.strip_prefix('<')?.strip_suffix('>')?;
        let (k, n) = s.rsplit_once(':')?;
        n.parse::<u32>().ok().map(|_| k.to_owned())
    };
    troubled && kind(left).is_some() && kind(left) == kind(right)
}

/// The rule ids a failure message names (`(W3)`), else the scenario's.
pub(super) fn rules_of(message: &str, s: &Scenario) -> Vec<String> {
    let named: Vec<String> = crate::contract::rule_ids()
        .iter()
        .filter(|id| message.contains(&format!("({id})")))
        .map(|id| (*id).to_owned())
        .collect();
    if named.is_empty() {
        s.covers.clone()
    } else {
        named
    }
}

// Long on purpose: one pass over a scenario's steps and paths, every difference classified in the order the report shows.
fn scenario(
    s: &Scenario,
    b: &ScenarioResult,
    t: &ScenarioResult,
    target_kind: TargetKind,
    transformers: &[Transformer],
) -> ScenarioParity {
    let mut entries = Vec::new();
    for (side, r) in [(Side::Baseline, b), (Side::Target, t)] {
        for f in r
            .failures
            .iter()
            .filter(|f| f.kind != FailureKind::Snapshot)
        {
            // A step that could not be judged proves nothing either way.
            let undecided = f.kind == FailureKind::Inconclusive;
            entries.push(Entry {
                class: if undecided {
                    Class::NotCompared
                } else {
                    Class::Violation
                },
                step: f.step,
                step_name: f
                    .step
                    .and_then(|i| r.steps.iter().find(|st| st.index == i))
                    .map(|st| st.name.clone()),
                // The operation of the failed step, so that the report's
                // per-operation rows count it (none for set-up failures).
                operation: f
                    .step
                    .and_then(|i| s.steps.iter().find(|st| st.index == i))
                    .and_then(|st| st.action.operation())
                    .map(|o| o.name().to_owned()),
                path: None,
                baseline: None,
                target: None,
                side: Some(side),
                rules: if undecided {
                    Vec::new()
                } else {
                    rules_of(&f.message, s)
                },
                message: Some(f.message.clone()),
            });
        }
    }
    let violated = |step: usize, r: &ScenarioResult| {
        r.failures.iter().any(|f| {
            f.step == Some(step)
                && !matches!(f.kind, FailureKind::Snapshot | FailureKind::Inconclusive)
        })
    };
    // Set once a step differs or fails: later placeholders may be numbered
    // differently on the two sides because of it.
    let mut troubled = false;
    let known: &[String] = s
        .known_differences
        .get(&target_kind)
        .map_or(&[], Vec::as_slice);
    let steps_of = |r: &ScenarioResult| -> Vec<Value> {
        let mut v = r.transcript.get("steps").cloned().unwrap_or(Value::Null);
        transform::apply(&mut v, transformers);
        transform::apply(&mut v, &s.transform);
        v.as_array().cloned().unwrap_or_default()
    };
    let (bs, ts) = (steps_of(b), steps_of(t));
    let (mut compared, mut equal) = (0, 0);
    let mut by_operation = std::collections::BTreeMap::new();
    let mut pairs = Vec::new();
    for (i, plan) in s.steps.iter().enumerate() {
        let (Some(x), Some(y)) = (bs.get(i), ts.get(i)) else {
            continue;
        };
        let skipped = |v: &Value| v.get("skipped") == Some(&Value::Bool(true));
        // Not played on either side (e.g. a `when:` branch neither took).
        if skipped(x) && skipped(y) {
            continue;
        }
        if skipped(x) || skipped(y) {
            entries.push(Entry {
                class: Class::NotCompared,
                step: Some(plan.index),
                step_name: Some(plan.name.clone()),
                operation: plan.action.operation().map(|o| o.name().to_owned()),
                path: None,
                baseline: None,
                target: None,
                side: Some(if skipped(x) {
                    Side::Baseline
                } else {
                    Side::Target
                }),
                rules: Vec::new(),
                message: Some("skipped on one side (no test-control API)".into()),
            });
            continue;
        }
        let answers = |v: &Value| {
            let mut a = v.clone();
            if let Some(m) = a.as_object_mut() {
                m.remove("name");
                m.remove("step");
            }
            a
        };
        let (x, y) = (answers(x), answers(y));
        let diffs: Vec<_> = leaves(&x, &y)
            .into_iter()
            .filter(|d| !same_meaning(d.left.as_ref(), d.right.as_ref(), troubled))
            .collect();
        troubled |= !diffs.is_empty() || violated(plan.index, b) || violated(plan.index, t);
        let op = plan.action.operation();
        let judged: Vec<_> = diffs
            .into_iter()
            .map(|d| {
                let full = format!("steps.{i}.{}", d.path);
                let is_known = known.iter().any(|k| transform::path_matches(k, &full));
                let at = super::field::Place {
                    op,
                    step: plan.index,
                    is_known,
                };
                let (class, side, rules) = super::field::judge(&at, &d, (&x, &y), (b, t), s);
                (d, class, side, rules)
            })
            .collect();
        let differing = judged.iter().filter(|j| j.1 != Class::Allowed).count();
        let fields = leaf_count(&x).max(leaf_count(&y));
        compared += fields;
        equal += fields.saturating_sub(differing);
        let name = op.map_or_else(|| "test-control".to_owned(), |o| o.name().to_owned());
        let slot = by_operation.entry(name).or_insert((0, 0));
        slot.0 += fields;
        slot.1 += fields.saturating_sub(differing);
        if judged.is_empty() {
            continue;
        }
        for (d, class, side, rules) in judged {
            entries.push(Entry {
                class,
                step: Some(plan.index),
                step_name: Some(plan.name.clone()),
                operation: op.map(|o| o.name().to_owned()),
                path: Some(d.path),
                baseline: d.left,
                target: d.right,
                side,
                rules,
                message: None,
            });
        }
        pairs.push(StepPair {
            step: plan.index,
            name: plan.name.clone(),
            baseline: x,
            target: y,
        });
    }
    ScenarioParity {
        name: s.name.clone(),
        description: s.description.clone(),
        baseline_status: b.status,
        target_status: t.status,
        compared_fields: compared,
        equal_fields: equal,
        entries,
        steps: pairs,
        by_operation,
    }
}

#[cfg(test)]
mod tests {
    use super::same_meaning;
    use serde_json::json;

    #[test]
    fn renumbered_placeholders_after_a_difference_and_absent_empty_lists_are_no_gaps() {
        let (a, b) = (json!("<execution-id:2>"), json!("<execution-id:3>"));
        assert!(
            same_meaning(Some(&a), Some(&b), true),
            "renumbering that follows an earlier difference"
        );
        assert!(
            !same_meaning(Some(&a), Some(&b), false),
            "on its own, a different run is a difference"
        );
        assert!(
            same_meaning(None, Some(&json!([])), false),
            "W8: absent equals empty"
        );
        assert!(!same_meaning(None, Some(&json!(["x"])), false));
    }
}
