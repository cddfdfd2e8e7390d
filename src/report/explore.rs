//! An exploration's renderings for people and machines: the terminal's
//! numbered steps with expected and actual side by side, and the JSON
//! report (`appflow-harness/explore-report/v1`).

use std::collections::HashSet;
use std::io::{self, Write};

use crate::explore::differ::differences;
use crate::explore::report::{Exploration, Finding, JSON_SCHEMA, describe};
use crate::explore::{Ending, Move, Stopped};
use crate::model::Invocation;

/// Why generation stopped, in words.
pub fn stopped(s: &Exploration) -> String {
    match s.stopped {
        Stopped::Time => format!("the {:.0}s time budget ran out", s.time_budget_secs),
        Stopped::Cases => format!("{} sequences were asked for", s.sequences),
        Stopped::Finding => "a finding was shrunk".to_owned(),
        Stopped::Error => "the explorer stopped".to_owned(),
    }
}

/// The counts, as every report says them (they always sum): "N sequences
/// (a passed, b failed, c not judged)".
pub fn counts(s: &Exploration) -> String {
    format!(
        "{} sequences ({} passed, {} failed, {} not judged)",
        s.sequences,
        s.passed,
        s.failed,
        s.unjudged.len()
    )
}

/// The terminal report: the counts (which always sum: passed + failed +
/// not judged = sequences), what the budget bought, the finding, the
/// fingerprint, and one verdict that agrees with the exit code.
pub fn render(s: &Exploration, target: &str, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "explored {target} with seed {}: {}, {} calls in {:.1}s ({:.0} sequences/s, {:.0} calls/s); stopped: {}",
        s.seed,
        counts(s),
        s.calls,
        s.elapsed_secs,
        s.sequences as f64 / s.elapsed_secs.max(1e-3),
        s.calls as f64 / s.elapsed_secs.max(1e-3),
        stopped(s),
    )?;
    for u in s.unjudged.iter().take(5) {
        writeln!(w, "  not judged: {u}")?;
    }
    if let Some(f) = &s.finding {
        render_finding(f, w)?;
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
    writeln!(w, "{}", verdict(s))
}

/// The last line: PASSED, or FAILED with the one reason that decided it
/// (the same as the exit code's).
pub fn verdict(s: &Exploration) -> String {
    if s.passed() {
        return "PASSED".to_owned();
    }
    let why = if s.finding.is_some() {
        "an answer outside the contract (FOUND above)".to_owned()
    } else if let Some(e) = &s.error {
        e.clone()
    } else if s.judged() == 0 {
        "no sequence was judged".to_owned()
    } else if s.fingerprint.iter().any(|f| f.candidates.is_empty()) {
        "sequences disagreed on a [chosen] rule (INCONSISTENT above)".to_owned()
    } else {
        "no sequence passed".to_owned()
    };
    format!("FAILED: {why}")
}

/// A finding as numbered steps: each step's answer and rule ids, the
/// failing step's admitted answers (rules, profiles) beside the actual one,
/// the saved file. The terminal and the JUnit report print the same text.
pub fn render_finding(f: &Finding, w: &mut dyn Write) -> io::Result<()> {
    let seq = &f.sequence;
    let earlier = earlier_runs(f);
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
        // A race of different writes names each; a burst counts its copies.
        let kind = |c: &Invocation| std::mem::discriminant(c);
        let mixed = (p.calls.iter().skip(1)).any(|c| kind(c) != kind(&p.calls[0]));
        let burst = if mixed {
            let others: Vec<String> = p.calls.iter().skip(1).map(describe).collect();
            format!(", at the same moment as {}", others.join(" and "))
        } else if p.calls.len() > 1 {
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
        if p.failed && p.wire_only {
            // The answer itself was admitted: expected would equal actual.
            for (o, body) in answers.iter().zip(&p.bodies) {
                writeln!(
                    w,
                    "      answered: {o}  body {body}  (admitted: [{}])",
                    p.rules.join(", ")
                )?;
            }
            for v in &p.violations {
                writeln!(w, "      broke:    {v}")?;
            }
        } else if p.failed {
            for a in &p.admitted {
                writeln!(
                    w,
                    "      expected: {}  [{}]  ({})",
                    a.answer,
                    a.rules.join(", "),
                    a.profiles
                )?;
                for o in p.observed.iter().take(1) {
                    for d in differences(&a.admitted.expect, o, &earlier) {
                        writeln!(w, "        differs: {d}")?;
                    }
                }
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
    if let Some(r) = &f.replays {
        writeln!(w, "{}", replays_line(r))?;
    }
    if let Ending::Unjudged(why) = &seq.ending {
        writeln!(
            w,
            "  (the shrunk sequence's last replay was not judged: {why})"
        )?;
    }
    Ok(())
}

/// The executionIds answered before the failing step, so that a
/// difference can name a run seen earlier.
pub fn earlier_runs(f: &Finding) -> HashSet<&str> {
    f.sequence
        .steps
        .iter()
        .filter(|p| !p.failed)
        .flat_map(|p| p.observed.iter())
        .filter_map(|o| o.execution_id.as_deref())
        .collect()
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

/// What the saved file's replays against the target showed: that it
/// reproduces the finding, or a warning saying how often it did not.
pub fn replays_line(r: &crate::explore::report::Replays) -> String {
    let n = r.played();
    if r.reproduced == n && n > 0 {
        return format!(
            "  replayed {n} times by check against this target: it failed at the failing step every time (the file reproduces the finding)"
        );
    }
    format!(
        "  WARNING: replayed {n} times by check against this target, the saved file failed at the failing step {} times (failed at another step {}, passed {}, undecided {}): the finding did not show on every replay (it may depend on the order calls at once answered, on timing or on what the account held); replay the file several times, or explore again with another seed",
        r.reproduced, r.failed_elsewhere, r.passed, r.undecided
    )
}
