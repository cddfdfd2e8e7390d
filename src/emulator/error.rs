//! The AWS error model of APPFLOW.md: a typed error name, its HTTP status, and
//! the JSON body every AppFlow error answers with.

use std::fmt;

pub use crate::appflow::ErrorKind;

/// An error an operation answers with: its kind and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ApiError {
    /// The AWS error type (W2): decides the HTTP status and the `x-amzn-ErrorType` header.
    pub kind: ErrorKind,
    /// A message for people, answered as the body's `message`; the contract does not judge its text.
    pub message: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.message)
    }
}

impl ApiError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// 400 ValidationException (V3, W6) with `message`.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }

    /// 404 ResourceNotFoundException for the flow `flow_name` (L6, L7): `Flow <name> does not exist`.
    pub fn not_found(flow_name: &str) -> Self {
        Self::new(
            ErrorKind::ResourceNotFound,
            format!("Flow {flow_name} does not exist"),
        )
    }

    /// 409 ConflictException (T2, T13, C1, C2 and the existing-flow CreateFlow) with `message`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    /// 402 ServiceQuotaExceededException (Q1-Q3) with `message`.
    pub fn quota(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ServiceQuotaExceeded, message)
    }

    /// The JSON body: `{"message": "..."}` as APPFLOW.md describes.
    pub fn body(&self) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({ "message": self.message }))
            .unwrap_or_else(|_| b"{}".to_vec())
    }
}
