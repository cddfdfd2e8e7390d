//! `appflow-harness load`: a goose attack on StartFlow that also proves that
//! nothing was lost or duplicated: every fresh token must start exactly one
//! run, every replay must answer the first run's executionId, every token
//! reused on a scheduled flow must answer 409. The runs are read and matched
//! while the attack goes on (`settle`), so memory holds only the unsettled
//! window and the verdict at the end reads only the tail.

pub mod ledger;
pub mod merge;
pub mod metrics;
pub mod options;
pub mod records;
pub mod report;
pub mod retention;
pub mod settle;
pub mod state;
pub mod token;
mod transactions;
pub mod verdict;
mod wire;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use goose::config::GooseConfiguration;
use goose::prelude::*;

use crate::appflow::{Operation, TriggerType};
use crate::client::sigv4::Signer;
use crate::endpoint::Target;
pub use options::{LoadOptions, Mix, Thresholds};
pub use report::LoadReport;
use state::LoadState;
use transactions::Ctx;

/// How long clean-up may take after the attack and verdict (see `run_with`).
const CLEANUP_BOUND: Duration = Duration::from_secs(20);

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

/// Why a load run could not run to its end.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A flow could not be created on the target (its name, why).
    #[error("failed to set up flow {0} on the target: {1}")]
    Setup(String, String),
    /// Goose refused its configuration or failed.
    #[error("goose: {0}")]
    Goose(String),
    /// An option means nothing (caught before anything is sent).
    #[error("bad option: {0}")]
    Option(String),
}

/// How the caller steers a run: a flag that stops it (Ctrl-C, SIGTERM: the
/// attack ends, the flows are deleted, the report says `interrupted`), and
/// where progress lines go.
#[derive(Debug, Default, Clone)]
pub struct Hooks {
    /// Set to stop the run early.
    pub stop: Arc<AtomicBool>,
    /// Receives a progress line every few seconds, if given.
    pub progress: Option<tokio::sync::mpsc::UnboundedSender<String>>,
}

/// Runs the whole load test against `target` and returns its report,
/// judged by `options.thresholds`.
///
/// # Errors
/// Bad options, a flow that could not be created, goose failing.
pub async fn run(target: &Target, options: &LoadOptions) -> Result<LoadReport, LoadError> {
    run_with(target, options, Hooks::default()).await
}

/// [`run`], stopped early when `hooks.stop` is set, with progress lines.
///
/// # Errors
/// As [`run`].
pub async fn run_with(
    target: &Target,
    options: &LoadOptions,
    hooks: Hooks,
) -> Result<LoadReport, LoadError> {
    options.validate().map_err(LoadError::Option)?;
    // After a stop, set-up sends no retry and clean-up retries within
    // RetryPolicy::cleanup's small bound (client::Endpoint::with_stop).
    let endpoint = target.endpoint.clone().with_stop(hooks.stop.clone());
    let url = endpoint.base_url().to_owned();
    // A signer that cannot sign stops the run before anything is sent.
    if let Some(s) = &target.signer {
        let start = format!("{url}{}", Operation::StartFlow.path());
        s.sign("POST", &start, b"{}", SystemTime::now())
            .map_err(|e| LoadError::Option(format!("cannot sign requests: {e}")))?;
    }
    let worker = options
        .worker
        .map_or_else(String::new, |(i, _)| format!("w{i}-"));
    let run_id = format!("{worker}{}", crate::names::run_id(8));
    let flows: Vec<String> = (0..options.flows)
        .map(|i| LoadState::flow_name(&run_id, false, i))
        .collect();
    let scheduled: Vec<String> = (0..2)
        .map(|i| LoadState::flow_name(&run_id, true, i))
        .collect();
    let mut state = LoadState::new(
        run_id,
        flows.clone(),
        scheduled.clone(),
        // Only replays and conflicts read the pool: without them nothing is kept.
        if options.mix.replay == 0 && options.mix.conflict == 0 {
            0
        } else {
            options.pool
        },
        options.interval,
    );
    state.lose_answers_bp = (options.lose_answers_pct * 100.0).round() as u32;
    state.stop = hooks.stop.clone();
    // What the target documents keeping judges old replays (T4) and runs
    // its retention may drop before they are read.
    let doc = tokio::select! {
        biased;
        () = wait_stop(&hooks.stop) => None,
        d = endpoint.get_json("/_harness/config") => d,
    };
    state.retention = retention::Retention::of_config(
        doc.as_ref()
            .filter(|d| crate::endpoint::is_control_config(d)),
    );
    let mut created = Vec::new();
    let all = flows
        .iter()
        .map(|f| (f, TriggerType::OnDemand))
        .chain(scheduled.iter().map(|f| (f, TriggerType::Scheduled)));
    let mut setup = Ok(());
    for (name, trigger) in all {
        if hooks.stop.load(Ordering::Relaxed) {
            break;
        }
        // Recorded for clean-up before it is sent: an answer lost, or a
        // create cut short by a stop, may still have made it.
        created.push(name.clone());
        let body = target.fixtures.body(name, trigger);
        let create = crate::fixtures::create_flow(&endpoint, &body);
        // A stop cuts the create (and its retries) short: nothing more is
        // sent but clean-up.
        let stopped = wait_stop(&hooks.stop);
        tokio::select! {
            biased;
            () = stopped => break,
            r = create => if let Err(e) = r {
                setup = Err(LoadError::Setup(name.clone(), e));
                break;
            },
        }
    }
    if let (Ok(()), Some(at)) = (&setup, options.start_at) {
        wait_until(at, &hooks.stop).await;
    }
    state.started = Instant::now();
    let started_at = epoch_now();
    let state = Arc::new(state);
    let result = match setup {
        Ok(()) => attack_and_settle(target, &state, options, &hooks).await,
        Err(e) => Err(e),
    };
    let result = result.map(|(verdict, secs)| {
        let run = report::RunInfo {
            harness_version: env!("CARGO_PKG_VERSION").into(),
            target: url.clone(),
            target_kind: target.kind.as_str().into(),
            started_at,
            worker: options.worker,
            options: options.as_json(),
        };
        let mut report = report::of_state(&state, run, verdict, secs);
        report.interrupted = hooks.stop.load(Ordering::Relaxed);
        let throttled = state.throttled.load(Ordering::Relaxed);
        if throttled > 0 {
            report.notes.push(format!(
                "throttling: {throttled} starts answered 429 ThrottlingException; each was sent again with its token after backing off (exponential with jitter, at most {} attempts), {:.1} s backed off in all; {:.0} requests a second in effect",
                transactions::ATTEMPTS,
                state.backed_off_ms.load(Ordering::Relaxed) as f64 / 1000.0,
                report.requests_per_second
            ));
        }
        report.judge(&options.thresholds);
        report
    });
    // Cleanup whatever happened, Ctrl-C and SIGTERM included: the flows
    // together, within a bound that keeps the process inside the 60 s
    // grace period of deploy/kubernetes/load-job.yaml whatever the target
    // does (a delete not done by then is left; `cleanup` finds it).
    let deletes = created
        .iter()
        .map(|name| crate::fixtures::delete_flow(&endpoint, name));
    let _ = tokio::time::timeout(CLEANUP_BOUND, futures_util::future::join_all(deletes)).await;
    result
}

fn epoch_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Returns once `stop` is set.
async fn wait_stop(stop: &AtomicBool) {
    crate::client::retry::wait_or_stop(stop, None).await;
}

/// Waits until epoch second `at` (at most an hour), or until `stop`.
async fn wait_until(at: f64, stop: &AtomicBool) {
    let wait = Duration::from_secs_f64((at - epoch_now()).clamp(0.0, 3600.0));
    crate::client::retry::wait_or_stop(stop, Some(wait)).await;
}

/// The attack with settling alongside, then the tail: the verdict and the
/// attack's length in seconds.
async fn attack_and_settle(
    target: &Target,
    state: &Arc<LoadState>,
    options: &LoadOptions,
    hooks: &Hooks,
) -> Result<(verdict::Verdict, f64), LoadError> {
    let endpoint = &target.endpoint;
    if hooks.stop.load(Ordering::Relaxed) {
        // Stopped before the attack: nothing more is sent but clean-up.
        let why = "interrupted before the attack: nothing was verified".to_owned();
        return Ok((verdict::of(state, Some(why)), 0.0));
    }
    let (windows, every) = settle::windows(options.settle, options.timeout, state.retention);
    let settling = Arc::new(AtomicBool::new(false));
    let settler = tokio::spawn(settle::during(
        endpoint.clone(),
        state.clone(),
        windows,
        every,
        settling.clone(),
    ));
    let progress = hooks
        .progress
        .clone()
        .filter(|_| options.progress)
        .map(|tx| tokio::spawn(settle::progress(state.clone(), tx)));
    // Goose stops on its kill switch; it is pulled while `stop` is set
    // (goose clears it when an attack starts).
    let stop = hooks.stop.clone();
    let killer = tokio::spawn(async move {
        loop {
            if stop.load(Ordering::Relaxed) {
                goose::trigger_killswitch("interrupted (Ctrl-C or SIGTERM)");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let attacked = if hooks.stop.load(Ordering::Relaxed) {
        Ok(())
    } else {
        attack(
            endpoint.base_url(),
            target.signer.clone(),
            state.clone(),
            options,
        )
        .await
    };
    let secs = state
        .metrics
        .active_secs()
        .unwrap_or_else(|| state.started.elapsed().as_secs_f64());
    killer.abort();
    if let Some(p) = progress {
        p.abort();
    }
    settling.store(true, Ordering::Relaxed);
    let mut error = settler.await.ok().flatten();
    attacked?;
    if error.is_none()
        && let Err(e) = settle::tail(endpoint, state, windows, options.settle).await
    {
        error = Some(e);
    }
    Ok((verdict::of(state, error), secs))
}

async fn attack(
    url: &str,
    signer: Option<Signer>,
    state: Arc<LoadState>,
    o: &LoadOptions,
) -> Result<(), LoadError> {
    let mut config = GooseConfiguration::default();
    config.host = Some(url.to_owned());
    config.users = Some(o.users);
    config.increase_rate = Some(o.hatch_rate.to_string());
    // Goose counts whole seconds.
    config.run_time = Some(format!("{}", o.run_time.as_secs_f64().ceil().max(1.0)));
    config.throttle_requests = o.throttle;
    config.co_mitigation = Some(o.co_mitigation.clone());
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
    let ctx = Arc::new(Ctx::new(state, signer, url).map_err(LoadError::Option)?);
    let mut scenario = scenario!("StartFlow");
    let m = o.mix;
    let parts = [
        (m.fresh, Transaction::Fresh),
        (m.replay, Transaction::Replay),
        (m.conflict, Transaction::Conflict),
        (m.describe, Transaction::Describe),
    ];
    if o.client == options::Client::Tuned {
        // One client, built once (its TLS roots parsed once, not per user),
        // whose pool keeps a connection per user.
        let client = transactions::client(o.timeout, o.users)
            .build()
            .map_err(|e| LoadError::Goose(format!("the HTTP client: {e}")))?;
        let f: goose::goose::TransactionFunction = Arc::new(move |user| {
            let client = client.clone();
            Box::pin(async move {
                user.client = client;
                Ok(())
            })
        });
        let on_start = goose::goose::Transaction::new(f)
            .set_name("client")
            .set_on_start();
        scenario = scenario.register_transaction(on_start);
    }
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
