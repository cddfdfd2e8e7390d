//! A sequence as played: its steps with what the contract admitted and
//! what the target answered, and how it ended (what reports and saved
//! files are made from).

use serde::Serialize;

use super::generate::Move;
use crate::appflow::TriggerType;
use crate::model::{Admitted, Invocation, Observed, ProfileSet, Worlds};

/// One step as played.
#[derive(Debug, Clone, Serialize)]
pub struct Played {
    /// 1-based.
    pub index: usize,
    /// The generated step.
    pub step: Move,
    /// The trigger type the step's bodies were made with (UpdateFlow's).
    pub trigger: TriggerType,
    /// The model's calls (a burst has several), empty when skipped.
    pub calls: Vec<Invocation>,
    /// What the contract admitted for the (first) call, before it was sent.
    pub admitted: Vec<AdmittedView>,
    /// The answers, as the model sees them.
    pub observed: Vec<Observed>,
    /// The answers' bodies, for reports.
    pub bodies: Vec<String>,
    /// The rule ids that decided the answers.
    pub rules: Vec<&'static str>,
    /// Wire and shape rules the answers broke.
    pub violations: Vec<String>,
    /// Why the step was not played.
    pub skipped: Option<String>,
    /// Whether this is the step that failed.
    pub failed: bool,
    /// Admitted answers that broke wire or shape rules (`violations`):
    /// reports show the rule, not an expected answer equal to the actual.
    pub wire_only: bool,
    /// A control step's `configure:` or `fault:`, as a scenario file writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub control: Option<serde_json::Value>,
    /// A burst's worlds before it was sent: a scenario file's expectations
    /// for its calls at once hold in every order these allow.
    #[serde(skip)]
    pub before: Option<Worlds>,
}

impl Played {
    /// Step `index` (1-based), `step` on a flow of `trigger`, before it is
    /// sent: nothing admitted, answered or decided yet.
    pub fn new(index: usize, step: Move, trigger: TriggerType) -> Self {
        Self {
            index,
            step,
            trigger,
            calls: Vec::new(),
            admitted: Vec::new(),
            observed: Vec::new(),
            bodies: Vec::new(),
            rules: Vec::new(),
            violations: Vec::new(),
            skipped: None,
            failed: false,
            wire_only: false,
            control: None,
            before: None,
        }
    }
}

/// An admitted answer, as reports show it.
#[derive(Debug, Clone, Serialize)]
pub struct AdmittedView {
    /// The answer, in words.
    pub answer: String,
    /// The rule ids that decide it.
    pub rules: Vec<&'static str>,
    /// The profiles it belongs to (`C1 conflict|idempotent, ...`).
    pub profiles: String,
    #[serde(skip)]
    /// The admitted answer itself.
    pub admitted: Admitted,
}

/// How a sequence ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome", content = "reason")]
pub enum Ending {
    /// Every answer was admitted.
    Passed,
    /// An answer outside the admitted set.
    Failed,
    /// Not judged: throttled, unanswered, unreachable.
    Unjudged(String),
}

/// A played sequence.
#[derive(Debug, Clone, Serialize)]
pub struct Sequence {
    /// The sequence's name part (`ah-x<names>-s<slot>`).
    pub names: String,
    /// The steps played (up to the failing one).
    pub steps: Vec<Played>,
    /// How it ended.
    pub ending: Ending,
    /// The profiles the target stayed consistent with.
    #[serde(skip)]
    pub profiles: ProfileSet,
    /// Calls sent, clean-up included.
    pub calls: usize,
}
