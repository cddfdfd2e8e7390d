//! Every fresh token, accounted for one by one: its flow, how many times it
//! was sent, whether any answer was lost or never came, and its final
//! answer. Kept compact (ids as 128-bit numbers where they are UUIDs).

use std::sync::Mutex;

/// An id as answered: a UUID as its number, anything else as text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Id {
    Uuid(u128),
    Text(Box<str>),
}

impl Id {
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

#[derive(Debug, Clone)]
pub struct Record {
    pub flow: u16,
    /// Requests sent with this token.
    pub attempts: u8,
    /// Whether any attempt's answer was lost or never came (a retry followed).
    pub interrupted: bool,
    pub last: Final,
    /// The last answer's x-amzn-RequestId, for witnesses.
    pub request_id: Option<Id>,
    /// Milliseconds since the attack started, at the last answer.
    pub at_ms: u32,
}

/// The ledger of one worker's fresh tokens, indexed by token number.
#[derive(Debug, Default)]
pub struct Ledger {
    records: Mutex<Vec<Option<Record>>>,
}

impl Ledger {
    pub fn set(&self, n: u64, record: Record) {
        let mut r = self.records.lock().unwrap_or_else(|p| p.into_inner());
        let i = n as usize;
        if r.len() <= i {
            r.resize(i + 1, None);
        }
        r[i] = Some(record);
    }

    /// Every recorded token (number, record).
    pub fn all(&self) -> Vec<(u64, Record)> {
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.clone().map(|r| (i as u64, r)))
            .collect()
    }
}
