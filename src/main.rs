//! The `appflow-harness` binary: parse, run, print the final word, exit.

use clap::Parser;

use appflow_harness::cli;

/// With the load generator built in, mimalloc serves every allocation: the
/// load test's hot path allocates per request (goose's request metrics,
/// reqwest's headers and bodies), and glibc's malloc and free were about
/// 15% of its CPU in perf (benches/load_vs_wrk.sh measures the effect).
#[cfg(feature = "load")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Before any HTTP client (ours, goose's or the AWS SDK's) is built.
    appflow_harness::client::install_tls_provider();
    let cli = cli::Cli::parse();
    let result = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt.block_on(cli::run(cli)),
        Err(e) => Err(appflow_harness::commands::CommandError::Internal(format!(
            "failed to start the async runtime: {e}"
        ))),
    };
    if let Err(e) = &result {
        let redactor = appflow_harness::endpoint::Environment::from_process().redactor();
        for line in redactor.clean(&e.message()).lines() {
            if line.starts_with(' ') {
                eprintln!("{line}");
            } else {
                eprintln!("error: {line}");
            }
        }
    }
    std::process::exit(match &result {
        Ok(outcome) => outcome.exit_code(),
        Err(e) => e.exit_code(),
    });
}
