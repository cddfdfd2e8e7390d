//! Verification as the attack runs: every `--settle-ms`/2 each flow's runs
//! are read newest first down to the newest run of the last read (so each
//! run is read about once), and matched with the answers (`ledger::Book`).
//! When an answer older than `--settle-ms` still waits for its run, the
//! read goes deep: down to a run read at least a window ago (every run
//! older than that was listed by then, however late, and read); only an
//! answer that a deep read does not find is lost. Runs that no answer
//! named are extra. After the attack only the tail is read, until a read
//! finds nothing new.
//!
//! A target that does not list newest first with `startedAt` (S2 is a
//! choice, not AWS's documented order) is not trusted to: its flows are
//! read in full at the end instead, as before, and nothing is forgotten.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::ledger::Windows;
use super::records;
use super::retention::Retention;
use super::state::LoadState;
use super::transactions::ATTEMPTS;
use crate::client::Endpoint;

/// The windows of settling for `--settle-ms` `settle` and a request
/// `timeout` against a target that documents `retention`, and how often
/// flows are read during the attack.
pub fn windows(settle: Duration, timeout: Duration, retention: Retention) -> (Windows, Duration) {
    let ms = |d: Duration| u32::try_from(d.as_millis()).unwrap_or(u32::MAX);
    let every = (settle / 2).clamp(Duration::from_millis(200), Duration::from_secs(5));
    let window_ms = ms(settle).saturating_add(ms(every)).saturating_add(250);
    let w = Windows {
        settle_ms: ms(settle),
        // An answer comes at most ATTEMPTS timeouts after its run was made.
        orphan_ms: ms(settle)
            .saturating_add(ms(timeout).saturating_mul(u32::from(ATTEMPTS)))
            .saturating_add(1_000),
        horizon_ms: window_ms
            .saturating_add(ms(every).saturating_mul(2))
            .saturating_add(1_000),
        window_ms,
        retention,
    };
    (w, every)
}

/// One read of flow `f` (a full one for an unordered flow when `tail`; a
/// deep one when an answer waits too long, or `deep`); answers how many
/// runs were new.
async fn pass(
    endpoint: &Endpoint,
    state: &LoadState,
    f: usize,
    w: Windows,
    tail: bool,
    deep: bool,
) -> Result<u64, String> {
    let started = state.elapsed_ms();
    let (stops, unordered, bound, deep) = {
        let b = state.ledger.book(f);
        let deep = deep || b.deep(started, w.settle_ms);
        (
            b.stops(started, w.window_ms, deep),
            b.unordered,
            records::page_bound(b.tally.issued),
            deep,
        )
    };
    if unordered && !tail {
        return Ok(0);
    }
    let (mut newest, mut new, mut previous, mut disorder) = (None, 0, f64::INFINITY, unordered);
    records::read_newest_first(endpoint, &state.flows[f], bound, |page| {
        let mut ids = Vec::with_capacity(page.len());
        let mut stop = false;
        for l in page {
            if newest.is_none() {
                newest = Some(l.id.clone());
            }
            if !disorder && stops.contains(&l.id) {
                stop = true;
                break;
            }
            match l.started_at {
                Some(t) if t <= previous => previous = t,
                _ => disorder = true,
            }
            ids.push(l.id.clone());
        }
        let mut b = state.ledger.book(f);
        if disorder && !b.unordered && !tail {
            // From here on the flow is read only at the end: say when.
            b.unordered_at = Some(started);
        }
        b.unordered |= disorder;
        new += b.listed(ids, started);
        !stop
    })
    .await?;
    let ended = state.elapsed_ms();
    let mut b = state.ledger.book(f);
    b.read(started, ended, w.retention.token_ttl_ms);
    b.settle(newest, started, w, deep, false);
    Ok(new)
}

/// Reads every flow again and again while the attack runs, until `stop`;
/// answers the first read that failed (settling stops there: the verdict
/// is then not clean).
pub async fn during(
    endpoint: Endpoint,
    state: Arc<LoadState>,
    w: Windows,
    every: Duration,
    stop: Arc<AtomicBool>,
) -> Option<String> {
    loop {
        if crate::client::retry::wait_or_stop(&stop, Some(every)).await {
            return None;
        }
        for f in 0..state.flows.len() {
            if stop.load(Ordering::Relaxed) {
                return None;
            }
            if let Err(e) = pass(&endpoint, &state, f, w, false, false).await {
                return Some(e);
            }
        }
    }
}

/// After the attack: the tail of every flow read until a read finds nothing
/// new and no answer waits for its run, within `settle`; then everything
/// still waiting is lost and every run no answer named is extra.
///
/// # Errors
/// A read that failed (see [`records::read_newest_first`]).
pub async fn tail(
    endpoint: &Endpoint,
    state: &LoadState,
    w: Windows,
    settle: Duration,
) -> Result<(), String> {
    let deadline = Instant::now() + settle;
    loop {
        let mut new = 0;
        for f in 0..state.flows.len() {
            new += pass(endpoint, state, f, w, true, false).await?;
        }
        let waiting: usize = (0..state.flows.len())
            .map(|f| state.ledger.book(f).waiting())
            .sum();
        if (new == 0 && waiting == 0) || Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200).min(settle)).await;
    }
    // An answer still waiting may have its run listed late, behind runs
    // read before: one deep read of its flow before it is called lost.
    for f in 0..state.flows.len() {
        if state.ledger.book(f).waiting() > 0 {
            pass(endpoint, state, f, w, true, true).await?;
        }
    }
    let now = state.elapsed_ms();
    for f in 0..state.flows.len() {
        state.ledger.book(f).settle(None, now, w, true, true);
    }
    Ok(())
}

/// A progress line every few seconds while the attack lasts.
pub async fn progress(state: Arc<LoadState>, tx: tokio::sync::mpsc::UnboundedSender<String>) {
    let mut last = 0;
    loop {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let (n, errors) = (state.metrics.requests(), state.metrics.failures());
        let line = format!(
            "  {:>6.0} s  {n} requests  {:.0} req/s  {errors} errors  {} unsettled",
            state.started.elapsed().as_secs_f64(),
            (n - last) as f64 / 3.0,
            state.ledger.held()
        );
        if tx.send(line).is_err() {
            return;
        }
        last = n;
    }
}
