//! Paginated reads with an end, the one pager of the harness: a [`Pager`]
//! follows `nextToken` and stops on a token it has seen before or after a
//! bound on pages (S2 violations) instead of paging forever, and ends on an
//! empty token as the SDKs do, reporting it (W5: it breaks the model's
//! pattern `\S+`). [`read_all`] reads a whole chain through the endpoint's
//! retry loop, each page retried by the caller's [`RetryPolicy`].

use std::collections::HashSet;

use bytes::Bytes;
use serde_json::{Value, json};

use super::{Call, ClientError, Endpoint, Repeats, RetryPolicy};
use crate::appflow::Operation;
use crate::contract::Violation;

/// Pages a list read follows at most: Q1's 1,000 flows at one a page.
pub const MAX_PAGES: usize = 1000;

/// What to do after a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// No `nextToken`: the list is complete.
    Done,
    /// An empty `nextToken`: the list is complete as the SDKs read it, but
    /// the endpoint breaks the model's pattern (W5; S2 as amended).
    Empty(Violation),
    /// Ask for the page this token names.
    More(String),
    /// Stop: the endpoint answered a token a second time in one read (S2).
    Repeated(Violation),
    /// Stop: still a token after the page bound (S2: a list ends).
    TooMany(Violation),
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

    /// Reads one page's answer body and says what comes next (a
    /// `nextToken` that is not a string counts as none).
    pub fn next(&mut self, page: &Value) -> Next {
        self.next_token(page.get("nextToken").and_then(Value::as_str))
    }

    /// Says what comes next after a page whose `nextToken` is `token`: for
    /// readers that take the token out of a page themselves.
    pub fn next_token(&mut self, token: Option<&str>) -> Next {
        self.pages += 1;
        let Some(token) = token else {
            return Next::Done;
        };
        if token.is_empty() {
            return Next::Empty(Violation::new(
                "body.nextToken",
                "a chain of pages ends with a page without nextToken: an empty one ends it as the SDKs read it, but breaks the model's pattern \\S+".into(),
                "W5",
            ));
        }
        if !self.seen.insert(token.to_owned()) {
            return Next::Repeated(Violation::new(
                "body.nextToken",
                "a nextToken names the next page: one answered again would page forever".into(),
                "S2",
            ));
        }
        if self.pages >= self.bound {
            return Next::TooMany(Violation::new(
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

/// What a page reader says after a page: go on with the page's
/// `nextToken` (`None`: there is none), or stop (it has seen enough, or the
/// page was not one to go on from, such as an error answer it keeps).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visit {
    /// The page's `nextToken`, as the page gives it (`Some("")` included).
    Next(Option<String>),
    /// Read no further page.
    Stop,
}

/// How a chain is read: the page bound, whether answers are parsed, and a
/// size to pad each request body to with spaces (W6 probes; `None`: none).
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    /// Pages read at most ([`MAX_PAGES`] by default).
    pub bound: usize,
    /// Parse each answer's body ([`super::Reply::parsed`]); `false` for
    /// bulk readers that parse it themselves.
    pub parse: bool,
    /// Pad each request body with spaces to this many bytes.
    pub pad: Option<usize>,
}

impl Default for Reading {
    fn default() -> Self {
        Self {
            bound: MAX_PAGES,
            parse: true,
            pad: None,
        }
    }
}

/// How a chain of pages ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// A page without `nextToken`: the list is complete.
    Complete,
    /// An empty `nextToken` ended it: complete, and the endpoint's W5.
    EmptyToken(Violation),
    /// The reader stopped it.
    Stopped,
    /// A token came a second time (S2): the list is not complete.
    Repeated(Violation),
    /// More pages than the bound (S2): the list is not complete.
    TooMany(Violation),
}

impl End {
    /// The violation the end names, if the endpoint broke a rule.
    pub fn violation(&self) -> Option<&Violation> {
        match self {
            End::EmptyToken(v) | End::Repeated(v) | End::TooMany(v) => Some(v),
            End::Complete | End::Stopped => None,
        }
    }
}

/// A chain of pages as read: how many, the retries they took, how it ended.
#[derive(Debug, Clone)]
pub struct ReadAll {
    /// Pages read (answers handed to the reader).
    pub pages: usize,
    /// Retries of all pages together.
    pub repeats: Repeats,
    /// How the chain ended.
    pub end: End,
}

/// Reads the chain of pages of `operation` from `first` (a request body;
/// its own `nextToken`, if any, is where the chain starts): each page sent
/// through [`Endpoint::call_with`] under `policy` and handed to `each`,
/// which answers the page's `nextToken` or stops the read. A repeated
/// token or the page bound ends the chain with S2, an empty token with W5,
/// never an endless read.
///
/// # Errors
/// A [`ClientError`] of a page (bad URL, signing) ends the read.
pub async fn read_all(
    endpoint: &Endpoint,
    policy: &RetryPolicy,
    operation: Operation,
    first: &Value,
    reading: Reading,
    mut each: impl FnMut(Call) -> Visit,
) -> Result<ReadAll, ClientError> {
    let mut pager = Pager::new(reading.bound);
    let mut request = first.clone();
    let mut repeats = Repeats::default();
    // Pages sent, the last one included: the pager counts only pages whose
    // token it was asked about, not one the reader stopped at.
    let mut sent = 0;
    loop {
        sent += 1;
        let mut text = request.to_string();
        let spaces = reading.pad.unwrap_or(0).saturating_sub(text.len());
        text.extend(std::iter::repeat_n(' ', spaces));
        let body = Bytes::from(text);
        let retried = if reading.parse {
            endpoint.call_with(policy, operation, body).await?
        } else {
            endpoint.call_with_unparsed(policy, operation, body).await?
        };
        repeats.add(retried.repeats);
        let visit = each(retried.call);
        let end = match visit {
            Visit::Stop => End::Stopped,
            Visit::Next(token) => match pager.next_token(token.as_deref()) {
                Next::More(t) => {
                    request["nextToken"] = json!(t);
                    continue;
                }
                Next::Done => End::Complete,
                Next::Empty(v) => End::EmptyToken(v),
                Next::Repeated(v) => End::Repeated(v),
                Next::TooMany(v) => End::TooMany(v),
            },
        };
        return Ok(ReadAll {
            pages: sent,
            repeats,
            end,
        });
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
            Next::Repeated(v) => assert_eq!(v.id, "S2"),
            other => panic!("a repeated token must stop the read, got {other:?}"),
        }
        let mut q = Pager::new(2);
        assert_eq!(q.next(&json!({"nextToken": "a"})), Next::More("a".into()));
        assert!(
            matches!(q.next(&json!({"nextToken": "b"})), Next::TooMany(_)),
            "the page bound stops it"
        );
        match Pager::default().next(&json!({"nextToken": ""})) {
            Next::Empty(v) => assert_eq!(v.id, "W5", "an empty token ends the chain with W5"),
            other => panic!("an empty token must end the read, got {other:?}"),
        }
        assert_eq!(Pager::default().next(&json!({})), Next::Done);
    }
}
