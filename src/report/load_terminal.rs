//! The load report for a terminal.

use std::io::{self, Write};

use crate::load::report::{LoadReport, RunResult};

impl LoadReport {
    /// Writes the report for a terminal: the table of request types, the
    /// three sections, thresholds and notes, then one line with the run's
    /// result (the last line: what a reader or `tail -1` sees).
    ///
    /// # Errors
    /// The writer's.
    pub fn render(&self, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
        self.render_table(w)?;
        self.render_correctness(w)?;
        self.render_rest(w)?;
        writeln!(w, "{}", self.result_line())
    }

    /// The sections and thresholds that failed, by name (empty: none).
    pub fn failed_sections(&self) -> Vec<String> {
        let mut failed: Vec<String> = [
            ("correctness", self.verdict.clean()),
            ("availability", self.availability.passed),
            ("evidence", self.evidence.passed),
        ]
        .into_iter()
        .filter(|(_, ok)| !ok)
        .map(|(name, _)| name.to_owned())
        .collect();
        failed.extend(
            self.thresholds
                .iter()
                .filter(|t| !t.passed)
                .map(|t| format!("threshold {}", t.name)),
        );
        failed
    }

    /// The run's result in one line: passed, failed (naming what failed),
    /// or interrupted with the planned run time beside the actual.
    pub fn result_line(&self) -> String {
        let failed = self.failed_sections();
        let planned = self
            .run
            .planned_secs()
            .map_or_else(String::new, |p| format!(" of the planned {}", secs(p)));
        match self.result {
            RunResult::Interrupted => format!(
                "result: INTERRUPTED after {:.1} s{planned} (Ctrl-C or SIGTERM): not a pass; the figures are of what ran, the flows were deleted{}",
                self.duration_secs,
                if failed.is_empty() {
                    String::new()
                } else {
                    format!(", and {} failed even so", failed.join(", "))
                }
            ),
            RunResult::Passed => format!(
                "result: PASSED: correctness, availability and evidence ok{}; {:.1} s of requests{}",
                if self.thresholds.is_empty() {
                    String::new()
                } else {
                    ", thresholds met".to_owned()
                },
                self.duration_secs,
                self.run
                    .planned_secs()
                    .map_or_else(String::new, |p| format!(", {} planned", secs(p)))
            ),
            RunResult::Failed => format!(
                "result: FAILED: {}",
                if failed.is_empty() {
                    "not judged".to_owned()
                } else {
                    failed.join(", ")
                }
            ),
        }
    }

    /// The table of request types and the total line.
    fn render_table(&self, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
        writeln!(
            w,
            "{:<20} {:>9} {:>8} {:>10} {:>9} {:>9} {:>9} {:>9}",
            "request", "count", "fails", "req/s", "p50 us", "p90 us", "p99 us", "max us"
        )?;
        for r in &self.by_request {
            writeln!(
                w,
                "{:<20} {:>9} {:>8} {:>10.1} {:>9} {:>9} {:>9} {:>9}",
                r.name,
                r.requests,
                r.failures,
                r.requests_per_second,
                r.p50_us,
                r.p90_us,
                r.p99_us,
                r.max_us
            )?;
            let statuses: Vec<String> = r
                .statuses
                .iter()
                .map(|(s, n)| format!("{s}: {n}"))
                .collect();
            writeln!(w, "{:<20} statuses {}", "", statuses.join(", "))?;
        }
        writeln!(
            w,
            "total: {} requests in {:.1} s, {:.1} req/s, {} failures, worst p99 {} us, max {} us{}",
            self.requests,
            self.duration_secs,
            self.requests_per_second,
            self.failures,
            self.worst_p99_us,
            self.max_us,
            if self.merged_from > 1 {
                format!(" (merged from {} reports)", self.merged_from)
            } else {
                String::new()
            }
        )
    }

    /// The correctness section: token classes, errors, witnesses, examples.
    fn render_correctness(&self, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
        let v = &self.verdict;
        let c = &v.classes;
        writeln!(
            w,
            "\ncorrectness ({}): {}\n  {} fresh tokens: exactly once {}, recovered {}, lost {}, duplicated {}, unanswered {}, refused {}; {} runs found; {} attempts, {} retries\n  lost: {}  duplicated: {}  wrong replays: {}  wrong conflicts: {}",
            v.counted_by,
            if v.clean() { "ok" } else { "FAILED" },
            v.fresh_tokens,
            c.exactly_once,
            c.recovered,
            c.lost,
            c.duplicated,
            c.unanswered,
            c.refused,
            v.runs_found,
            v.attempts,
            v.retries,
            c.lost,
            c.duplicated,
            v.wrong_replays,
            v.wrong_conflicts
        )?;
        if c.evicted > 0 {
            writeln!(
                w,
                "  evicted {}: answered runs not listed when their flow was read, older by then than the target's documented retention (not lost, not verified)",
                c.evicted
            )?;
        }
        if v.t4_new_calls > 0 {
            writeln!(
                w,
                "  T4: {} replays older than the target's token TTL of {} were new calls, each with its own run (counted, not duplicated)",
                v.t4_new_calls, v.token_ttl
            )?;
        }
        for b in &v.behind {
            writeln!(w, "  reads behind: {b}")?;
        }
        if let Some(e) = &v.error {
            writeln!(w, "  the runs could not be counted: {e}")?;
        }
        if let Some(e) = &v.signing_failed {
            writeln!(
                w,
                "  a request could not be signed (none was sent unsigned): {e}"
            )?;
        }
        for x in &v.witnesses {
            writeln!(
                w,
                "  witness {}: flow {}{}{}{}{}",
                x.class,
                x.flow,
                x.token
                    .as_ref()
                    .map_or_else(String::new, |t| format!(", token {t}")),
                x.execution_id
                    .as_ref()
                    .map_or_else(String::new, |t| format!(", execution {t}")),
                x.request_id
                    .as_ref()
                    .map_or_else(String::new, |t| format!(", request {t}")),
                x.at_ms.map_or_else(String::new, |t| format!(", at {t} ms"))
            )?;
        }
        for e in &v.examples {
            writeln!(w, "  e.g. {e}")?;
        }
        Ok(())
    }

    /// Availability, evidence, thresholds, notes.
    fn render_rest(&self, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
        let a = &self.availability;
        writeln!(
            w,
            "availability: {} (error rate {:.2}%, at most {:.2}%)",
            if a.passed { "ok" } else { "FAILED" },
            a.error_rate_pct,
            a.max_error_rate_pct
        )?;
        for (e, n) in &self.errors {
            writeln!(w, "  {n}x {e}")?;
        }
        let ev = &self.evidence;
        writeln!(
            w,
            "evidence: {} ({} fresh starts verified, at least {} needed)",
            if ev.passed { "ok" } else { "FAILED" },
            ev.verified_starts,
            ev.minimum.max(1)
        )?;
        for t in &self.thresholds {
            writeln!(
                w,
                "threshold {}: limit {} actual {:.2}: {}",
                t.name,
                t.limit,
                t.actual,
                if t.passed { "ok" } else { "FAILED" }
            )?;
        }
        for n in &self.notes {
            writeln!(w, "note: {n}")?;
        }
        Ok(())
    }
}

/// Seconds as a person writes a run time: `30 s`, `2.5 s`.
pub(crate) fn secs(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0} s")
    } else {
        format!("{v:.1} s")
    }
}
