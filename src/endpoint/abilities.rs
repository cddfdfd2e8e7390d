//! What a target can do beyond AppFlow: today, the `/_harness/` test-control
//! API that moves clocks, injects faults and changes quotas.

use serde_json::Value;

use crate::client::Endpoint;

/// What a target offers beyond AppFlow's operations; steps and scenarios that
/// need a missing ability are skipped, and the skip is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Abilities {
    /// The target answers the `/_harness/` test-control API.
    pub control: bool,
    /// Event flows can be made and started (emulators take an S3 source;
    /// AWS needs a configured event source).
    pub event_source: bool,
    /// An on-demand run stays `InProgress` for at least [`RUN_LASTS_MS`]
    /// (L2), so a scenario's next steps see it running: false where the
    /// target's configuration says its runs end sooner (runs that finish at
    /// once), assumed true where nothing says (AWS runs take a minute).
    pub runs_last: bool,
}

/// How long a run must stay `InProgress` for the steps that follow its
/// StartFlow to see it running (they come milliseconds apart), in ms.
pub const RUN_LASTS_MS: u64 = 1_000;

/// Whether a target whose control configuration is `doc` (if any) keeps
/// its runs in progress for [`RUN_LASTS_MS`].
pub fn runs_last(doc: Option<&Value>) -> bool {
    doc.and_then(|d| d.get("runTimeMs"))
        .and_then(Value::as_u64)
        .is_none_or(|ms| ms >= RUN_LASTS_MS)
}

impl Abilities {
    /// Asks the endpoint for its control configuration. Only a document of
    /// that shape counts: an endpoint that answers 200 to everything has no
    /// test-control API.
    ///
    /// Answers the abilities and, with the control API, the behaviour
    /// profile its configuration document shows.
    pub async fn detect(endpoint: &Endpoint) -> (Self, Option<Value>) {
        let doc = endpoint
            .get_json("/_harness/config")
            .await
            .filter(is_control_config);
        let abilities = Self {
            control: doc.is_some(),
            event_source: true,
            runs_last: runs_last(doc.as_ref()),
        };
        (abilities, doc.and_then(|d| d.get("profile").cloned()))
    }
}

/// `GET /_harness/config` answers the emulator's configuration: a profile
/// of the [chosen] rules and numeric quotas.
pub fn is_control_config(doc: &Value) -> bool {
    let profile = doc.get("profile");
    let string = |k: &str| profile.and_then(|p| p.get(k)).is_some_and(Value::is_string);
    let number = |k: &str| doc.get(k).is_some_and(Value::is_u64);
    string("activeStart")
        && string("stoppedStatus")
        && number("maxFlows")
        && number("maxConcurrentRuns")
        && number("tokenTtlMs")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_a_control_configuration_counts() {
        let config = serde_json::to_value(crate::emulator::Config::default()).expect("json");
        assert!(is_control_config(&config), "{config}");
        assert!(!is_control_config(&json!({})));
        assert!(!is_control_config(&json!({"ok": true})));
        assert!(!is_control_config(&json!("anything")));
    }
}
