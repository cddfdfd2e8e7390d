//! Adaptive pacing, as the AWS SDKs' adaptive retry mode does it: a
//! client-side token bucket shared by every request through one endpoint
//! client. A throttling answer (429) lowers its fill rate to 70% of the
//! rate measured (multiplicative decrease); answers that are not throttled
//! let it grow back along a cubic curve (CUBIC, as in the SDKs'
//! `ClientRateLimiter`), slowly at first near the rate that was throttled.
//! `--max-rps` is the ceiling: the bucket never fills faster, and with a
//! ceiling it paces from the first request.
//!
//! [`RateState`] is the pure state machine, with time passed in (seconds
//! since the client was made); [`AdaptiveRate`] wraps it for async callers.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The fill rate never drops below this (requests a second).
const MIN_FILL_RATE: f64 = 0.5;
/// The bucket holds at least one request.
const MIN_CAPACITY: f64 = 1.0;
/// Weight of the newest measurement in the smoothed send rate.
const SMOOTH: f64 = 0.8;
/// The multiplicative decrease on a throttle.
const BETA: f64 = 0.7;
/// CUBIC's scale constant.
const SCALE_CONSTANT: f64 = 0.4;
/// A waiter asks for a token again after this long at most.
pub const RECHECK: Duration = Duration::from_millis(100);

/// The token bucket and its rate controller; times are seconds.
#[derive(Debug, Clone)]
pub struct RateState {
    ceiling: Option<f64>,
    enabled: bool,
    fill_rate: f64,
    max_capacity: f64,
    current_capacity: f64,
    last_refill: f64,
    measured_tx_rate: f64,
    last_tx_rate_bucket: f64,
    request_count: u64,
    last_max_rate: f64,
    last_throttle_time: f64,
    time_window: f64,
    throttles: u64,
}

impl RateState {
    /// A bucket with `ceiling` requests a second at most (none: unpaced
    /// until the first throttle); `now` is the current time.
    pub fn new(ceiling: Option<f64>, now: f64) -> Self {
        let ceiling = ceiling.filter(|c| *c > 0.0);
        Self {
            ceiling,
            enabled: ceiling.is_some(),
            fill_rate: ceiling.unwrap_or(MIN_FILL_RATE),
            max_capacity: MIN_CAPACITY,
            current_capacity: MIN_CAPACITY,
            last_refill: now,
            measured_tx_rate: 0.0,
            last_tx_rate_bucket: (now * 2.0).floor() / 2.0,
            request_count: 0,
            last_max_rate: 0.0,
            last_throttle_time: now,
            time_window: 0.0,
            throttles: 0,
        }
    }

    /// Takes a token for one request if there is one (`None`), else says
    /// how long to wait before asking again: at most [`RECHECK`], so that a
    /// waiter sees the rate rise again as soon as it does.
    pub fn try_acquire(&mut self, now: f64) -> Option<Duration> {
        if !self.enabled {
            return None;
        }
        self.refill(now);
        if self.current_capacity >= 1.0 {
            self.current_capacity -= 1.0;
            return None;
        }
        let wait = (1.0 - self.current_capacity) / self.fill_rate;
        Some(Duration::from_secs_f64(
            wait.clamp(0.001, RECHECK.as_secs_f64()),
        ))
    }

    /// Learns from one answer: `throttled` when it was a 429.
    pub fn update(&mut self, throttled: bool, now: f64) {
        self.measure(now);
        let calculated = if throttled {
            self.throttles += 1;
            // Before the first half-second is measured, the rate so far.
            let measured = if self.measured_tx_rate > 0.0 {
                self.measured_tx_rate
            } else {
                self.request_count as f64 / (now - self.last_tx_rate_bucket).max(0.5)
            };
            let rate = if self.enabled {
                measured.min(self.fill_rate)
            } else {
                measured
            };
            self.last_max_rate = rate.max(MIN_FILL_RATE);
            self.time_window = self.window();
            self.last_throttle_time = now;
            self.enabled = true;
            self.last_max_rate * BETA
        } else {
            self.time_window = self.window();
            let dt = now - self.last_throttle_time - self.time_window;
            SCALE_CONSTANT * dt.powi(3) + self.last_max_rate
        };
        if !self.enabled {
            return;
        }
        let mut rate = calculated.min(2.0 * self.measured_tx_rate.max(MIN_FILL_RATE));
        if let Some(c) = self.ceiling {
            rate = rate.min(c);
        }
        self.refill(now);
        self.fill_rate = rate.max(MIN_FILL_RATE);
        self.max_capacity = rate.max(MIN_CAPACITY);
        self.current_capacity = self.current_capacity.min(self.max_capacity);
    }

    /// The rate requests may leave at now, if paced.
    pub fn rate(&self) -> Option<f64> {
        self.enabled.then_some(self.fill_rate)
    }

    /// Throttling answers seen.
    pub fn throttles(&self) -> u64 {
        self.throttles
    }

    fn window(&self) -> f64 {
        (self.last_max_rate * (1.0 - BETA) / SCALE_CONSTANT).cbrt()
    }

    fn refill(&mut self, now: f64) {
        let elapsed = (now - self.last_refill).max(0.0);
        self.current_capacity =
            (self.current_capacity + elapsed * self.fill_rate).min(self.max_capacity);
        self.last_refill = now;
    }

    /// The smoothed send rate, measured in half-second buckets.
    fn measure(&mut self, now: f64) {
        let t = (now * 2.0).floor() / 2.0;
        self.request_count += 1;
        if t > self.last_tx_rate_bucket {
            let current = self.request_count as f64 / (t - self.last_tx_rate_bucket);
            self.measured_tx_rate = current * SMOOTH + self.measured_tx_rate * (1.0 - SMOOTH);
            self.request_count = 0;
            self.last_tx_rate_bucket = t;
        }
    }
}

/// A [`RateState`] shared by every clone of an endpoint client.
#[derive(Debug)]
pub struct AdaptiveRate {
    origin: Instant,
    state: Mutex<RateState>,
}

impl AdaptiveRate {
    /// Paced at `ceiling` requests a second at most, and slower while throttled.
    pub fn new(ceiling: Option<f64>) -> Self {
        Self {
            origin: Instant::now(),
            state: Mutex::new(RateState::new(ceiling, 0.0)),
        }
    }

    fn now(&self) -> f64 {
        self.origin.elapsed().as_secs_f64()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RateState> {
        // The state is numbers only: one a panic left half-updated is still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until a request may leave.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let now = self.now();
                self.lock().try_acquire(now)
            };
            match wait {
                None => return,
                Some(w) => tokio::time::sleep(w).await,
            }
        }
    }

    /// Learns from one answer.
    pub fn update(&self, throttled: bool) {
        let now = self.now();
        self.lock().update(throttled, now);
    }

    /// The current send rate (requests a second), if paced.
    pub fn rate(&self) -> Option<f64> {
        self.lock().rate()
    }

    /// Throttling answers seen through this client.
    pub fn throttles(&self) -> u64 {
        self.lock().throttles()
    }

    /// The bucket and rate as they are now, to [`AdaptiveRate::restore`]
    /// after calls whose throttles the harness caused on purpose (a
    /// scenario's injected `fault: {kind: throttle}`): they say nothing
    /// about the target's capacity, so they must not pace what follows.
    pub fn save(&self) -> RateState {
        self.lock().clone()
    }

    /// Puts back a state [`AdaptiveRate::save`] answered: the rate, and the
    /// count of throttles the run reports, as they were.
    pub fn restore(&self, saved: RateState) {
        *self.lock() = saved;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends at `rps` for `secs` seconds from `start`, every answer
    /// throttled when `throttle(t)`; answers the time reached.
    fn drive(
        s: &mut RateState,
        start: f64,
        secs: f64,
        rps: f64,
        throttle: impl Fn(f64) -> bool,
    ) -> f64 {
        let mut t = start;
        while t < start + secs {
            match s.try_acquire(t) {
                Some(w) => t += w.as_secs_f64(),
                None => {
                    t += 1.0 / rps;
                    s.update(throttle(t), t);
                }
            }
        }
        t
    }

    #[test]
    fn unthrottled_and_without_a_ceiling_nothing_waits() {
        let mut s = RateState::new(None, 0.0);
        for i in 0..1000 {
            assert_eq!(s.try_acquire(i as f64 * 0.001), None);
            s.update(false, i as f64 * 0.001);
        }
        assert_eq!(s.rate(), None);
    }

    #[test]
    fn a_throttle_lowers_the_rate_and_it_recovers_slowly_under_the_ceiling() {
        let mut s = RateState::new(Some(100.0), 0.0);
        assert_eq!(
            s.rate(),
            Some(100.0),
            "the ceiling paces from the first request"
        );
        let t = drive(&mut s, 0.0, 5.0, 100.0, |_| false);
        let t = drive(&mut s, t, 1.0, 100.0, |_| true);
        let low = s.rate().expect("paced");
        assert!(low < 50.0, "throttles cut the rate: {low}");
        let t = drive(&mut s, t, 2.0, 1000.0, |_| false);
        let recovering = s.rate().expect("paced");
        assert!(recovering < 100.0, "recovery is gradual: {recovering}");
        drive(&mut s, t, 60.0, 1000.0, |_| false);
        let back = s.rate().expect("paced");
        assert!(
            back <= 100.0 && back > recovering,
            "back up to the ceiling, never past it: {back}"
        );
        assert!(s.throttles() > 0);
    }

    #[test]
    fn the_rate_settles_near_what_the_endpoint_allows() {
        // The endpoint allows 20 a second: every request over that is throttled.
        let mut s = RateState::new(None, 0.0);
        let mut t = 0.0;
        let mut window: Vec<f64> = Vec::new();
        let mut sent_ok = 0u32;
        while t < 120.0 {
            if let Some(w) = s.try_acquire(t) {
                t += w.as_secs_f64();
                continue;
            }
            t += 0.001;
            window.retain(|x| t - x < 1.0);
            let throttled = window.len() >= 20;
            if !throttled {
                window.push(t);
                if t > 60.0 {
                    sent_ok += 1;
                }
            }
            s.update(throttled, t);
        }
        let rate = s.rate().expect("throttling enables pacing");
        eprintln!("settled rate {rate}, {sent_ok} answered in the last 60 s");
        assert!(
            rate > 2.0 && rate < 60.0,
            "settles near the allowed rate: {rate}"
        );
        assert!(
            sent_ok > 60 * 5,
            "keeps a useful share of the allowed rate: {sent_ok} in 60 s"
        );
    }
}
