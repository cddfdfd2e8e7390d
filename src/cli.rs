//! The command line: clap structs and the dispatch to the library.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::emulator::config::{ActiveStart, EventInitialStatus, StoppedStatus};
use crate::emulator::{Config, Profile};
use crate::exit_codes;

#[derive(Debug, Parser)]
#[command(
    name = "appflow-harness",
    version,
    about = "Contract tests and load tests for the Amazon AppFlow StartFlow API"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the embedded AppFlow emulator until Ctrl-C.
    Serve(ServeArgs),
    /// Play scenario files against a target and check every answer against
    /// expectations, the contract and the stored snapshots.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Scenario files or folders (default: scenarios/).
    pub scenarios: Vec<PathBuf>,
    /// `embedded` (an emulator in this process), `aws` (real AppFlow, SigV4
    /// with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN), or a URL.
    #[arg(long, default_value = "embedded")]
    pub target: String,
    /// Sign requests to a URL target with the environment's AWS credentials.
    #[arg(long)]
    pub sign: bool,
    /// Rewrite snapshots that differ or are missing (instead of writing .snap.new).
    #[arg(long)]
    pub update: bool,
    /// Where the .snap files live.
    #[arg(long, default_value = "snapshots")]
    pub snapshots: PathBuf,
    /// Check no snapshots (expectations and the contract only).
    #[arg(long)]
    pub no_snapshots: bool,
    /// Write a JUnit XML report here.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Write a JSON report here (schema: docs/report.schema.json).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Scenarios run at once (those that change the clock, faults or quotas run alone).
    #[arg(long, default_value_t = 8)]
    pub jobs: usize,
    /// Only scenarios whose name contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// Seconds to wait for one answer.
    #[arg(long, default_value_t = 10)]
    pub timeout_secs: u64,
    #[command(flatten)]
    pub emulator: EmulatorArgs,
}

/// The emulator's identity, quotas and behaviour profile.
///
/// Behaviours marked [chosen] are unverified against AWS: nobody has published
/// what real AppFlow does there (see APPFLOW.md, "Open questions").
#[derive(Debug, Clone, Args)]
pub struct EmulatorArgs {
    /// AWS region in ARNs.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// 12-digit account id in ARNs.
    #[arg(long, default_value = "000000000000", value_parser = parse_account)]
    pub account: String,
    /// [chosen, unverified against AWS] StartFlow with a new token on a
    /// scheduled/event flow that is already Active.
    #[arg(long, value_enum, default_value = "conflict")]
    pub active_start: ActiveStart,
    /// [chosen, unverified against AWS] Status of a scheduled/event flow after StopFlow.
    #[arg(long, value_enum, default_value = "suspended")]
    pub stopped_status: StoppedStatus,
    /// [chosen, unverified against AWS] Status of an event flow after CreateFlow.
    #[arg(long, value_enum, default_value = "draft")]
    pub event_initial_status: EventInitialStatus,
    /// Flows per account (AWS: 1000).
    #[arg(long, default_value_t = 1000)]
    pub max_flows: usize,
    /// Concurrent on-demand runs per account (AWS: 1000).
    #[arg(long, default_value_t = 1000)]
    pub max_concurrent_runs: usize,
    /// Runs per calendar month (AWS: 10 million).
    #[arg(long, default_value_t = 10_000_000)]
    pub max_runs_per_month: u64,
    /// Milliseconds an on-demand run stays InProgress before Successful.
    #[arg(long, default_value_t = 5000)]
    pub run_time_ms: u64,
    /// Seconds a clientToken is remembered (AWS: 8 hours).
    #[arg(long, default_value_t = 8 * 3600)]
    pub token_ttl_secs: u64,
}

impl EmulatorArgs {
    pub fn config(&self) -> Config {
        Config {
            region: self.region.clone(),
            account: self.account.clone(),
            profile: Profile {
                active_start: self.active_start,
                stopped_status: self.stopped_status,
                event_initial_status: self.event_initial_status,
            },
            max_flows: self.max_flows,
            max_concurrent_runs: self.max_concurrent_runs,
            max_runs_per_month: self.max_runs_per_month,
            run_time_ms: self.run_time_ms,
            token_ttl_ms: self.token_ttl_secs * 1000,
            ..Config::default()
        }
    }
}

fn parse_account(s: &str) -> Result<String, String> {
    if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_owned())
    } else {
        Err("an account id is 12 digits".into())
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (keep it loopback unless you mean it).
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 4566)]
    pub port: u16,
    #[command(flatten)]
    pub emulator: EmulatorArgs,
}

/// Runs a parsed command line; answers the process exit code.
pub async fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Check(args) => crate::check::run(args).await,
    }
}

async fn serve(args: ServeArgs) -> i32 {
    let listener = match tokio::net::TcpListener::bind((args.bind, args.port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: failed to bind {}:{}: {e}", args.bind, args.port);
            return exit_codes::TARGET_UNREACHABLE;
        }
    };
    let config = args.emulator.config();
    let addr = listener
        .local_addr()
        .map_or_else(|_| "?".into(), |a| a.to_string());
    let handle = crate::emulator::Handle::new(config.clone());
    eprintln!(
        "appflow-harness emulator listening on http://{addr} (region {}, account {}, profile {:?})",
        config.region, config.account, config.profile
    );
    let app = crate::emulator::router(handle);
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await
    {
        Ok(()) => exit_codes::OK,
        Err(e) => {
            eprintln!("error: emulator failed: {e}");
            exit_codes::INTERNAL
        }
    }
}
