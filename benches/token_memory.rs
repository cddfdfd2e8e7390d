//! Bytes held per live clientToken, measured as the growth of the process's
//! resident memory while a million StartFlow tokens (UUID strings, as the
//! SDKs send) are remembered, then the purge after the 8-hour TTL.
//! `cargo bench --bench token_memory`

use std::sync::Arc;

use appflow_harness::emulator::fields::FlowStatus;
use appflow_harness::emulator::tokens::{Answer, TokenStore};

const TOKENS: usize = 1_000_000;
const TTL: u64 = 8 * 3_600_000;

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let flow: Arc<str> = Arc::from("nightly-export");
    let tokens: Vec<String> = (0..TOKENS)
        .map(|_| uuid::Uuid::new_v4().to_string())
        .collect();
    let mut store = TokenStore::default();
    let before = rss_bytes();
    for (i, token) in tokens.iter().enumerate() {
        let answer = Answer {
            at: i as u64,
            status: FlowStatus::Active,
            execution: Some(uuid::Uuid::new_v4()),
        };
        store.remember(token.as_str(), &flow, answer);
    }
    let after = rss_bytes();
    let per_token = (after.saturating_sub(before)) as f64 / TOKENS as f64;
    println!(
        "token_memory: {TOKENS} live tokens hold {:.1} MiB: {per_token:.0} bytes per token (goal <= 256)",
        (after - before) as f64 / (1 << 20) as f64
    );
    store.purge(TOKENS as u64 + TTL, TTL);
    store.shrink();
    println!(
        "token_memory: after the TTL, {} tokens held; resident {:.1} MiB above the start",
        store.held(),
        (rss_bytes().saturating_sub(before)) as f64 / (1 << 20) as f64
    );
}
