//! The command line: clap structs, their conversion into each command's
//! plain options, and the dispatch. No command's work happens here.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::commands::check::CheckOptions;
use crate::commands::load::LoadCommandOptions;
use crate::commands::serve::ServeOptions;
use crate::commands::{self, CommandError, Console, Outcome};
use crate::emulator::config::{ActiveStart, EventInitialStatus, InProgressStart, StoppedStatus};
use crate::emulator::{Config, Profile};
use crate::redact::RedactingWriter;
use crate::runner::SnapshotMode;
use crate::target::{EmbeddedRuntime, Environment, TargetChoice, TargetOptions};

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
    /// Play the scenarios on a baseline and a target, diff their answers and
    /// classify every difference (violation, gap, known, not compared).
    Compare(CompareArgs),
    /// What a target resolves to (endpoint, region, credentials' source,
    /// abilities), one read, one fixture flow created and deleted, and what
    /// to fix when any of it fails.
    Doctor(DoctorArgs),
    /// List the flows harness runs left behind (killed runs), and delete
    /// them with --yes (scheduled and event flows are stopped first).
    Cleanup(CleanupArgs),
    /// A goose load test of StartFlow that also verifies that nothing was
    /// lost or duplicated: every fresh token one run, every replay the first run.
    Load(LoadArgs),
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct LoadArgs {
    #[command(subcommand)]
    pub action: Option<LoadAction>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Concurrent goose users.
    #[arg(long, default_value_t = 8)]
    pub users: usize,
    /// Users started per second.
    #[arg(long, default_value = "8")]
    pub hatch_rate: String,
    /// How long the attack runs once users are started (30s, 2m, 1h; more than 0).
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
    #[command(flatten)]
    pub outputs: LoadOutputs,
    /// Recent fresh tokens kept for replays (bounds the harness's memory).
    #[arg(long, default_value_t = 4096)]
    pub pool: usize,
    /// Goose's coordinated-omission mitigation: disabled, average, minimum, maximum.
    #[arg(long, default_value = "disabled")]
    pub co_mitigation: String,
    /// At most this many milliseconds after the attack, the run lists are
    /// read until two reads agree (real services list runs late).
    #[arg(long, default_value_t = 2000)]
    pub settle_ms: u64,
    /// Throw away this percentage of fresh starts' answers after they came
    /// and send the same token again, as an SDK does after a timeout.
    #[arg(long, default_value_t = 0.0)]
    pub lose_answers: f64,
    /// Fail with fewer fresh starts verified on the target than this.
    #[arg(long, default_value_t = 100)]
    pub min_verified: u64,
    /// Distributed runs: the number of workers.
    #[arg(long)]
    pub workers: Option<usize>,
    /// Distributed runs: this worker's index (default: JOB_COMPLETION_INDEX,
    /// as Kubernetes Indexed Jobs set it).
    #[arg(long, env = "JOB_COMPLETION_INDEX")]
    pub worker_index: Option<usize>,
    /// Start the attack at this time (epoch seconds), after set-up, so that
    /// workers start together.
    #[arg(long)]
    pub start_at: Option<f64>,
    /// Runtime threads of the embedded emulator.
    #[arg(long, default_value_t = 1)]
    pub emulator_threads: usize,
    /// Also print goose's own tables.
    #[arg(long)]
    pub goose_output: bool,
    /// No progress line (it is printed only on a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
}

/// What `load` (and `load merge`) write, and the limits that fail it.
#[derive(Debug, Clone, Args)]
pub struct LoadOutputs {
    /// Write our self-contained HTML report (verdict, token classes,
    /// latency pictures, error reasons) here.
    #[arg(long)]
    pub report_file: Option<PathBuf>,
    /// Write the JSON report (schema appflow-harness/load-report/v2:
    /// histograms, token classes, options; mergeable) here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Fail when any request type's p99 exceeds this many milliseconds.
    #[arg(long)]
    pub max_p99: Option<f64>,
    /// Fail below this many requests per second.
    #[arg(long)]
    pub min_rps: Option<f64>,
    /// Availability: fail above this percentage of wrong or missing answers.
    #[arg(long, default_value_t = 1.0)]
    pub max_error_rate: f64,
}

#[derive(Debug, clap::Subcommand)]
pub enum LoadAction {
    /// Merge the JSON reports of workers that ran at the same time:
    /// histograms added, counts and token classes summed, thresholds applied
    /// to the whole.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The workers' JSON reports.
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    #[command(flatten)]
    pub outputs: LoadOutputs,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub target: TargetArgs,
}

#[derive(Debug, Args)]
pub struct CleanupArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Flow name prefixes to match (default: ah- and ld-, and the
    /// description of the harness's fixture flows).
    #[arg(long)]
    pub prefix: Vec<String>,
    /// Only flows created at least this long ago (30m, 2h).
    #[arg(long, value_parser = crate::scenario::parse_duration)]
    pub older_than: Option<Duration>,
    /// Delete the flows listed.
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Scenario files or folders (default: scenarios/).
    pub scenarios: Vec<PathBuf>,
    /// The reference side: `embedded` (default), `embedded:FLAG=VALUE,...`
    /// with serve's flags (`embedded:active-start=idempotent`), an http(s)
    /// URL, or `aws`.
    #[arg(long, default_value = "embedded")]
    pub baseline: String,
    /// The side under test, in the same forms.
    #[arg(long)]
    pub target: String,
    /// Region of both sides (default: AWS_REGION, else us-east-1).
    #[arg(long)]
    pub region: Option<String>,
    /// Sign requests to URL sides with the environment's AWS credentials.
    #[arg(long)]
    pub sign: bool,
    /// Seconds to wait for one answer.
    #[arg(long, default_value_t = 10)]
    pub timeout_secs: u64,
    /// The largest answer read, in bytes.
    #[arg(long, default_value_t = crate::client::DEFAULT_ANSWER_LIMIT)]
    pub max_answer_bytes: usize,
    /// Scenarios run at once on each side.
    #[arg(long, default_value_t = 8)]
    pub jobs: usize,
    /// Only scenarios whose name contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// Where transformers.yaml is read from.
    #[arg(long, default_value = "snapshots")]
    pub snapshot_dir: PathBuf,
    /// Write the comparison as JSON (schema: docs/compare.schema.json).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write a Markdown summary (for a pull-request comment).
    #[arg(long)]
    pub markdown: Option<PathBuf>,
    /// Write a self-contained HTML page (renders offline).
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// What fails the run: violations only, or gaps too.
    #[arg(long, value_enum, default_value = "violation")]
    pub fail_on: crate::commands::compare::FailOn,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Scenario files or folders (default: scenarios/).
    pub scenarios: Vec<PathBuf>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Make this run's transcripts the recording of its reference (default:
    /// the target's kind, `snapshots/<kind>/`); other references are untouched.
    #[arg(long, visible_alias = "update")]
    pub record: bool,
    /// The snapshot root; each reference is a directory in it.
    #[arg(long, default_value = "snapshots")]
    pub snapshot_dir: PathBuf,
    /// Which reference to compare with (a directory under --snapshot-dir;
    /// default: the target's kind if recorded, else aws, else embedded).
    #[arg(long)]
    pub reference: Option<String>,
    /// How differences from the reference count: auto (strict against a
    /// recording of the same kind of target, parity otherwise), strict, parity.
    #[arg(long, value_enum, default_value = "auto")]
    pub snapshots: SnapshotMode,
    /// Compare with no reference (expectations and the contract only).
    #[arg(long)]
    pub no_snapshots: bool,
    /// Write a JUnit XML report here.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Write a JSON report here (schema: docs/report.schema.json).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Scenarios run at once (those that change the clock, faults or quotas
    /// run alone); default 8, or 2 against AWS.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Only scenarios whose name contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// Print which scenarios cover each rule id of APPFLOW.md, run nothing,
    /// and exit 1 if a rule is not covered.
    #[arg(long)]
    pub list_coverage: bool,
    /// Print the plan (flows created, StartFlow calls, runs started and what
    /// they cost, steps skipped) and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub emulator: EmulatorArgs,
}

/// Which endpoint a command talks to, the same for every command.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// `embedded` (an emulator in this process), `aws` (real AppFlow, SigV4
    /// with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN), or an
    /// http(s) URL of an endpoint (an emulator).
    #[arg(long, default_value = "embedded")]
    pub target: TargetChoice,
    /// Sign requests to a URL target with the environment's AWS credentials.
    #[arg(long)]
    pub sign: bool,
    /// Region of the target (ARNs of the embedded emulator, SigV4, the AWS
    /// endpoint); default: AWS_REGION, else us-east-1.
    #[arg(long)]
    pub region: Option<String>,
    /// Seconds to wait for one answer.
    #[arg(long, default_value_t = 10)]
    pub timeout_secs: u64,
    /// The largest answer read, in bytes; a larger one fails its step
    /// ("answer larger than N bytes") without being read past the limit.
    #[arg(long, default_value_t = crate::client::DEFAULT_ANSWER_LIMIT)]
    pub max_answer_bytes: usize,
    /// At most this many requests a second to the target, all scenarios
    /// together (be gentle with real AWS).
    #[arg(long)]
    pub max_rps: Option<f64>,
    /// The shared-config profile for AWS credentials and region (default:
    /// AWS_PROFILE, else `default`).
    #[arg(long)]
    pub profile: Option<String>,
    /// AWS's AppFlow at another address (default: AWS_ENDPOINT_URL_APPFLOW,
    /// else AWS_ENDPOINT_URL, else the region's endpoint in its partition).
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// The configuration file (default: ./appflow-harness.yaml if present):
    /// what the fixture flows are made of.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// A fixture variable, KEY=VALUE (source_bucket, source_prefix,
    /// destination_bucket, destination_prefix, event_connector_profile,
    /// event_object); overrides the configuration file.
    #[arg(long = "var", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
        .ok_or_else(|| format!("`{s}` is not KEY=VALUE"))
}

impl TargetArgs {
    fn options(&self, emulator: Config, embedded_runtime: EmbeddedRuntime) -> TargetOptions {
        TargetOptions {
            choice: self.target.clone(),
            region: self.region.clone(),
            sign: self.sign,
            timeout: Duration::from_secs(self.timeout_secs.max(1)),
            answer_limit: self.max_answer_bytes,
            max_rps: self.max_rps,
            profile: self.profile.clone(),
            endpoint_url: self.endpoint_url.clone(),
            config_file: self.config.clone(),
            vars: self.vars.clone(),
            emulator,
            embedded_runtime,
        }
    }
}

/// The emulator's identity, quotas and behaviour profile.
///
/// Behaviours marked [chosen] are unverified against AWS: nobody has published
/// what real AppFlow does there (see APPFLOW.md, "Open questions").
#[derive(Debug, Clone, Args)]
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
    #[arg(long, default_value_t = 5000)]
    pub run_time_ms: u64,
    /// Seconds a clientToken is remembered (AWS: 8 hours).
    #[arg(long, default_value_t = 8 * 3600)]
    pub token_ttl_secs: u64,
    /// A new run shows in DescribeFlowExecutionRecords only this many
    /// milliseconds after it started (as seen on AWS).
    #[arg(long, default_value_t = 0)]
    pub records_lag_ms: u64,
    /// AppFlow requests allowed per second; more answer 429 ThrottlingException.
    #[arg(long)]
    pub throttle_rps: Option<u32>,
    /// ACCESS_KEY:SECRET: AppFlow requests must be SigV4-signed with it
    /// (403 MissingAuthenticationTokenException, UnrecognizedClientException
    /// or InvalidSignatureException otherwise).
    #[arg(long, value_name = "ACCESS_KEY:SECRET")]
    pub verify_sigv4: Option<String>,
}

impl EmulatorArgs {
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
            token_ttl_ms: self.token_ttl_secs * 1000,
            records_lag_ms: self.records_lag_ms,
            throttle_rps: self.throttle_rps.filter(|r| *r > 0),
            verify_sigv4: self.verify_sigv4.clone(),
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
    /// AWS region in ARNs.
    #[arg(long, default_value = crate::target::DEFAULT_REGION)]
    pub region: String,
    /// Seconds a client may take to send a request's headers (idle and
    /// half-open connections are closed after it).
    #[arg(long, default_value_t = 10)]
    pub header_timeout_secs: u64,
    #[command(flatten)]
    pub emulator: EmulatorArgs,
}

/// Runs a parsed command line with the process's environment, writing to
/// stdout and stderr.
pub async fn run(cli: Cli) -> Result<Outcome, CommandError> {
    let (mut out, mut log) = (std::io::stdout(), std::io::stderr());
    let mut console = Console {
        out: &mut out,
        log: &mut log,
    };
    run_with(cli, &Environment::from_process(), &mut console).await
}

/// Runs a parsed command line with a given environment and console.
pub async fn run_with(
    cli: Cli,
    env: &Environment,
    console: &mut Console<'_>,
) -> Result<Outcome, CommandError> {
    // Everything a command prints goes through the one redaction function.
    let redactor = std::sync::Arc::new(crate::redact::Redactor::from_env(env));
    let mut out = RedactingWriter::new(&mut *console.out, redactor.clone());
    let mut log = RedactingWriter::new(&mut *console.log, redactor);
    let console = &mut Console {
        out: &mut out,
        log: &mut log,
    };
    match cli.command {
        Command::Serve(args) => commands::serve::run(args.into(), console).await,
        Command::Check(args) => commands::check::run(args.into(), env, console).await,
        Command::Compare(args) => commands::compare::run(args.into(), env, console).await,
        Command::Doctor(a) => {
            let target = a.target.options(Config::default(), EmbeddedRuntime::Shared);
            commands::doctor::run(target, env, console).await
        }
        Command::Cleanup(a) => {
            let target = a.target.options(Config::default(), EmbeddedRuntime::Shared);
            // With no --prefix, the harness's own: its name prefixes and the
            // fixtures' description.
            let match_description = a.prefix.is_empty();
            let prefixes = if a.prefix.is_empty() {
                commands::cleanup::HARNESS_PREFIXES
                    .map(str::to_owned)
                    .to_vec()
            } else {
                a.prefix
            };
            let options = commands::cleanup::CleanupOptions {
                target,
                prefixes,
                match_description,
                older_than: a.older_than,
                yes: a.yes,
            };
            commands::cleanup::run(options, env, console).await
        }
        Command::Load(LoadArgs {
            action: Some(LoadAction::Merge(m)),
            ..
        }) => commands::load::merge(&m.reports, &m.outputs.into(), env, console),
        Command::Load(args) => commands::load::run(args.into(), env, console).await,
    }
}

impl From<ServeArgs> for ServeOptions {
    fn from(a: ServeArgs) -> Self {
        Self {
            bind: a.bind,
            port: a.port,
            header_timeout: Duration::from_secs(a.header_timeout_secs.max(1)),
            config: Config {
                region: a.region.clone(),
                ..a.emulator.config()
            },
        }
    }
}

impl From<CompareArgs> for crate::commands::compare::CompareOptions {
    fn from(a: CompareArgs) -> Self {
        let mut connection = TargetOptions::new(TargetChoice::Embedded);
        connection.region = a.region.clone();
        connection.sign = a.sign;
        connection.timeout = Duration::from_secs(a.timeout_secs.max(1));
        connection.answer_limit = a.max_answer_bytes;
        Self {
            scenarios: a.scenarios,
            filter: a.filter,
            baseline: a.baseline,
            target: a.target,
            connection,
            jobs: a.jobs,
            snapshot_root: a.snapshot_dir,
            json: a.json,
            markdown: a.markdown,
            html: a.html,
            fail_on: a.fail_on,
            watch_signals: true,
        }
    }
}

impl From<CheckArgs> for CheckOptions {
    fn from(a: CheckArgs) -> Self {
        Self {
            scenarios: a.scenarios,
            target: a
                .target
                .options(a.emulator.config(), EmbeddedRuntime::Shared),
            snapshot_root: (!a.no_snapshots).then_some(a.snapshot_dir),
            reference: a.reference,
            snapshot_mode: if a.record {
                SnapshotMode::Record
            } else {
                a.snapshots
            },
            junit: a.junit,
            json: a.json,
            jobs: a.jobs.unwrap_or(if a.target.target == TargetChoice::Aws {
                2
            } else {
                8
            }),
            filter: a.filter,
            list_coverage: a.list_coverage,
            step_hook: None,
            watch_signals: true,
            dry_run: a.dry_run,
        }
    }
}

impl From<LoadArgs> for LoadCommandOptions {
    fn from(a: LoadArgs) -> Self {
        let target = a.target.options(
            Config::default(),
            EmbeddedRuntime::Own {
                threads: a.emulator_threads,
            },
        );
        let worker = match (a.worker_index, a.workers) {
            (Some(i), Some(n)) => Some((i, n)),
            (Some(i), None) => Some((i, i + 1)),
            _ => None,
        };
        Self {
            load: crate::load::LoadOptions {
                users: a.users,
                hatch_rate: a.hatch_rate,
                run_time: a.run_time,
                mix: a.mix,
                flows: a.flows,
                throttle: a.throttle,
                co_mitigation: a.co_mitigation,
                pool: a.pool,
                timeout: target.timeout,
                settle: Duration::from_millis(a.settle_ms),
                goose_output: a.goose_output,
                lose_answers_pct: a.lose_answers,
                max_error_rate_pct: a.outputs.max_error_rate,
                min_verified: a.min_verified,
                worker,
                start_at: a.start_at,
                progress: !a.no_progress && std::io::IsTerminal::is_terminal(&std::io::stderr()),
            },
            target,
            outputs: a.outputs.into(),
        }
    }
}

impl From<LoadOutputs> for crate::commands::load::Outputs {
    fn from(o: LoadOutputs) -> Self {
        Self {
            report_file: o.report_file,
            json: o.json,
            max_p99_ms: o.max_p99,
            min_rps: o.min_rps,
            max_error_rate_pct: o.max_error_rate,
        }
    }
}
