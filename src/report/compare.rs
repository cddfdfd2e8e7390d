//! The renderings of a [`Comparison`]: the terminal summary, Markdown for a
//! pull-request comment, and JSON (schema `docs/compare.schema.json`).

use std::io::{self, Write};

use crate::compare::{Behaviour, Class, Comparison, ScenarioParity};

/// A scenario's share of equal fields, `–` where none was compared (as
/// the HTML report shows it).
fn scenario_score(s: &ScenarioParity) -> String {
    if s.compared_fields == 0 {
        "–".to_owned()
    } else {
        format!(
            "{:.1}%",
            s.equal_fields as f64 * 100.0 / s.compared_fields as f64
        )
    }
}

/// The classes a scenario's line counts, with their counts, as words
/// (`1 violation`, `1 gap (5 fields)`, `2 allowed`); gaps count the
/// behaviours that show in the scenario.
fn scenario_counts(c: &Comparison, s: &ScenarioParity) -> Vec<String> {
    let mut out = Vec::new();
    let violations = s.count(Class::Violation);
    if violations > 0 {
        out.push(format!("{violations} violation"));
    }
    let gaps = c
        .gap_behaviours
        .iter()
        .filter(|b| b.places.iter().any(|p| p.scenario == s.name))
        .count();
    if gaps > 0 {
        out.push(format!("{gaps} gap ({} field(s))", s.count(Class::Gap)));
    }
    for k in [Class::Known, Class::NotCompared, Class::Allowed] {
        let n = s.count(k);
        if n > 0 {
            out.push(format!("{n} {}", k.as_str()));
        }
    }
    out
}

/// A violation as every report says it: `target start_when_active step 1
/// [O3]: StartFlow body.executionId ...` (the side, the scenario, the step,
/// the rule ids, the message; its later lines indented).
pub fn violation_line(scenario: &str, e: &crate::compare::Entry) -> String {
    format!(
        "{} {scenario}{} [{}]: {}",
        match e.side {
            Some(crate::compare::Side::Baseline) => "baseline",
            _ => "target",
        },
        e.step.map_or_else(String::new, |s| format!(" step {s}")),
        e.rules.join(", "),
        e.message.as_deref().unwrap_or("").replace('\n', "\n      ")
    )
}

/// Where a behaviour shows, steps of one scenario together:
/// `start_when_active steps 2, 4; activation_replay step 3`.
pub fn places(b: &Behaviour) -> String {
    let mut by: Vec<(&str, Vec<String>)> = Vec::new();
    for p in &b.places {
        match by.iter_mut().find(|(s, _)| *s == p.scenario) {
            Some((_, steps)) => steps.push(p.step.to_string()),
            None => by.push((&p.scenario, vec![p.step.to_string()])),
        }
    }
    by.iter()
        .map(|(s, steps)| {
            format!(
                "{s} step{} {}",
                if steps.len() > 1 { "s" } else { "" },
                steps.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A value of a [`crate::compare::group::Change`] as shown: its JSON text, or `(absent)`.
pub fn value(v: Option<&String>) -> &str {
    v.map_or("(absent)", String::as_str)
}

/// The allowed differences by rule: (rule id, fields, places).
fn allowed_by_rule(c: &Comparison) -> Vec<(String, usize, Vec<String>)> {
    let mut out: Vec<(String, usize, Vec<String>)> = Vec::new();
    for s in &c.scenarios {
        for e in s.entries.iter().filter(|e| e.class == Class::Allowed) {
            let rule = e.rules.join(", ");
            let at = format!("{} step {}", s.name, e.step.unwrap_or_default());
            let slot = match out.iter().position(|(r, _, _)| *r == rule) {
                Some(p) => &mut out[p],
                None => {
                    out.push((rule, 0, Vec::new()));
                    out.last_mut().expect("just pushed")
                }
            };
            slot.1 += 1;
            if !slot.2.contains(&at) {
                slot.2.push(at);
            }
        }
    }
    out.sort();
    out
}

/// A line per scenario, the gaps as behaviours with the fields each
/// changes, the allowed differences by rule, the violations, and the
/// totals.
// Long on purpose: the comparison's terminal report top to bottom.
pub fn terminal(c: &Comparison, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
    writeln!(
        w,
        "baseline {} ({}: {} passed, {} failed, {} skipped)\ntarget   {} ({}: {} passed, {} failed, {} skipped)\n",
        c.baseline.spec,
        c.baseline.endpoint,
        c.baseline.passed,
        c.baseline.failed,
        c.baseline.skipped,
        c.target.spec,
        c.target.endpoint,
        c.target.passed,
        c.target.failed,
        c.target.skipped
    )?;
    for s in &c.scenarios {
        let counts = scenario_counts(c, s);
        writeln!(
            w,
            "{:>6} {}{}",
            scenario_score(s),
            s.name,
            if counts.is_empty() {
                String::new()
            } else {
                format!(": {}", counts.join(", "))
            }
        )?;
    }
    let t = &c.totals;
    if !c.gap_behaviours.is_empty() {
        writeln!(
            w,
            "\ngaps: {} behaviour(s) where both sides conform and chose differently ({} answer fields):",
            t.gaps, t.gap_fields
        )?;
        for (n, b) in c.gap_behaviours.iter().enumerate() {
            writeln!(
                w,
                "  {}. {} at {} step(s): {}",
                n + 1,
                b.operations.join(", "),
                b.places.len(),
                places(b)
            )?;
            for ch in &b.changes {
                writeln!(
                    w,
                    "       {}: baseline {}  |  target {}",
                    ch.path,
                    value(ch.baseline.as_ref()),
                    value(ch.target.as_ref())
                )?;
            }
        }
    }
    let allowed = allowed_by_rule(c);
    if !allowed.is_empty() {
        writeln!(
            w,
            "\nallowed differences (the contract leaves room; neither gaps nor failures):"
        )?;
        // A few places each: the JSON and HTML reports list them all.
        const SHOWN: usize = 3;
        for (rule, n, at) in allowed {
            let more = at.len().saturating_sub(SHOWN);
            let mut places = at
                .iter()
                .take(SHOWN)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if more > 0 {
                places.push_str(&format!(" and {more} more step(s)"));
            }
            writeln!(w, "  {rule}: {n} field(s) ({places})")?;
        }
    }
    let violations: Vec<(&str, &crate::compare::Entry)> = c
        .scenarios
        .iter()
        .flat_map(|s| s.entries.iter().map(move |e| (s.name.as_str(), e)))
        .filter(|(_, e)| e.class == Class::Violation && e.message.is_some())
        .collect();
    if !violations.is_empty() {
        writeln!(
            w,
            "\nviolations (a side breaks an expectation or the contract):"
        )?;
        for (name, e) in violations {
            writeln!(w, "  {}", violation_line(name, e))?;
        }
    }
    writeln!(
        w,
        "\n{} scenarios: {} violations, {} gaps ({} fields), {} allowed, {} known, {} not compared; {} of {} compared answer fields equal; {}",
        t.scenarios,
        t.violations,
        t.gaps,
        t.gap_fields,
        t.allowed,
        t.known,
        t.not_compared,
        t.equal_fields,
        t.compared_fields,
        c.headline()
    )
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Markdown for a pull-request comment, short: the verdict and the counts,
/// then only the scenarios with a difference to act on, then each gap
/// behaviour once.
pub fn markdown(c: &Comparison, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
    let t = &c.totals;
    writeln!(
        w,
        "## AppFlow parity: `{}` vs `{}`\n",
        c.target.spec, c.baseline.spec
    )?;
    writeln!(
        w,
        "**{}** ({} of {} compared answer fields equal) · {} violations · {} gaps ({} fields) · {} allowed · {} known · {} not compared\n",
        c.headline(),
        t.equal_fields,
        t.compared_fields,
        t.violations,
        t.gaps,
        t.gap_fields,
        t.allowed,
        t.known,
        t.not_compared
    )?;
    let acted: Vec<&ScenarioParity> = c
        .scenarios
        .iter()
        .filter(|s| s.entries.iter().any(|e| e.class != Class::Allowed))
        .collect();
    if acted.is_empty() {
        writeln!(
            w,
            "No scenario differs beyond the room the contract leaves ({} scenarios compared).",
            t.scenarios
        )?;
    } else {
        writeln!(w, "{} of {} scenarios differ:\n", acted.len(), t.scenarios)?;
        writeln!(w, "| scenario | parity | differences |")?;
        writeln!(w, "|---|---:|---|")?;
        for s in acted {
            writeln!(
                w,
                "| {} | {} | {} |",
                md_cell(&s.name),
                scenario_score(s),
                md_cell(&scenario_counts(c, s).join(", "))
            )?;
        }
    }
    if !c.gap_behaviours.is_empty() {
        writeln!(w, "\n### Gaps: {} behaviour(s)\n", t.gaps)?;
        for (n, b) in c.gap_behaviours.iter().enumerate() {
            let fields: Vec<String> = b
                .changes
                .iter()
                .map(|ch| {
                    format!(
                        "`{}` `{}` → `{}`",
                        ch.path,
                        value(ch.baseline.as_ref()),
                        value(ch.target.as_ref())
                    )
                })
                .collect();
            writeln!(
                w,
                "{}. **{}** at {}: {}",
                n + 1,
                md_cell(&b.operations.join(", ")),
                md_cell(&places(b)),
                md_cell(&fields.join("; "))
            )?;
        }
    }
    Ok(())
}
