//! Every fresh token, accounted for while the attack runs. Per flow, a book
//! holds only the unsettled window: answers whose run is not listed yet,
//! runs listed recently (to match answers that come after the listing and
//! to skip runs read twice), and the newest run of each recent read (where
//! the next read may stop). Everything settled is only counted, with a
//! bounded sample of witnesses per class, so memory stays flat however
//! long the attack runs.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

pub use super::token::{Final, Id, Record};

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
    }

    /// Tokens that may have made zero or one run (no definite answer, or
    /// no end): the extra runs they can explain.
    pub fn unanswered(&self) -> u64 {
        self.indeterminate + self.issued.saturating_sub(self.completed)
    }
}

/// A listed run, remembered while it may still be read again or named by
/// an answer still to come.
#[derive(Debug, Clone, Copy)]
struct Seen {
    first_ms: u32,
    matched: bool,
}

/// Witnesses kept per class and flow (the counts stay exact).
pub const SAMPLES: usize = 20;

/// One flow's unsettled window and counts.
#[derive(Debug, Default)]
pub struct Book {
    /// Answered runs not listed yet.
    waiting: HashMap<Id, Vec<Record>>,
    /// Runs listed recently.
    seen: HashMap<Id, Seen>,
    /// (read started, newest run listed) of recent reads.
    markers: VecDeque<(u32, Id)>,
    /// The exact counts.
    pub tally: Tally,
    /// Up to [`SAMPLES`] lost tokens (id as answered, record).
    pub lost: Vec<(Id, Record)>,
    /// Up to [`SAMPLES`] runs no answer named.
    pub extra: Vec<Id>,
    /// The records are not listed newest first with `startedAt` (S2 is a
    /// choice): reads stop nowhere early and nothing is forgotten; the flow
    /// is read in full at the end.
    pub unordered: bool,
}

impl Book {
    fn found(&mut self, r: &Record) {
        if r.interrupted {
            self.tally.recovered += 1;
        } else {
            self.tally.exactly_once += 1;
        }
    }

    /// A fresh token's transaction ended with `r`.
    pub fn answer(&mut self, r: Record) {
        let t = &mut self.tally;
        t.completed += 1;
        t.attempts += u64::from(r.attempts);
        t.retries += u64::from(r.attempts.saturating_sub(1));
        match &r.last {
            Final::Started(id) => match self.seen.get_mut(id) {
                Some(seen) => {
                    seen.matched = true;
                    self.found(&r);
                }
                None => self.waiting.entry(id.clone()).or_default().push(r),
            },
            Final::Refused(_) => t.refused += 1,
            Final::Indeterminate => t.indeterminate += 1,
        }
    }

    /// Runs listed by a read that started at `now_ms`; answers how many
    /// were new.
    pub fn listed(&mut self, ids: impl IntoIterator<Item = Id>, now_ms: u32) -> u64 {
        let mut new = 0;
        for id in ids {
            if self.seen.contains_key(&id) {
                continue;
            }
            new += 1;
            self.tally.runs_found += 1;
            let matched = match self.waiting.remove(&id) {
                Some(records) => {
                    for r in &records {
                        self.found(r);
                    }
                    true
                }
                None => false,
            };
            self.seen.insert(
                id,
                Seen {
                    first_ms: now_ms,
                    matched,
                },
            );
        }
        new
    }

    /// Whether a read starting at `now_ms` must go deep: some answer is
    /// older than `settle_ms` and its run was not listed yet (it may have
    /// been listed late, behind runs read before), so the read must reach
    /// back a whole window before the answer can be called lost.
    pub fn deep(&self, now_ms: u32, settle_ms: u32) -> bool {
        self.waiting
            .values()
            .flatten()
            .any(|r| r.at_ms.saturating_add(settle_ms) <= now_ms)
    }

    /// Where a read starting at `now_ms` may stop: at the newest run of the
    /// last read (runs are listed newest first, so what follows was read);
    /// `deep`, at the newest runs of reads at least `window_ms` old (every
    /// run older than those was listed, and read, by then). None while the
    /// flow is unordered.
    pub fn stops(&self, now_ms: u32, window_ms: u32, deep: bool) -> Vec<Id> {
        if self.unordered {
            return Vec::new();
        }
        if !deep {
            return self
                .markers
                .back()
                .map(|(_, id)| id.clone())
                .into_iter()
                .collect();
        }
        self.markers
            .iter()
            .filter(|(at, _)| at.saturating_add(window_ms) <= now_ms)
            .map(|(_, id)| id.clone())
            .collect()
    }

    /// After a complete read that started at `started_ms`, whose newest
    /// run was `newest`: if the read was `deep`, answers older than
    /// `settle_ms` before the read and still not listed are lost; listed
    /// runs no answer named within `orphan_ms` are extra; runs older than
    /// `horizon_ms` are forgotten. `last`: the attack is over and every
    /// answer is in.
    pub fn settle(
        &mut self,
        newest: Option<Id>,
        started_ms: u32,
        w: Windows,
        deep: bool,
        last: bool,
    ) {
        if let Some(id) = newest {
            self.markers.push_back((started_ms, id));
            while self.markers.len() > 16 {
                self.markers.pop_front();
            }
        }
        let lost: Vec<Id> = self
            .waiting
            .iter()
            .filter(|(_, rs)| {
                last || (deep
                    && rs
                        .iter()
                        .all(|r| r.at_ms.saturating_add(w.settle_ms) <= started_ms))
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in lost {
            for r in self.waiting.remove(&id).unwrap_or_default() {
                self.tally.lost += 1;
                if self.lost.len() < SAMPLES {
                    self.lost.push((id.clone(), r));
                }
            }
        }
        if self.unordered && !last {
            return;
        }
        let (tally, extra) = (&mut self.tally, &mut self.extra);
        self.seen.retain(|id, s| {
            if !s.matched && (last || s.first_ms.saturating_add(w.orphan_ms) <= started_ms) {
                tally.extra += 1;
                if extra.len() < SAMPLES {
                    extra.push(id.clone());
                }
                return false;
            }
            !(s.matched && s.first_ms.saturating_add(w.horizon_ms) <= started_ms && !last)
        });
    }

    /// Answers and listed runs still held (the unsettled window).
    pub fn held(&self) -> usize {
        self.waiting.len() + self.seen.len()
    }

    /// Answers whose run is not listed yet.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }
}

/// The time windows of settling, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct Windows {
    /// A run is listed at most this long after its answer (`--settle-ms`).
    pub settle_ms: u32,
    /// A listed run waits this long for the answer that names it.
    pub orphan_ms: u32,
    /// Matched runs are remembered this long (reads overlap by less).
    pub horizon_ms: u32,
    /// A read stops at a run listed at least this long ago.
    pub window_ms: u32,
}

/// The books of one worker's flows.
#[derive(Debug, Default)]
pub struct Ledger {
    books: Vec<Mutex<Book>>,
}

impl Ledger {
    /// A ledger for `flows` flows.
    pub fn new(flows: usize) -> Self {
        Self {
            books: (0..flows.max(1)).map(|_| Mutex::default()).collect(),
        }
    }

    /// Flow `f`'s book, locked (poisoning ignored: the counts stay usable).
    pub fn book(&self, f: usize) -> std::sync::MutexGuard<'_, Book> {
        let i = f.min(self.books.len() - 1);
        self.books[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The number of books (flows).
    pub fn flows(&self) -> usize {
        self.books.len()
    }

    /// A fresh token for flow `f` is about to be sent.
    pub fn issue(&self, f: usize) {
        self.book(f).tally.issued += 1;
    }

    /// Every book's counts, summed.
    pub fn tally(&self) -> Tally {
        let mut t = Tally::default();
        for f in 0..self.flows() {
            t.add(&self.book(f).tally);
        }
        t
    }

    /// Entries held in every book (the unsettled window).
    pub fn held(&self) -> usize {
        (0..self.flows()).map(|f| self.book(f).held()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started(n: u64, id: &str, at_ms: u32) -> Record {
        Record {
            n,
            attempts: 1,
            interrupted: false,
            last: Final::Started(Id::new(id)),
            request_id: None,
            at_ms,
        }
    }

    const W: Windows = Windows {
        settle_ms: 100,
        orphan_ms: 500,
        horizon_ms: 300,
        window_ms: 200,
    };

    #[test]
    fn answers_and_listings_match_in_either_order_and_the_window_empties() {
        let mut b = Book::default();
        b.tally.issued = 3;
        b.answer(started(0, "a", 10));
        b.listed([Id::new("a"), Id::new("b")], 20);
        b.answer(started(1, "b", 30));
        b.answer(started(2, "c", 40));
        b.settle(Some(Id::new("b")), 20, W, true, false);
        assert_eq!(
            b.tally.exactly_once, 2,
            "a listed after, b before its answer"
        );
        assert_eq!(b.tally.lost, 0, "c is not old enough to be lost");
        assert!(
            b.deep(1_000, W.settle_ms),
            "c waits longer than settle: a deep read"
        );
        b.settle(None, 1_000, W, false, false);
        assert_eq!(b.tally.lost, 0, "only a deep read calls a run lost");
        b.settle(None, 1_000, W, true, false);
        assert_eq!(b.tally.lost, 1, "c was never listed: lost");
        assert_eq!(b.held(), 0, "everything settled is forgotten: {b:?}");
        b.listed([Id::new("a")], 1_100);
        assert_eq!(
            b.tally.runs_found, 3,
            "a forgotten run read again counts again"
        );
    }

    #[test]
    fn runs_no_answer_names_are_extra_and_reads_stop_at_old_markers() {
        let mut b = Book::default();
        b.listed([Id::new("x")], 0);
        b.settle(Some(Id::new("x")), 0, W, false, false);
        b.listed([Id::new("y")], 100);
        b.settle(Some(Id::new("y")), 100, W, false, false);
        assert_eq!(
            b.stops(150, W.window_ms, false),
            vec![Id::new("y")],
            "a shallow read stops at the last read's newest"
        );
        assert!(
            b.stops(150, W.window_ms, true).is_empty(),
            "too recent markers for a deep read"
        );
        assert_eq!(b.stops(250, W.window_ms, true), vec![Id::new("x")]);
        b.settle(None, 550, W, false, false);
        assert_eq!(
            (b.tally.extra, b.extra.len()),
            (1, 1),
            "x is extra, y still waits"
        );
    }
}
