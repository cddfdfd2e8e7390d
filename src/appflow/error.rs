//! The one table of AWS error names and their HTTP statuses (W2, W7): what
//! the emulator answers and what the contract checker demands.

/// The error names AppFlow, and the AWS front door before it, answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// A route or method that is no AppFlow operation (W1: every operation is
    /// a POST to its route). 404, the status of "nothing here".
    UnknownOperation,
    /// W7: no Authorization header where signatures are checked.
    MissingAuthenticationToken,
    /// W7: an access key the endpoint does not know.
    UnrecognizedClient,
    /// W7: any other bad signature.
    InvalidSignature,
    /// The name API Gateway gives throttling under burst load [seen].
    TooManyRequests,
}

impl ErrorKind {
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
