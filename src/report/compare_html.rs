//! The comparison as one self-contained HTML page: inline style, no script,
//! no address outside the page, so it renders offline and can be kept as a
//! CI artifact. A parity table per operation and per scenario, then every
//! difference with both sides' answers side by side.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::Value;

use crate::compare::{Class, Comparison, Side};
use crate::runner::Status;

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

/// A scenario's status in words (as the JSON report spells it).
fn status(s: Status) -> &'static str {
    match s {
        Status::Passed => "passed",
        Status::Failed => "failed",
        Status::Skipped => "skipped",
        Status::Inconclusive => "inconclusive",
        Status::NotStarted => "not started",
    }
}

/// `v` as indented JSON, HTML-escaped, with the value at each path of
/// `marks` (`response.body.flowStatus`) inside `<mark>`: the field that
/// differs stands out in the side-by-side answers.
fn marked(v: &Value, marks: &[&str]) -> String {
    fn walk(v: &Value, at: &str, marks: &[&str], indent: usize, out: &mut String) {
        let pad = "  ".repeat(indent + 1);
        let close = "  ".repeat(indent);
        let child = |k: &str| {
            if at.is_empty() {
                k.to_owned()
            } else {
                format!("{at}.{k}")
            }
        };
        match v {
            Value::Object(m) if !m.is_empty() => {
                out.push_str("{\n");
                for (n, (k, x)) in m.iter().enumerate() {
                    out.push_str(&format!(
                        "{pad}{}: ",
                        esc(&Value::from(k.as_str()).to_string())
                    ));
                    walk(x, &child(k), marks, indent + 1, out);
                    out.push_str(if n + 1 < m.len() { ",\n" } else { "\n" });
                }
                out.push_str(&format!("{close}}}"));
            }
            Value::Array(a) if !a.is_empty() => {
                out.push_str("[\n");
                for (n, x) in a.iter().enumerate() {
                    out.push_str(&pad);
                    walk(x, &child(&n.to_string()), marks, indent + 1, out);
                    out.push_str(if n + 1 < a.len() { ",\n" } else { "\n" });
                }
                out.push_str(&format!("{close}]"));
            }
            leaf => {
                let text = esc(&leaf.to_string());
                if marks.contains(&at) {
                    out.push_str(&format!("<mark>{text}</mark>"));
                } else {
                    out.push_str(&text);
                }
            }
        }
    }
    let mut out = String::new();
    walk(v, "", marks, 0, &mut out);
    out
}

const STYLE: &str = r#"
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;color:#1d2330;padding:0 1rem;overflow-wrap:anywhere}
h1{font-size:1.5rem;margin:0 0 .2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #dde;padding-bottom:.3rem}
.sub{color:#5a6375}.score{font-size:2.6rem;font-weight:700;margin:.6rem 0 0}
.cards{display:flex;gap:.8rem;margin:1rem 0;flex-wrap:wrap}.card{border:1px solid #dde;border-radius:8px;padding:.5rem .9rem;flex:1;min-width:7rem}
.card b{display:block;font-size:1.3rem}.violation b{color:#b3261e}.allowed b{color:#2e6b45}.gap b{color:#a15c00}.known b{color:#35608f}.nc b{color:#666}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #eef}
th{background:#f5f6fa;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
.bar{display:inline-block;width:90px;height:8px;background:#f1d5d3;border-radius:4px;vertical-align:middle;margin-right:.4rem}
.bar span{display:block;height:8px;background:#2e8b57;border-radius:4px}
.tag{display:inline-block;border-radius:4px;padding:0 .4rem;font-size:.8rem;font-weight:600}
.tag.violation{background:#fde7e6;color:#b3261e}.tag.gap{background:#fff1dc;color:#a15c00}.tag.known{background:#e4eef9;color:#35608f}.tag.allowed{background:#e3f2e8;color:#2e6b45}.tag.not-compared{background:#eee;color:#555}
.pair{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:.6rem}pre{background:#f7f8fb;border:1px solid #e3e6ee;border-radius:6px;padding:.5rem;white-space:pre-wrap;overflow-wrap:anywhere;font-size:12px;margin:.2rem 0}
mark{background:#ffe08a;border-radius:2px;padding:0 .1rem}th{overflow-wrap:normal}.tag{white-space:nowrap}.changes{margin:.2rem 0 .8rem 1.2rem;padding:0}
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
    for (class, n, label, why) in [
        (
            "violation",
            t.violations,
            "violations".to_owned(),
            "a side breaks an expectation or the contract",
        ),
        (
            "gap",
            t.gaps,
            format!("gaps ({} fields)", t.gap_fields),
            "behaviours where both conform and chose differently",
        ),
        (
            "allowed",
            t.allowed,
            "allowed".to_owned(),
            "fields that differ only as the contract allows (W2, W5, S2, S3, L2)",
        ),
        (
            "known",
            t.known,
            "known".to_owned(),
            "known differences for this kind of target",
        ),
        (
            "nc",
            t.not_compared,
            "not compared".to_owned(),
            "skipped on one side",
        ),
    ] {
        writeln!(
            w,
            "<div class=\"card {class}\" title=\"{}\"><b>{n}</b>{}</div>",
            esc(why),
            esc(&label)
        )?;
    }
    writeln!(
        w,
        "</div><p class=\"sub\">A violation: a side breaks an expectation or the contract. A gap: one behaviour in which both sides conform and chose differently, however many answer fields it changes. Allowed: fields that differ only as the contract allows (W2, W5, S2, S3, L2), counted as equal.</p>"
    )?;

    let mut ops: BTreeMap<&str, (usize, usize, usize, usize)> = BTreeMap::new();
    for s in &c.scenarios {
        for (op, (compared, equal)) in &s.by_operation {
            let e = ops.entry(op.as_str()).or_default();
            e.0 += compared;
            e.1 += equal;
        }
        for e in &s.entries {
            // A failure of no step (set-up) gets a row of its own.
            if e.class == Class::Violation && e.message.is_some() {
                let op = e.operation.as_deref().unwrap_or("(scenario)");
                ops.entry(op).or_default().3 += 1;
            }
        }
    }
    // Gaps per operation: the behaviours that change its answers.
    for b in &c.gap_behaviours {
        for op in &b.operations {
            ops.entry(op.as_str()).or_default().2 += 1;
        }
    }
    writeln!(
        w,
        "<h2>Parity per operation</h2><table><tr><th>operation</th><th>parity</th><th>fields compared</th><th>gap behaviours</th><th>violations</th></tr>"
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
        "<h2>Parity per scenario</h2><table><tr><th>scenario</th><th>parity</th><th>baseline</th><th>target</th><th>violations</th><th>gap fields</th><th>allowed</th><th>not compared</th></tr>"
    )?;
    for s in &c.scenarios {
        writeln!(
            w,
            "<tr><td><a href=\"#{}\">{}</a></td><td>{}{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&s.name),
            esc(&s.name),
            bar(s.equal_fields, s.compared_fields),
            pct(s.equal_fields, s.compared_fields),
            status(s.baseline_status),
            status(s.target_status),
            s.count(Class::Violation),
            s.count(Class::Gap) + s.count(Class::Known),
            s.count(Class::Allowed),
            s.count(Class::NotCompared)
        )?;
    }
    writeln!(w, "</table>")?;

    if !c.gap_behaviours.is_empty() {
        writeln!(
            w,
            "<h2>Gaps: {} behaviour(s), {} answer fields</h2>",
            t.gaps, t.gap_fields
        )?;
        for (n, b) in c.gap_behaviours.iter().enumerate() {
            writeln!(
                w,
                "<div><b>{}. {}</b> <span class=\"sub\">at {}</span></div><ul class=\"changes\">",
                n + 1,
                esc(&b.operations.join(", ")),
                esc(&super::compare::places(b))
            )?;
            for ch in &b.changes {
                writeln!(
                    w,
                    "<li><code>{}</code>: baseline <code>{}</code> · target <mark>{}</mark></li>",
                    esc(&ch.path),
                    esc(super::compare::value(ch.baseline.as_ref())),
                    esc(super::compare::value(ch.target.as_ref()))
                )?;
            }
            writeln!(w, "</ul>")?;
        }
    }
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
                (Some(p), _) if e.class == Class::Allowed => format!(
                    "<code>{}</code> <span class=\"sub\">[{}]</span>",
                    esc(p),
                    esc(&e.rules.join(", "))
                ),
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
            let marks: Vec<&str> = s
                .entries
                .iter()
                .filter(|e| e.step == Some(p.step) && e.class != Class::Allowed)
                .filter_map(|e| e.path.as_deref())
                .collect();
            let pretty = |v: &Value| marked(v, &marks);
            writeln!(
                w,
                "<div class=\"sub\">step {} {}: the answers side by side</div><div class=\"pair\"><div><b>baseline</b><pre>{}</pre></div><div><b>target</b><pre>{}</pre></div></div>",
                p.step,
                esc(&p.name),
                pretty(&p.baseline),
                pretty(&p.target)
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
