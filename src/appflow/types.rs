//! The enums of the service model that flows and runs carry.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// Every value, in the service model's order.
            pub const ALL: &'static [$name] = &[$(Self::$variant),+];

            /// Its name on the wire.
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => stringify!($variant)),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    format!(
                        "`{s}` is not a {}: one of {}",
                        stringify!($name),
                        Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
                    )
                })
            }
        }
    };
}

wire_enum!(
    /// How a flow runs: on a schedule, on an event, or when StartFlow asks.
    TriggerType {
        /// Runs on its schedule once StartFlow activates it (L3); created
        /// `Draft` (L1).
        Scheduled,
        /// Runs on its source's events once StartFlow activates it (L3);
        /// created `Draft` by default (L1).
        Event,
        /// Runs when StartFlow asks, a new run per call (L2); created
        /// `Active` (L1).
        OnDemand,
    }
);
wire_enum!(
    /// A flow's status (O2).
    FlowStatus {
        /// Runs: on-demand flows from creation (L1, S1), scheduled and event
        /// flows once started (L3).
        Active,
        /// In the model; no rule of APPFLOW.md leads to it.
        Deprecated,
        /// In the model; a deleted flow answers 404 instead (L6).
        Deleted,
        /// Not yet active: scheduled and event flows after CreateFlow (L1),
        /// or after StopFlow with `--stopped-status draft` (L5).
        Draft,
        /// In the model; no rule of APPFLOW.md leads to it.
        Errored,
        /// Deactivated by StopFlow (L5, the default profile).
        Suspended,
    }
);
wire_enum!(
    /// A run's status (L2, S3).
    ExecutionStatus {
        /// Running: a new on-demand run (L2).
        InProgress,
        /// Finished without error (L2).
        Successful,
        /// Finished with an error.
        Error,
        /// Cancellation asked, not finished yet (S3).
        CancelStarted,
        /// Cancelled (S3).
        Canceled,
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    fn model_enum(shape: &str) -> Vec<String> {
        let model = crate::appflow::model_json();
        serde_json::from_value(model["shapes"][shape]["enum"].clone()).expect(shape)
    }

    #[test]
    fn the_enums_are_exactly_those_of_the_service_model() {
        let names = |all: &[&str]| all.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            names(
                &TriggerType::ALL
                    .iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
            ),
            model_enum("TriggerType")
        );
        assert_eq!(
            names(
                &FlowStatus::ALL
                    .iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
            ),
            model_enum("FlowStatus")
        );
        assert_eq!(
            names(
                &ExecutionStatus::ALL
                    .iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
            ),
            model_enum("ExecutionStatus")
        );
        assert_eq!("OnDemand".parse::<TriggerType>(), Ok(TriggerType::OnDemand));
        assert!("ondemand".parse::<TriggerType>().is_err());
    }
}
