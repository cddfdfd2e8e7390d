//! Paginated reads with an end: a [`Pager`] follows `nextToken` and stops
//! on a token it has seen before or after a bound on pages, reporting
//! either as a violation of S2 instead of paging forever.

use std::collections::HashSet;

use serde_json::Value;

use crate::contract::Violation;

/// Pages a list read follows at most: Q1's 1,000 flows at one a page.
pub const MAX_PAGES: usize = 1000;

/// What to do after a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// No `nextToken` (or an empty one): the list is complete.
    Done,
    /// Ask for the page this token names.
    More(String),
    /// Stop: the endpoint breaks S2 (a repeated token, or no end in sight).
    Stop(Violation),
}

/// The state of one paginated read: the tokens seen and the pages read.
#[derive(Debug, Clone)]
pub struct Pager {
    seen: HashSet<String>,
    pages: usize,
    bound: usize,
}

impl Default for Pager {
    fn default() -> Self {
        Self::new(MAX_PAGES)
    }
}

impl Pager {
    /// A pager that reads at most `bound` pages (at least one).
    pub fn new(bound: usize) -> Self {
        Self {
            seen: HashSet::new(),
            pages: 0,
            bound: bound.max(1),
        }
    }

    /// Pages read so far.
    pub fn pages(&self) -> usize {
        self.pages
    }

    /// Reads one page's answer body and says what comes next.
    pub fn next(&mut self, page: &Value) -> Next {
        self.pages += 1;
        let Some(token) = page
            .get("nextToken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        else {
            return Next::Done;
        };
        if !self.seen.insert(token.to_owned()) {
            return Next::Stop(Violation::new(
                "body.nextToken",
                "a nextToken names the next page: one answered again would page forever".into(),
                "S2",
            ));
        }
        if self.pages >= self.bound {
            return Next::Stop(Violation::new(
                "body.nextToken",
                format!(
                    "a paginated list ends: still a nextToken after {} pages",
                    self.pages
                ),
                "S2",
            ));
        }
        Next::More(token.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_repeated_token_or_too_many_pages_stops_with_s2() {
        let mut p = Pager::new(3);
        assert_eq!(p.next(&json!({"nextToken": "a"})), Next::More("a".into()));
        match p.next(&json!({"nextToken": "a"})) {
            Next::Stop(v) => assert_eq!(v.id, "S2"),
            other => panic!("a repeated token must stop the read, got {other:?}"),
        }
        let mut q = Pager::new(2);
        assert_eq!(q.next(&json!({"nextToken": "a"})), Next::More("a".into()));
        assert!(
            matches!(q.next(&json!({"nextToken": "b"})), Next::Stop(_)),
            "the page bound stops it"
        );
        assert_eq!(Pager::default().next(&json!({"nextToken": ""})), Next::Done);
        assert_eq!(Pager::default().next(&json!({})), Next::Done);
    }
}
