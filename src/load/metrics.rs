//! The load test's own figures, recorded by the transactions: a latency
//! histogram (HDR, microseconds) and answer counts per request type, and
//! failure reasons; and the same per interval (`--interval`, 1 s) as a time
//! series. Histograms are kept in reports as their recorded values and
//! counts, so reports of several workers merge exactly (series by time).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

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
}

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
    interval_ms: u64,
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
            interval_ms: u64::try_from(interval.as_millis())
                .unwrap_or(u64::MAX)
                .max(1),
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

    /// The series' interval, ms.
    pub fn interval_ms(&self) -> u64 {
        self.interval_ms
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
        let index = u32::try_from(u64::from(at_ms) / self.interval_ms).unwrap_or(u32::MAX);
        {
            let mut m = self.by_request.lock().unwrap_or_else(|p| p.into_inner());
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
mod tests {
    use super::*;

    #[test]
    fn the_active_time_runs_from_the_first_send_to_the_last_answer() {
        let m = Metrics::default();
        assert_eq!(m.active_secs(), None, "no request: no active time");
        // Answered at 1.5 s after 500 ms in flight: sent at 1.0 s.
        m.record("StartFlow fresh", 1_500, 500_000, 200, None);
        m.record("StartFlow fresh", 3_000, 2_000, 200, None);
        m.record("StartFlow fresh", 2_000, 1_000, 200, None);
        assert_eq!(m.active_secs(), Some(2.0), "1.0 s to 3.0 s");
    }

    #[test]
    fn recorded_histograms_merge_exactly() {
        let (mut a, mut b) = (new_histogram(), new_histogram());
        for v in 1..=1000 {
            a.record(v).expect("record");
            b.record(v * 10).expect("record");
        }
        let mut merged = Recorded::of(&a).histogram();
        merged.add(Recorded::of(&b).histogram()).expect("add");
        let mut direct = a.clone();
        direct.add(&b).expect("add");
        assert_eq!(merged.len(), 2000);
        assert_eq!(
            merged.value_at_quantile(0.99),
            direct.value_at_quantile(0.99)
        );
        assert_eq!(merged.max(), direct.max());
    }
}

#[cfg(test)]
mod series_tests {
    use super::*;

    #[test]
    fn requests_fall_into_their_interval_with_their_failures() {
        let m = Metrics::new(std::time::Duration::from_secs(1));
        m.record("a", 10, 100, 200, None);
        m.record("a", 900, 300, 500, Some("a: 500".into()));
        m.record("a", 2_500, 1_000, 200, None);
        let s = m.series();
        assert_eq!(s.len(), 1);
        let idx: Vec<u32> = s[0].points.iter().map(|p| p.index).collect();
        assert_eq!(idx, [0, 2], "an interval without requests has no point");
        assert_eq!(s[0].points[0].requests, 2);
        assert_eq!(s[0].points[0].failed(), 1, "the failure is in its interval");
        assert_eq!(
            s[0].points[1].p99_us / 10,
            100,
            "1% precision: {:?}",
            s[0].points[1]
        );
    }
}
