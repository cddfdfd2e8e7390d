//! The load test's own figures, recorded by the transactions: a latency
//! histogram (HDR, microseconds) and answer counts per request type, and
//! failure reasons; and the same per interval (`--interval`, 1 s) as a time
//! series. Histograms are kept in reports as their recorded values and
//! counts, so reports of several workers merge exactly (series by time).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// Latencies from 1 µs to 10 minutes, 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).unwrap_or_else(|_| {
        Histogram::new(3).unwrap_or_else(|_| unreachable!("3 significant digits are valid"))
    })
}

/// A histogram as a report keeps it: (value in µs, count) of each recorded bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Recorded {
    /// (value, count) of each bucket with a count, ascending.
    pub values: Vec<(u64, u64)>,
}

impl Recorded {
    /// The recorded buckets of `h`.
    pub fn of(h: &Histogram<u64>) -> Self {
        Self {
            values: h
                .iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect(),
        }
    }

    /// The histogram again (3 significant digits).
    pub fn histogram(&self) -> Histogram<u64> {
        let mut h = new_histogram();
        for (v, n) in &self.values {
            let _ = h.record_n(*v, *n);
        }
        h
    }
}

/// Latencies of one interval: 2 significant digits (1%) keep an hour of
/// per-second histograms small.
fn interval_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 2).unwrap_or_else(|_| new_histogram())
}

/// One interval of one request type, as the report keeps it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// The interval's number: it began `index` x the series' interval after
    /// the attack began.
    pub index: u32,
    /// Requests answered (or not) in it.
    pub requests: u64,
    /// Failure reason -> count.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub failures: BTreeMap<String, u64>,
    /// Latency percentiles, µs.
    pub p50_us: u64,
    /// 90th percentile, µs.
    pub p90_us: u64,
    /// 99th percentile, µs.
    pub p99_us: u64,
    /// The interval's latency histogram (µs, 2 significant digits), so
    /// that workers' series merge exactly by time.
    pub histogram: Recorded,
}

impl Point {
    /// The point of interval `index` from its histogram and failures.
    pub fn new(index: u32, h: &Histogram<u64>, failures: BTreeMap<String, u64>) -> Self {
        Self {
            index,
            requests: h.len(),
            failures,
            p50_us: h.value_at_quantile(0.50),
            p90_us: h.value_at_quantile(0.90),
            p99_us: h.value_at_quantile(0.99),
            histogram: Recorded::of(h),
        }
    }

    /// Failures of every reason.
    pub fn failed(&self) -> u64 {
        self.failures.values().sum()
    }

    /// This point and `other` as one point of interval `index` (their
    /// histograms added, their failures summed): a coarsened series' and a
    /// merge of workers' series alike.
    pub(super) fn merged(&self, other: &Point, index: u32) -> Point {
        let mut h = self.histogram.histogram();
        let _ = h.add(other.histogram.histogram());
        let mut failures = self.failures.clone();
        for (k, n) in &other.failures {
            *failures.entry(k.clone()).or_default() += n;
        }
        Point::new(index, &h, failures)
    }
}

/// Points a series keeps per request type. Past this many, every series
/// halves its resolution (neighbouring intervals merged, the interval
/// doubled), so memory stays flat however long the attack runs: an hour at
/// 1 s kept 3,600 histograms a type and grew load's RSS x1.9.
pub const MAX_POINTS: usize = 720;

/// One request type's points, oldest first (intervals without a request
/// have none).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// The request type.
    pub name: String,
    /// Its points.
    pub points: Vec<Point>,
}

/// The interval being recorded for one request type.
#[derive(Debug)]
struct Open {
    index: u32,
    latency: Histogram<u64>,
    failures: BTreeMap<String, u64>,
}

/// What one request type saw.
#[derive(Debug)]
pub struct Figures {
    /// Latency of the whole run, µs.
    pub latency: Histogram<u64>,
    /// HTTP status -> count; 0 is no answer.
    pub statuses: BTreeMap<u16, u64>,
    /// Answers that were not what the transaction must answer.
    pub failures: u64,
    open: Option<Open>,
    closed: Vec<Point>,
}

impl Figures {
    fn close(&mut self) {
        if let Some(o) = self.open.take() {
            self.closed
                .push(Point::new(o.index, &o.latency, o.failures));
        }
    }
}

/// Figures per request type (and per interval), and failure reasons.
#[derive(Debug)]
pub struct Metrics {
    /// Doubled each time the series reach [`MAX_POINTS`] (under the lock).
    interval_ms: AtomicU64,
    by_request: Mutex<BTreeMap<&'static str, Figures>>,
    reasons: Mutex<BTreeMap<String, u64>>,
    /// When the first request was sent, ms into the attack (`u32::MAX`: none yet).
    first_sent_ms: AtomicU32,
    /// When the last answer came (or the last request gave up), ms into the attack.
    last_ms: AtomicU32,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new(std::time::Duration::from_secs(1))
    }
}

impl Metrics {
    /// Figures with a series point per `interval` (at least 1 ms).
    pub fn new(interval: std::time::Duration) -> Self {
        Self {
            interval_ms: AtomicU64::new(
                u64::try_from(interval.as_millis())
                    .unwrap_or(u64::MAX)
                    .max(1),
            ),
            by_request: Mutex::default(),
            reasons: Mutex::default(),
            first_sent_ms: AtomicU32::new(u32::MAX),
            last_ms: AtomicU32::new(0),
        }
    }

    /// The seconds requests were being sent: from the first request's send
    /// to the last request's end (goose's set-up and shutdown left out, as a
    /// goose run's own rate leaves them out). `None` before any request.
    pub fn active_secs(&self) -> Option<f64> {
        let first = self.first_sent_ms.load(Ordering::Relaxed);
        let last = self.last_ms.load(Ordering::Relaxed);
        (first != u32::MAX).then(|| f64::from(last.saturating_sub(first).max(1)) / 1000.0)
    }

    /// (first send, last answer), ms into the attack: the span the first
    /// and last intervals of the series only partly cover. `None` before
    /// any request.
    pub fn active_span_ms(&self) -> Option<(u64, u64)> {
        let first = self.first_sent_ms.load(Ordering::Relaxed);
        let last = self.last_ms.load(Ordering::Relaxed);
        (first != u32::MAX).then(|| (u64::from(first), u64::from(last.max(first))))
    }

    /// The series' interval, ms: the one asked for, doubled each time the
    /// series reached [`MAX_POINTS`].
    pub fn interval_ms(&self) -> u64 {
        self.interval_ms.load(Ordering::Relaxed)
    }

    /// Halves every series' resolution: neighbouring intervals merged into
    /// one of twice the length (the open one too). Called under the lock.
    fn coarsen(&self, m: &mut BTreeMap<&'static str, Figures>) {
        self.interval_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |i| {
                Some(i.saturating_mul(2))
            })
            .ok();
        for f in m.values_mut() {
            let mut merged: Vec<Point> = Vec::with_capacity(f.closed.len() / 2 + 1);
            for mut p in f.closed.drain(..) {
                let index = p.index / 2;
                match merged.last_mut() {
                    Some(last) if last.index == index => *last = last.merged(&p, index),
                    _ => {
                        p.index = index;
                        merged.push(p);
                    }
                }
            }
            if let Some(o) = &mut f.open {
                o.index /= 2;
                if merged.last().is_some_and(|l| l.index == o.index)
                    && let Some(last) = merged.pop()
                {
                    let _ = o.latency.add(last.histogram.histogram());
                    for (k, n) in last.failures {
                        *o.failures.entry(k).or_default() += n;
                    }
                }
            }
            f.closed = merged;
        }
    }

    /// One request of `name` answered `at_ms` after the attack began: how
    /// long it took, its status (0: no answer), and why it was wrong, if it was.
    pub fn record(
        &self,
        name: &'static str,
        at_ms: u32,
        micros: u64,
        status: u16,
        failure: Option<String>,
    ) {
        let sent_ms = u32::try_from(u64::from(at_ms).saturating_sub(micros / 1000)).unwrap_or(0);
        self.first_sent_ms.fetch_min(sent_ms, Ordering::Relaxed);
        self.last_ms.fetch_max(at_ms, Ordering::Relaxed);
        {
            let mut m = self.by_request.lock().unwrap_or_else(|p| p.into_inner());
            if m.values().any(|f| f.closed.len() >= MAX_POINTS) {
                self.coarsen(&mut m);
            }
            let index = u32::try_from(u64::from(at_ms) / self.interval_ms()).unwrap_or(u32::MAX);
            let f = m.entry(name).or_insert_with(|| Figures {
                latency: new_histogram(),
                statuses: BTreeMap::new(),
                failures: 0,
                open: None,
                closed: Vec::new(),
            });
            let _ = f.latency.record(micros.max(1));
            *f.statuses.entry(status).or_default() += 1;
            if f.open.as_ref().is_some_and(|o| o.index != index) {
                f.close();
            }
            let open = f.open.get_or_insert_with(|| Open {
                index,
                latency: interval_histogram(),
                failures: BTreeMap::new(),
            });
            let _ = open.latency.record(micros.max(1));
            if let Some(reason) = &failure {
                f.failures += 1;
                *open.failures.entry(reason.clone()).or_default() += 1;
            }
        }
        if let Some(reason) = failure {
            *self
                .reasons
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(reason)
                .or_default() += 1;
        }
    }

    /// Requests recorded so far.
    pub fn requests(&self) -> u64 {
        let m = self.by_request.lock().unwrap_or_else(|p| p.into_inner());
        m.values().map(|f| f.latency.len()).sum()
    }

    /// Failures recorded so far.
    pub fn failures(&self) -> u64 {
        let m = self.by_request.lock().unwrap_or_else(|p| p.into_inner());
        m.values().map(|f| f.failures).sum()
    }

    /// (name, histogram, statuses, failures) of each request type.
    pub fn snapshot(&self) -> Vec<(String, Recorded, BTreeMap<u16, u64>, u64)> {
        let m = self.by_request.lock().unwrap_or_else(|p| p.into_inner());
        m.iter()
            .map(|(k, f)| {
                (
                    (*k).to_owned(),
                    Recorded::of(&f.latency),
                    f.statuses.clone(),
                    f.failures,
                )
            })
            .collect()
    }

    /// Every request type's series, the open intervals closed.
    pub fn series(&self) -> Vec<Series> {
        let mut m = self.by_request.lock().unwrap_or_else(|p| p.into_inner());
        m.iter_mut()
            .map(|(k, f)| {
                f.close();
                Series {
                    name: (*k).to_owned(),
                    points: f.closed.clone(),
                }
            })
            .collect()
    }

    /// Failure reason -> count, over the whole run.
    pub fn reasons(&self) -> BTreeMap<String, u64> {
        self.reasons
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
