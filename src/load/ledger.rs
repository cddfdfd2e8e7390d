//! Every fresh token, accounted for while the attack runs. Per flow, a book
//! holds only the unsettled window: answers whose run is not listed yet,
//! runs listed recently (to match answers that come after the listing and
//! to skip runs read twice), and the newest run of each recent read (where
//! the next read may stop). Everything settled is only counted, with a
//! bounded sample of witnesses per class, so memory stays flat however
//! long the attack runs.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

pub use super::token::{Final, Id, Record, Tally};

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
    /// When (ms into the attack) the flow was found unordered while the
    /// attack ran: its reads stopped there until the end.
    pub unordered_at: Option<u32>,
    /// Flows of the run: token `n`'s place among its flow's tokens is
    /// `n / stride` (tokens go to flows in turn).
    pub stride: u64,
    /// When the last complete read of the flow started.
    last_read_ms: Option<u32>,
    /// The last reads of the flow further apart than the target's token
    /// TTL (the ones an answer still waiting can fall in).
    gaps: VecDeque<Gap>,
    /// Gaps in all, the first and the longest (ms), for the report.
    pub gap_count: u64,
    /// The first gap: where the reads first fell behind.
    pub first_gap: Option<Gap>,
    /// The longest gap, in ms.
    pub longest_gap_ms: u32,
}

/// Two complete reads of a flow further apart than the target's token TTL:
/// what the target's documented retention may have dropped in between was
/// never read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    /// When the read before the gap started (ms into the attack).
    pub from_ms: u32,
    /// When the read after it ended (it reached the runs by then).
    pub to_ms: u32,
    /// Fresh tokens issued on the flow by `to_ms`.
    pub issued: u64,
}

/// Gaps kept per flow to judge by: the last ones. An answer is judged at
/// most a few reads after it came, so an older gap cannot hold it; one it
/// might have fallen in that was forgotten makes it lost (fail closed).
const GAPS: usize = 16;

impl Book {
    fn found(&mut self, r: &Record) {
        if r.new_call {
            self.tally.new_calls_found += 1;
        } else if r.interrupted {
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

    /// A replay older than the target's token TTL answered `r`'s run, not
    /// the token's first: a new call (T4) whose run must be listed once.
    pub fn new_call(&mut self, r: Record) {
        self.tally.new_calls += 1;
        match &r.last {
            Final::Started(id) => match self.seen.get_mut(id) {
                Some(seen) => {
                    seen.matched = true;
                    self.found(&r);
                }
                None => self.waiting.entry(id.clone()).or_default().push(r),
            },
            Final::Refused(_) | Final::Indeterminate => {}
        }
    }

    /// A complete read of the flow, from `started_ms` to `ended_ms`: one
    /// that ended more than `ttl_ms` after the last one started is a gap
    /// (see [`Gap`]): a run made between them may have been older than
    /// the TTL before this read reached it.
    pub fn read(&mut self, started_ms: u32, ended_ms: u32, ttl_ms: u64) {
        if let Some(from) = self.last_read_ms
            && u64::from(ended_ms.saturating_sub(from)) > ttl_ms
        {
            let gap = Gap {
                from_ms: from,
                to_ms: ended_ms,
                issued: self.tally.issued,
            };
            self.gap_count += 1;
            self.first_gap.get_or_insert(gap);
            self.longest_gap_ms = self.longest_gap_ms.max(ended_ms - from);
            if self.gaps.len() == GAPS {
                self.gaps.pop_front();
            }
            self.gaps.push_back(gap);
        }
        self.last_read_ms = Some(started_ms);
    }

    /// Whether the run answered to `r` may have been dropped by the
    /// target's documented retention before its flow was read: a gap that
    /// began before the answer and ended when the run was older than the
    /// token TTL and had at least the kept number of newer runs.
    fn evictable(&self, r: &Record, w: &Windows) -> bool {
        let place = r.n / self.stride.max(1);
        self.gaps.iter().any(|g| {
            g.from_ms <= r.at_ms
                && w.retention.may_drop(
                    u64::from(g.to_ms.saturating_sub(r.at_ms)),
                    g.issued.saturating_sub(place + 1),
                )
        })
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
                if self.evictable(&r, &w) {
                    self.tally.evicted += 1;
                    continue;
                }
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
    /// What the target documents keeping (a run it may have dropped before
    /// its flow was read is evicted, not lost).
    pub retention: super::retention::Retention,
}

/// The books of one worker's flows.
#[derive(Debug, Default)]
pub struct Ledger {
    books: Vec<Mutex<Book>>,
}

impl Ledger {
    /// A ledger for `flows` flows.
    pub fn new(flows: usize) -> Self {
        let book = || {
            Mutex::new(Book {
                stride: flows.max(1) as u64,
                ..Book::default()
            })
        };
        Self {
            books: (0..flows.max(1)).map(|_| book()).collect(),
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
#[path = "ledger_tests.rs"]
mod tests;
