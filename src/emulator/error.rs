//! The AWS error model of APPFLOW.md: a typed error name, its HTTP status, and
//! the JSON body every AppFlow error answers with.

use std::fmt;

/// The error names AppFlow (and the API Gateway in front of it) answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Validation,
    UnsupportedOperation,
    ConnectorServer,
    ConnectorAuthentication,
    ServiceQuotaExceeded,
    AccessDenied,
    ResourceNotFound,
    Conflict,
    Throttling,
    InternalServer,
    /// A route that is no AppFlow operation (API Gateway answers this way).
    UnknownOperation,
}

impl ErrorKind {
    /// The name carried in `x-amzn-ErrorType`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Validation => "ValidationException",
            Self::UnsupportedOperation => "UnsupportedOperationException",
            Self::ConnectorServer => "ConnectorServerException",
            Self::ConnectorAuthentication => "ConnectorAuthenticationException",
            Self::ServiceQuotaExceeded => "ServiceQuotaExceededException",
            Self::AccessDenied => "AccessDeniedException",
            Self::ResourceNotFound => "ResourceNotFoundException",
            Self::Conflict => "ConflictException",
            Self::Throttling => "ThrottlingException",
            Self::InternalServer => "InternalServerException",
            Self::UnknownOperation => "UnknownOperationException",
        }
    }

    /// The HTTP status of the table in APPFLOW.md (402 for quotas is not a typo).
    pub fn status(self) -> u16 {
        match self {
            Self::Validation | Self::UnsupportedOperation | Self::ConnectorServer => 400,
            Self::ConnectorAuthentication => 401,
            Self::ServiceQuotaExceeded => 402,
            Self::AccessDenied => 403,
            Self::ResourceNotFound | Self::UnknownOperation => 404,
            Self::Conflict => 409,
            Self::Throttling => 429,
            Self::InternalServer => 500,
        }
    }
}

/// An error an operation answers with: its kind and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.message)
    }
}

impl ApiError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }

    pub fn not_found(flow_name: &str) -> Self {
        Self::new(
            ErrorKind::ResourceNotFound,
            format!("Flow {flow_name} does not exist"),
        )
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    pub fn quota(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ServiceQuotaExceeded, message)
    }

    /// The JSON body: `{"message": "..."}` as APPFLOW.md describes.
    pub fn body(&self) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({ "message": self.message }))
            .unwrap_or_else(|_| b"{}".to_vec())
    }
}
