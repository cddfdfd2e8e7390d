//! W3 over a whole run: the one ledger of the request ids every answer
//! carried, fed by every engine that judges answers (check and compare
//! through the runner, explore), so that an endpoint that gives two
//! answers one id is caught whichever engine meets it.

use std::collections::HashSet;
use std::sync::Mutex;

use super::Violation;

/// The request ids answers of one run carried, shared by every clone of
/// the endpoint that holds it (see `client::Endpoint::request_ids`).
#[derive(Debug, Default)]
pub struct RequestIds {
    // A std Mutex, never held across an await: one insert per answer.
    seen: Mutex<HashSet<String>>,
}

impl RequestIds {
    /// Records an answer's `x-amzn-RequestId`: a W3 violation when an
    /// earlier answer of this run carried the same id; `None` for a new
    /// id, or for none (a missing id is [`super::check`]'s W3).
    pub fn record(&self, id: Option<&str>) -> Option<Violation> {
        let id = id.filter(|i| !i.is_empty())?;
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.insert(id.to_owned()) {
            return None;
        }
        Some(Violation::new(
            "header x-amzn-RequestId",
            "every answer carries a request id of its own".to_owned(),
            "W3",
        ))
    }

    /// How many distinct ids were recorded.
    pub fn len(&self) -> usize {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether no id was recorded yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_answer_with_the_same_id_is_w3() {
        let ids = RequestIds::default();
        assert_eq!(ids.record(Some("a")), None);
        assert_eq!(ids.record(None), None, "a missing id is not a repeat");
        assert_eq!(ids.record(Some("b")), None);
        let again = ids.record(Some("a")).expect("a repeated id is a violation");
        assert_eq!(again.id, "W3");
        assert_eq!(ids.len(), 2);
    }
}
