//! The waits of an exploration: how long a pause ([`super::Move::Pause`])
//! is, and the share of the time budget pauses and a settle's polling for
//! runs to end ([`super::Move::Settle`]) may take together.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// The pauses of an exploration: each [`Pauses::each`] long, together at
/// most `allowance`, so that they are "now and then" within the time
/// budget; while a finding is shrunk (`unlimited`), every pause plays, as
/// the failing sequence needs it to fail again.
#[derive(Debug, Default)]
pub struct Pauses {
    /// How long one pause is.
    pub each: Duration,
    /// How much time the pauses may take in all.
    pub allowance: Duration,
    /// Time paused so far, in ms.
    spent_ms: AtomicU64,
    /// A finding is being shrunk: every pause plays.
    pub unlimited: AtomicBool,
}

impl Pauses {
    /// Pauses of `each`, taking at most `allowance` in all.
    pub fn new(each: Duration, allowance: Duration) -> Self {
        Self {
            each,
            allowance,
            ..Self::default()
        }
    }

    /// Takes one pause from the allowance; `false` when it would outrun it
    /// (or pauses are off: `each` is zero).
    pub(super) fn take(&self) -> bool {
        !self.each.is_zero() && self.take_for(self.each)
    }

    /// Takes `wait` from the allowance (a settle polling for runs to end);
    /// `false` when it would outrun it.
    pub(super) fn take_for(&self, wait: Duration) -> bool {
        let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        if self.unlimited.load(Ordering::SeqCst) {
            return true;
        }
        let allowance = u64::try_from(self.allowance.as_millis()).unwrap_or(u64::MAX);
        self.spent_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |spent| {
                (spent.saturating_add(ms) <= allowance).then_some(spent + ms)
            })
            .is_ok()
    }
}
