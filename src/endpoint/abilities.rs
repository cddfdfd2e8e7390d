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
