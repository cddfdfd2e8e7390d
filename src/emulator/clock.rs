//! The emulator's clock: wall time plus an offset that the test-control API
//! moves forward, so an 8-hour token TTL is tested without sleeping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::fields::Millis;

/// The emulator's clock in epoch milliseconds: the wall clock plus an offset that
/// `/_harness/clock` moves forward, never running backwards.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicU64,
    /// Never answer a time earlier than one already answered.
    last_ms: AtomicU64,
}

impl Clock {
    /// The emulator's time, in epoch milliseconds: wall clock plus offset, never earlier than a
    /// time it answered before. Token TTLs (T4), run ends and quotas are judged by it.
    pub fn now(&self) -> Millis {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let t = wall + self.offset_ms.load(Ordering::Relaxed);
        self.last_ms.fetch_max(t, Ordering::Relaxed).max(t)
    }

    /// The wall clock in epoch milliseconds, without the offset: what a
    /// client's clock says (SigV4's 15-minute window, W7, is judged by it).
    pub fn wall(&self) -> Millis {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    }

    /// Moves the clock forward by `ms` milliseconds (the offset only grows); answers the new time
    /// in epoch milliseconds.
    pub fn advance(&self, ms: u64) -> Millis {
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
        self.now()
    }

    /// How far the clock has been moved ahead of the wall clock, in milliseconds.
    pub fn offset(&self) -> u64 {
        self.offset_ms.load(Ordering::Relaxed)
    }
}
