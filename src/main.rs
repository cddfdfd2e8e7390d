//! The `appflow-harness` binary: parse, run, exit.

use clap::Parser;

fn main() {
    let cli = appflow_harness::cli::Cli::parse();
    let code = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt.block_on(appflow_harness::cli::run(cli)),
        Err(e) => {
            eprintln!("error: failed to start the async runtime: {e}");
            appflow_harness::exit_codes::INTERNAL
        }
    };
    std::process::exit(code);
}
