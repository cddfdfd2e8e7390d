//! Stage two: the validated plan of a scenario, ready to run (the types;
//! `validate.rs` builds them from a file).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::appflow::TargetKind;
use crate::appflow::{Operation, TriggerType};

/// A scenario file refused: where (`path:line:column`, or `path` alone
/// when the file could not be read), which step, what and a hint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}{}: {context}{message}{}", if *line == 0 { String::new() } else { format!(":{line}:{column}") }, hint.as_ref().map(|h| format!("\n  hint: {h}")).unwrap_or_default())]
pub struct ScenarioError {
    /// The scenario file's path, as shown.
    pub path: String,
    /// 1-based line.
    pub line: u64,
    /// 1-based column.
    pub column: u64,
    /// "step 3: " or empty.
    pub context: String,
    /// What is wrong, a lowercase fragment.
    pub message: String,
    /// What to do about it, or the offending line as written.
    pub hint: Option<String>,
}

/// A validated scenario, ready to run: its flows, tokens, steps and the rules
/// it covers.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file stem: the scenario's and its snapshot's name.
    pub name: String,
    /// The scenario file.
    pub path: PathBuf,
    /// What it checks, in a sentence (reports show it).
    pub description: String,
    /// Where its expectations come from (`contract:`), if the file says.
    pub contract: Option<ContractTag>,
    /// `sha256:<hex>` of the file's text (recordings' provenance).
    pub digest: String,
    /// Transformers of this scenario, besides the reference's.
    pub transform: Vec<crate::transform::Transformer>,
    /// Asked to run alone (`exclusive: true`).
    pub alone: bool,
    /// The APPFLOW.md rule ids it covers.
    pub covers: Vec<String>,
    /// What the target must offer (`needs:`).
    pub needs: Vec<Need>,
    /// APPFLOW.md's open questions (number, text) a recording on AWS settles.
    pub settles: Vec<(usize, String)>,
    /// Token aliases with a shape other than the default (`ah-<uuid>`).
    pub tokens: BTreeMap<String, Shape>,
    /// alias -> (trigger, members merged over the CreateFlow template)
    pub flows: BTreeMap<String, FlowPlan>,
    /// The steps, in file order.
    pub steps: Vec<Step>,
    /// Transcript paths whose differences are allowed, per target kind.
    pub known_differences: BTreeMap<TargetKind, Vec<String>>,
}

/// Something a scenario needs from its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Need {
    /// Event flows can be made and started (an event source is configured).
    EventSource,
    /// A run stays `InProgress` while the next steps are played (L2's
    /// timing: a target whose runs finish at once cannot give it).
    RunsInProgress,
}

impl Need {
    /// The need written `s` in `needs:` (`event-source`), or `None`.
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "event-source" => Some(Self::EventSource),
            "runs-in-progress" => Some(Self::RunsInProgress),
            _ => None,
        }
    }
}

/// Where a scenario's expectations come from (APPFLOW.md's tags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ContractTag {
    /// The service model says it.
    Model,
    /// The API reference says it in words.
    Doc,
    /// Recorded from real AWS by someone outside the project.
    Seen,
    /// Nobody has published what AWS does: unverified against AWS.
    Chosen,
}

impl ContractTag {
    /// Every tag, in APPFLOW.md's order.
    pub const ALL: [ContractTag; 4] = [Self::Model, Self::Doc, Self::Seen, Self::Chosen];

    /// The tag as files and reports write it: `model`, `doc`, `seen`, `chosen`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::Doc => "doc",
            Self::Seen => "seen",
            Self::Chosen => "chosen",
        }
    }
}

/// A flow of the scenario, validated: trigger type, CreateFlow members, name
/// shape.
#[derive(Debug, Clone)]
pub struct FlowPlan {
    /// How it runs (decides T2 versus T3, L3 versus L2).
    pub trigger: TriggerType,
    /// Members merged over the fixture's CreateFlow body; `None`: the fixture
    /// as is.
    pub create: Option<Value>,
    /// The shape of its generated name, if not the default.
    pub name: Option<Shape>,
    /// Created before the steps (else a step creates it).
    pub exists: bool,
}

/// The shape of a generated name or token: unique per run as far as its
/// length allows, `length` characters long, containing `include`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// Characters in all; `None`: the whole seed and `include`.
    pub length: Option<usize>,
    /// Characters the value contains (may be empty).
    pub include: String,
}

impl Shape {
    /// A value of this shape from a unique seed of letters and digits: the
    /// seed's characters first (as many as fit), then `include`, then `x`
    /// padding. The default length fits the whole seed and `include`.
    pub fn make(&self, seed: &str) -> String {
        let include = self.include.chars().count();
        let length = self.length.unwrap_or(seed.chars().count() + include);
        let mut out: String = seed
            .chars()
            .take(length.saturating_sub(include).max(1))
            .collect();
        out.push_str(&self.include);
        while out.chars().count() < length {
            out.push('x');
        }
        out.chars().take(length).collect()
    }
}

/// A fresh seed for [`Shape::make`]: 21 random letters and digits (62^21 < 2^128).
pub fn random_seed() -> String {
    const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let a = uuid::Uuid::new_v4().as_u128();
    let b = uuid::Uuid::new_v4().as_u128();
    let mut n = a ^ b.rotate_left(64);
    (0..21)
        .map(|_| {
            let c = ALNUM[(n % 62) as usize] as char;
            n /= 62;
            c
        })
        .collect()
}

/// One validated step of a scenario.
#[derive(Debug, Clone)]
pub struct Step {
    /// 1-based.
    pub index: usize,
    /// Its line in the file (reports point at it).
    pub line: u64,
    /// Its name in reports: `name:`, else its action (`StartFlow`).
    pub name: String,
    /// The one thing it does: a call, a raw body, or a test-control action.
    pub action: Action,
    /// Copies of the request sent at once (1..=1000; 1 for a single call).
    pub concurrent: u32,
    /// With `concurrent`: request member -> one value per copy (`null`: left
    /// out); empty when every copy is the same request.
    pub each: BTreeMap<String, Vec<Value>>,
    /// What its answers must be, beyond the contract.
    pub expect: Expect,
    /// capture name -> dotted path into the response body
    pub capture: BTreeMap<String, String>,
    /// Meaningful only after an earlier test-control step (`needs-control:
    /// true`): skipped with it on targets without the test-control API.
    pub needs_control: bool,
    /// Played only when an earlier step answered as this says.
    pub when: Option<When>,
    /// Follows `nextToken` through every page (a list read).
    pub all_pages: bool,
    /// Sent at the same moment as the step before it (`with-previous:
    /// true`; the runner sends a group at once).
    pub with_previous: bool,
}

/// The condition of a step played for one of the outcomes the contract
/// allows an earlier step (`when:`).
#[derive(Debug, Clone, PartialEq)]
pub struct When {
    /// The 1-based index of the earlier step.
    pub step: usize,
    /// The statuses of its first answer for which the step is played
    /// (empty: any status).
    pub status: Vec<u16>,
    /// What its first answer's body must match (as `expect.body`, templates
    /// rendered when the step is reached), if anything.
    pub body: Option<serde_json::Value>,
    /// The statuses its copies answered, in copy order (a concurrent
    /// step; 0: no answer); empty: not asked.
    pub statuses_in_order: Vec<u16>,
}

impl Step {
    /// Whether the step is skipped on a target without the test-control API.
    pub fn depends_on_control(&self) -> bool {
        self.needs_control || self.action.needs_control()
    }
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum Action {
    /// An operation with a JSON body (templates inside strings).
    Call {
        /// The operation called.
        operation: Operation,
        /// The request members; templates are rendered before sending.
        body: Value,
    },
    /// An operation with a body sent as written (templates inside).
    Raw {
        /// The operation whose route the body goes to.
        operation: Operation,
        /// The body as written.
        body: String,
        /// Pad the body with spaces up to this many bytes.
        pad_to: Option<usize>,
    },
    /// Moves the target's clock forward this long (`POST /_harness/clock`; T4
    /// without waiting 8 hours).
    AdvanceClock(Duration),
    /// Waits this long in real time, on any target: time passing where no
    /// test clock moves it (runs end on their own, L2; tokens age, T4).
    Wait(Duration),
    /// Injects a fault (`POST /_harness/faults`, the document as written).
    Fault(Value),
    /// Changes quotas or the behaviour profile (`POST /_harness/config`, a
    /// patch).
    Configure(Value),
}

/// The longest `wait:` a step may ask for: 10 minutes (a longer time
/// passing is `advance-clock`'s, on a target with the test-control API).
pub const MAX_WAIT: Duration = Duration::from_secs(600);

impl Action {
    /// Whether the step needs the target's `/_harness/` control API.
    pub fn needs_control(&self) -> bool {
        matches!(
            self,
            Action::AdvanceClock(_) | Action::Fault(_) | Action::Configure(_)
        )
    }

    /// The AppFlow operation a call or raw step sends; `None` for test-control
    /// steps.
    pub fn operation(&self) -> Option<Operation> {
        match self {
            Action::Call { operation, .. } | Action::Raw { operation, .. } => Some(*operation),
            _ => None,
        }
    }
}

/// A step's expectations; empty: only the contract judges the answers.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// The statuses allowed (one, or several where the contract leaves room).
    pub status: Option<Vec<u16>>,
    /// The error type the answer must carry (`ConflictException`), read as W2
    /// says.
    pub error: Option<String>,
    /// A subset of the response body, with matcher keywords; templates rendered
    /// first.
    pub body: Option<Value>,
    /// Repeat the request (reads only) until the expectations hold, at most
    /// this long (L2, S2: records may appear late).
    pub eventually: Option<Duration>,
    /// With `concurrent`: body path -> how many distinct values it takes over
    /// all answers (T5: one executionId).
    pub distinct: BTreeMap<String, usize>,
    /// With `concurrent`: HTTP status -> how many answers carry it.
    pub status_count: BTreeMap<u16, usize>,
    /// With `concurrent`: the allowed lists of the copies' statuses, in
    /// copy order (a copy with no answer counts as 0); empty: any.
    pub statuses_in_order: Vec<Vec<u16>>,
    /// No answer at all is expected (a connection closed by a fault).
    pub no_response: bool,
    /// Alternatives: an answer passes when it meets one of them (their
    /// status, error and body); empty when there are none.
    pub one_of: Vec<Expect>,
}

impl Scenario {
    /// Whether any step changes target-wide state (clock, faults, quotas),
    /// so the scenario must not run beside others.
    pub fn exclusive(&self) -> bool {
        self.alone || self.steps.iter().any(|s| s.action.needs_control())
    }
}
