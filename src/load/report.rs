//! The load report: goose's figures per transaction (requests/s, latency
//! percentiles in microseconds, errors by status), the verdict, and the
//! thresholds that set the exit code.

use std::collections::BTreeMap;
use std::io::{self, Write};

use goose::metrics::GooseMetrics;
use serde::Serialize;

use super::verdict::Verdict;

#[derive(Debug, Clone, Serialize)]
pub struct RequestFigures {
    pub name: String,
    pub requests: usize,
    pub failures: usize,
    pub requests_per_second: f64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    /// HTTP status -> count (0: no answer).
    pub statuses: BTreeMap<u16, usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    pub schema: &'static str,
    pub duration_secs: usize,
    pub requests: usize,
    pub failures: usize,
    pub requests_per_second: f64,
    /// The highest p99 of any request type (a bound on the overall p99).
    pub worst_p99_us: u64,
    pub max_us: u64,
    pub by_request: Vec<RequestFigures>,
    /// Goose's failure reasons -> count.
    pub errors: BTreeMap<String, usize>,
    pub verdict: Verdict,
    pub token_pool: usize,
    pub thresholds: Vec<Threshold>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Threshold {
    pub name: String,
    pub limit: f64,
    pub actual: f64,
    pub passed: bool,
}

impl LoadReport {
    pub fn new(m: &GooseMetrics, verdict: Verdict, token_pool: usize) -> Self {
        let secs = m.duration.max(1);
        let mut by_request: Vec<RequestFigures> = m
            .requests
            .values()
            .map(|r| {
                let n = r.success_count + r.fail_count;
                RequestFigures {
                    name: r.path.clone(),
                    requests: n,
                    failures: r.fail_count,
                    requests_per_second: n as f64 / secs as f64,
                    p50_us: r.raw_data.percentile_us(0.50),
                    p90_us: r.raw_data.percentile_us(0.90),
                    p99_us: r.raw_data.percentile_us(0.99),
                    max_us: r.raw_data.maximum_time_us,
                    statuses: r.status_code_counts.iter().map(|(k, v)| (*k, *v)).collect(),
                }
            })
            .collect();
        by_request.sort_by(|a, b| a.name.cmp(&b.name));
        let requests: usize = by_request.iter().map(|r| r.requests).sum();
        let failures: usize = by_request.iter().map(|r| r.failures).sum();
        let errors = m
            .errors
            .values()
            .map(|e| (e.error.clone(), e.occurrences))
            .collect();
        Self {
            schema: "appflow-harness/load-report/v1",
            duration_secs: m.duration,
            requests,
            failures,
            requests_per_second: requests as f64 / secs as f64,
            worst_p99_us: by_request.iter().map(|r| r.p99_us).max().unwrap_or(0),
            max_us: by_request.iter().map(|r| r.max_us).max().unwrap_or(0),
            by_request,
            errors,
            verdict,
            token_pool,
            thresholds: Vec::new(),
        }
    }

    /// Adds the thresholds asked for; answers whether all hold.
    pub fn apply_thresholds(
        &mut self,
        max_p99_ms: Option<f64>,
        min_rps: Option<f64>,
        max_error_rate_pct: Option<f64>,
    ) -> bool {
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
        if let Some(limit) = max_error_rate_pct {
            let actual = if self.requests == 0 {
                0.0
            } else {
                100.0 * self.failures as f64 / self.requests as f64
            };
            self.thresholds.push(Threshold {
                name: "max-error-rate-pct".into(),
                limit,
                actual,
                passed: actual <= limit,
            });
        }
        self.thresholds.iter().all(|t| t.passed)
    }

    pub fn passed(&self) -> bool {
        self.verdict.clean() && self.thresholds.iter().all(|t| t.passed)
    }

    pub fn render(&self, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
        writeln!(
            w,
            "{:<26} {:>9} {:>8} {:>10} {:>9} {:>9} {:>9} {:>9}",
            "request", "count", "fails", "req/s", "p50 us", "p90 us", "p99 us", "max us"
        )?;
        for r in &self.by_request {
            writeln!(
                w,
                "{:<26} {:>9} {:>8} {:>10.1} {:>9} {:>9} {:>9} {:>9}",
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
            writeln!(w, "{:<26} statuses {}", "", statuses.join(", "))?;
        }
        writeln!(
            w,
            "total: {} requests in {} s, {:.1} req/s, {} failures, worst p99 {} us, max {} us",
            self.requests,
            self.duration_secs,
            self.requests_per_second,
            self.failures,
            self.worst_p99_us,
            self.max_us
        )?;
        for (e, n) in &self.errors {
            writeln!(w, "error {n}x: {e}")?;
        }
        let v = &self.verdict;
        writeln!(
            w,
            "verdict ({}): {} fresh tokens answered a run ({} unanswered), {} runs found",
            v.counted_by, v.fresh_ok, v.fresh_uncertain, v.runs_found
        )?;
        writeln!(
            w,
            "lost: {}  duplicated: {}  wrong replays: {}  wrong conflicts: {}",
            v.lost, v.duplicated, v.wrong_replays, v.wrong_conflicts
        )?;
        if let Some(e) = &v.error {
            writeln!(w, "verdict incomplete: {e}")?;
        }
        for e in &v.examples {
            writeln!(w, "  e.g. {e}")?;
        }
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
        Ok(())
    }
}
