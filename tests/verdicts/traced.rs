//! Every member a catalogue scenario asserts traces to a rule: the service
//! model requires it in the answer's shape, or the text of a rule of
//! APPFLOW.md names it. An assertion without a rule is a false alarm
//! waiting for an endpoint that leaves an optional member out.

use std::path::PathBuf;

use appflow_harness::contract::{APPFLOW_MD, model, rule_ids};
use appflow_harness::scenario::matcher::KEYWORDS;
use appflow_harness::scenario::{Expect, Scenario};
use serde_json::Value;

/// The text of rule `id` in APPFLOW.md: from `**id**` to the next rule id or
/// heading.
fn rule_text(id: &str) -> &'static str {
    let mark = format!("**{id}**");
    let Some(start) = APPFLOW_MD.find(&mark) else {
        return "";
    };
    let rest = &APPFLOW_MD[start + mark.len()..];
    let next_rule = rule_ids()
        .iter()
        .filter_map(|other| rest.find(&format!("**{other}**")))
        .min()
        .unwrap_or(rest.len());
    let next_heading = rest.find("\n#").unwrap_or(rest.len());
    &rest[..next_rule.min(next_heading)]
}

/// Members the contract names in words rather than by their wire name:
/// (member, the words of APPFLOW.md that name it).
const ALIASES: [(&str, &[&str]); 5] = [
    ("flowExecutions", &["execution record"]),
    ("executionStatus", &["InProgress"]),
    ("triggerType", &["trigger type"]),
    ("triggerConfig", &["trigger type"]),
    ("description", &["different input"]),
];

/// The member shape of `shape`'s `key` (through lists), if the model has it.
fn member_shape(shape: Option<&str>, key: &str) -> Option<String> {
    let s = model().shape(shape?)?;
    let m = s.get("members")?.get(key)?.get("shape")?.as_str()?;
    let ms = model().shape(m)?;
    match ms.get("type").and_then(Value::as_str) {
        Some("list") => ms.get("member")?.get("shape")?.as_str().map(str::to_owned),
        _ => Some(m.to_owned()),
    }
}

fn required(shape: Option<&str>, key: &str) -> bool {
    shape
        .and_then(|s| model().shape(s))
        .and_then(|s| s.get("required"))
        .and_then(Value::as_array)
        .is_some_and(|r| r.iter().any(|x| x == key))
}

/// Members of `body` that neither the model requires nor `texts` name.
fn untraced(body: &Value, shape: Option<&str>, texts: &[&str], at: &str, out: &mut Vec<String>) {
    match body {
        Value::Object(m) => {
            for (k, v) in m {
                if KEYWORDS.contains(&k.as_str()) {
                    // `contains: [..]`, `excludes: [..]`, `one-of`: items of the same shape.
                    untraced(v, shape, texts, at, out);
                    continue;
                }
                let words = ALIASES
                    .iter()
                    .find(|(m, _)| m == k)
                    .map_or(&[][..], |(_, w)| *w);
                let named =
                    |t: &&str| t.contains(k.as_str()) || words.iter().any(|w| t.contains(w));
                if !required(shape, k) && !texts.iter().any(named) {
                    out.push(format!("{at}.{k}"));
                }
                untraced(
                    v,
                    member_shape(shape, k).as_deref(),
                    texts,
                    &format!("{at}.{k}"),
                    out,
                );
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|x| untraced(x, shape, texts, at, out)),
        _ => {}
    }
}

fn bodies(e: &Expect) -> Vec<&Value> {
    e.body
        .iter()
        .chain(e.one_of.iter().flat_map(|a| a.body.iter()))
        .collect()
}

fn catalogue() -> Vec<Scenario> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    appflow_harness::scenario::load(&[dir]).expect("the catalogue loads")
}

#[test]
fn every_asserted_member_of_every_scenario_traces_to_a_rule_or_the_model() {
    let mut missing = Vec::new();
    for s in catalogue() {
        // Named by a rule (the words of APPFLOW.md, or ALIASES for them):
        // a member the contract names somewhere (flowStatus, O2) is not
        // invented; one no rule names (lastRunExecutionDetails) is.
        let texts: Vec<&str> = rule_ids().iter().map(|id| rule_text(id)).collect();
        for step in &s.steps {
            let Some(op) = step.action.operation() else {
                continue;
            };
            let shape = model().output_shape(op.name());
            for body in bodies(&step.expect) {
                let mut out = Vec::new();
                untraced(body, shape, &texts, "body", &mut out);
                missing.extend(
                    out.into_iter()
                        .map(|p| format!("{} step {} ({}): {p}", s.name, step.index, op.name())),
                );
            }
        }
    }
    assert!(
        missing.is_empty(),
        "assertions without a rule (neither required by the model nor named by a rule of APPFLOW.md):\n{}",
        missing.join("\n")
    );
}
