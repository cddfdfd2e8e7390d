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
    /// `s` as an id (compact when it is a UUID written as its lowercase
    /// hyphenated form, so that `to_string` gives `s` back; any other
    /// spelling is kept as text). Allocates only for text ids: this runs
    /// for every answer and every listed run of a load test.
    pub fn new(s: &str) -> Self {
        let canonical = s.len() == 36
            && s.bytes().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => b == b'-',
                _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
            });
        match uuid::Uuid::try_parse(s) {
            Ok(u) if canonical => Self::Uuid(u.as_u128()),
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

#[cfg(test)]
mod tests {
    use super::Id;

    #[test]
    fn ids_are_compact_only_when_they_print_back_as_answered() {
        let lower = "0f8fad5b-d9cb-469f-a165-70867728950e";
        assert!(
            matches!(Id::new(lower), Id::Uuid(_)),
            "a lowercase UUID is a number"
        );
        for other in [
            "0F8FAD5B-D9CB-469F-A165-70867728950E",
            "0f8fad5bd9cb469fa16570867728950e",
            "{0f8fad5b-d9cb-469f-a165-70867728950e}",
            "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e",
            "run-1",
            "",
        ] {
            assert!(
                matches!(Id::new(other), Id::Text(_)),
                "{other:?} stays text"
            );
        }
        for s in [lower, "0F8FAD5B-D9CB-469F-A165-70867728950E", "run-1"] {
            assert_eq!(
                Id::new(s).to_string(),
                s,
                "every id prints as it was answered"
            );
        }
        assert_ne!(
            Id::new(lower),
            Id::new(&lower.to_uppercase()),
            "spellings differ"
        );
    }
}
