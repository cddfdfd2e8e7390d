//! The load test's own figures, recorded by the transactions: a latency
//! histogram (HDR, microseconds) and answer counts per request type, and
//! failure reasons. Histograms are kept in reports as their recorded values
//! and counts, so reports of several workers merge exactly.

use std::collections::BTreeMap;
use std::sync::Mutex;

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
    pub values: Vec<(u64, u64)>,
}

impl Recorded {
    pub fn of(h: &Histogram<u64>) -> Self {
        Self {
            values: h
                .iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect(),
        }
    }

    pub fn histogram(&self) -> Histogram<u64> {
        let mut h = new_histogram();
        for (v, n) in &self.values {
            let _ = h.record_n(*v, *n);
        }
        h
    }
}

/// What one request type saw.
#[derive(Debug)]
pub struct Figures {
    pub latency: Histogram<u64>,
    /// HTTP status -> count; 0 is no answer.
    pub statuses: BTreeMap<u16, u64>,
    /// Answers that were not what the transaction must answer.
    pub failures: u64,
}

/// Figures per request type, and failure reasons.
#[derive(Debug, Default)]
pub struct Metrics {
    by_request: Mutex<BTreeMap<&'static str, Figures>>,
    reasons: Mutex<BTreeMap<String, u64>>,
}

impl Metrics {
    /// One request of `name`: how long it took, its status (0: no answer),
    /// and why it was wrong, if it was.
    pub fn record(&self, name: &'static str, micros: u64, status: u16, failure: Option<String>) {
        {
            let mut m = self.by_request.lock().unwrap_or_else(|p| p.into_inner());
            let f = m.entry(name).or_insert_with(|| Figures {
                latency: new_histogram(),
                statuses: BTreeMap::new(),
                failures: 0,
            });
            let _ = f.latency.record(micros.max(1));
            *f.statuses.entry(status).or_default() += 1;
            if failure.is_some() {
                f.failures += 1;
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

    pub fn requests(&self) -> u64 {
        let m = self.by_request.lock().unwrap_or_else(|p| p.into_inner());
        m.values().map(|f| f.latency.len()).sum()
    }

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
