//! An exploration's renderings for people and machines: the terminal's
//! numbered steps with expected and actual side by side, and the JSON
//! report (`appflow-harness/explore-report/v1`).

use std::io::{self, Write};

use crate::explore::report::{Exploration, Finding, JSON_SCHEMA, describe};
use crate::explore::{Ending, Move};

/// The terminal report.
pub fn render(s: &Exploration, target: &str, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "explored {target} with seed {}: {} sequences ({} passed, {} not judged, {} not run for time), {} calls in {:.1}s ({:.0} sequences/s, {:.0} calls/s)",
        s.seed,
        s.sequences,
        s.passed,
        s.unjudged.len(),
        s.not_run,
        s.calls,
        s.elapsed_secs,
        s.sequences as f64 / s.elapsed_secs.max(1e-3),
        s.calls as f64 / s.elapsed_secs.max(1e-3),
    )?;
    for u in s.unjudged.iter().take(5) {
        writeln!(w, "  not judged: {u}")?;
    }
    if let Some(f) = &s.finding {
        render_finding(f, w)?;
    }
    if let Some(e) = &s.error {
        writeln!(w, "FAILED: {e}")?;
    }
    writeln!(w, "fingerprint ([chosen] rules):")?;
    for f in &s.fingerprint {
        let state = match (f.exercised, f.candidates.as_slice()) {
            (_, []) => "INCONSISTENT: sequences disagreed".to_owned(),
            (false, _) => "never exercised".to_owned(),
            (true, c) => c.join(" or "),
        };
        let flag = f
            .serve_flag
            .as_deref()
            .map(|x| format!("  (serve {x})"))
            .unwrap_or_default();
        writeln!(w, "  {:<3} {state}{flag}", f.rule)?;
    }
    if s.passed == 0 {
        writeln!(w, "FAILED: no sequence was judged")?;
    }
    writeln!(w, "{}", if s.passed() { "PASSED" } else { "FAILED" })
}

/// A finding as numbered steps: each step's answer and rule ids, the
/// failing step's admitted answers (rules, profiles) beside the actual one,
/// the saved file. The terminal and the JUnit report print the same text.
pub fn render_finding(f: &Finding, w: &mut dyn Write) -> io::Result<()> {
    let seq = &f.sequence;
    writeln!(
        w,
        "FOUND an answer outside the contract after {:.1}s: shrunk from {} to {} steps ({} sequences tried)",
        f.found_after_secs,
        f.original_steps,
        seq.steps.len(),
        f.shrink_runs
    )?;
    for p in &seq.steps {
        let what = p
            .calls
            .first()
            .map_or_else(|| format!("{:?}", p.step), describe);
        let burst = if p.calls.len() > 1 {
            format!(" x{} at once", p.calls.len())
        } else {
            String::new()
        };
        let answers: Vec<String> = p
            .observed
            .iter()
            .map(|o| match (&p.step, o.status) {
                (Move::Lost { after, .. }, 0) => format!(
                    "no answer (dropped {} the call was applied, as the step asked)",
                    if *after { "after" } else { "before" }
                ),
                _ => serde_json::to_string(o).unwrap_or_default(),
            })
            .collect();
        let mark = if p.failed { "FAILED" } else { "" };
        writeln!(w, "  {:>2}. {what}{burst} {mark}", p.index)?;
        if let Some(why) = &p.skipped {
            writeln!(w, "      skipped: {why}")?;
            continue;
        }
        if p.failed {
            for a in &p.admitted {
                writeln!(
                    w,
                    "      expected: {}  [{}]  ({})",
                    a.answer,
                    a.rules.join(", "),
                    a.profiles
                )?;
            }
            for (o, body) in answers.iter().zip(&p.bodies) {
                writeln!(w, "      actual:   {o}  body {body}")?;
            }
            for v in &p.violations {
                writeln!(w, "      broke:    {v}")?;
            }
        } else {
            writeln!(
                w,
                "      -> {}  [{}]",
                answers.join(" | "),
                p.rules.join(", ")
            )?;
        }
    }
    if let Some(file) = &f.file {
        writeln!(
            w,
            "saved as {} (replay: appflow-harness check {} --no-snapshots)",
            file.display(),
            file.display()
        )?;
    }
    if let Ending::Unjudged(why) = &seq.ending {
        writeln!(
            w,
            "  (the shrunk sequence's last replay was not judged: {why})"
        )?;
    }
    Ok(())
}

/// The JSON report.
pub fn write_json(s: &Exploration, target: &str, w: &mut dyn Write) -> io::Result<()> {
    let mut v = serde_json::to_value(s).map_err(io::Error::other)?;
    v["schema"] = serde_json::Value::String(JSON_SCHEMA.into());
    v["target"] = serde_json::Value::String(target.to_owned());
    v["result"] = serde_json::Value::String(if s.passed() { "passed" } else { "failed" }.into());
    serde_json::to_writer_pretty(&mut *w, &v).map_err(io::Error::other)?;
    writeln!(w)
}
