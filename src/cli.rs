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
    /// A goose load test of StartFlow that also verifies that nothing was
    /// lost or duplicated: every fresh token one run, every replay the first run.
    Load(LoadArgs),
}

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// `embedded` (an emulator in this process, on its own runtime threads) or a URL.
    #[arg(long, default_value = "embedded")]
    pub target: String,
    /// Sign requests with the environment's AWS credentials (real AWS: be gentle, use --throttle).
    #[arg(long)]
    pub sign: bool,
    /// Region for signing and for the embedded emulator.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// Concurrent goose users.
    #[arg(long, default_value_t = 8)]
    pub users: usize,
    /// Users started per second.
    #[arg(long, default_value = "8")]
    pub hatch_rate: String,
    /// How long the attack runs once users are started (30s, 2m, 1h).
    #[arg(long, default_value = "30s")]
    pub run_time: String,
    /// Transaction weights: fresh tokens, replays of recent tokens, tokens reused
    /// on a scheduled flow (must answer 409), DescribeFlow.
    #[arg(long, default_value = "fresh=80,replay=15,conflict=5")]
    pub mix: crate::load::Mix,
    /// On-demand flows the starts are spread over.
    #[arg(long, default_value_t = 16)]
    pub flows: usize,
    /// At most this many requests per second, all users together.
    #[arg(long)]
    pub throttle: Option<usize>,
    /// Goose's HTML report (or .json/.md, by extension).
    #[arg(long)]
    pub report_file: Option<String>,
    /// Write our JSON report (figures and verdict) here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Fail when any request type's p99 exceeds this many milliseconds.
    #[arg(long)]
    pub max_p99: Option<f64>,
    /// Fail below this many requests per second.
    #[arg(long)]
    pub min_rps: Option<f64>,
    /// Fail above this percentage of failed requests.
    #[arg(long)]
    pub max_error_rate: Option<f64>,
    /// Recent fresh tokens kept for replays (bounds the harness's memory).
    #[arg(long, default_value_t = 4096)]
    pub pool: usize,
    /// Goose's coordinated-omission mitigation: disabled, average, minimum, maximum.
    #[arg(long, default_value = "disabled")]
    pub co_mitigation: String,
    /// Seconds to wait for one answer.
    #[arg(long, default_value_t = 10)]
    pub timeout_secs: u64,
    /// Milliseconds to wait after the attack before counting runs (real services list runs late).
    #[arg(long, default_value_t = 0)]
    pub settle_ms: u64,
    /// Runtime threads of the embedded emulator.
    #[arg(long, default_value_t = 1)]
    pub emulator_threads: usize,
    /// Also print goose's own tables.
    #[arg(long)]
    pub goose_output: bool,
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
        Command::Load(args) => load(args).await,
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
    match axum::serve(crate::emulator::nodelay(listener), app)
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

async fn load(args: LoadArgs) -> i32 {
    let signer = match signer_for(args.sign, &args.region) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut _embedded = None;
    let url = if args.target == "embedded" {
        // Quotas out of the way: a load test makes far more runs than AWS's defaults allow at once.
        let config = Config {
            region: args.region.clone(),
            max_concurrent_runs: usize::MAX,
            max_runs_per_month: u64::MAX,
            ..Config::default()
        };
        match crate::emulator::DetachedEmulator::start(config, args.emulator_threads) {
            Ok(e) => {
                let url = e.url().to_owned();
                _embedded = Some(e);
                url
            }
            Err(e) => {
                eprintln!("error: failed to start the embedded emulator: {e}");
                return exit_codes::TARGET_UNREACHABLE;
            }
        }
    } else {
        args.target.clone()
    };
    let options = crate::load::LoadOptions {
        users: args.users,
        hatch_rate: args.hatch_rate.clone(),
        run_time: args.run_time.clone(),
        mix: args.mix,
        flows: args.flows,
        throttle: args.throttle,
        report_file: args.report_file.clone(),
        co_mitigation: args.co_mitigation.clone(),
        pool: args.pool,
        timeout: std::time::Duration::from_secs(args.timeout_secs.max(1)),
        settle: std::time::Duration::from_millis(args.settle_ms),
        goose_output: args.goose_output,
    };
    eprintln!(
        "load test of {url}: {} users, run time {}, mix {:?}",
        args.users, args.run_time, args.mix
    );
    let mut report = match crate::load::run(&url, signer, &options).await {
        Ok(r) => r,
        Err(e @ crate::load::LoadError::Setup(..)) => {
            eprintln!("error: {e}");
            return exit_codes::TARGET_UNREACHABLE;
        }
        Err(e @ crate::load::LoadError::Option(_)) => {
            eprintln!("error: {e}");
            return exit_codes::USAGE;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return exit_codes::INTERNAL;
        }
    };
    report.apply_thresholds(args.max_p99, args.min_rps, args.max_error_rate);
    if let Err(e) = report.render(&mut std::io::stdout().lock()) {
        eprintln!("error: failed to print the report: {e}");
        return exit_codes::INTERNAL;
    }
    if let Some(path) = &args.json {
        let written = serde_json::to_vec_pretty(&report)
            .map_err(std::io::Error::other)
            .and_then(|b| std::fs::write(path, b));
        if let Err(e) = written {
            eprintln!("error: failed to write {}: {e}", path.display());
            return exit_codes::INTERNAL;
        }
    }
    if report.passed() {
        exit_codes::OK
    } else {
        exit_codes::FAILURES
    }
}

/// The signer `--sign` asks for, from the environment's credentials; the
/// exit code when they are missing.
pub(crate) fn signer_for(
    sign: bool,
    region: &str,
) -> Result<Option<crate::client::sigv4::Signer>, i32> {
    if !sign {
        return Ok(None);
    }
    match crate::client::sigv4::Signer::from_env(region) {
        Some(s) => Ok(Some(s)),
        None => {
            eprintln!(
                "error: --sign needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment"
            );
            Err(exit_codes::USAGE)
        }
    }
}
