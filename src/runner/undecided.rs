//! Why a step's answers say nothing about the rule it checks: the
//! throttles and silences that make it inconclusive, and which of them is
//! a request never answered (W9, once the replay goes unanswered too).

use super::send::THROTTLE_RETRIES;
use crate::client::retry::is_throttle;
use crate::client::{Call, CallOutcome, TransportKind};
use crate::scenario::Step;

/// Why the answers say nothing about the rule: still throttled after the
/// retries, throttled and not safe to retry, or timed out; `true` beside
/// it when the request was never answered (W9 once the replay says so too).
pub(super) fn undecided(
    calls: &[Call],
    step: &Step,
    expects_throttle: bool,
    retried: bool,
) -> Option<(String, bool)> {
    let throttled = calls
        .iter()
        .any(|c| matches!(&c.outcome, CallOutcome::Reply(r) if is_throttle(r)));
    if throttled && !expects_throttle {
        return Some((
            if retried {
                format!(
                    "throttled (429 or a throttling error type) after {THROTTLE_RETRIES} retries with the same request: inconclusive"
                )
            } else {
                "throttled (429 or a throttling error type), and the request (a write without a clientToken) is not safe to repeat: inconclusive".to_owned()
            },
            false,
        ));
    }
    let timed_out = calls.iter().any(|c| {
        matches!(
            &c.outcome,
            CallOutcome::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        )
    });
    (timed_out && !step.expect.no_response).then(|| {
        (
            "no answer within the timeout: inconclusive unless the replay goes unanswered too (W9)"
                .to_owned(),
            true,
        )
    })
}
