//! The human report: a line per scenario, then the failures with
//! expected/actual side by side, then the totals.

use std::io::{self, Write};

use crate::runner::{FailureKind, ScenarioResult, Status, Summary};

/// The line printed when a scenario ends.
pub fn scenario_line(r: &ScenarioResult) -> String {
    let tag = match r.status {
        Status::Passed => "PASS",
        Status::Failed => "FAIL",
        Status::Skipped => "SKIP",
    };
    let skipped = r
        .steps
        .iter()
        .filter(|s| s.status == Status::Skipped)
        .count();
    let mut line = format!("{tag} {} ({:.0} ms)", r.name, r.duration_ms);
    if skipped > 0 {
        line.push_str(&format!(", {skipped} step(s) skipped"));
    }
    if r.contract == Some(crate::scenario::ContractTag::Chosen) {
        line.push_str(" [chosen: unverified against AWS");
        for (n, q) in &r.settles {
            line.push_str(&format!("; a recording settles open question {n}: {q}"));
        }
        line.push(']');
    }
    line
}

/// Writes the end of a run for people: each failed scenario's failures
/// (expected and actual side by side), the snapshots written, parity
/// differences, wire rules broken, notes, then the totals (latency in ms,
/// calls/s, duration in s). Errors: write failures.
pub fn render(summary: &Summary, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
    let failed: Vec<&ScenarioResult> = summary
        .scenarios
        .iter()
        .filter(|s| s.status == Status::Failed)
        .collect();
    if !failed.is_empty() {
        writeln!(w, "\nfailures:")?;
    }
    for s in failed {
        writeln!(w, "\n--- {} ({})", s.name, s.file)?;
        writeln!(w, "    {}", s.description)?;
        // Behaviour first; the wire rules, broken on many answers alike, last.
        let (wire, behaviour): (Vec<_>, Vec<_>) =
            s.failures.iter().partition(|f| f.kind == FailureKind::Wire);
        for f in behaviour.into_iter().chain(wire) {
            let at = f.step.map_or_else(String::new, |n| {
                let name = s
                    .steps
                    .iter()
                    .find(|st| st.index == n)
                    .map_or("", |st| st.name.as_str());
                format!("step {n} ({name}) ")
            });
            writeln!(w, "  {at}[{}] {}", f.kind, indent(&f.message))?;
            if let (Some(e), Some(a)) = (&f.expected, &f.actual) {
                writeln!(w, "      expected: {e}")?;
                writeln!(w, "      actual:   {a}")?;
            }
        }
        if let Some(p) = &s.snapshot_written {
            writeln!(w, "  wrote {p}")?;
        }
    }
    for s in summary
        .scenarios
        .iter()
        .filter(|s| s.status != Status::Failed)
    {
        if let Some(p) = &s.snapshot_written {
            writeln!(w, "wrote {p}")?;
        }
    }
    let parity: Vec<&ScenarioResult> = summary
        .scenarios
        .iter()
        .filter(|s| !s.parity.is_empty())
        .collect();
    if !parity.is_empty() {
        let total: usize = parity.iter().map(|s| s.parity.len()).sum();
        writeln!(
            w,
            "\nparity differences from the reference ({total} in {} scenario(s); not failures: the contract and expectations decide):",
            parity.len()
        )?;
        for s in parity {
            let r = s.reference.as_ref();
            writeln!(
                w,
                "--- {} (reference `{}`, recorded on {} {})",
                s.name,
                r.map_or("?", |r| r.name.as_str()),
                r.and_then(|r| r.recorded_on.as_deref()).unwrap_or("?"),
                r.and_then(|r| r.recorded.as_deref()).unwrap_or("")
            )?;
            for d in &s.parity {
                let show = |v: &Option<serde_json::Value>| {
                    v.as_ref()
                        .map_or_else(|| "(absent)".to_owned(), |v| v.to_string())
                };
                writeln!(
                    w,
                    "  {}: reference {}, this target {}",
                    d.path,
                    show(&d.left),
                    show(&d.right)
                )?;
            }
        }
    }
    let wire = summary.wire();
    if !wire.is_empty() {
        writeln!(w, "\nwire rules broken (counted over the whole run):")?;
        for x in &wire {
            writeln!(
                w,
                "  wire: {}: {} ({}) on {} of {} answers",
                x.at, x.rule, x.id, x.count, summary.totals.answers
            )?;
        }
    }
    let notes = summary.notes();
    if !notes.is_empty() {
        writeln!(w, "\nnotes (not failures):")?;
        for (text, scenarios) in &notes {
            let n = scenarios.len();
            writeln!(
                w,
                "  {text} [{} scenario{}{}]",
                n,
                if n == 1 { "" } else { "s" },
                if n == 1 {
                    format!(": {}", scenarios[0])
                } else {
                    String::new()
                }
            )?;
        }
    }
    if summary.totals.throttled_retries > 0 {
        writeln!(
            w,
            "\nthrottled: {} answers were 429 and retried with the same request (backoff with jitter); not failures",
            summary.totals.throttled_retries
        )?;
    }
    let t = &summary.totals;
    if let Some(r) = summary.scenarios.iter().find_map(|s| s.reference.as_ref()) {
        writeln!(
            w,
            "\nreference: `{}`{}",
            r.name,
            match r.mode {
                crate::runner::SnapshotMode::Parity =>
                    ", parity (differences reported, not failures)",
                crate::runner::SnapshotMode::Record => ", recorded by this run",
                _ => ", strict",
            }
        )?;
    }
    writeln!(
        w,
        "\n{} scenarios against {} ({}): {} passed, {} failed, {} skipped; {} calls, latency p50 {:.2} ms, p99 {:.2} ms, {:.0} calls/s, {:.2} s",
        t.scenarios,
        summary.target,
        summary.target_kind.as_str(),
        t.passed,
        t.failed,
        t.skipped,
        t.calls,
        t.latency_p50_ms,
        t.latency_p99_ms,
        t.calls_per_second,
        t.duration_ms / 1000.0
    )
}

fn indent(s: &str) -> String {
    s.replace('\n', "\n      ")
}
