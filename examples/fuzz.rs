//! The long fuzz run behind `benches/fuzz.sh`: random requests through the
//! emulator's router (in-process, as the property tests do, but a million
//! of them against one long-lived state) and garbled scenario files through
//! the parser. Prints cases, seconds, panics, malformed or 5xx answers and
//! the peak memory; exits 1 if any case failed.
//!
//! `cargo run --release --example fuzz -- [REQUESTS] [SCENARIOS] [SEED]`

#[path = "../tests/support/fuzz_cases.rs"]
#[allow(dead_code)]
mod fuzz_cases;

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use appflow_harness::emulator::{Config, Handle, router};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config as RunnerConfig, RngAlgorithm, TestRng, TestRunner};

fn seeded() -> Handle {
    fuzz_cases::seeded(Config {
        max_concurrent_runs: usize::MAX,
        max_runs_per_month: u64::MAX,
        ..Config::default()
    })
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let requests: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let scenarios: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        RunnerConfig::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    // Quiet: a panic is counted and shown once, not printed a million times.
    std::panic::set_hook(Box::new(|_| {}));

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let app = router(seeded());
    let request = (
        proptest::sample::select(&fuzz_cases::ROUTES[..]),
        proptest::sample::select(&["POST", "POST", "POST", "GET", "PUT", "DELETE"][..]),
        proptest::sample::select(&["application/json", "text/plain", ""][..]),
        fuzz_cases::body(),
    );
    let started = Instant::now();
    let (mut panics, mut bad, mut first_bad) = (0u64, 0u64, None);
    for _ in 0..requests {
        let Ok(tree) = request.new_tree(&mut runner) else {
            continue;
        };
        let (route, method, ctype, body) = tree.current();
        let app = app.clone();
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async move {
                let (status, etype, bytes) =
                    fuzz_cases::send(app, method, route, ctype, body).await?;
                fuzz_cases::well_formed(status, etype.as_deref(), &bytes)
            })
        }));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(why)) => {
                bad += 1;
                first_bad.get_or_insert(format!("{method} {route}: {why}"));
            }
            Err(_) => panics += 1,
        }
    }
    let emulator_secs = started.elapsed().as_secs_f64();

    let texts = fuzz_cases::scenario_text(fuzz_cases::catalogue_texts());
    let started = Instant::now();
    let (mut parse_panics, mut unlocated) = (0u64, 0u64);
    for _ in 0..scenarios {
        let Ok(tree) = texts.new_tree(&mut runner) else {
            continue;
        };
        let text = tree.current();
        match std::panic::catch_unwind(|| {
            appflow_harness::scenario::parse(std::path::Path::new("fuzz.yaml"), &text)
        }) {
            Ok(Err(e)) if e.line == 0 => unlocated += 1,
            Ok(_) => {}
            Err(_) => parse_panics += 1,
        }
    }
    let parse_secs = started.elapsed().as_secs_f64();

    println!(
        "emulator: {requests} requests in {emulator_secs:.1} s ({:.0}/s): {panics} panics, {bad} malformed or 5xx answers",
        requests as f64 / emulator_secs.max(1e-9)
    );
    if let Some(b) = first_bad {
        println!("  first: {b}");
    }
    println!(
        "scenario parser: {scenarios} garbled files in {parse_secs:.1} s: {parse_panics} panics, {unlocated} errors without a line"
    );
    println!("peak RSS: {} MiB (seed {seed})", peak_rss_kib() / 1024);
    if panics + bad + parse_panics + unlocated > 0 {
        std::process::exit(1);
    }
}
