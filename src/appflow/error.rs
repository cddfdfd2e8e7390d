//! The one table of AWS error names and their HTTP statuses (W2, W7): what
//! the emulator answers and what the contract checker demands.

/// The error names AppFlow, and the AWS front door before it, answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// 400: input that breaks the model's constraints (V1, V2, V3), or a body
    /// that is not a JSON object (W6).
    Validation,
    /// 400: an operation the flow does not support, e.g. StopFlow on an
    /// on-demand flow (L4).
    UnsupportedOperation,
    /// 400: the connector's server failed (in the model; the emulator never
    /// answers it).
    ConnectorServer,
    /// 401: the connector profile's credentials were refused (in the model; the
    /// emulator never answers it).
    ConnectorAuthentication,
    /// 402 (sic): a quota is reached, flows on CreateFlow or runs on StartFlow
    /// (Q1, Q2, Q3).
    ServiceQuotaExceeded,
    /// 403: the caller may not call the operation.
    AccessDenied,
    /// 404: no such flow, never created or deleted (L6, L7, T10).
    ResourceNotFound,
    /// 409: a token reused on another scheduled/event flow (T2), a new token on
    /// an Active one (C1), changed CreateFlow/UpdateFlow input under one token
    /// (T13), deleting a running flow (L6).
    Conflict,
    /// 429: the model's name for too many requests (W7); `serve --throttle-rps`
    /// answers it.
    Throttling,
    /// 500: the endpoint failed; never the answer to bad input (W6, V3).
    InternalServer,
    /// A route or method that is no AppFlow operation (W1: every operation is
    /// a POST to its route). 404, the status of "nothing here".
    UnknownOperation,
    /// W7: no Authorization header where signatures are checked.
    MissingAuthenticationToken,
    /// W7: an access key the endpoint does not know.
    UnrecognizedClient,
    /// W7: any other bad signature.
    InvalidSignature,
    /// The name API Gateway gives throttling under burst load \[seen\].
    TooManyRequests,
}

impl ErrorKind {
    /// Every kind: the model's ten errors, then the five the AWS front door
    /// adds.
    pub const ALL: [ErrorKind; 15] = [
        Self::Validation,
        Self::UnsupportedOperation,
        Self::ConnectorServer,
        Self::ConnectorAuthentication,
        Self::ServiceQuotaExceeded,
        Self::AccessDenied,
        Self::ResourceNotFound,
        Self::Conflict,
        Self::Throttling,
        Self::InternalServer,
        Self::UnknownOperation,
        Self::MissingAuthenticationToken,
        Self::UnrecognizedClient,
        Self::InvalidSignature,
        Self::TooManyRequests,
    ];

    /// The name carried in `x-amzn-ErrorType`.
    pub const fn name(self) -> &'static str {
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
            Self::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            Self::UnrecognizedClient => "UnrecognizedClientException",
            Self::InvalidSignature => "InvalidSignatureException",
            Self::TooManyRequests => "TooManyRequestsException",
        }
    }

    /// The HTTP status of APPFLOW.md's table (402 for quotas is not a typo).
    pub const fn status(self) -> u16 {
        match self {
            Self::Validation | Self::UnsupportedOperation | Self::ConnectorServer => 400,
            Self::ConnectorAuthentication => 401,
            Self::ServiceQuotaExceeded => 402,
            Self::AccessDenied
            | Self::MissingAuthenticationToken
            | Self::UnrecognizedClient
            | Self::InvalidSignature => 403,
            Self::ResourceNotFound | Self::UnknownOperation => 404,
            Self::Conflict => 409,
            Self::Throttling | Self::TooManyRequests => 429,
            Self::InternalServer => 500,
        }
    }

    /// The kind whose [`name`](Self::name) is exactly `name`
    /// (`ConflictException`), or `None`; strip the name first as W2 says.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_agrees_with_every_error_of_the_service_model() {
        let model = crate::appflow::model_json();
        let shapes = model["shapes"].as_object().expect("shapes");
        let mut seen = 0;
        for (name, shape) in shapes {
            if shape["exception"] != true {
                continue;
            }
            let kind = ErrorKind::from_name(name).unwrap_or_else(|| panic!("{name} is missing"));
            assert_eq!(
                u64::from(kind.status()),
                shape["error"]["httpStatusCode"].as_u64().expect("status"),
                "{name}"
            );
            seen += 1;
        }
        assert_eq!(seen, 10, "the model lists ten AppFlow errors");
    }
}
