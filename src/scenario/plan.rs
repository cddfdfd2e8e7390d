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
    pub path: String,
    pub line: u64,
    pub column: u64,
    /// "step 3: " or empty.
    pub context: String,
    pub message: String,
    pub hint: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file stem: the scenario's and its snapshot's name.
    pub name: String,
    pub path: PathBuf,
    pub description: String,
    pub contract: Option<ContractTag>,
    /// `sha256:<hex>` of the file's text (recordings' provenance).
    pub digest: String,
    /// Transformers of this scenario, besides the reference's.
    pub transform: Vec<crate::snapshot::transform::Transformer>,
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
}

impl Need {
    pub fn from_name(s: &str) -> Option<Self> {
        match s {
            "event-source" => Some(Self::EventSource),
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
    pub const ALL: [ContractTag; 4] = [Self::Model, Self::Doc, Self::Seen, Self::Chosen];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::Doc => "doc",
            Self::Seen => "seen",
            Self::Chosen => "chosen",
        }
    }
}

#[derive(Debug, Clone)]
pub struct FlowPlan {
    pub trigger: TriggerType,
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
    pub length: Option<usize>,
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

#[derive(Debug, Clone)]
pub struct Step {
    /// 1-based.
    pub index: usize,
    pub line: u64,
    pub name: String,
    pub action: Action,
    pub concurrent: u32,
    pub expect: Expect,
    /// capture name -> dotted path into the response body
    pub capture: BTreeMap<String, String>,
    /// Meaningful only after an earlier test-control step (`needs-control:
    /// true`): skipped with it on targets without the test-control API.
    pub needs_control: bool,
}

impl Step {
    /// Whether the step is skipped on a target without the test-control API.
    pub fn depends_on_control(&self) -> bool {
        self.needs_control || self.action.needs_control()
    }
}

#[derive(Debug, Clone)]
pub enum Action {
    /// An operation with a JSON body (templates inside strings).
    Call {
        operation: Operation,
        body: Value,
    },
    /// An operation with a body sent as written (templates inside).
    Raw {
        operation: Operation,
        body: String,
        /// Pad the body with spaces up to this many bytes.
        pad_to: Option<usize>,
    },
    AdvanceClock(Duration),
    Fault(Value),
    Configure(Value),
}

impl Action {
    /// Whether the step needs the target's `/_harness/` control API.
    pub fn needs_control(&self) -> bool {
        matches!(
            self,
            Action::AdvanceClock(_) | Action::Fault(_) | Action::Configure(_)
        )
    }

    pub fn operation(&self) -> Option<Operation> {
        match self {
            Action::Call { operation, .. } | Action::Raw { operation, .. } => Some(*operation),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// The statuses allowed (one, or several where the contract leaves room).
    pub status: Option<Vec<u16>>,
    pub error: Option<String>,
    pub body: Option<Value>,
    pub eventually: Option<Duration>,
    pub distinct: BTreeMap<String, usize>,
    pub no_response: bool,
}

impl Scenario {
    /// Whether any step changes target-wide state (clock, faults, quotas),
    /// so the scenario must not run beside others.
    pub fn exclusive(&self) -> bool {
        self.alone || self.steps.iter().any(|s| s.action.needs_control())
    }
}
