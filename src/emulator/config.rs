//! What an emulator is launched with: identity, quotas, timings, and the
//! behaviour profile that switches each \[chosen\] rule of APPFLOW.md.

use serde::{Deserialize, Serialize};

/// StartFlow on a scheduled/event flow that is already `Active`, with a new token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ActiveStart {
    /// 409 ConflictException (default, unverified against AWS).
    Conflict,
    /// 200 with `flowStatus: Active`, nothing changes.
    Idempotent,
}

/// The status a scheduled/event flow takes after StopFlow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum StoppedStatus {
    /// `Suspended` (default, unverified against AWS).
    Suspended,
    /// `Draft`.
    Draft,
}

/// The status an event-triggered flow starts in after CreateFlow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum EventInitialStatus {
    /// `Draft`, by analogy with scheduled flows (default, unverified against AWS).
    Draft,
    /// `Active`.
    Active,
}

/// StartFlow on an on-demand flow whose last run is still `InProgress` (C2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum InProgressStart {
    /// A second, concurrent run (default, unverified against AWS).
    Accept,
    /// 409 ConflictException, as aws-ddk's AppFlow stage expects.
    Conflict,
}

/// The behaviour profile: one switch per \[chosen\] rule that has a named alternative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Profile {
    /// C1: StartFlow with a new token on an `Active` scheduled/event flow (409 or an idempotent 200).
    pub active_start: ActiveStart,
    /// L5: the status StopFlow leaves a scheduled/event flow in (`Suspended` or `Draft`).
    pub stopped_status: StoppedStatus,
    /// L1: the status a new event-triggered flow starts in (`Draft` or `Active`).
    pub event_initial_status: EventInitialStatus,
    /// C2: StartFlow on an on-demand flow with a run in progress (accept, or 409); `accept` when absent.
    #[serde(default = "accept")]
    pub in_progress_start: InProgressStart,
}

fn accept() -> InProgressStart {
    InProgressStart::Accept
}

/// The profile in `serve`'s flag syntax (`--active-start conflict
/// --stopped-status suspended ...`), as a person passes it back: every
/// switch named, so a banner or a saved file says exactly what ran.
impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use clap::ValueEnum;
        fn name(v: Option<clap::builder::PossibleValue>) -> String {
            v.map_or_else(String::new, |v| v.get_name().to_owned())
        }
        write!(
            f,
            "--active-start {} --stopped-status {} --event-initial-status {} --in-progress-start {}",
            name(self.active_start.to_possible_value()),
            name(self.stopped_status.to_possible_value()),
            name(self.event_initial_status.to_possible_value()),
            name(self.in_progress_start.to_possible_value()),
        )
    }
}

impl Default for Profile {
    fn default() -> Self {
        Self {
            active_start: ActiveStart::Conflict,
            stopped_status: StoppedStatus::Suspended,
            event_initial_status: EventInitialStatus::Draft,
            in_progress_start: InProgressStart::Accept,
        }
    }
}

/// Everything an emulator is started with. `/_harness/config` can change the
/// profile, quotas and timings at run time; `/_harness/reset` restores these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    /// The AWS region in flow ARNs (O1) and the signature scope (W1, W7); default `us-east-1`.
    pub region: String,
    /// The 12-digit account id in flow ARNs (O1); default `000000000000`.
    pub account: String,
    /// The behaviour profile: which reading of each switchable \[chosen\] rule the emulator plays.
    pub profile: Profile,
    /// Flows per account (AWS: 1,000).
    pub max_flows: usize,
    /// Concurrent on-demand runs per account (AWS: 1,000).
    pub max_concurrent_runs: usize,
    /// Runs per calendar month on the emulator's clock (AWS: 10 million).
    pub max_runs_per_month: u64,
    /// How long an on-demand run stays `InProgress` before `Successful`.
    pub run_time_ms: u64,
    /// How long a canceled run stays `CancelStarted` before `Canceled`.
    pub cancel_time_ms: u64,
    /// How long a clientToken is remembered (AWS: 8 hours).
    pub token_ttl_ms: u64,
    /// A new run shows in DescribeFlowExecutionRecords only this long after
    /// it started, as has been seen on AWS.
    #[serde(default)]
    pub records_lag_ms: u64,
    /// Run records kept per flow: the newest this many, plus every older
    /// one still running or started less than `token_ttl_ms` ago (its token
    /// can be replayed); 0 keeps every run. Bounds memory under a long load.
    #[serde(default = "default_max_runs_per_flow")]
    pub max_runs_per_flow: usize,
    /// AppFlow requests allowed per second; more answer 429 ThrottlingException.
    #[serde(default)]
    pub throttle_rps: Option<u32>,
    /// `ACCESS_KEY:SECRET`: AppFlow requests must be signed with it (SigV4);
    /// never shown by `/_harness/config`.
    #[serde(default, skip_serializing)]
    pub verify_sigv4: Option<String>,
}

/// How long an on-demand run stays `InProgress` by default, in ms: long
/// enough that a scenario's next call finds it running even when a
/// throttling target paces the calls apart (a 1 s default made
/// `delete_in_progress` find its run ended under `--throttle-above-rps`, and
/// reordered the first ARN a run sees). Real runs take a minute or more;
/// where a target's runs end sooner than 1 s, scenarios that need one
/// running are skipped with the reason.
pub const DEFAULT_RUN_TIME_MS: u64 = 5_000;

/// [`Config::max_runs_per_flow`]'s default.
pub const DEFAULT_MAX_RUNS_PER_FLOW: usize = 1_000;

fn default_max_runs_per_flow() -> usize {
    DEFAULT_MAX_RUNS_PER_FLOW
}

impl Config {
    /// Whether the edge layer (signatures, throttling) is needed.
    pub fn has_edges(&self) -> bool {
        self.throttle_rps.is_some() || self.verify_sigv4.is_some()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            region: "us-east-1".to_owned(),
            account: "000000000000".to_owned(),
            profile: Profile::default(),
            max_flows: 1_000,
            max_concurrent_runs: 1_000,
            max_runs_per_month: 10_000_000,
            run_time_ms: DEFAULT_RUN_TIME_MS,
            cancel_time_ms: 1_000,
            token_ttl_ms: 8 * 3_600_000,
            records_lag_ms: 0,
            max_runs_per_flow: DEFAULT_MAX_RUNS_PER_FLOW,
            throttle_rps: None,
            verify_sigv4: None,
        }
    }
}

impl Config {
    /// The flow ARN of O1: `arn:aws:appflow:<region>:<account>:flow/<flow_name>`.
    pub fn flow_arn(&self, flow_name: &str) -> String {
        format!(
            "arn:aws:appflow:{}:{}:flow/{flow_name}",
            self.region, self.account
        )
    }
}

/// A partial update of [`Config`], as `/_harness/config` takes it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigPatch {
    /// Sets [`Profile::active_start`] (C1).
    pub active_start: Option<ActiveStart>,
    /// Sets [`Profile::stopped_status`] (L5).
    pub stopped_status: Option<StoppedStatus>,
    /// Sets [`Profile::event_initial_status`] (L1).
    pub event_initial_status: Option<EventInitialStatus>,
    /// Sets [`Profile::in_progress_start`] (C2).
    pub in_progress_start: Option<InProgressStart>,
    /// Sets [`Config::max_flows`] (Q1).
    pub max_flows: Option<usize>,
    /// Sets [`Config::max_concurrent_runs`] (Q3).
    pub max_concurrent_runs: Option<usize>,
    /// Sets [`Config::max_runs_per_month`] (Q2).
    pub max_runs_per_month: Option<u64>,
    /// Sets [`Config::run_time_ms`], in ms; runs already started keep their end.
    pub run_time_ms: Option<u64>,
    /// Sets [`Config::cancel_time_ms`], in ms.
    pub cancel_time_ms: Option<u64>,
    /// Sets [`Config::token_ttl_ms`], in ms (T4).
    pub token_ttl_ms: Option<u64>,
    /// Sets [`Config::records_lag_ms`], in ms.
    pub records_lag_ms: Option<u64>,
    /// Sets [`Config::max_runs_per_flow`]; 0 keeps every run.
    pub max_runs_per_flow: Option<usize>,
    /// Sets [`Config::throttle_rps`] in requests/s; 0 turns throttling off. Takes effect only if the emulator was launched with edges.
    pub throttle_rps: Option<u32>,
    /// Sets [`Config::verify_sigv4`] (`ACCESS_KEY:SECRET`); `""` turns checking off. Takes effect only if the emulator was launched with edges.
    pub verify_sigv4: Option<String>,
    /// Not configuration but state: the runs counted against this month's
    /// quota so far (a test sets it to reach Q2 cheaply).
    pub runs_this_month: Option<u64>,
}

impl ConfigPatch {
    /// Writes every member that is present into `config` (profile switches, quotas, timings,
    /// throttle, signing keys); absent members leave it unchanged. `runs_this_month` is not
    /// applied here: the control API sets it on the state.
    pub fn apply(self, config: &mut Config) {
        let p = &mut config.profile;
        if let Some(v) = self.active_start {
            p.active_start = v;
        }
        if let Some(v) = self.stopped_status {
            p.stopped_status = v;
        }
        if let Some(v) = self.event_initial_status {
            p.event_initial_status = v;
        }
        if let Some(v) = self.in_progress_start {
            p.in_progress_start = v;
        }
        macro_rules! set {
            ($($f:ident),*) => { $(if let Some(v) = self.$f { config.$f = v; })* };
        }
        set!(
            max_flows,
            max_concurrent_runs,
            max_runs_per_month,
            run_time_ms,
            cancel_time_ms,
            token_ttl_ms,
            records_lag_ms,
            max_runs_per_flow
        );
        if let Some(v) = self.throttle_rps {
            config.throttle_rps = (v > 0).then_some(v);
        }
        if let Some(v) = self.verify_sigv4 {
            config.verify_sigv4 = (!v.is_empty()).then_some(v);
        }
    }
}
