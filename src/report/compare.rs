//! The renderings of a [`Comparison`]: the terminal summary, Markdown for a
//! pull-request comment, and JSON (schema `docs/compare.schema.json`).

use std::io::{self, Write};

use serde_json::Value;

use crate::compare::{Class, Comparison, ScenarioParity};

fn show(v: &Option<Value>) -> String {
    v.as_ref()
        .map_or_else(|| "(absent)".to_owned(), Value::to_string)
}

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

/// A line per scenario, the gaps grouped by operation and path, the
/// violations, and the totals.
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
        let counts: Vec<String> = [
            Class::Violation,
            Class::Gap,
            Class::Known,
            Class::NotCompared,
        ]
        .into_iter()
        .filter_map(|k| {
            let n = if k == Class::Violation {
                s.entries
                    .iter()
                    .filter(|e| e.class == k && e.message.is_some())
                    .count()
            } else {
                s.count(k)
            };
            (n > 0).then(|| format!("{n} {}", k.as_str()))
        })
        .collect();
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
    let gaps = c.gaps_by_path();
    if !gaps.is_empty() {
        writeln!(
            w,
            "\ngaps (both sides conform, and answer differently), by operation and path:"
        )?;
        for ((op, path), at) in &gaps {
            let places: Vec<String> = at.iter().map(|(s, st)| format!("{s} step {st}")).collect();
            writeln!(w, "  {op} {path}: {} ({})", at.len(), places.join(", "))?;
            if let Some(e) = c.scenarios.iter().flat_map(|s| &s.entries).find(|e| {
                e.class == Class::Gap
                    && e.operation.as_deref() == Some(op.as_str())
                    && e.path.as_deref() == Some(path.as_str())
            }) {
                writeln!(
                    w,
                    "      baseline {}  |  target {}",
                    show(&e.baseline),
                    show(&e.target)
                )?;
            }
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
            writeln!(
                w,
                "  {} {name}{} [{}]: {}",
                match e.side {
                    Some(crate::compare::Side::Baseline) => "baseline",
                    _ => "target",
                },
                e.step.map_or_else(String::new, |s| format!(" step {s}")),
                e.rules.join(", "),
                e.message.as_deref().unwrap_or("").replace('\n', "\n      ")
            )?;
        }
    }
    let t = &c.totals;
    writeln!(
        w,
        "\n{} scenarios: {} violations, {} gaps, {} known, {} not compared; {} of {} compared answer fields equal; {}",
        t.scenarios,
        t.violations,
        t.gaps,
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

/// Markdown for a pull-request comment.
pub fn markdown(c: &Comparison, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
    let t = &c.totals;
    writeln!(
        w,
        "## AppFlow parity: `{}` vs `{}`\n",
        c.target.spec, c.baseline.spec
    )?;
    writeln!(
        w,
        "**{}** ({} of {} compared answer fields equal) · {} violations · {} gaps · {} known · {} not compared\n",
        c.headline(),
        t.equal_fields,
        t.compared_fields,
        t.violations,
        t.gaps,
        t.known,
        t.not_compared
    )?;
    writeln!(
        w,
        "| scenario | parity | violations | gaps | known | not compared |"
    )?;
    writeln!(w, "|---|---:|---:|---:|---:|---:|")?;
    for s in &c.scenarios {
        writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} |",
            md_cell(&s.name),
            scenario_score(s),
            s.count(Class::Violation),
            s.count(Class::Gap),
            s.count(Class::Known),
            s.count(Class::NotCompared)
        )?;
    }
    let gaps = c.gaps_by_path();
    if !gaps.is_empty() {
        writeln!(w, "\n### Gaps by operation and path\n")?;
        writeln!(w, "| operation | path | where |")?;
        writeln!(w, "|---|---|---|")?;
        for ((op, path), at) in gaps {
            let places: Vec<String> = at.iter().map(|(s, st)| format!("{s} #{st}")).collect();
            writeln!(
                w,
                "| {} | `{}` | {} |",
                md_cell(&op),
                md_cell(&path),
                md_cell(&places.join(", "))
            )?;
        }
    }
    Ok(())
}
