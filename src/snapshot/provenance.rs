//! Where, when and how a recording was made, kept in its file's header.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where, when and how a recording was made: the `info` of its `.snap` header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The kind of target recorded: embedded, url, aws.
    pub target: String,
    /// The endpoint's host (`127.0.0.1`, `appflow.us-east-1.amazonaws.com`).
    #[serde(default)]
    pub endpoint_host: String,
    /// The region recorded in.
    pub region: String,
    /// YYYY-MM-DD.
    pub recorded: String,
    /// The appflow-harness version that recorded it (empty in older files).
    #[serde(default)]
    pub harness_version: String,
    /// `sha256:<hex>` of the scenario file the recording was made from.
    #[serde(default)]
    pub scenario_digest: String,
    /// An emulator's behaviour profile, where the target has the control API.
    #[serde(default)]
    pub profile: Option<Value>,
    /// Steps skipped on the target (no test-control API).
    #[serde(default)]
    pub skipped_steps: Vec<usize>,
    /// The `x-amzn-RequestId`s of a recording made on AWS (for AWS support).
    #[serde(default)]
    pub request_ids: Vec<String>,
    /// Made on real AWS with no step skipped.
    pub verified_against_aws: bool,
}

impl Provenance {
    /// The fields as YAML lines, indented (values as JSON, which YAML reads).
    pub fn yaml(&self, indent: &str) -> String {
        let Ok(Value::Object(m)) = serde_json::to_value(self) else {
            return String::new();
        };
        let mut out = String::new();
        for (k, v) in m {
            out.push_str(&format!("{indent}{k}: {v}\n"));
        }
        out
    }
}

/// The provenance in a `.snap` file's header, if it has one.
pub(super) fn of(text: &str) -> Option<Provenance> {
    let rest = text.strip_prefix("---\n")?;
    let header = &rest[..rest.find("\n---\n")?];
    #[derive(Deserialize)]
    struct Header {
        info: Provenance,
    }
    serde_saphyr::from_str::<Header>(header)
        .ok()
        .map(|h| h.info)
}
