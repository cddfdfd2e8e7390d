//! `load merge`: the reports of workers that ran together, as one report:
//! histograms added (never percentiles averaged), counts and token classes
//! summed, series merged by time, the duration the longest. Reports that do
//! not belong together are refused with the reason: a worker's index seen
//! twice, a report that is not a worker's, other targets, other options,
//! other worker counts.

use std::collections::{BTreeMap, HashMap};

use super::metrics::{Point, Recorded, Series};
use super::report::{LoadReport, RequestFigures, SCHEMA, SeriesReport};
use super::verdict::{self, Verdict};

/// Refuses `reports` (each named by where it came from) that do not
/// belong to one distributed run.
///
/// # Errors
/// The first reason found, naming the reports.
pub fn check(reports: &[(String, LoadReport)]) -> Result<(), String> {
    let Some((first_name, first)) = reports.first() else {
        return Err("no report to merge".into());
    };
    let mut indexes: HashMap<usize, &str> = HashMap::new();
    for (name, r) in reports {
        if r.schema != SCHEMA {
            return Err(format!(
                "{name}: a report of schema {} cannot be merged (want {SCHEMA}; run the workers with this version)",
                r.schema
            ));
        }
        let Some((i, n)) = r.run.worker else {
            return Err(format!(
                "{name}: not a worker's report (run without --workers/--worker-index): only the workers of one distributed run merge"
            ));
        };
        if let Some(other) = indexes.insert(i, name) {
            return Err(format!(
                "{other} and {name} are both worker {i}: the same worker twice would count its requests and tokens twice"
            ));
        }
        let (_, first_n) = first.run.worker.unwrap_or((0, n));
        if n != first_n {
            return Err(format!(
                "{first_name} is one of {first_n} workers, {name} one of {n}: not the same run"
            ));
        }
        if r.run.target != first.run.target {
            return Err(format!(
                "{first_name} ran against {}, {name} against {}: reports of different targets do not merge",
                first.run.target, r.run.target
            ));
        }
        if r.run.options != first.run.options {
            return Err(format!(
                "{first_name} and {name} ran with different options ({} / {}): not the same run",
                first.run.options, r.run.options
            ));
        }
        // A long run's series coarsen (metrics::MAX_POINTS): workers end
        // on the same interval or one a power of two apart, which merges
        // into the coarser one; any other pair is not the same run.
        let (a, b) = (first.series.interval_ms.max(1), r.series.interval_ms.max(1));
        let (fine, coarse) = (a.min(b), a.max(b));
        if coarse % fine != 0 || !(coarse / fine).is_power_of_two() {
            return Err(format!(
                "{first_name} and {name} have series of other intervals ({a} ms / {b} ms)"
            ));
        }
    }
    Ok(())
}

/// Merges reports that [`check`] accepted; the result is not yet judged
/// (`LoadReport::judge` with the merge's thresholds).
///
/// # Errors
/// What [`check`] refuses.
pub fn merge(reports: &[(String, LoadReport)]) -> Result<LoadReport, String> {
    check(reports)?;
    let all: Vec<&LoadReport> = reports.iter().map(|(_, r)| r).collect();
    let first = all[0];
    let duration = all.iter().map(|r| r.duration_secs).fold(0.0, f64::max);
    let mut by_name: BTreeMap<String, (Recorded, BTreeMap<u16, u64>, u64)> = BTreeMap::new();
    for r in all.iter().flat_map(|r| &r.by_request) {
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
    for (k, n) in all.iter().flat_map(|r| &r.errors) {
        *errors.entry(k.clone()).or_insert(0) += n;
    }
    let verdicts: Vec<Verdict> = all.iter().map(|r| r.verdict.clone()).collect();
    let mut run = first.run.clone();
    run.worker = None;
    run.started_at = all
        .iter()
        .map(|r| r.run.started_at)
        .fold(f64::INFINITY, f64::min);
    let series = merge_series(&all, run.started_at);
    let mut m = LoadReport::new(
        run,
        duration,
        by_request,
        errors,
        verdict::merge(&verdicts),
        series,
    );
    m.merged_from = all.len();
    m.interrupted = all.iter().any(|r| r.interrupted);
    if let Some((_, n)) = first.run.worker
        && all.len() < n
    {
        m.notes.push(format!(
            "merged {} of {n} workers: the others' reports were not given",
            all.len()
        ));
    }
    m.recount();
    Ok(m)
}

/// The workers' series on one time axis: each point moved by its worker's
/// start (`started_at`) after `start`, then points of the same interval
/// added (histograms and failure counts).
fn merge_series(reports: &[&LoadReport], start: f64) -> SeriesReport {
    // The coarsest worker's interval: finer series fold into it.
    let interval_ms = reports
        .iter()
        .map(|r| r.series.interval_ms)
        .max()
        .unwrap_or(1000)
        .max(1);
    let mut by_name: BTreeMap<String, BTreeMap<u32, Point>> = BTreeMap::new();
    // The workers' active spans on the merged axis: the earliest first send
    // to the latest last answer (none if any worker's is unknown).
    let mut active_ms: Option<(u64, u64)> = None;
    let mut spans_known = true;
    for r in reports {
        let offset_ms = ((r.run.started_at - start) * 1000.0).max(0.0);
        match r.series.active_ms {
            Some((from, to)) => {
                let shift = |v: u64| v + offset_ms.round() as u64;
                let (a, b) = active_ms.unwrap_or((u64::MAX, 0));
                active_ms = Some((a.min(shift(from)), b.max(shift(to))));
            }
            None => spans_known = false,
        }
        for s in &r.series.by_request {
            let points = by_name.entry(s.name.clone()).or_default();
            let own = r.series.interval_ms.max(1);
            for p in &s.points {
                let at = offset_ms + f64::from(p.index) * own as f64;
                // Same interval: the nearest slot; a finer one: the slot it starts in.
                let index = if own == interval_ms {
                    (at / interval_ms as f64).round() as u32
                } else {
                    (at / interval_ms as f64 + 1e-9).floor() as u32
                };
                let merged = match points.get(&index) {
                    Some(e) => e.merged(p, index),
                    None => Point::new(index, &p.histogram.histogram(), p.failures.clone()),
                };
                points.insert(index, merged);
            }
        }
    }
    SeriesReport {
        interval_ms,
        active_ms: active_ms.filter(|_| spans_known),
        by_request: by_name
            .into_iter()
            .map(|(name, points)| Series {
                name,
                points: points.into_values().collect(),
            })
            .collect(),
    }
}
