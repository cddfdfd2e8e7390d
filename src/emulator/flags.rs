//! The embedded emulator's flags, the one syntax of its settings: `serve`'s
//! and `check`'s/`explore`'s flags (`--active-start idempotent`), and
//! compare's `embedded:active-start=idempotent,token-ttl-secs=5`, which is
//! parsed by the same clap definition. Identity, quotas, edges and the
//! behaviour profile.

use clap::{Args, Parser};

use super::config::{ActiveStart, EventInitialStatus, InProgressStart, StoppedStatus};
use super::{Config, Profile};

/// The emulator's identity, quotas and behaviour profile.
///
/// Behaviours marked \[chosen\] are unverified against AWS: nobody has published
/// what real AppFlow does there (see APPFLOW.md, "Open questions").
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct EmulatorArgs {
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
    /// [chosen, unverified against AWS] StartFlow on an on-demand flow whose
    /// last run is still InProgress (C2).
    #[arg(long, value_enum, default_value = "accept")]
    pub in_progress_start: InProgressStart,
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
    #[arg(long, default_value_t = super::config::DEFAULT_RUN_TIME_MS)]
    pub run_time_ms: u64,
    /// Seconds a clientToken is remembered (AWS: 8 hours).
    #[arg(long, default_value_t = 8 * 3600)]
    pub token_ttl_secs: u64,
    /// A new run shows in DescribeFlowExecutionRecords only this many
    /// milliseconds after it started (as seen on AWS).
    #[arg(long, default_value_t = 0)]
    pub records_lag_ms: u64,
    /// Run records kept per flow, for DescribeFlowExecutionRecords: the
    /// newest N, plus every older run still running or started less than
    /// the token TTL ago (its token can still be replayed, APPFLOW.md T1).
    /// Older runs are forgotten when the flow starts another run and counted
    /// in /_harness/counters (runsEvicted). 0 keeps every run.
    #[arg(long, default_value_t = crate::emulator::config::DEFAULT_MAX_RUNS_PER_FLOW)]
    pub max_runs_per_flow: usize,
    /// The emulator throttles its callers: AppFlow requests allowed per
    /// second, more answer 429 ThrottlingException (not a cap on what the
    /// harness sends: that is `--max-rps`, or `load --throttle`).
    #[arg(long = "throttle-above-rps", alias = "throttle-rps")]
    pub throttle_rps: Option<u32>,
    /// ACCESS_KEY:SECRET: AppFlow requests must be SigV4-signed with it
    /// (403 MissingAuthenticationTokenException, UnrecognizedClientException
    /// or InvalidSignatureException otherwise).
    #[arg(long, value_name = "ACCESS_KEY:SECRET")]
    pub verify_sigv4: Option<String>,
}

impl EmulatorArgs {
    /// The emulator configuration these flags say (`--token-ttl-secs` turned
    /// into ms, `--throttle-above-rps 0` as no limit); the region stays the default,
    /// set later from the target or `serve --region`.
    pub fn config(&self) -> Config {
        Config {
            account: self.account.clone(),
            profile: Profile {
                active_start: self.active_start,
                stopped_status: self.stopped_status,
                event_initial_status: self.event_initial_status,
                in_progress_start: self.in_progress_start,
            },
            max_flows: self.max_flows,
            max_concurrent_runs: self.max_concurrent_runs,
            max_runs_per_month: self.max_runs_per_month,
            run_time_ms: self.run_time_ms,
            token_ttl_ms: self.token_ttl_secs.saturating_mul(1000),
            records_lag_ms: self.records_lag_ms,
            max_runs_per_flow: self.max_runs_per_flow,
            throttle_rps: self.throttle_rps.filter(|r| *r > 0),
            verify_sigv4: self.verify_sigv4.clone(),
            ..Config::default()
        }
    }
}

/// [`EmulatorArgs`] alone on a command line, to parse a spec's flags.
#[derive(Parser)]
#[command(name = "embedded", no_binary_name = true, disable_help_flag = true)]
struct Alone {
    #[command(flatten)]
    emulator: EmulatorArgs,
}

impl Default for EmulatorArgs {
    fn default() -> Self {
        Alone::try_parse_from(Vec::<String>::new())
            .map(|a| a.emulator)
            .unwrap_or_else(|e| unreachable!("the emulator's defaults parse: {e}"))
    }
}

impl EmulatorArgs {
    /// Parses `FLAG=VALUE,...` (serve's flags without `--`:
    /// `active-start=idempotent,token-ttl-secs=5`) with the same definition
    /// as the command line, defaults for the rest.
    ///
    /// # Errors
    /// clap's message for an unknown flag or a bad value, as one line.
    pub fn from_spec(flags: &str) -> Result<Self, String> {
        let mut argv = Vec::new();
        for pair in flags.split(',').filter(|p| !p.trim().is_empty()) {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| format!("`{pair}` is not FLAG=VALUE"))?;
            argv.push(format!("--{}", k.trim()));
            argv.push(v.trim().to_owned());
        }
        Alone::try_parse_from(argv)
            .map(|a| a.emulator)
            .map_err(|e| {
                let text = e.to_string();
                let first = text.lines().next().unwrap_or("invalid flags");
                first.trim_start_matches("error: ").to_owned()
            })
    }

    /// The flags whose values differ from their defaults, as `--name`:
    /// what a user asked of the embedded emulator.
    pub fn changed(&self) -> Vec<&'static str> {
        let d = Self::default();
        let mut changed = Vec::new();
        let mut flag = |differs: bool, name: &'static str| {
            if differs {
                changed.push(name);
            }
        };
        flag(self.account != d.account, "--account");
        flag(self.active_start != d.active_start, "--active-start");
        flag(self.stopped_status != d.stopped_status, "--stopped-status");
        flag(
            self.event_initial_status != d.event_initial_status,
            "--event-initial-status",
        );
        flag(
            self.in_progress_start != d.in_progress_start,
            "--in-progress-start",
        );
        flag(self.max_flows != d.max_flows, "--max-flows");
        flag(
            self.max_concurrent_runs != d.max_concurrent_runs,
            "--max-concurrent-runs",
        );
        flag(
            self.max_runs_per_month != d.max_runs_per_month,
            "--max-runs-per-month",
        );
        flag(self.run_time_ms != d.run_time_ms, "--run-time-ms");
        flag(self.token_ttl_secs != d.token_ttl_secs, "--token-ttl-secs");
        flag(self.records_lag_ms != d.records_lag_ms, "--records-lag-ms");
        flag(
            self.max_runs_per_flow != d.max_runs_per_flow,
            "--max-runs-per-flow",
        );
        flag(self.throttle_rps != d.throttle_rps, "--throttle-above-rps");
        flag(self.verify_sigv4 != d.verify_sigv4, "--verify-sigv4");
        changed
    }
}

fn parse_account(s: &str) -> Result<String, String> {
    if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_owned())
    } else {
        Err("an account id is 12 digits".into())
    }
}
