//! Stage one: serde structs that match a scenario file as written. Unknown
//! keys are errors, so a typo never turns into a silent default. The same
//! structs are the format's one writer ([`super::write`]): whatever is
//! written is read back as the same value, defaults left out.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_saphyr::Spanned;

/// A scenario file (`scenarios/*.yaml`) as written; stage two
/// ([`parse`](super::parse)) validates it into a [`Scenario`](super::Scenario).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// What the scenario checks, in a sentence (reports show it).
    pub description: String,
    /// Where the expected outcome comes from: model, doc, seen or chosen (APPFLOW.md tags).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<String>,
    /// Values of this scenario's transcript that are not behaviour (see
    /// snapshots/transformers.yaml).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transform: Vec<crate::transform::Transformer>,
    /// Runs alone, after the others (it lists or counts account-wide things).
    #[serde(default, skip_serializing_if = "no")]
    pub exclusive: bool,
    /// The APPFLOW.md rule ids the scenario covers (`[T1, T5]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covers: Vec<String>,
    /// What the target must offer for the scenario to mean anything
    /// (`event-source`); without it the scenario is skipped, with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
    /// The numbers of APPFLOW.md's open questions a recording of this
    /// scenario on AWS would settle.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub settles: Vec<usize>,
    /// Flow alias (`{{flow.x}}` in bodies) -> how that flow is made.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub flows: BTreeMap<String, FlowFile>,
    /// Shapes of tokens, for the accepted and refused boundaries of V2.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tokens: BTreeMap<String, ShapeFile>,
    /// The steps, in order, each with its line and column for errors.
    pub steps: Vec<Spanned<StepFile>>,
    /// JSON paths of the transcript whose differences are known and allowed, per target kind.
    #[serde(
        default,
        rename = "known-differences",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub known_differences: BTreeMap<String, Vec<String>>,
}

/// One flow of `flows:`: its trigger type and how it is made.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FlowFile {
    /// `OnDemand`, `Scheduled` or `Event`.
    pub trigger: String,
    /// Members merged over the default CreateFlow template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<Value>,
    /// The shape of the flow's generated name (V1 boundaries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<ShapeFile>,
    /// `false`: the name is bound but the flow is not created before the
    /// steps (a step creates it); it is still deleted afterwards.
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    pub exists: bool,
}

fn yes() -> bool {
    true
}

// serde's skip_serializing_if passes a reference.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_yes(b: &bool) -> bool {
    *b
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn no(b: &bool) -> bool {
    !*b
}

/// A generated value's shape: its length, and characters it must contain.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ShapeFile {
    /// Characters in all (flow names 2..=1024, tokens 1..=1024); default: the
    /// whole unique seed and `include`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<usize>,
    /// Characters the value must contain (e.g. `!@#.-` at V1's pattern edge).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub include: String,
}

/// One step: exactly one action (an operation, `raw`, `advance-clock`, `fault`
/// or `configure`), then its expectations and captures.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StepFile {
    /// Its name in reports; default: the action (`StartFlow`,
    /// `advance-clock 8h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Calls StartFlow with these request members (empty: `{}`).
    #[serde(rename = "StartFlow", skip_serializing_if = "Option::is_none")]
    pub start_flow: Option<Value>,
    /// Calls StopFlow with these request members (empty: `{}`).
    #[serde(rename = "StopFlow", skip_serializing_if = "Option::is_none")]
    pub stop_flow: Option<Value>,
    /// Calls CreateFlow with these request members (empty: `{}`).
    #[serde(rename = "CreateFlow", skip_serializing_if = "Option::is_none")]
    pub create_flow: Option<Value>,
    /// Calls DescribeFlow with these request members (empty: `{}`).
    #[serde(rename = "DescribeFlow", skip_serializing_if = "Option::is_none")]
    pub describe_flow: Option<Value>,
    /// Calls DeleteFlow with these request members (empty: `{}`).
    #[serde(rename = "DeleteFlow", skip_serializing_if = "Option::is_none")]
    pub delete_flow: Option<Value>,
    /// Calls ListFlows with these request members (empty: `{}`).
    #[serde(rename = "ListFlows", skip_serializing_if = "Option::is_none")]
    pub list_flows: Option<Value>,
    /// Calls UpdateFlow with these request members (empty: `{}`).
    #[serde(rename = "UpdateFlow", skip_serializing_if = "Option::is_none")]
    pub update_flow: Option<Value>,
    /// Calls DescribeFlowExecutionRecords with these request members (empty:
    /// `{}`).
    #[serde(
        rename = "DescribeFlowExecutionRecords",
        skip_serializing_if = "Option::is_none"
    )]
    pub describe_flow_execution_records: Option<Value>,
    /// Calls CancelFlowExecutions with these request members (empty: `{}`).
    #[serde(
        rename = "CancelFlowExecutions",
        skip_serializing_if = "Option::is_none"
    )]
    pub cancel_flow_executions: Option<Value>,
    /// A request body sent as written (malformed input).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<RawFile>,
    /// Needs the test-control API: move the target's clock forward ("8h", "90s").
    #[serde(rename = "advance-clock", skip_serializing_if = "Option::is_none")]
    pub advance_clock: Option<String>,
    /// Waits this long in real time ("20s", at most [`MAX_WAIT`](super::plan::MAX_WAIT)):
    /// time passing on a target without a test clock (runs end, tokens age).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait: Option<String>,
    /// Needs the test-control API: inject a fault (see README, `/_harness/faults`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<Value>,
    /// Needs the test-control API: change quotas or the behaviour profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configure: Option<Value>,
    /// Sends the request this many times at once (1..=1000; default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrent: Option<u32>,
    /// With `concurrent: N`: request member -> N values, copy i sending the
    /// i-th (`null`: the member left out), so calls at once may differ
    /// (`each: { clientToken: ["{{token.a}}", "{{token.b}}"] }`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub each: BTreeMap<String, Vec<Value>>,
    /// Meaningful only after an earlier test-control step: skipped with it
    /// on targets without the test-control API.
    #[serde(default, rename = "needs-control", skip_serializing_if = "no")]
    pub needs_control: bool,
    /// What the answer must be, beyond the contract; default: nothing more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<ExpectFile>,
    /// Capture name -> dotted path into the response body; later steps use it
    /// as `{{name}}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub capture: BTreeMap<String, String>,
    /// Played only when an earlier step answered one of these statuses
    /// (`when: { step: 1, status: [400, 413] }`): where the contract lets an
    /// endpoint choose, each choice's consequences are checked by its own steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<WhenFile>,
    /// A list read followed through every `nextToken` (bounded; a repeated
    /// token is a violation), its pages' lists judged as one answer.
    #[serde(default, rename = "all-pages", skip_serializing_if = "no")]
    pub all_pages: bool,
    /// Sent at the same moment as the step before it (`with-previous:
    /// true`): a step and the consecutive `with-previous` steps after it
    /// are one group, sent at once, each answer judged by its own
    /// `expect:` and captured by its own `capture:` (a write racing
    /// another; not on the first step, a control step, beside
    /// `concurrent:`, nor with `when:`).
    #[serde(default, rename = "with-previous", skip_serializing_if = "no")]
    pub with_previous: bool,
}

impl StepFile {
    /// A step that calls `op` with the request members `body`.
    pub fn call(op: crate::appflow::Operation, body: Value) -> Self {
        use crate::appflow::Operation as O;
        let mut s = Self::default();
        let action = match op {
            O::StartFlow => &mut s.start_flow,
            O::StopFlow => &mut s.stop_flow,
            O::CreateFlow => &mut s.create_flow,
            O::DescribeFlow => &mut s.describe_flow,
            O::DeleteFlow => &mut s.delete_flow,
            O::ListFlows => &mut s.list_flows,
            O::UpdateFlow => &mut s.update_flow,
            O::DescribeFlowExecutionRecords => &mut s.describe_flow_execution_records,
            O::CancelFlowExecutions => &mut s.cancel_flow_executions,
        };
        *action = Some(body);
        s
    }
}

/// `when: { step: 1, status: 200 }`, or `when: { step: 2, body: {...} }`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WhenFile {
    /// The 1-based index of an earlier call step.
    pub step: usize,
    /// The statuses of its first answer for which this step is played.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusFile>,
    /// The statuses of a concurrent step's copies, in copy order, for
    /// which this step is played (`[200, 409]`; 0: a copy got no answer):
    /// where the order of calls at once decides what follows.
    #[serde(
        rename = "statuses-in-order",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub statuses_in_order: Vec<u16>,
    /// A body expectation (templates and matcher keywords, as `expect.body`)
    /// its first answer must meet for this step to be played: where both
    /// outcomes answer 200 (S3: a cancel accepted, or the run already ended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
}

/// A `raw:` step: a body sent as written (malformed JSON, wrong member types).
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    /// The operation's model name (`StartFlow`), whose route the body goes to.
    pub operation: String,
    /// The body; `{{...}}` templates in it are rendered as text.
    pub body: String,
    /// Pads the body with spaces (valid JSON) up to this many bytes.
    #[serde(default, rename = "pad-to", skip_serializing_if = "Option::is_none")]
    pub pad_to: Option<usize>,
}

/// A step's `expect:`: status, error type, body, polling, distinct values.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectFile {
    /// An HTTP status, or a list of those allowed (`[409, 200]` where the
    /// contract leaves room).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusFile>,
    /// The error type, read as the SDKs read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A subset of the response body, with matcher keywords (`pattern`,
    /// `one-of`, `absent` ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// Poll until the expectations hold, at most this long ("30s").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eventually: Option<String>,
    /// With `concurrent`: how many distinct values each path takes over all answers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub distinct: BTreeMap<String, usize>,
    /// With `concurrent`: HTTP status -> how many of the answers carry it
    /// (`status-count: { 200: 1 }`: exactly one call of the burst succeeds).
    #[serde(
        default,
        rename = "status-count",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub status_count: BTreeMap<u16, usize>,
    /// With `concurrent`: the statuses of the copies in copy order must be
    /// one of these lists (the orders the contract allows; `[[200, 409],
    /// [409, 200]]`: the two calls never both succeed or both fail).
    #[serde(
        default,
        rename = "statuses-in-order",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub statuses_in_order: Vec<Vec<u16>>,
    /// No answer at all is expected (a connection closed by an injected fault).
    #[serde(default, rename = "no-response", skip_serializing_if = "no")]
    pub no_response: bool,
    /// Alternatives (each a status, error and body): an answer passes when
    /// it meets one of them, where the contract allows several outcomes.
    #[serde(default, rename = "one-of", skip_serializing_if = "Vec::is_empty")]
    pub one_of: Vec<ExpectFile>,
}

/// `status: 200` or `status: [409, 200]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusFile(pub Vec<u16>);

impl Serialize for StatusFile {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => s.serialize_u16(*one),
            many => many.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for StatusFile {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = StatusFile;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an HTTP status (200) or a list of them ([409, 200])")
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<StatusFile, E> {
                u16::try_from(n)
                    .map(|n| StatusFile(vec![n]))
                    .map_err(|_| E::custom(format!("{n} is not an HTTP status")))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<StatusFile, E> {
                u64::try_from(n)
                    .map_err(|_| E::custom(format!("{n} is not an HTTP status")))
                    .and_then(|n| self.visit_u64(n))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<StatusFile, A::Error> {
                let mut out = Vec::new();
                while let Some(n) = seq.next_element::<u16>()? {
                    out.push(n);
                }
                Ok(StatusFile(out))
            }
        }
        d.deserialize_any(V)
    }
}
