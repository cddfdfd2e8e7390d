//! What a run produces: per step, per scenario and for the whole run. Data
//! only; `report/` renders it.

use std::time::Duration;

use serde::Serialize;

use super::ReferenceUse;
use crate::diff::Difference;
use crate::scenario::ContractTag;

/// How a step or a scenario ended. A run passes when no scenario failed or was
/// inconclusive and at least one passed ([`Summary::passed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Played, and every check held.
    Passed,
    /// Played, and a check failed: the endpoint (or the harness) is wrong.
    Failed,
    /// Not played (Ctrl-C, a missing ability, a step not applicable).
    Skipped,
    /// Played, nothing failed, but something could not be judged
    /// (throttled, unanswered) even after replays: not verified.
    Inconclusive,
    /// Never started: the target refused to create its fixture flows (a
    /// 4xx to CreateFlow, e.g. an empty source bucket). Neither failed nor
    /// passed: the run says why once and exits `SETUP_REFUSED` (7).
    NotStarted,
}

/// What kind of check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// A line of the scenario's `expect` (or a capture) did not hold.
    Expectation,
    /// The answer breaks the contract (status table, request id, model shapes).
    Contract,
    /// No answer came (connection refused or closed, timeout).
    Transport,
    /// The transcript differs from the stored snapshot.
    Snapshot,
    /// A fixture flow could not be created (no answer, a server error).
    Setup,
    /// The target refused to create a fixture flow (a 4xx to CreateFlow):
    /// the scenario never started.
    SetupRefused,
    /// A test-control call (`advance-clock`, `fault`, `configure`) failed.
    Control,
    /// The harness itself panicked while playing the scenario.
    Panic,
    /// A wire rule (request id, error header, content type) broken on some
    /// answers: one failure per rule and scenario, with its count.
    Wire,
    /// The target throttled the step and it could not be retried safely:
    /// nothing was learnt about the rule it checks.
    Inconclusive,
}

impl std::fmt::Display for FailureKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FailureKind {
    /// The kebab-case name used in JSON and the terminal (`"expectation"`, `"wire"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Expectation => "expectation",
            Self::Contract => "contract",
            Self::Transport => "transport",
            Self::Snapshot => "snapshot",
            Self::Setup => "setup",
            Self::SetupRefused => "setup-refused",
            Self::Control => "control",
            Self::Panic => "panic",
            Self::Wire => "wire",
            Self::Inconclusive => "inconclusive",
        }
    }
}

/// One failed check of a scenario: what kind, at which step, and the message
/// shown to the user (with the expected and actual values where a comparison failed).
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// 1-based step, or absent for setup and snapshot failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<usize>,
    /// What kind of check failed.
    pub kind: FailureKind,
    /// What failed, in words, for the terminal and the reports.
    pub message: String,
    /// The value the check wanted (status, error type, body), rendered, if it compared values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// The value the answer had, rendered; set together with `expected`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
}

impl Failure {
    /// A failure with no expected/actual pair (`step` 1-based, or `None` for setup and snapshot).
    pub fn new(step: Option<usize>, kind: FailureKind, message: String) -> Self {
        Self {
            step,
            kind,
            message,
            expected: None,
            actual: None,
        }
    }
}

/// What happened at one step of a scenario: one entry per step, in the order played.
#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    /// 1-based position of the step in its scenario file.
    pub index: usize,
    /// The step's name from the scenario file.
    pub name: String,
    /// Passed, failed, skipped or inconclusive.
    pub status: Status,
    /// Why the step was not played, when it was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Requests sent for the step (0 when it was not played).
    pub calls: usize,
}

impl StepResult {
    /// A step of `step` that was not played, and why.
    pub fn skipped(step: &crate::scenario::Step, why: &str) -> Self {
        Self {
            index: step.index,
            name: step.name.clone(),
            status: Status::Skipped,
            skipped: Some(why.to_owned()),
            calls: 0,
        }
    }
}

/// The outcome of one scenario file: its identity, status, per-step results,
/// failures, transcript and counts; one per scenario in the run's [`Summary`].
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    /// The scenario's name (from the file).
    pub name: String,
    /// The scenario file's path, as given on the command line or found in the folder.
    pub file: String,
    /// The scenario's `description`, one line for the reports.
    pub description: String,
    /// Where the scenario's expectations come from (`contract:` model, doc, seen, chosen), if the
    /// file says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract: Option<ContractTag>,
    /// The APPFLOW.md rule ids the scenario covers.
    pub covers: Vec<String>,
    /// Open questions (number, text) a recording of it on AWS would settle.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub settles: Vec<(usize, String)>,
    /// The scenario's verdict: failed on any failure other than an inconclusive one,
    /// inconclusive on those alone, passed if a step ran, else skipped.
    pub status: Status,
    /// One entry per step, in the order played (skipped steps included).
    pub steps: Vec<StepResult>,
    /// Every failed check of the scenario (empty when it passed).
    pub failures: Vec<Failure>,
    /// Wall-clock time to play the scenario (all attempts), in milliseconds.
    pub duration_ms: f64,
    /// The normalised transcript (what the snapshot holds).
    pub transcript: serde_json::Value,
    /// A snapshot written (`.snap.new` or a recording), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot_written: Option<String>,
    /// The reference the transcript was compared with, and how.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<ReferenceUse>,
    /// Parity differences from the reference (`left` the reference, `right`
    /// this run): reported, not failures.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parity: Vec<Difference>,
    /// Answers that came (calls with an answer, polls included).
    pub answers: usize,
    /// Throttled answers (429) retried with the same request.
    pub throttled_retries: u32,
    /// Times the scenario was played: 1, or more when an undecided play
    /// was replayed from the start with fresh flows and tokens.
    pub attempts: u32,
    /// Contract rules broken (wire, shapes, W4 ...), each with how many
    /// answers broke it: once per rule and path.
    pub wire: Vec<WireCount>,
    /// Findings that break no rule: members the model does not list (W5),
    /// runs on this scenario's flows that it did not start.
    pub notes: Vec<String>,
    /// Latency of every call sent (fixture setup included, answered or not), for the run's
    /// percentiles (not serialised).
    #[serde(skip)]
    pub latencies: Vec<Duration>,
    /// The first step (1-based) whose own request was read and never
    /// answered in this attempt; the runner replays and holds W9 on it
    /// (not serialised: the verdict and its failure say it).
    #[serde(skip)]
    pub unanswered: Option<usize>,
}

impl ScenarioResult {
    /// The result of `s` before anything was played: its identity, no steps,
    /// no failures, skipped.
    pub fn of(s: &crate::scenario::Scenario) -> Self {
        Self {
            name: s.name.clone(),
            file: s.path.display().to_string(),
            description: s.description.clone(),
            contract: s.contract,
            covers: s.covers.clone(),
            settles: s.settles.clone(),
            status: Status::Skipped,
            steps: Vec::new(),
            failures: Vec::new(),
            duration_ms: 0.0,
            transcript: serde_json::Value::Null,
            snapshot_written: None,
            reference: None,
            parity: Vec::new(),
            answers: 0,
            throttled_retries: 0,
            attempts: 1,
            wire: Vec::new(),
            notes: Vec::new(),
            latencies: Vec::new(),
            unanswered: None,
        }
    }
}

/// A wire rule and how often a scenario's answers broke it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WireCount {
    /// Where in the answer the rule was broken (`header x-amzn-RequestId`, `body.flowStatus`, ...).
    pub at: String,
    /// The rule in words, as the contract check words it.
    pub rule: String,
    /// The APPFLOW.md rule id it breaks (W2, W3, O1, ...).
    pub id: &'static str,
    /// How many answers of the scenario (or the run, in [`Summary::wire`]) broke it.
    pub count: usize,
}
