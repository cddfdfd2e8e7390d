//! The AppFlow vocabulary every part of the harness speaks: operations and
//! their routes, trigger types and statuses, error kinds with their HTTP
//! statuses (one table), and the wire's time format. Checked against the
//! service model in `model/` by the tests below each type.
//!
//! The emulator, the scenario plan, the contract checker, the fixtures and
//! `load` all use this module, so the emulator's answers and the checker's
//! judgement cannot drift apart.

mod error;
mod operation;
mod target_kind;
mod time;
mod types;

pub use error::ErrorKind;
pub use operation::Operation;
pub use target_kind::TargetKind;
pub use time::{Millis, civil_date, epoch_seconds, today};
pub use types::{ExecutionStatus, FlowStatus, TriggerType};

/// The service model, as shipped in `model/` (botocore's, verbatim).
pub const MODEL_JSON: &str = include_str!("../../service-model/appflow-2020-08-23.service-2.json");

#[cfg(test)]
pub(crate) fn model_json() -> serde_json::Value {
    serde_json::from_str(MODEL_JSON).expect("the shipped service model is JSON")
}
