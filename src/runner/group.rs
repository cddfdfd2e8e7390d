//! A `with-previous` group: a step and the steps sent at the same moment
//! as it (a write racing another). Each is rendered against the scenario
//! before the group, all are sent at once, and each answer is judged by
//! its own step's expectations; the scenario then folds in each step's
//! observations (captures included) in file order.

use std::sync::Mutex;

use super::ledger::Observed;
use super::step::{Names, finish, ready, send};
use crate::endpoint::Target;
use crate::scenario::Step;

/// The steps of the group that starts at `steps[first]`: it and the
/// consecutive `with-previous` steps after it.
pub(super) fn group_of(steps: &[Step], first: usize) -> &[Step] {
    let after = steps
        .get(first + 1..)
        .unwrap_or_default()
        .iter()
        .take_while(|s| s.with_previous)
        .count();
    steps.get(first..=first + after).unwrap_or_default()
}

/// Sends the group's calls at once; what each step observed, in order.
pub(super) async fn play_group(
    steps: &[Step],
    target: &Target,
    account: &Mutex<Option<String>>,
    names: &mut Names<'_>,
) -> Vec<Observed> {
    // Rendered before any is sent: no step of a group sees another's answer.
    let ready: Vec<_> = steps.iter().map(|s| ready(s, names)).collect();
    let sends = ready.iter().map(|r| async move {
        match r {
            Some(r) => Some(send(r, target, account).await),
            None => None,
        }
    });
    let sent = futures_util::future::join_all(sends).await;
    let mut out = Vec::with_capacity(steps.len());
    for (r, sent) in ready.into_iter().zip(sent) {
        match (r, sent) {
            (Some(r), Some((mut o, calls))) => {
                finish(r, &calls, &mut o, names);
                out.push(o);
            }
            // Not a call: validation keeps control steps out of groups.
            _ => out.push(Observed::default()),
        }
    }
    out
}
