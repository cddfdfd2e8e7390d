//! A fresh token's story as a transaction ends it: the run id it was
//! answered (compact), how it ended, and what a witness needs.

/// An id as answered: a UUID as its number, anything else as text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Id {
    /// A hyphenated UUID, as its 128-bit number.
    Uuid(u128),
    /// Any other id, as it was answered.
    Text(Box<str>),
}

impl Id {
    /// `s` as an id (compact when it is a UUID).
    pub fn new(s: &str) -> Self {
        match uuid::Uuid::try_parse(s) {
            Ok(u) if u.hyphenated().to_string() == s => Self::Uuid(u.as_u128()),
            _ => Self::Text(s.into()),
        }
    }
}

impl std::fmt::Display for Id {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Uuid(n) => write!(f, "{}", uuid::Uuid::from_u128(*n).hyphenated()),
            Self::Text(t) => f.write_str(t),
        }
    }
}

/// How a fresh token's start ended, as the client saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Final {
    /// 200 with this executionId.
    Started(Id),
    /// A definite refusal (a 4xx other than 429): no run may exist.
    Refused(u16),
    /// No definite answer (no answer, a 5xx, a 429, lost answers) even
    /// after the retries: a run may or may not exist.
    Indeterminate,
}

/// One fresh token's story, as the transaction ends it.
#[derive(Debug, Clone)]
pub struct Record {
    /// The token's number in this run (`state::token`).
    pub n: u64,
    /// Requests sent with this token.
    pub attempts: u8,
    /// Whether any attempt's answer was lost or never came (a retry followed).
    pub interrupted: bool,
    /// How it ended.
    pub last: Final,
    /// The last answer's x-amzn-RequestId, for witnesses.
    pub request_id: Option<Id>,
    /// Milliseconds since the attack started, at the last answer.
    pub at_ms: u32,
}
