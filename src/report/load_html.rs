//! The load report as one self-contained HTML page (inline style and SVG,
//! no script, nothing loaded from elsewhere): the three sections of the
//! verdict, the token classes, each request type's requests, failures and
//! latency over time (`charts`), its latency distribution as a picture, and
//! the error reasons.

use std::io::{self, Write};

use crate::load::report::{LoadReport, RunResult};
use crate::report::load_terminal::secs;

use crate::safe_text::escape_html as esc;

/// Latency percentiles as bars, to scale (the maximum is the full width).
fn latency_svg(r: &crate::load::report::RequestFigures) -> String {
    let h = r.histogram.histogram();
    let qs = [0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0];
    let max = h.max().max(1) as f64;
    let (w, row) = (520.0, 18.0);
    let mut svg = format!(
        r#"<svg width="{}" height="{}" role="img" aria-label="latency of {}">"#,
        w + 170.0,
        row * qs.len() as f64 + 4.0,
        esc(&r.name)
    );
    for (i, q) in qs.iter().enumerate() {
        let v = h.value_at_quantile(*q).max(1);
        let len = (v as f64 / max * w).max(1.0);
        let y = i as f64 * row + 2.0;
        svg.push_str(&format!(
            r##"<text x="0" y="{}" font-size="11" fill="#5a6375">p{}</text><rect x="52" y="{y}" width="{len:.1}" height="{}" rx="3" fill="#3b7dd8"/><text x="{:.1}" y="{}" font-size="11" fill="#1d2330">{v} µs</text>"##,
            y + 12.0,
            q * 100.0,
            row - 5.0,
            58.0 + len,
            y + 12.0
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// Writes the report as one HTML page.
///
/// # Errors
/// The writer's.
pub fn render(r: &LoadReport, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
    let v = &r.verdict;
    let c = &v.classes;
    let ok = |b: bool| {
        if b {
            "<b class=\"ok\">ok</b>"
        } else {
            "<b class=\"bad\">FAILED</b>"
        }
    };
    writeln!(
        w,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>AppFlow load: {}</title><style>
body{{font:14px/1.45 system-ui,sans-serif;max-width:1000px;margin:2rem auto;padding:0 1rem;color:#1d2330}}
h1{{font-size:1.5rem}}h2{{font-size:1.1rem;border-bottom:1px solid #dde;padding-bottom:.3rem;margin-top:1.8rem}}
table{{border-collapse:collapse;width:100%}}th,td{{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #eef}}th{{background:#f5f6fa}}
td.n{{text-align:right;font-variant-numeric:tabular-nums}}.ok{{color:#2e7d32}}.bad{{color:#b3261e}}.warn{{color:#b26a00}}.sub{{color:#5a6375}}
.verdict{{font-size:2rem;font-weight:700}}.verdict .sub{{font-size:1rem;font-weight:400}}</style></head><body>"#,
        esc(&r.run.target)
    )?;
    writeln!(
        w,
        "<h1>AppFlow StartFlow load test</h1><div class=\"sub\">{} ({}) · {:.1} s · {} requests · {:.1} req/s{}</div>",
        esc(&r.run.target),
        esc(&r.run.target_kind),
        r.duration_secs,
        r.requests,
        r.requests_per_second,
        if r.merged_from > 1 {
            format!(" · merged from {} workers", r.merged_from)
        } else {
            String::new()
        }
    )?;
    // The headline is the run's result: a run cut short is never shown as
    // passed, and says how much of the planned time it ran.
    let headline = match r.result {
        RunResult::Passed => "<span class=\"ok\">passed</span>".to_owned(),
        RunResult::Failed => "<span class=\"bad\">failed</span>".to_owned(),
        RunResult::Interrupted => format!(
            "<span class=\"warn\">interrupted</span> <span class=\"sub\">after {:.1} s{}: not a pass</span>",
            r.duration_secs,
            r.run
                .planned_secs()
                .map_or_else(String::new, |p| format!(" of the planned {}", secs(p)))
        ),
    };
    writeln!(w, "<div class=\"verdict\">{headline}</div>")?;
    run_table(r, w)?;
    writeln!(
        w,
        "<h2>Verdict</h2><table><tr><th>section</th><th>result</th><th>what</th></tr>"
    )?;
    writeln!(
        w,
        "<tr><td>correctness</td><td>{}</td><td>lost {}, duplicated {}, wrong replays {}, wrong conflicts {}{}</td></tr>",
        ok(v.clean()),
        c.lost,
        c.duplicated,
        v.wrong_replays,
        v.wrong_conflicts,
        v.error
            .as_ref()
            .or(v.signing_failed.as_ref())
            .map_or_else(String::new, |e| format!("; {}", esc(e)))
    )?;
    writeln!(
        w,
        "<tr><td>availability</td><td>{}</td><td>error rate {:.2}% (at most {:.2}%)</td></tr>",
        ok(r.availability.passed),
        r.availability.error_rate_pct,
        r.availability.max_error_rate_pct
    )?;
    writeln!(
        w,
        "<tr><td>evidence</td><td>{}</td><td>{} fresh starts verified (at least {})</td></tr>",
        ok(r.evidence.passed),
        r.evidence.verified_starts,
        r.evidence.minimum.max(1)
    )?;
    for t in &r.thresholds {
        writeln!(
            w,
            "<tr><td>threshold {}</td><td>{}</td><td>limit {} actual {:.2}</td></tr>",
            esc(&t.name),
            ok(t.passed),
            t.limit,
            t.actual
        )?;
    }
    writeln!(w, "</table>")?;
    tokens(r, w)?;
    figures(r, w)
}

/// What was run: the target, users, mix, planned and actual run time, the
/// rate cap (from the options the report keeps, so a merge shows them too).
fn run_table(r: &LoadReport, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
    let o = &r.run.options;
    let text = |key: &str| match &o[key] {
        serde_json::Value::Null => "not recorded".to_owned(),
        serde_json::Value::String(s) => s.clone(),
        // 8.0 users a second reads as 8.
        serde_json::Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => {
            format!("{:.0}", n.as_f64().unwrap_or_default())
        }
        v => v.to_string(),
    };
    let planned = r
        .run
        .planned_secs()
        .map_or_else(|| "not recorded".to_owned(), secs);
    let cap = match o["throttle"].as_u64() {
        Some(n) => format!("{n} requests/s, all users together (--throttle)"),
        None => "none (as fast as the target answers)".to_owned(),
    };
    let mut rows = vec![
        (
            "target",
            format!("{} ({})", r.run.target, r.run.target_kind),
        ),
        (
            "users",
            format!("{}, started {} a second", text("users"), text("hatch_rate")),
        ),
        ("mix", text("mix")),
        ("flows", format!("{} on-demand", text("flows"))),
        ("rate cap", cap),
        (
            "run time",
            format!(
                "{planned} planned; requests sent for {:.1} s{}",
                r.duration_secs,
                if r.interrupted { " (interrupted)" } else { "" }
            ),
        ),
    ];
    if r.merged_from > 1 {
        rows.push(("workers", format!("{} reports merged", r.merged_from)));
    }
    writeln!(w, "<h2>Run</h2><table>")?;
    for (k, v) in rows {
        writeln!(w, "<tr><th>{k}</th><td>{}</td></tr>", esc(&v))?;
    }
    writeln!(w, "</table>")
}

/// The token classes and the witnesses.
fn tokens(r: &LoadReport, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
    let v = &r.verdict;
    let c = &v.classes;
    writeln!(
        w,
        "<h2>Fresh tokens</h2><table><tr><th>class</th><th>tokens</th></tr>"
    )?;
    for (name, n) in [
        ("exactly once", c.exactly_once),
        (
            "recovered (an answer lost, the retry answered)",
            c.recovered,
        ),
        ("lost (answered, no run listed)", c.lost),
        ("duplicated (runs beyond one per token)", c.duplicated),
        ("unanswered (zero or one run allowed)", c.unanswered),
        ("refused (4xx)", c.refused),
        (
            "evicted (older than the target's documented retention when read)",
            c.evicted,
        ),
        (
            "replays older than the token TTL: new calls (T4)",
            v.t4_new_calls,
        ),
    ] {
        writeln!(w, "<tr><td>{}</td><td class=\"n\">{n}</td></tr>", esc(name))?;
    }
    writeln!(
        w,
        "</table><p class=\"sub\">{} fresh tokens, {} runs found, {} attempts, {} retries</p>",
        v.fresh_tokens, v.runs_found, v.attempts, v.retries
    )?;
    for b in &v.behind {
        writeln!(w, "<p class=\"sub\">reads behind: {}</p>", esc(b))?;
    }
    if !v.witnesses.is_empty() {
        writeln!(
            w,
            "<h2>Witnesses</h2><table><tr><th>class</th><th>flow</th><th>token</th><th>execution</th><th>request</th><th>at</th></tr>"
        )?;
        for x in &v.witnesses {
            writeln!(
                w,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&x.class),
                esc(&x.flow),
                esc(x.token.as_deref().unwrap_or("")),
                esc(x.execution_id.as_deref().unwrap_or("")),
                esc(x.request_id.as_deref().unwrap_or("")),
                x.at_ms.map_or_else(String::new, |t| format!("{t} ms"))
            )?;
        }
        writeln!(w, "</table>")?;
    }
    Ok(())
}

/// The series charts, latency pictures, error reasons and notes.
fn figures(r: &LoadReport, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
    if !r.series.by_request.is_empty() {
        writeln!(
            w,
            "<h2>Over time</h2><p class=\"sub\">one point per {} ms per request type; failures as red bars</p>",
            r.series.interval_ms
        )?;
        for s in &r.series.by_request {
            let (rate, latency) = super::load_charts::series_svgs(
                s,
                r.series.interval_ms,
                r.series.active_ms,
                r.duration_secs,
            );
            writeln!(w, "<h3>{}</h3>{rate}{latency}", esc(&s.name))?;
        }
    }
    writeln!(w, "<h2>Latency</h2>")?;
    for req in &r.by_request {
        let statuses: Vec<String> = req
            .statuses
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect();
        writeln!(
            w,
            "<h3>{}</h3><div class=\"sub\">{} requests, {} failures, {:.1} req/s; p50 {} µs, p99 {} µs, max {} µs; statuses {}</div>{}",
            esc(&req.name),
            req.requests,
            req.failures,
            req.requests_per_second,
            req.p50_us,
            req.p99_us,
            req.max_us,
            esc(&statuses.join(", ")),
            latency_svg(req)
        )?;
    }
    if !r.errors.is_empty() {
        writeln!(
            w,
            "<h2>Error reasons</h2><table><tr><th>reason</th><th>count</th></tr>"
        )?;
        for (e, n) in &r.errors {
            writeln!(w, "<tr><td>{}</td><td class=\"n\">{n}</td></tr>", esc(e))?;
        }
        writeln!(w, "</table>")?;
    }
    for n in &r.notes {
        writeln!(w, "<p class=\"sub\">note: {}</p>", esc(n))?;
    }
    writeln!(
        w,
        "<p class=\"sub\">appflow-harness {} · {}</p></body></html>",
        esc(&r.run.harness_version),
        esc(&r.schema)
    )
}
