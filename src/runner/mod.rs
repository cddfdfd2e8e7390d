//! The runner: plays scenarios against a target, in parallel where they are
//! isolated, and returns a [`Summary`] value that reports only render.

mod play;
pub mod target;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::scenario::Scenario;
pub use target::{Target, TargetKind};

#[derive(Debug, Clone)]
pub struct Options {
    pub jobs: usize,
    /// Where `.snap` files live; `None` checks no snapshots.
    pub snapshots: Option<PathBuf>,
    /// Rewrite snapshots instead of writing `.snap.new`.
    pub update: bool,
    /// Unique per run: flow names and tokens carry it.
    pub run_id: String,
    /// Recording date for snapshot metadata (YYYY-MM-DD).
    pub today: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Passed,
    Failed,
    Skipped,
}

#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// 1-based step, or absent for setup and snapshot failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
    /// expectation, contract, transport, snapshot, setup
    pub kind: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    pub index: usize,
    pub name: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    pub calls: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    pub name: String,
    pub file: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract: Option<String>,
    pub status: Status,
    pub steps: Vec<StepResult>,
    pub failures: Vec<Failure>,
    pub duration_ms: f64,
    /// The normalised transcript (what the snapshot holds).
    pub transcript: serde_json::Value,
    /// A snapshot written (`.snap.new` or updated `.snap`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot_written: Option<String>,
    #[serde(skip)]
    pub latencies: Vec<Duration>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    pub scenarios: usize,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub calls: usize,
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    pub calls_per_second: f64,
    pub duration_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub target: String,
    pub target_kind: TargetKind,
    pub region: String,
    pub scenarios: Vec<ScenarioResult>,
    pub totals: Totals,
}

impl Summary {
    pub fn passed(&self) -> bool {
        self.totals.failed == 0
    }
}

/// Plays every scenario; isolated ones `jobs` at a time, then those that
/// change target-wide state (clock, faults, quotas) one by one.
/// `progress` sees each result as its scenario ends.
pub async fn run(
    scenarios: Vec<Scenario>,
    target: Arc<Target>,
    options: Options,
    progress: impl Fn(&ScenarioResult),
) -> Summary {
    let started = Instant::now();
    let (exclusive, parallel): (Vec<_>, Vec<_>) = scenarios
        .into_iter()
        .enumerate()
        .partition(|(_, s)| s.exclusive());
    let options = Arc::new(options);
    let jobs = Arc::new(tokio::sync::Semaphore::new(options.jobs.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for (i, s) in parallel {
        let (target, options, jobs) = (target.clone(), options.clone(), jobs.clone());
        set.spawn(async move {
            let _permit = jobs.acquire_owned().await.ok();
            (i, play::play(&s, i, &target, &options).await)
        });
    }
    let mut results = Vec::new();
    while let Some(r) = set.join_next().await {
        match r {
            Ok(r) => {
                progress(&r.1);
                results.push(r);
            }
            Err(e) => eprintln!("error: a scenario task failed: {e}"),
        }
    }
    for (i, s) in exclusive {
        let r = play::play(&s, i, &target, &options).await;
        progress(&r);
        results.push((i, r));
    }
    results.sort_by_key(|(i, _)| *i);
    let scenarios: Vec<ScenarioResult> = results.into_iter().map(|(_, r)| r).collect();
    let elapsed = started.elapsed();
    let totals = totals(&scenarios, elapsed);
    Summary {
        target: target.endpoint.base_url().to_owned(),
        target_kind: target.kind,
        region: target.region.clone(),
        scenarios,
        totals,
    }
}

fn totals(scenarios: &[ScenarioResult], elapsed: Duration) -> Totals {
    let mut lat: Vec<Duration> = scenarios
        .iter()
        .flat_map(|s| s.latencies.iter().copied())
        .collect();
    lat.sort_unstable();
    let pct = |p: f64| {
        if lat.is_empty() {
            0.0
        } else {
            let i = ((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1;
            lat[i].as_secs_f64() * 1000.0
        }
    };
    let count = |st: Status| scenarios.iter().filter(|s| s.status == st).count();
    let secs = elapsed.as_secs_f64();
    Totals {
        scenarios: scenarios.len(),
        passed: count(Status::Passed),
        failed: count(Status::Failed),
        skipped: count(Status::Skipped),
        calls: lat.len(),
        latency_p50_ms: pct(0.50),
        latency_p99_ms: pct(0.99),
        calls_per_second: if secs > 0.0 {
            lat.len() as f64 / secs
        } else {
            0.0
        },
        duration_ms: secs * 1000.0,
    }
}
