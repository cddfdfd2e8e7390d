//! The load report: per request type the latency (an HDR histogram, kept as
//! recorded values so reports merge exactly), answers by status and a time
//! series per interval; then three sections that each can fail the run:
//! correctness (the verdict), availability (error rate, by status and
//! reason) and evidence (enough fresh starts verified). Thresholds come on
//! top; one [`Thresholds`] judges a run or a merge, once (`judge`).
//! Merging is in `merge.rs`; renderings in `report/load_*.rs`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::metrics::{Recorded, Series};
use super::options::Thresholds;
use super::verdict::Verdict;

/// The JSON report's schema (docs/load-report.md); v3 added the series.
pub const SCHEMA: &str = "appflow-harness/load-report/v3";

/// One request type's figures over the whole run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestFigures {
    /// The request type (`StartFlow fresh` ...).
    pub name: String,
    /// Requests sent.
    pub requests: u64,
    /// Answers that were not what the transaction must answer.
    pub failures: u64,
    /// Requests per second of the run.
    pub requests_per_second: f64,
    /// Latency percentiles and maximum, µs.
    pub p50_us: u64,
    /// 90th percentile, µs.
    pub p90_us: u64,
    /// 99th percentile, µs.
    pub p99_us: u64,
    /// Slowest, µs.
    pub max_us: u64,
    /// HTTP status -> count (0: no answer).
    pub statuses: BTreeMap<u16, u64>,
    /// The latency histogram (µs), as recorded values and counts.
    pub histogram: Recorded,
}

impl RequestFigures {
    /// The figures of `name` from its histogram, over `secs` seconds.
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

/// The availability section: wrong or missing answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Availability {
    /// Requests whose answer was not what their transaction must answer, in percent.
    pub error_rate_pct: f64,
    /// The limit (`--max-error-rate`).
    pub max_error_rate_pct: f64,
    /// Requests were made and the rate is within the limit.
    pub passed: bool,
}

/// The evidence section: enough fresh starts verified on the target.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Evidence {
    /// Fresh starts whose run was found on the target.
    pub verified_starts: u64,
    /// The minimum asked for (`--min-verified`; at least 1 is always needed).
    pub minimum: u64,
    /// At least the minimum was verified.
    pub passed: bool,
}

/// A performance threshold (`--max-p99`, `--min-rps`) and how the run did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Threshold {
    /// `max-p99-ms` or `min-rps`.
    pub name: String,
    /// The limit asked for.
    pub limit: f64,
    /// What the run did.
    pub actual: f64,
    /// Within the limit.
    pub passed: bool,
}

/// The time series: one point per interval per request type.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SeriesReport {
    /// The interval, ms (`--interval`).
    pub interval_ms: u64,
    /// Each request type's points.
    pub by_request: Vec<Series>,
    /// (first send, last answer), ms after `run.started_at`: the first and
    /// last intervals ran only partly, and a rate over them is over this
    /// span (absent in reports of older versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_ms: Option<(u64, u64)>,
}

/// How a run ended, as a reader of the JSON report sees it at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunResult {
    /// Run to its planned end; every section and threshold held.
    Passed,
    /// A section or threshold failed (the default: an unjudged report
    /// is no pass).
    #[default]
    Failed,
    /// Cut short by Ctrl-C or SIGTERM: never a pass, whatever the sections
    /// of what ran say (`duration_secs` against `run.options.run_time_secs`).
    Interrupted,
}

/// Who ran what, where: enough to merge reports and to read one alone.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunInfo {
    /// The harness's version.
    pub harness_version: String,
    /// The target's base URL.
    pub target: String,
    /// `embedded`, `url` or `aws`.
    pub target_kind: String,
    /// Epoch seconds when the attack began.
    pub started_at: f64,
    /// (index, workers) of a distributed run's worker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker: Option<(usize, usize)>,
    /// The options as given (users, run time, mix ...): workers merged
    /// together must agree on them.
    pub options: serde_json::Value,
}

impl RunInfo {
    /// The run time asked for (`--run-time`), seconds, if the options say.
    pub fn planned_secs(&self) -> Option<f64> {
        self.options["run_time_secs"].as_f64()
    }
}

/// The whole report of a run (or of workers merged), as written to JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoadReport {
    /// [`SCHEMA`].
    pub schema: String,
    /// Who ran what, where.
    pub run: RunInfo,
    /// The attack's length, seconds: from the first request sent to the
    /// last request's end (the wall time of the attack when none was sent).
    pub duration_secs: f64,
    /// Requests of every type.
    pub requests: u64,
    /// Failures of every type.
    pub failures: u64,
    /// Requests per second of the whole run.
    pub requests_per_second: f64,
    /// The highest p99 of any request type.
    pub worst_p99_us: u64,
    /// The slowest request, µs.
    pub max_us: u64,
    /// Per request type.
    pub by_request: Vec<RequestFigures>,
    /// Per interval per request type.
    #[serde(default)]
    pub series: SeriesReport,
    /// Failure reasons -> count.
    pub errors: BTreeMap<String, u64>,
    /// Correctness: every fresh token accounted for.
    pub verdict: Verdict,
    /// Availability.
    pub availability: Availability,
    /// Evidence.
    pub evidence: Evidence,
    /// The performance thresholds asked for.
    pub thresholds: Vec<Threshold>,
    /// Things the reader should know (e.g. quota answers dominating).
    pub notes: Vec<String>,
    /// Reports merged into this one (1 for a single run).
    pub merged_from: usize,
    /// Stopped early by Ctrl-C or SIGTERM: flows deleted, figures of what ran.
    #[serde(default)]
    pub interrupted: bool,
    /// The run as a whole: passed, failed, or interrupted (set by `judge`).
    #[serde(default)]
    pub result: RunResult,
}

impl LoadReport {
    /// Builds the report, not yet judged (see [`LoadReport::judge`]).
    pub fn new(
        run: RunInfo,
        duration_secs: f64,
        by_request: Vec<RequestFigures>,
        errors: BTreeMap<String, u64>,
        verdict: Verdict,
        series: SeriesReport,
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
            series,
            errors,
            availability: Availability {
                error_rate_pct: 0.0,
                max_error_rate_pct: 0.0,
                passed: false,
            },
            evidence: Evidence {
                verified_starts: verdict.verified(),
                minimum: 1,
                passed: false,
            },
            verdict,
            thresholds: Vec::new(),
            notes: Vec::new(),
            merged_from: 1,
            interrupted: false,
            result: RunResult::Failed,
        };
        r.totals();
        r.judge(&Thresholds::default());
        r
    }

    /// Recomputes the totals and the notes from the figures.
    fn totals(&mut self) {
        self.by_request.sort_by(|a, b| a.name.cmp(&b.name));
        self.series.by_request.sort_by(|a, b| a.name.cmp(&b.name));
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
        self.evidence.verified_starts = self.verdict.verified();
        self.notes
            .retain(|n| !n.starts_with("quota:") && !n.starts_with("in progress:"));
        let fresh: u64 = self
            .by_request
            .iter()
            .filter(|r| r.name == "StartFlow fresh")
            .map(|r| r.requests)
            .sum();
        // Answers with `status` to the request types `named` picks.
        let answers = |named: fn(&str) -> bool, status: u16| -> u64 {
            self.by_request
                .iter()
                .filter(|r| named(&r.name))
                .filter_map(|r| r.statuses.get(&status))
                .sum()
        };
        let quota = answers(|n| n.starts_with("StartFlow"), 402);
        let refused = answers(|n| n == "StartFlow fresh", 409);
        // Quota answers that make up most of the failures, or of the fresh
        // starts, say more about the target's quotas than its behaviour.
        if quota > 0 && (quota * 2 > self.failures || quota * 2 > fresh) {
            self.notes.push(format!(
                "quota: {quota} StartFlow answers were 402 ServiceQuotaExceededException ({fresh} fresh starts, {} failures in all): the target's run quotas, not its behaviour, dominate this run (serve --max-concurrent-runs N --max-runs-per-month N lifts them)",
                self.failures
            ));
        }
        // A fresh start refused with 409 is C2's other candidate at work
        // (no start while the flow's last run is InProgress), not a fault.
        if refused > 0 && refused * 2 > self.failures {
            self.notes.push(format!(
                "in progress: {refused} fresh StartFlow answers were 409 ConflictException: the target refuses a start while the flow's last run is in progress (C2's other candidate in APPFLOW.md), so at most one run per flow at a time; spread the starts over more flows (--flows) or slow them (--throttle) to load it"
            ));
        }
    }

    /// Judges availability, evidence and the performance thresholds by
    /// `t` (a run's or a merge's; judging again replaces the last
    /// judgement), and the run as a whole (`result`: an interrupted run is
    /// never a pass).
    pub fn judge(&mut self, t: &Thresholds) {
        self.availability.max_error_rate_pct = t.max_error_rate_pct;
        self.availability.passed =
            self.requests > 0 && self.availability.error_rate_pct <= t.max_error_rate_pct;
        self.evidence.minimum = t.min_verified;
        self.evidence.passed = self.evidence.verified_starts >= t.min_verified.max(1);
        self.thresholds.clear();
        if let Some(limit) = t.max_p99_ms {
            let actual = self.worst_p99_us as f64 / 1000.0;
            self.thresholds.push(Threshold {
                name: "max-p99-ms".into(),
                limit,
                actual,
                passed: actual <= limit,
            });
        }
        if let Some(limit) = t.min_rps {
            let actual = self.requests_per_second;
            self.thresholds.push(Threshold {
                name: "min-rps".into(),
                limit,
                actual,
                passed: actual >= limit,
            });
        }
        self.result = if self.interrupted {
            RunResult::Interrupted
        } else if self.passed() {
            RunResult::Passed
        } else {
            RunResult::Failed
        };
    }

    /// Run to its end, and correctness, availability and evidence hold,
    /// and every threshold.
    pub fn passed(&self) -> bool {
        !self.interrupted
            && self.verdict.clean()
            && self.availability.passed
            && self.evidence.passed
            && self.thresholds.iter().all(|t| t.passed)
    }

    /// Recomputes totals after a merge (`merge.rs`).
    pub(super) fn recount(&mut self) {
        self.totals();
    }
}

/// The report of `state`'s figures, not yet judged.
pub(super) fn of_state(
    state: &super::state::LoadState,
    run: RunInfo,
    verdict: super::verdict::Verdict,
    secs: f64,
) -> LoadReport {
    let by_request = state
        .metrics
        .snapshot()
        .into_iter()
        .map(|(name, h, statuses, failures)| RequestFigures::new(name, h, statuses, failures, secs))
        .collect();
    let series = SeriesReport {
        interval_ms: state.metrics.interval_ms(),
        by_request: state.metrics.series(),
        active_ms: state.metrics.active_span_ms(),
    };
    LoadReport::new(
        run,
        secs,
        by_request,
        state.metrics.reasons(),
        verdict,
        series,
    )
}
