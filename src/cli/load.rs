//! `load`'s flags (and `load merge`'s), parsed into the load test's options.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::TargetArgs;
use crate::commands::load::LoadCommandOptions;
use crate::emulator::Config;
use crate::endpoint::EmbeddedRuntime;
use crate::load::Thresholds;

/// `appflow-harness load`: the attack's shape, its outputs and limits.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct LoadArgs {
    /// `load merge`, or none for an attack.
    #[command(subcommand)]
    pub action: Option<LoadAction>,
    /// The target to attack and how to reach it.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Concurrent goose users (at least 1).
    #[arg(long, default_value_t = 8)]
    pub users: usize,
    /// Users started per second (more than 0).
    #[arg(long, default_value_t = 8.0)]
    pub hatch_rate: f64,
    /// How long the attack runs once users are started (30s, 2m, 1h; more
    /// than 0). Required: `load` alone prints its usage instead of starting
    /// an attack nobody asked for (as `compare` does without `--target`).
    // An `Option` only because `load merge` takes none.
    #[arg(long, required = true, value_parser = crate::load::options::parse_run_time)]
    pub run_time: Option<Duration>,
    /// Transaction weights: fresh tokens, replays of recent tokens, tokens reused
    /// on a scheduled flow (must answer 409), DescribeFlow.
    #[arg(long, default_value = "fresh=80,replay=15,conflict=5")]
    pub mix: crate::load::Mix,
    /// On-demand flows the starts are spread over (at least 1).
    #[arg(long, default_value_t = 16)]
    pub flows: usize,
    /// At most this many requests per second, all users together (at least 1).
    #[arg(long)]
    pub throttle: Option<usize>,
    /// The time series' interval: one point per request type per interval
    /// (1s, 10s, 500ms; at least 100ms).
    #[arg(long, default_value = "1s", value_parser = crate::load::options::parse_run_time)]
    pub interval: Duration,
    /// The reports to write and the thresholds that fail the run.
    #[command(flatten)]
    pub outputs: LoadOutputs,
    /// Recent fresh tokens kept for replays (bounds the harness's memory).
    #[arg(long, default_value_t = 4096)]
    pub pool: usize,
    /// Goose's coordinated-omission mitigation: disabled, average, minimum, maximum.
    #[arg(long, default_value = "disabled", value_parser = crate::load::options::parse_co_mitigation)]
    pub co_mitigation: crate::load::options::CoMitigation,
    /// A run is listed at most this many milliseconds after its answer
    /// (real services list runs late): runs are read and matched while the
    /// attack goes on, a run missing this long after its answer is lost, and
    /// the tail is read at the end for at most this long. The default is
    /// L2's bound, the one `check`'s saved files and `explore` wait
    /// (`model::L2_LAG`, 10 s).
    #[arg(long, default_value_t = crate::model::L2_LAG.as_millis() as u64)]
    pub settle_ms: u64,
    /// Throw away this percentage of fresh starts' answers after they came
    /// and send the same token again, as an SDK does after a timeout.
    #[arg(long, default_value_t = 0.0)]
    pub lose_answers: f64,
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
    /// Send with goose's default HTTP client instead of the harness's tuned
    /// one (for benches/load_vs_wrk.sh's comparison).
    #[arg(long, hide = true)]
    pub goose_client: bool,
}

/// What `load` (and `load merge`) write, and the limits that fail it.
#[derive(Debug, Clone, Args)]
pub struct LoadOutputs {
    /// Write our self-contained HTML report (verdict, token classes,
    /// latency pictures, error reasons) here (the name compare uses; the
    /// old name is a hidden alias).
    #[arg(long = "html", alias = "report-file")]
    pub report_file: Option<PathBuf>,
    /// Write the JSON report (schema appflow-harness/load-report/v3:
    /// histograms, time series, token classes, options; mergeable) here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write a JUnit XML report here (a test case per part of the verdict:
    /// correctness, availability, evidence, each threshold, and the run).
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Fail when any request type's p99 exceeds this many milliseconds.
    #[arg(long)]
    pub max_p99: Option<f64>,
    /// Fail below this many requests per second.
    #[arg(long)]
    pub min_rps: Option<f64>,
    /// Availability: fail above this percentage of wrong or missing answers.
    #[arg(long, default_value_t = 1.0)]
    pub max_error_rate: f64,
    /// Evidence: fail with fewer fresh starts verified on the target than this.
    #[arg(long, default_value_t = 100)]
    pub min_verified: u64,
}

impl LoadOutputs {
    /// The limits these flags set.
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            max_error_rate_pct: self.max_error_rate,
            min_verified: self.min_verified,
            max_p99_ms: self.max_p99,
            min_rps: self.min_rps,
        }
    }
}

/// `load`'s subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum LoadAction {
    /// Merge the JSON reports of workers that ran at the same time:
    /// histograms added, counts and token classes summed, series merged by
    /// time, thresholds applied to the whole. Reports that do not belong
    /// together (a worker twice, other targets or options) are refused.
    Merge(MergeArgs),
}

/// `load merge`'s arguments.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The workers' JSON reports.
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// The merged reports to write and the thresholds applied to the whole.
    #[command(flatten)]
    pub outputs: LoadOutputs,
}

/// Runs `load` (or `load merge`) with its parsed flags.
pub(super) async fn run(
    args: LoadArgs,
    env: &crate::endpoint::Environment,
    console: &mut crate::commands::Console<'_>,
) -> Result<crate::commands::Outcome, crate::commands::CommandError> {
    use crate::commands::load;
    match args {
        LoadArgs {
            action: Some(LoadAction::Merge(m)),
            ..
        } => load::merge(
            &m.reports,
            &m.outputs.clone().into(),
            &m.outputs.thresholds(),
            env,
            console,
        ),
        args => load::run(args.into(), env, console).await,
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
                // Clap has required it for an attack; zero is refused by
                // `LoadOptions::validate` should it ever be missing.
                run_time: a.run_time.unwrap_or(Duration::ZERO),
                mix: a.mix,
                flows: a.flows,
                throttle: a.throttle,
                co_mitigation: a.co_mitigation,
                pool: a.pool,
                timeout: target.timeout,
                settle: Duration::from_millis(a.settle_ms),
                interval: a.interval,
                goose_output: a.goose_output,
                lose_answers_pct: a.lose_answers,
                thresholds: a.outputs.thresholds(),
                worker,
                start_at: a.start_at,
                progress: !a.no_progress && std::io::IsTerminal::is_terminal(&std::io::stderr()),
                client: if a.goose_client {
                    crate::load::options::Client::Goose
                } else {
                    crate::load::options::Client::Tuned
                },
            },
            target,
            outputs: a.outputs.into(),
            watch_signals: true,
        }
    }
}

impl From<LoadOutputs> for crate::commands::load::Outputs {
    fn from(o: LoadOutputs) -> Self {
        Self {
            report_file: o.report_file,
            json: o.json,
            junit: o.junit,
        }
    }
}
