//! The comparison as one self-contained HTML page: inline style, no script,
//! no address outside the page, so it renders offline and can be kept as a
//! CI artifact. A parity table per operation and per scenario, then every
//! difference with both sides' answers side by side.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::Value;

use crate::compare::{Class, Comparison, Side};

use crate::safe_text::escape_html as esc;

fn show(v: &Option<Value>) -> String {
    v.as_ref()
        .map_or_else(|| "(absent)".to_owned(), Value::to_string)
}

fn pct(equal: usize, compared: usize) -> String {
    if compared == 0 {
        "–".into()
    } else {
        format!("{:.1}%", equal as f64 * 100.0 / compared as f64)
    }
}

fn bar(equal: usize, compared: usize) -> String {
    let w = if compared == 0 {
        0.0
    } else {
        equal as f64 * 100.0 / compared as f64
    };
    format!(r#"<span class="bar"><span style="width:{w:.1}%"></span></span>"#)
}

const STYLE: &str = r#"
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;color:#1d2330;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #dde;padding-bottom:.3rem}
.sub{color:#5a6375}.score{font-size:2.6rem;font-weight:700;margin:.6rem 0 0}
.cards{display:flex;gap:.8rem;margin:1rem 0;flex-wrap:wrap}.card{border:1px solid #dde;border-radius:8px;padding:.5rem .9rem;min-width:7rem}
.card b{display:block;font-size:1.3rem}.violation b{color:#b3261e}.gap b{color:#a15c00}.known b{color:#35608f}.nc b{color:#666}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #eef}
th{background:#f5f6fa;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
.bar{display:inline-block;width:90px;height:8px;background:#f1d5d3;border-radius:4px;vertical-align:middle;margin-right:.4rem}
.bar span{display:block;height:8px;background:#2e8b57;border-radius:4px}
.tag{display:inline-block;border-radius:4px;padding:0 .4rem;font-size:.8rem;font-weight:600}
.tag.violation{background:#fde7e6;color:#b3261e}.tag.gap{background:#fff1dc;color:#a15c00}.tag.known{background:#e4eef9;color:#35608f}.tag.not-compared{background:#eee;color:#555}
.pair{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:.6rem}pre{background:#f7f8fb;border:1px solid #e3e6ee;border-radius:6px;padding:.5rem;overflow:auto;font-size:12px;margin:.2rem 0}
details{border:1px solid #e3e6ee;border-radius:8px;padding:.4rem .8rem;margin:.5rem 0}summary{cursor:pointer;font-weight:600}
code{background:#f1f2f6;border-radius:3px;padding:0 .25rem}
"#;

/// Writes `c` as one self-contained HTML page (inline style, no script, values
/// HTML-escaped): totals, a parity table per operation and per scenario,
/// then each difference with both sides' answers. Errors: write failures of `w`.
// Long on purpose: the page top to bottom, one section after another; split, the HTML's nesting would spread over functions.
pub fn render(c: &Comparison, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
    let t = &c.totals;
    writeln!(
        w,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
    )?;
    writeln!(
        w,
        "<title>AppFlow parity: {} vs {}</title><style>{STYLE}</style></head><body>",
        esc(&c.target.spec),
        esc(&c.baseline.spec)
    )?;
    writeln!(w, "<h1>AppFlow parity</h1>")?;
    writeln!(
        w,
        "<div class=\"sub\">target <code>{}</code> ({}) against baseline <code>{}</code> ({}), {} scenarios</div>",
        esc(&c.target.spec),
        esc(&c.target.endpoint),
        esc(&c.baseline.spec),
        esc(&c.baseline.endpoint),
        t.scenarios
    )?;
    writeln!(
        w,
        "<div class=\"score\">{}</div><div class=\"sub\">{}: {} of {} compared answer fields are equal</div>",
        if c.target.failed > 0 || c.target.passed == 0 {
            format!(
                "{} of {} scenarios failed",
                c.target.failed,
                c.target.passed + c.target.failed
            )
        } else {
            pct(t.equal_fields, t.compared_fields)
        },
        esc(&c.headline()),
        t.equal_fields,
        t.compared_fields
    )?;
    writeln!(w, "<div class=\"cards\">")?;
    for (class, n, label) in [
        (
            "violation",
            t.violations,
            "violations: a side breaks an expectation or the contract",
        ),
        ("gap", t.gaps, "gaps: both conform, and answer differently"),
        (
            "known",
            t.known,
            "known differences for this kind of target",
        ),
        ("nc", t.not_compared, "not compared: skipped on one side"),
    ] {
        writeln!(
            w,
            "<div class=\"card {class}\"><b>{n}</b>{}</div>",
            esc(label)
        )?;
    }
    writeln!(w, "</div>")?;

    let mut ops: BTreeMap<&str, (usize, usize, usize, usize)> = BTreeMap::new();
    for s in &c.scenarios {
        for (op, (compared, equal)) in &s.by_operation {
            let e = ops.entry(op.as_str()).or_default();
            e.0 += compared;
            e.1 += equal;
        }
        for e in &s.entries {
            let op = e.operation.as_deref().unwrap_or("(scenario)");
            let slot = ops.entry(op).or_default();
            match e.class {
                Class::Gap => slot.2 += 1,
                Class::Violation if e.message.is_some() => slot.3 += 1,
                _ => {}
            }
        }
    }
    writeln!(
        w,
        "<h2>Parity per operation</h2><table><tr><th>operation</th><th>parity</th><th>fields compared</th><th>gaps</th><th>violations</th></tr>"
    )?;
    for (op, (compared, equal, gaps, violations)) in &ops {
        writeln!(
            w,
            "<tr><td>{}</td><td>{}{}</td><td class=\"n\">{compared}</td><td class=\"n\">{gaps}</td><td class=\"n\">{violations}</td></tr>",
            esc(op),
            bar(*equal, *compared),
            pct(*equal, *compared)
        )?;
    }
    writeln!(w, "</table>")?;

    writeln!(
        w,
        "<h2>Parity per scenario</h2><table><tr><th>scenario</th><th>parity</th><th>baseline</th><th>target</th><th>violations</th><th>gaps</th><th>known</th><th>not compared</th></tr>"
    )?;
    for s in &c.scenarios {
        writeln!(
            w,
            "<tr><td><a href=\"#{}\">{}</a></td><td>{}{}</td><td>{:?}</td><td>{:?}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&s.name),
            esc(&s.name),
            bar(s.equal_fields, s.compared_fields),
            pct(s.equal_fields, s.compared_fields),
            s.baseline_status,
            s.target_status,
            s.count(Class::Violation),
            s.count(Class::Gap),
            s.count(Class::Known),
            s.count(Class::NotCompared)
        )?;
    }
    writeln!(w, "</table>")?;

    writeln!(w, "<h2>Every difference</h2>")?;
    for s in c.scenarios.iter().filter(|s| !s.entries.is_empty()) {
        writeln!(
            w,
            "<details id=\"{}\" open><summary>{} <span class=\"sub\">{}</span></summary>",
            esc(&s.name),
            esc(&s.name),
            esc(&s.description)
        )?;
        writeln!(
            w,
            "<table><tr><th>class</th><th>step</th><th>path or reason</th><th>baseline</th><th>target</th></tr>"
        )?;
        for e in &s.entries {
            let class = match e.class {
                Class::NotCompared => "not-compared",
                k => k.as_str(),
            };
            let what = match (&e.path, &e.message) {
                (Some(p), _) => format!("<code>{}</code>", esc(p)),
                (None, Some(m)) => format!(
                    "{}{}",
                    esc(m),
                    if e.rules.is_empty() {
                        String::new()
                    } else {
                        format!(" <span class=\"sub\">[{}]</span>", esc(&e.rules.join(", ")))
                    }
                ),
                _ => String::new(),
            };
            let side = match e.side {
                Some(Side::Baseline) if e.class == Class::Violation => " (baseline)",
                Some(Side::Target) if e.class == Class::Violation => " (target)",
                _ => "",
            };
            writeln!(
                w,
                "<tr><td><span class=\"tag {class}\">{}</span>{side}</td><td>{}</td><td>{what}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                esc(e.class.as_str()),
                e.step.map_or_else(String::new, |n| format!(
                    "{n} {}",
                    esc(e.step_name.as_deref().unwrap_or(""))
                )),
                if e.path.is_some() {
                    esc(&show(&e.baseline))
                } else {
                    String::new()
                },
                if e.path.is_some() {
                    esc(&show(&e.target))
                } else {
                    String::new()
                },
            )?;
        }
        writeln!(w, "</table>")?;
        for p in &s.steps {
            let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
            writeln!(
                w,
                "<div class=\"sub\">step {} {}: the answers side by side</div><div class=\"pair\"><div><b>baseline</b><pre>{}</pre></div><div><b>target</b><pre>{}</pre></div></div>",
                p.step,
                esc(&p.name),
                esc(&pretty(&p.baseline)),
                esc(&pretty(&p.target))
            )?;
        }
        writeln!(w, "</details>")?;
    }
    writeln!(
        w,
        "<p class=\"sub\">appflow-harness {} · schema {}</p></body></html>",
        env!("CARGO_PKG_VERSION"),
        c.schema
    )
}
