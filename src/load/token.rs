//! A fresh token's story as a transaction ends it: the run id it was
//! answered (compact), how it ended, and what a witness needs; and the
//! exact counts the stories add up to.

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
    /// A replay older than the target's token TTL answered this run: a new
    /// call by T4, not a fresh token.
    pub new_call: bool,
}

/// Exact counts of one flow's (or every flow's) tokens and runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Fresh tokens taken (counted before the first send).
    pub issued: u64,
    /// Fresh tokens whose transaction ended (the rest never did: unanswered).
    pub completed: u64,
    /// Answered a run, found, no answer lost on the way.
    pub exactly_once: u64,
    /// Answered a run after a lost answer, found.
    pub recovered: u64,
    /// Answered a run that was not listed within the settle time.
    pub lost: u64,
    /// Refused with a 4xx other than 429.
    pub refused: u64,
    /// Ended without a definite answer.
    pub indeterminate: u64,
    /// Listed runs that no answer named within the answer window.
    pub extra: u64,
    /// Distinct runs listed.
    pub runs_found: u64,
    /// Requests sent with fresh tokens, and how many were retries.
    pub attempts: u64,
    /// Retries among the attempts.
    pub retries: u64,
    /// Answered a run not listed when the flow was next read, but older
    /// than the target's documented retention by then (see
    /// `retention::Retention::may_drop`): not lost, not verified either.
    pub evicted: u64,
    /// Replays older than the target's token TTL answered with a new run:
    /// new calls by T4, their runs accounted like fresh ones.
    pub new_calls: u64,
    /// Of those new calls, the runs found listed.
    pub new_calls_found: u64,
}

impl Tally {
    /// Adds `o`'s counts to these.
    pub fn add(&mut self, o: &Tally) {
        self.issued += o.issued;
        self.completed += o.completed;
        self.exactly_once += o.exactly_once;
        self.recovered += o.recovered;
        self.lost += o.lost;
        self.refused += o.refused;
        self.indeterminate += o.indeterminate;
        self.extra += o.extra;
        self.runs_found += o.runs_found;
        self.attempts += o.attempts;
        self.retries += o.retries;
        self.evicted += o.evicted;
        self.new_calls += o.new_calls;
        self.new_calls_found += o.new_calls_found;
    }

    /// Tokens that may have made zero or one run (no definite answer, or
    /// no end): the extra runs they can explain.
    pub fn unanswered(&self) -> u64 {
        self.indeterminate + self.issued.saturating_sub(self.completed)
    }
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
