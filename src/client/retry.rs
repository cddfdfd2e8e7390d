//! The one retry policy of the harness, as the AWS SDKs' standard mode has
//! it: which answers are sent again (throttles; server errors and lost
//! answers only when the request is safe to repeat), how often, and the
//! backoff with jitter between tries. [`super::Endpoint::call_with`] is the
//! one loop that applies it; every engine calls through it.

use std::time::Duration;

use serde_json::Value;

use super::{Call, CallOutcome, TransportKind};
use crate::appflow::Operation;

/// How a policy spreads its waits between tries (AWS architecture blog,
/// "Exponential Backoff And Jitter").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// Half the exponential wait fixed, half random: never a retry at once.
    Equal,
    /// Anywhere from zero to the exponential wait: spreads best under contention.
    Full,
}

/// Which answers are tried again, how often, and how long to wait first.
///
/// Bounds count retries (sends after the first) per kind of answer, and
/// tries in all ([`RetryPolicy::attempts`]). A
/// retry is only sent when the request is safe to repeat ([`is_safe`]),
/// whatever the answer, and never after the endpoint's stop flag is set
/// ([`super::Endpoint::with_stop`]) unless [`RetryPolicy::after_stop`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included (at least 1).
    pub attempts: u32,
    /// Retries after a throttle (HTTP 429, or a `ThrottlingException` /
    /// `TooManyRequestsException` error type).
    pub throttles: u32,
    /// Retries after a server error (5xx, throttles excluded).
    pub server_errors: u32,
    /// Retries after no answer (a transport failure of a kind in
    /// [`RetryPolicy::lost_kinds`]).
    pub lost: u32,
    /// The transport failures counted as lost answers worth a retry. An
    /// answer larger than the limit is never retried (it would come again).
    pub lost_kinds: &'static [TransportKind],
    /// The first wait; it doubles per retry up to [`RetryPolicy::cap`].
    pub base: Duration,
    /// The longest wait between two tries.
    pub cap: Duration,
    /// How the wait is randomised.
    pub jitter: Jitter,
    /// Whether retries go on after a stop (SIGINT, SIGTERM): only for
    /// clean-up, whose bounds must then be small.
    pub after_stop: bool,
    /// Whether a throttle is retried even when the request is not safe to
    /// repeat: a throttle is a refusal (W7), so nothing happened; for
    /// engines whose model judges what a repeat means (explore).
    pub throttles_unsafe: bool,
    /// Whether a lost answer is retried at once (the timeout already
    /// waited) instead of after the backoff.
    pub lost_at_once: bool,
}

const ANY_LOSS: &[TransportKind] = &[
    TransportKind::Connect,
    TransportKind::Timeout,
    TransportKind::Closed,
];

impl RetryPolicy {
    /// Nothing is retried: the first answer is the answer.
    pub const fn none() -> Self {
        Self {
            attempts: 1,
            throttles: 0,
            server_errors: 0,
            lost: 0,
            lost_kinds: &[],
            base: Duration::from_millis(100),
            cap: Duration::from_millis(3200),
            jitter: Jitter::Equal,
            after_stop: false,
            throttles_unsafe: false,
            lost_at_once: false,
        }
    }

    /// The calls a check judges (runner, compare): throttles retried up to
    /// 10 times; a timed-out call up to twice, at once; a server error or a
    /// closed connection is an answer to judge, not retried.
    pub const fn judged() -> Self {
        Self {
            attempts: 13,
            throttles: 10,
            lost: 2,
            lost_kinds: &[TransportKind::Timeout],
            lost_at_once: true,
            ..Self::none()
        }
    }

    /// The calls `explore` judges: throttles retried up to 6 times, writes
    /// without a clientToken too (its model reads a throttle as a refusal);
    /// no answer is judged as it is (the model decides what it means).
    pub const fn explore() -> Self {
        Self {
            attempts: 7,
            throttles: 6,
            throttles_unsafe: true,
            ..Self::none()
        }
    }

    /// The harness's own calls (fixtures, list reads of cleanup and of
    /// load's verdict): throttles, server errors and lost answers, 10
    /// tries in all (about 15 s of backoff).
    pub const fn standard() -> Self {
        Self {
            attempts: 10,
            throttles: 9,
            server_errors: 9,
            lost: 9,
            lost_kinds: ANY_LOSS,
            ..Self::none()
        }
    }

    /// A load test's fresh StartFlow (same token on every try, so a repeat
    /// is a replay, T1): the SDKs' standard mode, 3 tries in all, backoff
    /// from 100 ms up to 2 s with full jitter, after a throttle, a server
    /// error or no answer. `load` drives goose's client with it (the loop
    /// is goose's request path; the numbers are these).
    pub const fn attack() -> Self {
        Self {
            attempts: 3,
            throttles: 2,
            server_errors: 2,
            lost: 2,
            lost_kinds: ANY_LOSS,
            cap: Duration::from_millis(2000),
            jitter: Jitter::Full,
            ..Self::none()
        }
    }

    /// As [`RetryPolicy::standard`] with more patience (12 tries, about
    /// 25 s of backoff): a verdict read whose evidence must not be lost to a
    /// throttling target.
    pub const fn patient() -> Self {
        Self {
            attempts: 12,
            throttles: 11,
            server_errors: 11,
            lost: 11,
            ..Self::standard()
        }
    }

    /// Clean-up after a stop: 4 tries at most, retries still sent after
    /// the stop flag is set, so that the process exits within a grace period.
    pub const fn cleanup() -> Self {
        Self {
            attempts: 4,
            throttles: 3,
            server_errors: 3,
            lost: 3,
            after_stop: true,
            ..Self::standard()
        }
    }

    /// What `call` (the answer after `repeats`; `safe`: the request may be
    /// repeated, [`is_safe`]) asks for: `None` to keep it, else the kind of
    /// retry and the wait first.
    pub fn retry(&self, call: &Call, repeats: &Repeats, safe: bool) -> Option<(Retry, Duration)> {
        let kind = match &call.outcome {
            CallOutcome::Reply(r) if is_throttle(r) => Retry::Throttled,
            CallOutcome::Reply(r) if r.status >= 500 => Retry::ServerError,
            CallOutcome::Reply(_) => return None,
            CallOutcome::Transport { kind, .. } if self.lost_kinds.contains(kind) => Retry::Lost,
            CallOutcome::Transport { .. } => return None,
        };
        let repeatable = safe || (kind == Retry::Throttled && self.throttles_unsafe);
        if !repeatable {
            return None;
        }
        let (done, bound) = match kind {
            Retry::Throttled => (repeats.throttled, self.throttles),
            Retry::ServerError => (repeats.server_errors, self.server_errors),
            Retry::Lost => (repeats.lost, self.lost),
        };
        if done >= bound || repeats.total() + 1 >= self.attempts {
            return None;
        }
        let wait = if kind == Retry::Lost && self.lost_at_once {
            Duration::ZERO
        } else {
            self.backoff(repeats.total())
        };
        Some((kind, wait))
    }

    /// The wait before retry `retry` (from 0): `base` doubled per retry up
    /// to `cap`, randomised by the policy's [`Jitter`].
    pub fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << retry.min(16))
            .min(self.cap);
        let ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        let random = uuid::Uuid::new_v4().as_u128() as u64;
        match self.jitter {
            Jitter::Equal => Duration::from_millis(ms / 2 + random % (ms / 2).max(1)),
            Jitter::Full => Duration::from_millis(random % ms.max(1)),
        }
    }
}

/// Waits `wait` (`None`: for ever), or less: returns as soon as `stop` is
/// set, checking it every 50 ms. Answers whether the stop ended the wait.
/// The one stop-aware wait: the client's backoff, load's attack backoff,
/// its settling and its probe all wait through it, so a stop never waits
/// out a sleep.
pub async fn wait_or_stop(stop: &std::sync::atomic::AtomicBool, wait: Option<Duration>) -> bool {
    const SLICE: Duration = Duration::from_millis(50);
    let until = wait.and_then(|w| std::time::Instant::now().checked_add(w));
    loop {
        if stop.load(std::sync::atomic::Ordering::Relaxed) {
            return true;
        }
        let left = until.map(|u| u.saturating_duration_since(std::time::Instant::now()));
        if left == Some(Duration::ZERO) {
            return false;
        }
        tokio::time::sleep(left.map_or(SLICE, |l| l.min(SLICE))).await;
    }
}

/// Whether an answer is a throttle (W7): HTTP 429, or an error type the
/// SDKs treat as one whatever its status.
pub fn is_throttle(reply: &crate::reply::Reply) -> bool {
    reply.status == 429
        || reply
            .error_type
            .as_deref()
            .is_some_and(|t| t == "ThrottlingException" || t == "TooManyRequestsException")
}

/// Whether a request may be sent again as it is: reads; writes whose
/// effect is the same however often they land (DeleteFlow ends with the
/// flow gone, StopFlow with it stopped); and writes that carry a non-empty
/// clientToken, which is what the token is for (T1, T13). `request` is the
/// body as sent; `None` (not JSON) is safe only for the operations above.
pub fn is_safe(operation: Operation, request: Option<&Value>) -> bool {
    operation.is_read()
        || matches!(operation, Operation::DeleteFlow | Operation::StopFlow)
        || request
            .and_then(|r| r.get("clientToken"))
            .and_then(Value::as_str)
            .is_some_and(|t| !t.is_empty())
}

/// Why a call was sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// It was throttled.
    Throttled,
    /// It got a server error (5xx).
    ServerError,
    /// It got no answer.
    Lost,
}

/// How often a call was sent again, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Repeats {
    /// Retries after a throttle.
    pub throttled: u32,
    /// Retries after a server error.
    pub server_errors: u32,
    /// Retries after no answer.
    pub lost: u32,
}

impl Repeats {
    /// Retries of every kind.
    pub fn total(&self) -> u32 {
        self.throttled + self.server_errors + self.lost
    }

    /// Counts one retry of `kind`.
    pub fn count(&mut self, kind: Retry) {
        match kind {
            Retry::Throttled => self.throttled += 1,
            Retry::ServerError => self.server_errors += 1,
            Retry::Lost => self.lost += 1,
        }
    }

    /// Adds another call's repeats to these.
    pub fn add(&mut self, other: Repeats) {
        self.throttled += other.throttled;
        self.server_errors += other.server_errors;
        self.lost += other.lost;
    }
}

/// A call as the retry loop ends it: the last answer, and the retries sent
/// before it.
#[derive(Debug, Clone)]
pub struct Retried {
    /// The last try's outcome.
    pub call: Call,
    /// The retries sent before it.
    pub repeats: Repeats,
    /// Whether a retry was due but not sent because the stop flag was set.
    pub stopped: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_cap_and_equal_jitter_never_waits_nothing() {
        let p = RetryPolicy::standard();
        for retry in 0..20 {
            let w = p.backoff(retry);
            assert!(w <= p.cap, "retry {retry} waits at most the cap: {w:?}");
            assert!(
                w >= Duration::from_millis(50),
                "equal jitter keeps half of the wait: {w:?}"
            );
        }
        let full = RetryPolicy {
            jitter: Jitter::Full,
            ..RetryPolicy::standard()
        };
        assert!(full.backoff(3) < Duration::from_millis(800));
    }

    #[test]
    fn only_safe_requests_are_repeatable() {
        assert!(is_safe(Operation::ListFlows, None));
        assert!(is_safe(Operation::DeleteFlow, None));
        let with = serde_json::json!({"flowName": "f", "clientToken": "t"});
        let empty = serde_json::json!({"flowName": "f", "clientToken": ""});
        assert!(is_safe(Operation::CreateFlow, Some(&with)));
        assert!(!is_safe(Operation::CreateFlow, Some(&empty)));
        assert!(!is_safe(Operation::StartFlow, None));
    }
}
