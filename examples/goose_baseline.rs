//! The baseline for `benches/load_vs_wrk.sh`: a bare goose attack that posts
//! StartFlow with fresh tokens and checks nothing, so the harness's own cost
//! (answer checks, token pool, verdict) shows as the ratio against it.
//! `cargo run --release --example goose_baseline -- URL USERS SECONDS`

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use goose::config::GooseConfiguration;
use goose::prelude::*;

#[tokio::main]
async fn main() -> Result<(), GooseError> {
    let args: Vec<String> = std::env::args().collect();
    let url = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "http://127.0.0.1:4566".into());
    let users: usize = args.get(2).and_then(|u| u.parse().ok()).unwrap_or(64);
    let secs = args.get(3).cloned().unwrap_or_else(|| "10".into());
    let counter = Arc::new(AtomicU64::new(0));
    let f: goose::goose::TransactionFunction = Arc::new(move |user| {
        let counter = counter.clone();
        Box::pin(async move {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            let body = format!(r#"{{"flowName":"bench","clientToken":"goose-{n}"}}"#);
            let rb = user
                .get_request_builder(&GooseMethod::Post, "/start-flow")?
                .header("content-type", "application/json")
                .body(body);
            let request = GooseRequest::builder()
                .method(GooseMethod::Post)
                .path("/start-flow")
                .set_request_builder(rb)
                .build();
            let goose = user.request(request).await?;
            if let Ok(r) = goose.response {
                let _ = r.bytes().await;
            }
            Ok(())
        })
    });
    let mut config = GooseConfiguration::default();
    config.host = Some(url);
    config.users = Some(users);
    config.increase_rate = Some((users * 10).to_string());
    config.run_time = Some(format!("{secs}s"));
    config.quiet = 1;
    config.no_telnet = true;
    let metrics = GooseAttack::initialize_with_config(config)?
        .register_scenario(scenario!("baseline").register_transaction(Transaction::new(f)))
        .execute()
        .await?;
    let n: usize = metrics
        .requests
        .values()
        .map(|r| r.success_count + r.fail_count)
        .sum();
    println!(
        "goose_baseline: {n} requests in {} s, {:.1} req/s",
        metrics.duration,
        n as f64 / metrics.duration.max(1) as f64
    );
    Ok(())
}
