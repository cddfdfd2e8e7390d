//! The StartFlow clientToken memory: which (token, flowName) pairs were used,
//! what they answered, and when they expire.
//!
//! Laid out for a stream of fresh tokens, the load that matters: uses live in
//! a queue in the order they were made, which is also the order they expire
//! in, so remembering and purging are appends and pops. Each use is a 56-byte
//! record of integers; its token's bytes go to a byte queue of their own
//! (no allocation per token), and its flow name is interned. The only random
//! access is one probe in the index ([`super::token_index`]) from a 64-bit
//! hash of the token to the newest use under that hash. Uses under the same
//! hash (one token on several flows, or a hash collision) are chained newest
//! to oldest, and each is compared with the token asked for, so colliding
//! tokens are told apart.
//!
//! A flow's tokens end with it (APPFLOW.md T14): [`TokenStore::forget_flow`]
//! retires the flow's interned number, and uses under a retired number are
//! never answered again; they leave with the TTL like any other. A flow
//! re-created under the same name gets a new number, so no use record grows.

use std::collections::VecDeque;
use std::hash::Hasher;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use uuid::Uuid;

use super::fields::{FlowStatus, Millis};
use super::token_index::Index;

/// One successful StartFlow call remembered under its token, as read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenUse<'a> {
    /// The flow the token was used on (T9: uses are kept per token and flow).
    pub flow: &'a str,
    /// When the call was made, in epoch milliseconds; the use ends `token_ttl_ms` later (T4).
    pub first_used: Millis,
    /// The `flowStatus` answered, given again on a replay (T1, T11).
    pub status: FlowStatus,
    /// The `executionId` answered (`None` when the call activated a scheduled/event flow, L3).
    pub execution: Option<Uuid>,
}

/// "No previous use under this hash".
const NONE: u64 = u64::MAX;

#[derive(Debug)]
struct Entry {
    /// The hash of its token.
    key: u64,
    /// Where its token starts in the byte queue, counted from the first byte
    /// ever stored (so purging does not renumber).
    start: u64,
    /// The sequence number of the previous use under the same hash, or NONE.
    prev: u64,
    first_used: Millis,
    /// Nil when the call started no run: v4 ids are never nil.
    execution: Uuid,
    flow: u32,
    len: u16,
    status: FlowStatus,
}

/// The token hash of the held use `seq`, the front of `uses` being use `base`
/// (the index asks only for live ones).
fn key_of(uses: &VecDeque<Entry>, base: u64) -> impl Fn(u64) -> u64 + '_ {
    move |seq| {
        usize::try_from(seq - base)
            .ok()
            .and_then(|i| uses.get(i))
            .map_or(0, |e| e.key)
    }
}

/// A clientToken with its hash, so that a request hashes its token once
/// however often it looks it up; each use keeps the hash.
#[derive(Debug, Clone, Copy)]
pub struct Token<'a> {
    text: &'a str,
    key: u64,
}

impl<'a> From<&'a str> for Token<'a> {
    fn from(text: &'a str) -> Self {
        Self {
            text,
            key: key(text),
        }
    }
}

fn key(token: &str) -> u64 {
    // Fx hashing: an emulator for tests need not resist hash flooding, and
    // collisions are told apart by comparing the tokens.
    let mut h = rustc_hash::FxHasher::default();
    h.write(token.as_bytes());
    h.write_u8(0xff);
    h.finish()
}

/// StartFlow's token store: each successful call (T12) under its (token, flow), in a byte
/// queue in use order, so expiry (T4) purges from the front and a deleted flow's uses end
/// at once (T14). Memory per use is a fixed entry plus the token's bytes.
#[derive(Debug, Default)]
pub struct TokenStore {
    /// hash -> sequence number of the newest use under it.
    index: Index,
    /// Uses oldest first; the front has sequence number `base`.
    /// The clock never goes back, so this is also expiry order.
    uses: VecDeque<Entry>,
    base: u64,
    /// The tokens' bytes, in the uses' order; the front is byte `byte_base`.
    bytes: VecDeque<u8>,
    byte_base: u64,
    /// Flow names by number (`None` once the flow was deleted: T14), and
    /// the numbers of the flows that exist by name.
    flows: Vec<Option<Arc<str>>>,
    flow_ids: FxHashMap<Arc<str>, u32>,
}

impl TokenStore {
    /// Forgets every use made `ttl` or longer before `now`.
    pub fn purge(&mut self, now: Millis, ttl: Millis) {
        while let Some(front) = self.uses.front() {
            if front.first_used.saturating_add(ttl) > now {
                break;
            }
            let len = usize::from(front.len);
            self.bytes.drain(..len);
            self.byte_base += len as u64;
            self.uses.pop_front();
            self.base += 1;
        }
        // Expired slots in the index are dead from now on; with no use
        // left, the whole index goes, and so do the interned flow names.
        if self.uses.is_empty() && self.index.bytes() > 0 {
            self.index = Index::default();
            self.flows.clear();
            self.flow_ids.clear();
        }
    }

    fn get(&self, seq: u64) -> Option<&Entry> {
        let i = seq.checked_sub(self.base)?;
        self.uses.get(usize::try_from(i).ok()?)
    }

    fn token_of(&self, e: &Entry) -> impl Iterator<Item = &u8> {
        let from = (e.start - self.byte_base) as usize;
        self.bytes.range(from..from + usize::from(e.len))
    }

    /// Starts loading what [`Self::uses`] and [`Self::remember`] will read
    /// for `token`, so that work before them overlaps the memory latency.
    pub fn prefetch<'a>(&self, token: impl Into<Token<'a>>) {
        self.index.prefetch(token.into().key);
    }

    /// The live uses of `token`, any flow, newest first.
    pub fn uses<'a>(
        &'a self,
        token: impl Into<Token<'a>>,
    ) -> impl Iterator<Item = TokenUse<'a>> + 'a {
        let Token { text: token, key } = token.into();
        let mut next = self
            .index
            .get(key, self.base, key_of(&self.uses, self.base));
        std::iter::from_fn(move || {
            let e = self.get(next.filter(|&s| s != NONE)?)?;
            next = Some(e.prev);
            Some(e)
        })
        .filter(move |e| usize::from(e.len) == token.len() && self.token_of(e).eq(token.as_bytes()))
        .filter_map(|e| {
            Some(TokenUse {
                flow: self.flows[e.flow as usize].as_deref()?,
                first_used: e.first_used,
                status: e.status,
                execution: (!e.execution.is_nil()).then_some(e.execution),
            })
        })
    }

    /// Ends the tokens used on `flow` (T14: it was deleted): none of its uses
    /// is answered again, even for a flow re-created under the same name.
    /// Costs one map removal; the uses themselves leave with the TTL.
    pub fn forget_flow(&mut self, flow: &str) {
        if let Some(id) = self.flow_ids.remove(flow) {
            self.flows[id as usize] = None;
        }
    }

    /// Remembers that a validated `token` (at most 256 characters) started `flow`.
    pub fn remember<'a>(&mut self, token: impl Into<Token<'a>>, flow: &Arc<str>, used: Answer) {
        let token = token.into();
        let len =
            u16::try_from(token.text.len()).expect("clientTokens are validated to 256 characters");
        let flow = match self.flow_ids.get(flow) {
            Some(&id) => id,
            None => {
                let id = u32::try_from(self.flows.len()).expect("fewer than 2^32 flow names");
                self.flows.push(Some(Arc::clone(flow)));
                self.flow_ids.insert(Arc::clone(flow), id);
                id
            }
        };
        self.insert(token, len, flow, used);
    }

    fn insert(&mut self, token: Token<'_>, len: u16, flow: u32, used: Answer) {
        let k = token.key;
        let seq = self.base + self.uses.len() as u64;
        let prev = self
            .index
            .insert(k, seq, self.base, key_of(&self.uses, self.base), || {
                let base = self.base;
                (self.uses.iter().enumerate()).map(move |(i, e)| (e.key, base + i as u64))
            })
            .unwrap_or(NONE);
        let start = self.byte_base + self.bytes.len() as u64;
        self.bytes.extend(token.text.as_bytes());
        self.uses.push_back(Entry {
            key: k,
            start,
            prev,
            first_used: used.at,
            execution: used.execution.unwrap_or_else(Uuid::nil),
            flow,
            len,
            status: used.status,
        });
    }

    /// (token, flow) pairs held.
    pub fn held(&self) -> usize {
        self.uses.len()
    }

    /// Gives back spare capacity of the queues (after a purge), so memory measurements see
    /// what is held.
    pub fn shrink(&mut self) {
        self.uses.shrink_to_fit();
        self.bytes.shrink_to_fit();
    }
}

/// What a StartFlow call answered, and when: what a replay of its token gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    /// When the call was made, in epoch milliseconds.
    pub at: Millis,
    /// The `flowStatus` answered.
    pub status: FlowStatus,
    /// The `executionId` answered; `None` when no run was started (L3).
    pub execution: Option<Uuid>,
}

#[cfg(test)]
#[path = "tokens_tests.rs"]
mod tests;
