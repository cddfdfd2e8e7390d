//! The load report: per request type the latency (an HDR histogram, kept as
//! recorded values so reports merge exactly) and answers by status; then
//! three sections that each can fail the run: correctness (the verdict),
//! availability (error rate, by status and reason) and evidence (enough
//! fresh starts verified). Thresholds come on top.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use super::metrics::Recorded;
use super::verdict::{self, Verdict};

pub const SCHEMA: &str = "appflow-harness/load-report/v2";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestFigures {
    pub name: String,
    pub requests: u64,
    pub failures: u64,
    pub requests_per_second: f64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    /// HTTP status -> count (0: no answer).
    pub statuses: BTreeMap<u16, u64>,
    /// The latency histogram (µs), as recorded values and counts.
    pub histogram: Recorded,
}

impl RequestFigures {
    pub fn new(
        name: String,
        histogram: Recorded,
        statuses: BTreeMap<u16, u64>,
        failures: u64,
        secs: f64,
    ) -> Self {
        let h = histogram.histogram();
        Self {
            requests: h.len(),
            requests_per_second: h.len() as f64 / secs.max(1e-9),
            p50_us: h.value_at_quantile(0.50),
            p90_us: h.value_at_quantile(0.90),
            p99_us: h.value_at_quantile(0.99),
            max_us: h.max(),
            name,
            failures,
            statuses,
            histogram,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Availability {
    /// Requests whose answer was not what their transaction must answer, in percent.
    pub error_rate_pct: f64,
    pub max_error_rate_pct: f64,
    pub passed: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Evidence {
    /// Fresh starts whose run was found on the target.
    pub verified_starts: u64,
    pub minimum: u64,
    pub passed: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Threshold {
    pub name: String,
    pub limit: f64,
    pub actual: f64,
    pub passed: bool,
}

/// Who ran what, where: enough to merge reports and to read one alone.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunInfo {
    pub harness_version: String,
    pub target: String,
    pub target_kind: String,
    /// Epoch seconds when the attack began.
    pub started_at: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker: Option<(usize, usize)>,
    /// The options as given (users, run time, mix ...).
    pub options: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadReport {
    pub schema: String,
    pub run: RunInfo,
    pub duration_secs: f64,
    pub requests: u64,
    pub failures: u64,
    pub requests_per_second: f64,
    /// The highest p99 of any request type.
    pub worst_p99_us: u64,
    pub max_us: u64,
    pub by_request: Vec<RequestFigures>,
    /// Failure reasons -> count.
    pub errors: BTreeMap<String, u64>,
    pub verdict: Verdict,
    pub availability: Availability,
    pub evidence: Evidence,
    pub thresholds: Vec<Threshold>,
    /// Things the reader should know (e.g. quota answers dominating).
    pub notes: Vec<String>,
    /// Reports merged into this one (1 for a single run).
    pub merged_from: usize,
    /// Stopped early by Ctrl-C: flows deleted, figures of what ran.
    #[serde(default)]
    pub interrupted: bool,
}

impl LoadReport {
    /// Builds the report; `max_error_rate_pct` and `min_verified` decide
    /// availability and evidence.
    pub fn new(
        run: RunInfo,
        duration_secs: f64,
        by_request: Vec<RequestFigures>,
        errors: BTreeMap<String, u64>,
        verdict: Verdict,
        max_error_rate_pct: f64,
        min_verified: u64,
    ) -> Self {
        let mut r = Self {
            schema: SCHEMA.into(),
            run,
            duration_secs,
            requests: 0,
            failures: 0,
            requests_per_second: 0.0,
            worst_p99_us: 0,
            max_us: 0,
            by_request,
            errors,
            availability: Availability {
                error_rate_pct: 0.0,
                max_error_rate_pct,
                passed: true,
            },
            evidence: Evidence {
                verified_starts: verdict.verified(),
                minimum: min_verified,
                passed: true,
            },
            verdict,
            thresholds: Vec::new(),
            notes: Vec::new(),
            merged_from: 1,
            interrupted: false,
        };
        r.settle();
        r
    }

    /// Recomputes the totals and sections from the figures.
    fn settle(&mut self) {
        self.by_request.sort_by(|a, b| a.name.cmp(&b.name));
        self.requests = self.by_request.iter().map(|r| r.requests).sum();
        self.failures = self.by_request.iter().map(|r| r.failures).sum();
        self.requests_per_second = self.requests as f64 / self.duration_secs.max(1e-9);
        self.worst_p99_us = self.by_request.iter().map(|r| r.p99_us).max().unwrap_or(0);
        self.max_us = self.by_request.iter().map(|r| r.max_us).max().unwrap_or(0);
        self.availability.error_rate_pct = if self.requests == 0 {
            100.0
        } else {
            100.0 * self.failures as f64 / self.requests as f64
        };
        self.availability.passed = self.requests > 0
            && self.availability.error_rate_pct <= self.availability.max_error_rate_pct;
        self.evidence.verified_starts = self.verdict.verified();
        self.evidence.passed = self.evidence.verified_starts >= self.evidence.minimum.max(1);
        self.notes.retain(|n| !n.starts_with("quota:"));
        let fresh: u64 = self
            .by_request
            .iter()
            .filter(|r| r.name == "StartFlow fresh")
            .map(|r| r.requests)
            .sum();
        let quota: u64 = self
            .by_request
            .iter()
            .filter(|r| r.name.starts_with("StartFlow"))
            .filter_map(|r| r.statuses.get(&402))
            .sum();
        // Quota answers that make up most of the failures, or of the fresh
        // starts, say more about the target's quotas than its behaviour.
        if quota > 0 && (quota * 2 > self.failures || quota * 2 > fresh) {
            self.notes.push(format!(
                "quota: {quota} StartFlow answers were 402 ServiceQuotaExceededException ({fresh} fresh starts, {} failures in all): the target's run quotas, not its behaviour, dominate this run (serve --max-concurrent-runs N --max-runs-per-month N lifts them)",
                self.failures
            ));
        }
    }

    /// Judges availability against another limit.
    pub fn set_max_error_rate(&mut self, pct: f64) {
        self.availability.max_error_rate_pct = pct;
        self.settle();
    }

    /// Adds the thresholds asked for.
    pub fn apply_thresholds(&mut self, max_p99_ms: Option<f64>, min_rps: Option<f64>) {
        self.thresholds.clear();
        if let Some(limit) = max_p99_ms {
            let actual = self.worst_p99_us as f64 / 1000.0;
            self.thresholds.push(Threshold {
                name: "max-p99-ms".into(),
                limit,
                actual,
                passed: actual <= limit,
            });
        }
        if let Some(limit) = min_rps {
            let actual = self.requests_per_second;
            self.thresholds.push(Threshold {
                name: "min-rps".into(),
                limit,
                actual,
                passed: actual >= limit,
            });
        }
    }

    /// Correctness, availability and evidence hold, and every threshold.
    pub fn passed(&self) -> bool {
        self.verdict.clean()
            && self.availability.passed
            && self.evidence.passed
            && self.thresholds.iter().all(|t| t.passed)
    }

    /// Merges the reports of workers that ran at the same time: histograms
    /// added (never percentiles averaged), counts and token classes summed,
    /// the duration the longest.
    pub fn merge(reports: &[LoadReport]) -> Result<LoadReport, String> {
        let first = reports.first().ok_or("no report to merge")?;
        for r in reports {
            if r.schema != SCHEMA {
                return Err(format!(
                    "a report of schema {} cannot be merged (want {SCHEMA})",
                    r.schema
                ));
            }
        }
        let duration = reports.iter().map(|r| r.duration_secs).fold(0.0, f64::max);
        let mut by_name: BTreeMap<String, (Recorded, BTreeMap<u16, u64>, u64)> = BTreeMap::new();
        for r in reports.iter().flat_map(|r| &r.by_request) {
            let e = by_name.entry(r.name.clone()).or_default();
            let mut h = e.0.histogram();
            let _ = h.add(r.histogram.histogram());
            e.0 = Recorded::of(&h);
            for (s, n) in &r.statuses {
                *e.1.entry(*s).or_default() += n;
            }
            e.2 += r.failures;
        }
        let by_request = by_name
            .into_iter()
            .map(|(name, (h, statuses, failures))| {
                RequestFigures::new(name, h, statuses, failures, duration)
            })
            .collect();
        let mut errors = BTreeMap::new();
        for (k, n) in reports.iter().flat_map(|r| &r.errors) {
            *errors.entry(k.clone()).or_insert(0) += n;
        }
        let verdicts: Vec<Verdict> = reports.iter().map(|r| r.verdict.clone()).collect();
        let mut run = first.run.clone();
        run.worker = None;
        run.started_at = reports
            .iter()
            .map(|r| r.run.started_at)
            .fold(f64::INFINITY, f64::min);
        let mut m = LoadReport::new(
            run,
            duration,
            by_request,
            errors,
            verdict::merge(&verdicts),
            first.availability.max_error_rate_pct,
            reports.iter().map(|r| r.evidence.minimum).sum(),
        );
        m.merged_from = reports.len();
        m.interrupted = reports.iter().any(|r| r.interrupted);
        Ok(m)
    }

    pub fn render(&self, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
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
        )?;
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
        if self.interrupted {
            writeln!(
                w,
                "interrupted (Ctrl-C): the figures are of what ran; the flows were deleted"
            )?;
        }
        Ok(())
    }
}
