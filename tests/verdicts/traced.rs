//! Every member a catalogue scenario asserts traces to a rule it covers:
//! the service model requires it in the answer's shape, or the text of a
//! rule in the scenario's `covers:` names it; and the scenario's
//! `contract:` tag is one its rules have in APPFLOW.md. An assertion
//! without a rule is a false alarm waiting for an endpoint that leaves an
//! optional member out.

use std::collections::BTreeSet;
use std::path::PathBuf;

use appflow_harness::contract::{APPFLOW_MD, model, rule_ids};
use appflow_harness::scenario::matcher::KEYWORDS;
use appflow_harness::scenario::{Expect, Scenario};
use serde_json::Value;

/// Where rule `id` is defined in APPFLOW.md: its last bold mention (the
/// page's preamble names T1 and V2 as examples before their rules).
fn rule_start(id: &str) -> Option<usize> {
    APPFLOW_MD.rfind(&format!("**{id}**"))
}

/// The text of rule `id` in APPFLOW.md: from `**id**` to the next rule id or
/// heading.
fn rule_text(id: &str) -> &'static str {
    let mark = format!("**{id}**");
    let Some(start) = rule_start(id) else {
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

/// The tags (`model`, `doc`, `seen`, `chosen`) named inside `[...]` in `text`.
fn bracket_tags(text: &str) -> BTreeSet<&'static str> {
    let mut out = BTreeSet::new();
    for part in text.split('[').skip(1) {
        let inside = part.split(']').next().unwrap_or("");
        for word in inside.split(|c: char| !c.is_ascii_alphabetic()) {
            if let Some(tag) = TAGS.iter().find(|t| **t == word) {
                out.insert(*tag);
            }
        }
    }
    out
}

const TAGS: [&str; 4] = ["model", "doc", "seen", "chosen"];

/// The tags of rule `id`: those its own bullet or paragraph names, and
/// its section heading's (`## Wire protocol [model]`); a rule with
/// neither takes the tags its section states before its first rule
/// (`[doc] "ensures that..."`, `(all [chosen])`).
fn rule_tags(id: &str) -> BTreeSet<&'static str> {
    let Some(start) = rule_start(id) else {
        return BTreeSet::new();
    };
    let rest = &APPFLOW_MD[start..];
    let end = ["\n- ", "\n\n", "\n#"]
        .iter()
        .filter_map(|m| rest.find(m))
        .min()
        .unwrap_or(rest.len());
    let before = &APPFLOW_MD[..start];
    let section = before.rfind("\n#").unwrap_or(0);
    let heading_end = before[section + 1..]
        .find('\n')
        .map_or(before.len(), |n| section + 1 + n);
    let mut tags = bracket_tags(&rest[..end]);
    tags.extend(bracket_tags(&before[section..heading_end]));
    if tags.is_empty() {
        // The nearest statement before the rule in its section.
        let lead = &before[heading_end..];
        let last = lead
            .rfind("(all [")
            .or_else(|| lead.rfind('['))
            .unwrap_or(lead.len());
        tags = bracket_tags(&lead[last.saturating_sub(5)..]);
    }
    tags
}

/// Members the contract names in words rather than by their wire name:
/// (member, the words of APPFLOW.md that name it).
const ALIASES: [(&str, &[&str]); 8] = [
    // A rule that says which status a flow has names its flowStatus.
    (
        "flowStatus",
        &[
            "`Active`",
            "`Draft`",
            "`Suspended`",
            "current status",
            "and status",
        ],
    ),
    // S4: "ListFlows lists live flows".
    ("flowName", &["lists live flows"]),
    // A record's id: L2's "new execution record" of a run (O3 names it on
    // StartFlow's answer).
    ("executionId", &["execution record"]),
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
fn every_asserted_member_of_every_scenario_traces_to_a_rule_it_covers_or_the_model() {
    let mut missing = Vec::new();
    for s in catalogue() {
        // Named by a rule the scenario covers (the words of APPFLOW.md, or
        // ALIASES for them): a member no rule names
        // (lastRunExecutionDetails) is invented, and one named only by a
        // rule the scenario does not cover is checked under no id.
        let covered: Vec<&str> = s.covers.iter().map(|id| rule_text(id)).collect();
        for step in &s.steps {
            let Some(op) = step.action.operation() else {
                continue;
            };
            let shape = model().output_shape(op.name());
            for body in bodies(&step.expect) {
                let mut out = Vec::new();
                untraced(body, shape, &covered, "body", &mut out);
                missing.extend(
                    out.into_iter()
                        .map(|p| format!("{} step {} ({}): {p}", s.name, step.index, op.name())),
                );
            }
        }
    }
    assert!(
        missing.is_empty(),
        "assertions without a rule (neither required by the model nor named by a rule the scenario covers):\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_rules_of_appflow_md_carry_the_tags_the_page_gives_them() {
    for (id, tags) in [
        ("W2", &["model"][..]),
        ("W6", &["chosen", "model"]),
        ("T1", &["doc"]),
        ("T5", &["doc"]),
        ("T9", &["chosen"]),
        ("L5", &["chosen"]),
        ("S2", &["chosen", "seen"]),
        ("Q1", &["chosen", "doc", "model"]),
    ] {
        let got: Vec<&str> = rule_tags(id).into_iter().collect();
        assert_eq!(got, tags, "the tags of {id}");
    }
}

#[test]
fn every_scenario_s_contract_tag_is_the_tag_of_a_rule_it_covers() {
    let mut wrong = Vec::new();
    for s in catalogue() {
        let Some(tag) = s.contract else { continue };
        let tag = tag.as_str();
        let of_rules: BTreeSet<&str> = s.covers.iter().flat_map(|id| rule_tags(id)).collect();
        if !of_rules.contains(tag) {
            wrong.push(format!(
                "{} says `contract: {tag}`, but the rules it covers ({}) are {}",
                s.name,
                s.covers.join(", "),
                of_rules.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "a scenario's tag must be one its rules have:\n{}",
        wrong.join("\n")
    );
}
