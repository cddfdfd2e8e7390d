//! `appflow-harness load`: a goose attack on StartFlow that also proves that
//! nothing was lost or duplicated: every fresh token must start exactly one
//! run, every replay must answer the first run's executionId, every token
//! reused on a scheduled flow must answer 409.

pub mod html;
pub mod ledger;
pub mod metrics;
pub mod report;
pub mod state;
mod transactions;
pub mod verdict;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use goose::config::GooseConfiguration;
use goose::metrics::GooseCoordinatedOmissionMitigation;
use goose::prelude::*;

use crate::appflow::TriggerType;
use crate::client::Endpoint;
use crate::client::sigv4::Signer;
use crate::endpoint::Target;
pub use report::LoadReport;
use state::LoadState;
use transactions::Ctx;

/// The load test's transactions (README's table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transaction {
    /// StartFlow with a token never used: 200 with an executionId.
    Fresh,
    /// StartFlow with a recent fresh token: the first answer's executionId.
    Replay,
    /// StartFlow with a recent fresh token on a scheduled flow: 409.
    Conflict,
    /// DescribeFlow on an on-demand flow: 200 with flowStatus.
    Describe,
}

impl Transaction {
    /// Its name in goose's metrics and the report.
    pub fn name(self) -> &'static str {
        match self {
            Self::Fresh => "fresh",
            Self::Replay => "replay",
            Self::Conflict => "conflict",
            Self::Describe => "describe",
        }
    }
}

/// How often each transaction runs, relative to the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mix {
    pub fresh: usize,
    pub replay: usize,
    pub conflict: usize,
    pub describe: usize,
}

impl Default for Mix {
    fn default() -> Self {
        Self {
            fresh: 80,
            replay: 15,
            conflict: 5,
            describe: 0,
        }
    }
}

impl std::str::FromStr for Mix {
    type Err = String;

    /// `fresh=80,replay=15,conflict=5,describe=0`; unnamed parts are 0.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut mix = Mix {
            fresh: 0,
            replay: 0,
            conflict: 0,
            describe: 0,
        };
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}` is not NAME=WEIGHT"))?;
            let v: usize = v
                .trim()
                .parse()
                .map_err(|_| format!("`{v}` is not a whole number"))?;
            match k.trim() {
                "fresh" => mix.fresh = v,
                "replay" => mix.replay = v,
                "conflict" => mix.conflict = v,
                "describe" => mix.describe = v,
                other => {
                    return Err(format!(
                        "unknown transaction `{other}` (fresh, replay, conflict, describe)"
                    ));
                }
            }
        }
        if mix.fresh == 0 {
            return Err(
                "fresh must have a weight: replays and conflicts reuse fresh tokens".into(),
            );
        }
        Ok(mix)
    }
}

#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub users: usize,
    pub hatch_rate: String,
    pub run_time: String,
    pub mix: Mix,
    pub flows: usize,
    pub throttle: Option<usize>,
    pub co_mitigation: String,
    pub pool: usize,
    pub timeout: Duration,
    /// At most this long after the attack, the target's run lists are read
    /// until two reads agree (real services list runs late).
    pub settle: Duration,
    /// Let goose print its own tables.
    pub goose_output: bool,
    /// Percent of fresh starts' answers thrown away after they came, the
    /// same token then sent again (`--lose-answers`).
    pub lose_answers_pct: f64,
    /// Availability: fail above this percentage of wrong or missing answers.
    pub max_error_rate_pct: f64,
    /// Evidence: fail with fewer verified fresh starts than this.
    pub min_verified: u64,
    /// This worker's index and the number of workers (distributed runs).
    pub worker: Option<(usize, usize)>,
    /// Start the attack at this time (epoch seconds), so workers start together.
    pub start_at: Option<f64>,
    /// Print a progress line every few seconds (on a terminal).
    pub progress: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("failed to set up flow {0} on the target: {1}")]
    Setup(String, String),
    #[error("goose: {0}")]
    Goose(String),
    #[error("bad option: {0}")]
    Option(String),
}

impl LoadOptions {
    /// The attack's run time (`30s`, or a number of seconds).
    pub fn run_duration(&self) -> Result<Duration, String> {
        match self.run_time.parse::<u64>() {
            Ok(secs) => Ok(Duration::from_secs(secs)),
            Err(_) => crate::scenario::parse_duration(&self.run_time)
                .map_err(|e| format!("--run-time: {e}")),
        }
    }

    /// Checks the options that goose would otherwise reject only after the
    /// target was set up.
    pub fn validate(&self) -> Result<(), String> {
        let run_time = self.run_duration()?;
        if run_time.is_zero() {
            return Err(
                "--run-time must be longer than 0s (a load test must end by itself)".into(),
            );
        }
        if !self.hatch_rate.parse::<f32>().is_ok_and(|r| r > 0.0) {
            return Err(format!(
                "--hatch-rate: `{}` is not a positive number of users per second",
                self.hatch_rate
            ));
        }
        self.co_mitigation
            .parse::<GooseCoordinatedOmissionMitigation>()
            .map_err(|e| format!("--co-mitigation: {e}"))?;
        if !(0.0..=100.0).contains(&self.lose_answers_pct) {
            return Err("--lose-answers is a percentage, 0 to 100".into());
        }
        if let Some((i, n)) = self.worker
            && (n == 0 || i >= n)
        {
            return Err(format!("--worker-index {i} is not below --workers {n}"));
        }
        Ok(())
    }
}

/// Runs the whole load test against `target` and returns its report.
pub async fn run(target: &Target, options: &LoadOptions) -> Result<LoadReport, LoadError> {
    let endpoint = target.endpoint.clone();
    let url = endpoint.base_url().to_owned();
    let signer = target.signer.clone();
    // A signer that cannot sign stops the run before anything is sent.
    if let Some(s) = &signer {
        s.sign(
            "POST",
            &format!("{url}/start-flow"),
            b"{}",
            SystemTime::now(),
        )
        .map_err(|e| LoadError::Option(format!("cannot sign requests: {e}")))?;
    }
    let worker = options
        .worker
        .map_or_else(String::new, |(i, _)| format!("w{i}-"));
    let run_id = format!(
        "{worker}{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let flows: Vec<String> = (0..options.flows.max(1))
        .map(|i| format!("ld-{run_id}-od-{i}"))
        .collect();
    let scheduled: Vec<String> = (0..2).map(|i| format!("ld-{run_id}-sc-{i}")).collect();
    let mut state = LoadState::new(run_id, flows.clone(), scheduled.clone(), options.pool);
    state.lose_answers_bp = (options.lose_answers_pct * 100.0).round() as u32;

    let mut created = Vec::new();
    let setup = create_all(
        &endpoint,
        &target.fixtures,
        &flows,
        &scheduled,
        &mut created,
    )
    .await;
    if let (Ok(()), Some(at)) = (&setup, options.start_at) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        if at > now {
            tokio::time::sleep(Duration::from_secs_f64((at - now).min(3600.0))).await;
        }
    }
    state.started = Instant::now();
    let started_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let state = Arc::new(state);
    let result = match setup {
        Ok(()) => {
            let progress = options
                .progress
                .then(|| tokio::spawn(progress(state.clone())));
            let attacked = attack(&url, signer, state.clone(), options).await;
            if let Some(p) = progress {
                p.abort();
            }
            attacked
        }
        Err(e) => Err(e),
    };
    let result = match result {
        Ok(()) => {
            let secs = state.started.elapsed().as_secs_f64();
            // goose stops early only on Ctrl-C (it handles the signal itself).
            let interrupted = options
                .run_duration()
                .is_ok_and(|d| secs + 0.5 < d.as_secs_f64());
            let verdict = verdict::judge(&endpoint, &state, options.settle).await;
            let by_request = state
                .metrics
                .snapshot()
                .into_iter()
                .map(|(name, h, statuses, failures)| {
                    report::RequestFigures::new(name, h, statuses, failures, secs)
                })
                .collect();
            let run = report::RunInfo {
                harness_version: env!("CARGO_PKG_VERSION").into(),
                target: url.clone(),
                target_kind: target.kind.as_str().into(),
                started_at,
                worker: options.worker,
                options: serde_json::json!({
                    "users": options.users,
                    "hatch_rate": options.hatch_rate,
                    "run_time": options.run_time,
                    "mix": format!("fresh={},replay={},conflict={},describe={}", options.mix.fresh, options.mix.replay, options.mix.conflict, options.mix.describe),
                    "flows": options.flows,
                    "throttle": options.throttle,
                    "lose_answers_pct": options.lose_answers_pct,
                    "pool": options.pool,
                }),
            };
            let mut report = LoadReport::new(
                run,
                secs,
                by_request,
                state.metrics.reasons(),
                verdict,
                options.max_error_rate_pct,
                options.min_verified,
            );
            report.interrupted = interrupted;
            Ok(report)
        }
        Err(e) => Err(e),
    };
    // Cleanup whatever happened, Ctrl-C included (goose returns on Ctrl-C).
    for name in created {
        crate::fixtures::delete_flow(&endpoint, &name).await;
    }
    result
}

/// A progress line every few seconds while the attack lasts.
async fn progress(state: Arc<LoadState>) {
    let mut last = 0;
    loop {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let (n, errors) = (state.metrics.requests(), state.metrics.failures());
        eprintln!(
            "  {:>6.0} s  {n} requests  {:.0} req/s  {errors} errors",
            state.started.elapsed().as_secs_f64(),
            (n - last) as f64 / 3.0
        );
        last = n;
    }
}

async fn create_all(
    endpoint: &Endpoint,
    fixtures: &crate::fixtures::FixtureVars,
    flows: &[String],
    scheduled: &[String],
    created: &mut Vec<String>,
) -> Result<(), LoadError> {
    let all = flows
        .iter()
        .map(|f| (f, TriggerType::OnDemand))
        .chain(scheduled.iter().map(|f| (f, TriggerType::Scheduled)));
    for (name, trigger) in all {
        crate::fixtures::create_flow(endpoint, &fixtures.body(name, trigger))
            .await
            .map_err(|e| LoadError::Setup(name.clone(), e))?;
        created.push(name.clone());
    }
    Ok(())
}

async fn attack(
    url: &str,
    signer: Option<Signer>,
    state: Arc<LoadState>,
    o: &LoadOptions,
) -> Result<(), LoadError> {
    let co: GooseCoordinatedOmissionMitigation = o
        .co_mitigation
        .parse()
        .map_err(|e| LoadError::Option(format!("--co-mitigation: {e}")))?;
    let mut config = GooseConfiguration::default();
    config.host = Some(url.to_owned());
    config.users = Some(o.users.max(1));
    config.increase_rate = Some(o.hatch_rate.clone());
    config.run_time = Some(o.run_time.clone());
    config.throttle_requests = o.throttle;
    config.co_mitigation = Some(co);
    config.quiet = if o.goose_output { 0 } else { 1 };
    config.no_print_metrics = !o.goose_output;
    config.no_error_summary = !o.goose_output;
    // Goose's controllers listen on fixed ports; a harness run must not.
    config.no_telnet = true;
    // The transactions keep their own figures (mergeable HDR histograms);
    // goose's metrics would cost CPU on every request for nothing.
    config.no_metrics = !o.goose_output;
    config.no_transaction_metrics = true;
    config.no_scenario_metrics = true;
    config.timeout = Some(o.timeout.as_secs().max(1).to_string());
    let ctx = Arc::new(Ctx { state, signer });
    let mut scenario = scenario!("StartFlow");
    let m = o.mix;
    let parts = [
        (m.fresh, Transaction::Fresh),
        (m.replay, Transaction::Replay),
        (m.conflict, Transaction::Conflict),
        (m.describe, Transaction::Describe),
    ];
    for (weight, which) in parts {
        if weight == 0 {
            continue;
        }
        let ctx = ctx.clone();
        let f: goose::goose::TransactionFunction = Arc::new(move |user| {
            let ctx = ctx.clone();
            Box::pin(async move {
                match which {
                    Transaction::Fresh => transactions::fresh(user, &ctx).await,
                    Transaction::Replay => transactions::replay(user, &ctx).await,
                    Transaction::Conflict => transactions::conflict(user, &ctx).await,
                    Transaction::Describe => transactions::describe(user, &ctx).await,
                }
            })
        });
        let t = goose::goose::Transaction::new(f)
            .set_name(which.name())
            .set_weight(weight)
            .map_err(|e| LoadError::Goose(e.to_string()))?;
        scenario = scenario.register_transaction(t);
    }
    GooseAttack::initialize_with_config(config)
        .map_err(|e| LoadError::Goose(e.to_string()))?
        .register_scenario(scenario)
        .execute()
        .await
        .map_err(|e| LoadError::Goose(e.to_string()))?;
    Ok(())
}
