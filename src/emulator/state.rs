//! Everything an emulator remembers: flows, their executions, the token
//! stores of StartFlow, CreateFlow and UpdateFlow, and the run quotas.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde_json::Value;
use uuid::Uuid;

use super::config::{Config, EventInitialStatus};
use super::error::ApiError;
use super::fields::{ExecutionStatus, FlowStatus, Millis, TriggerType};
use super::tokens::TokenStore;

/// The definition a flow was created (or last updated) with, stored as sent.
#[derive(Debug, Clone)]
pub struct Definition {
    /// `description` as sent to CreateFlow/UpdateFlow (at most 2,048 characters on CreateFlow).
    pub description: Option<String>,
    /// `kmsArn` as sent to CreateFlow (`arn:aws:kms:...`, 20..=2,048 characters); UpdateFlow keeps it.
    pub kms_arn: Option<String>,
    /// `triggerConfig` JSON as sent; its `triggerType` decides the flow's [`TriggerType`].
    pub trigger_config: Value,
    /// `sourceFlowConfig` JSON as sent (has `connectorType` and `sourceConnectorProperties`).
    pub source_flow_config: Value,
    /// `destinationFlowConfigList` JSON array as sent (each with `connectorType`).
    pub destination_flow_config_list: Value,
    /// `tasks` JSON array as sent (each with `sourceFields` and `taskType`).
    pub tasks: Value,
    /// `tags` as a JSON object of strings, from CreateFlow; `None` when not sent.
    pub tags: Option<Value>,
    /// `metadataCatalogConfig` JSON as sent, if any.
    pub metadata_catalog_config: Option<Value>,
}

/// One run: 48 bytes, since a fresh-token load keeps millions of them.
#[derive(Debug, Clone)]
pub struct Execution {
    /// The `executionId` StartFlow answered (O3), a random v4 UUID.
    pub id: Uuid,
    /// Global start order, for newest-first listing and page tokens.
    pub seq: u64,
    /// When StartFlow started it, in epoch milliseconds on the emulator clock.
    pub started_at: Millis,
    /// When it succeeds; once canceled, when the cancel was asked for.
    ends_at: Millis,
    canceled: bool,
}

impl Execution {
    /// A run with `id` and start order `seq`, started at `started_at` and succeeding at `ends_at` (epoch ms); not canceled.
    pub fn new(id: Uuid, seq: u64, started_at: Millis, ends_at: Millis) -> Self {
        Self {
            id,
            seq,
            started_at,
            ends_at,
            canceled: false,
        }
    }

    /// Cancels a running run at `now`.
    pub fn cancel(&mut self, now: Millis) {
        self.ends_at = now;
        self.canceled = true;
    }

    /// The run's status at `now` (epoch ms): `InProgress` until its end, then `Successful`; once
    /// canceled, `CancelStarted` for `cancel_time_ms` ms, then `Canceled` (S3).
    pub fn status(&self, now: Millis, cancel_time_ms: u64) -> ExecutionStatus {
        match self.canceled {
            true if now >= self.ends_at.saturating_add(cancel_time_ms) => ExecutionStatus::Canceled,
            true => ExecutionStatus::CancelStarted,
            false if now >= self.ends_at => ExecutionStatus::Successful,
            false => ExecutionStatus::InProgress,
        }
    }

    /// Its `lastUpdatedAt` at `now` (epoch ms): when its current status began (the start while
    /// `InProgress`, the end or cancel time after, plus `cancel_time_ms` once `Canceled`).
    pub fn last_updated(&self, now: Millis, cancel_time_ms: u64) -> Millis {
        match self.status(now, cancel_time_ms) {
            ExecutionStatus::Canceled => self.ends_at + cancel_time_ms,
            ExecutionStatus::CancelStarted | ExecutionStatus::Successful => self.ends_at,
            _ => self.started_at,
        }
    }

    /// Ends a run that is still `InProgress` at `now` (epoch ms) there, as
    /// if its run time had passed (`Successful` from `now` on); answers
    /// whether it was running. A canceled or ended run is left as it is.
    pub fn finish(&mut self, now: Millis) -> bool {
        let running = self.is_running(now);
        if running {
            self.ends_at = now;
        }
        running
    }

    /// Whether it is still `InProgress` at `now` (epoch ms): not canceled and before its end;
    /// such a run holds a slot of the concurrent-runs quota (Q3) and blocks DeleteFlow without `forceDelete`.
    pub fn is_running(&self, now: Millis) -> bool {
        !self.canceled && now < self.ends_at
    }
}

/// A flow that exists: its name, ARN (O1), trigger type, status (O2), stored definition and
/// its run records. DeleteFlow removes it, so a deleted flow answers 404 (L6).
#[derive(Debug, Clone)]
pub struct Flow {
    /// `flowName` (V1), the key it is stored under in [`State::flows`].
    pub name: Arc<str>,
    /// `arn:aws:appflow:<region>:<account>:flow/<flowName>` (O1), computed once at CreateFlow.
    pub arn: Arc<str>,
    /// OnDemand, Scheduled or Event, from `triggerConfig.triggerType`; decides L2/L3 and T2/T3 (T8).
    pub trigger: TriggerType,
    /// The current `flowStatus` (O2): set by CreateFlow (L1), StartFlow (L3), StopFlow (L5) and UpdateFlow.
    pub status: FlowStatus,
    /// The definition of the last CreateFlow or UpdateFlow.
    pub definition: Definition,
    /// `createdAt`, in epoch milliseconds (answered as epoch seconds, W4).
    pub created_at: Millis,
    /// `lastUpdatedAt`, in epoch milliseconds: CreateFlow, UpdateFlow, StopFlow or an activating StartFlow.
    pub updated_at: Millis,
    /// Oldest first; the oldest leave by [`State::start_execution`]'s
    /// retention rule.
    pub executions: VecDeque<Execution>,
}

/// A remembered CreateFlow/UpdateFlow call: its input (token removed) and answer.
#[derive(Debug, Clone)]
pub struct StoredCall {
    /// The request JSON as serialized from the operation's input, `clientToken` left out; a replay
    /// with a different input answers 409 ConflictException (T13).
    pub input: Value,
    /// The JSON answer given the first time, answered again on a replay (T13).
    pub output: Value,
    /// When the call was made, in epoch milliseconds; the token ends `token_ttl_ms` after it (T4).
    pub at: Millis,
}

/// Runs that hold a slot of the concurrent-runs quota.
#[derive(Debug, Default)]
struct Running {
    /// (end, seq), sorted by end. Ends arrive in order while the run time is
    /// unchanged, so this is a queue; a shorter run time inserts in the middle.
    ends: VecDeque<(Millis, u64)>,
    /// Canceled runs still in `ends`; they no longer hold a slot.
    canceled: HashSet<u64>,
}

impl Running {
    fn count(&mut self, now: Millis) -> usize {
        while let Some(&(end, seq)) = self.ends.front() {
            if end > now {
                break;
            }
            self.ends.pop_front();
            if !self.canceled.is_empty() {
                self.canceled.remove(&seq);
            }
        }
        self.ends.len() - self.canceled.len()
    }

    fn push(&mut self, end: Millis, seq: u64) {
        match self.ends.back() {
            Some(&(last, _)) if last > end => {
                let at = self.ends.partition_point(|&(e, _)| e <= end);
                self.ends.insert(at, (end, seq));
            }
            _ => self.ends.push_back((end, seq)),
        }
    }
}

/// Everything one emulator remembers (one per account and region): its configuration, flows,
/// the three per-operation token stores (T6) and the run quotas. Operations change it under
/// [`super::Handle::lock`], so each one is atomic (T5).
#[derive(Debug, Default)]
pub struct State {
    /// The current configuration: the launch one, as changed by `/_harness/config`.
    pub config: Config,
    /// Live flows by name; a deleted flow is removed (L6).
    pub flows: FxHashMap<Arc<str>, Flow>,
    /// StartFlow's clientTokens: per (token, flowName) the first answer, for 8 hours by default (T1-T5, T9, T14).
    pub start_tokens: TokenStore,
    /// CreateFlow's clientTokens: token -> the first call and answer (T13); a flow's leave when it is deleted (T14).
    pub create_tokens: HashMap<String, StoredCall>,
    /// UpdateFlow's clientTokens: token -> the first call and answer (T13); a flow's leave when it is deleted (T14).
    pub update_tokens: HashMap<String, StoredCall>,
    running: Running,
    /// (month index, runs started in it) for the monthly quota.
    month: (u64, u64),
    next_seq: u64,
    /// Run records forgotten by the retention rule, since launch or reset.
    evicted_runs: u64,
}

impl State {
    /// An empty state (no flows, runs or tokens) with `config`.
    pub fn new(config: Config) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// The flow named `name`.
    ///
    /// # Errors
    /// 404 ResourceNotFoundException (`ApiError::not_found`) if no such flow exists (L6, L7).
    pub fn flow(&self, name: &str) -> Result<&Flow, ApiError> {
        self.flows
            .get(name)
            .ok_or_else(|| ApiError::not_found(name))
    }

    /// The flow named `name`, to change.
    ///
    /// # Errors
    /// 404 ResourceNotFoundException (`ApiError::not_found`) if no such flow exists (L6, L7).
    pub fn flow_mut(&mut self, name: &str) -> Result<&mut Flow, ApiError> {
        self.flows
            .get_mut(name)
            .ok_or_else(|| ApiError::not_found(name))
    }

    /// The status a new flow of `trigger` type starts in (L1): on-demand `Active`, scheduled
    /// `Draft`, event as the profile's [`EventInitialStatus`] says (`Draft` by default).
    pub fn initial_status(&self, trigger: TriggerType) -> FlowStatus {
        match trigger {
            TriggerType::OnDemand => FlowStatus::Active,
            TriggerType::Scheduled => FlowStatus::Draft,
            TriggerType::Event => match self.config.profile.event_initial_status {
                EventInitialStatus::Draft => FlowStatus::Draft,
                EventInitialStatus::Active => FlowStatus::Active,
            },
        }
    }

    /// Starts a run of `flow` at `now`, within the run quotas.
    pub fn start_execution(&mut self, flow: &str, now: Millis) -> Result<Uuid, ApiError> {
        if self.running.count(now) >= self.config.max_concurrent_runs {
            return Err(ApiError::quota(format!(
                "The number of concurrent flow runs exceeds the quota of {}",
                self.config.max_concurrent_runs
            )));
        }
        let month = month_index(now);
        if self.month.0 != month {
            self.month = (month, 0);
        }
        if self.month.1 >= self.config.max_runs_per_month {
            return Err(ApiError::quota(format!(
                "The number of flow runs this month exceeds the quota of {}",
                self.config.max_runs_per_month
            )));
        }
        let run_time = self.config.run_time_ms;
        let seq = self.next_seq;
        let retention = Retention::of(&self.config);
        let f = self.flow_mut(flow)?;
        let id = Uuid::new_v4();
        let ends_at = now.saturating_add(run_time);
        f.executions
            .push_back(Execution::new(id, seq, now, ends_at));
        let evicted = retention.evict(&mut f.executions, now);
        self.evicted_runs += evicted;
        self.next_seq += 1;
        self.month.1 += 1;
        self.running.push(ends_at, seq);
        Ok(id)
    }

    /// Records that the run `seq` was canceled and frees its quota slot.
    pub fn release_run(&mut self, seq: u64) {
        self.running.canceled.insert(seq);
    }

    /// Ends every run of the flow `name` still `InProgress` at `now` (epoch
    /// ms), as if its run time had passed, and frees their quota slots (Q3);
    /// answers how many ended. The harness uses it where it owns the
    /// emulator (the embedded target) to make a run's time pass without
    /// waiting for it. Errors: 404 ResourceNotFoundException for no such flow.
    pub fn finish_runs(&mut self, name: &str, now: Millis) -> Result<usize, ApiError> {
        let flow = self.flow_mut(name)?;
        let ended: Vec<u64> = flow
            .executions
            .iter_mut()
            .filter_map(|e| e.finish(now).then_some(e.seq))
            .collect();
        for seq in &ended {
            self.release_run(*seq);
        }
        Ok(ended.len())
    }

    /// Sets the count of runs made this month (the month of `now`).
    pub fn set_runs_this_month(&mut self, now: Millis, runs: u64) {
        self.month = (month_index(now), runs);
    }

    /// How many runs hold a slot of the concurrent-runs quota (Q3) at `now` (epoch ms);
    /// finished runs leave the count here, canceled ones when released.
    pub fn running_runs(&mut self, now: Millis) -> usize {
        self.running.count(now)
    }

    /// Removes the flow `name` and ends its tokens (T14): the StartFlow
    /// tokens used on it and the CreateFlow/UpdateFlow tokens that made or
    /// changed it are new calls for a flow re-created under the name.
    /// Answers whether it existed.
    pub fn remove_flow(&mut self, name: &str) -> bool {
        if self.flows.remove(name).is_none() {
            return false;
        }
        self.start_tokens.forget_flow(name);
        let other = |c: &StoredCall| c.input.get("flowName").and_then(Value::as_str) != Some(name);
        self.create_tokens.retain(|_, c| other(c));
        self.update_tokens.retain(|_, c| other(c));
        true
    }

    /// Run records forgotten by the retention rule since launch or reset.
    pub fn evicted_runs(&self) -> u64 {
        self.evicted_runs
    }

    /// Forgets everything but the configuration.
    pub fn reset(&mut self, config: Config) {
        *self = Self::new(config);
    }
}

/// How many run records a flow keeps: its newest `keep`, and any older one
/// that is not finished yet or whose StartFlow token could still be
/// replayed (started less than the token TTL ago), so a replay always finds
/// the run it names (T1) and a `load` verdict, which reads the runs of its
/// fresh tokens right after the attack, finds them all. `keep == 0` keeps
/// every run.
#[derive(Debug, Clone, Copy)]
struct Retention {
    keep: usize,
    token_ttl_ms: u64,
    cancel_time_ms: u64,
}

impl Retention {
    fn of(config: &Config) -> Self {
        Self {
            keep: config.max_runs_per_flow,
            token_ttl_ms: config.token_ttl_ms,
            cancel_time_ms: config.cancel_time_ms,
        }
    }

    /// Forgets the oldest runs of `runs` that the rule lets go; answers how
    /// many. Runs start in order, so the oldest are at the front: this looks
    /// at the front run only, unless it can go (a cheap check per start).
    fn evict(self, runs: &mut VecDeque<Execution>, now: Millis) -> u64 {
        if self.keep == 0 {
            return 0;
        }
        let mut evicted = 0;
        while runs.len() > self.keep {
            let Some(oldest) = runs.front() else { break };
            let replayable = oldest.started_at.saturating_add(self.token_ttl_ms) > now;
            let settled = matches!(
                oldest.status(now, self.cancel_time_ms),
                ExecutionStatus::Successful | ExecutionStatus::Canceled
            );
            if replayable || !settled {
                break;
            }
            runs.pop_front();
            evicted += 1;
        }
        evicted
    }
}

/// Months since 1970-01 for an epoch-millisecond time.
pub fn month_index(ms: Millis) -> u64 {
    let (year, month, _) = super::fields::civil_date(ms);
    ((year - 1970) * 12 + i64::from(month) - 1) as u64
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
