//! The StartFlow clientToken memory: which (token, flowName) pairs were used,
//! what they answered, and when they expire.
//!
//! Laid out for a stream of fresh tokens, the load that matters: uses live in
//! a queue in the order they were made, which is also the order they expire
//! in, so remembering and purging are appends and pops. The only random
//! access is one probe in a small index from a 64-bit hash of the token to
//! the newest use under that hash (16-byte slots, integers only, so growing
//! it never dereferences a token). Uses under the same hash (one token on
//! several flows, or a hash collision) are chained newest to oldest, and each
//! keeps its token so that colliding tokens are told apart.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use uuid::Uuid;

use super::model::{FlowStatus, Millis};

/// One successful StartFlow call remembered under its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenUse {
    pub token: Box<str>,
    pub flow: Arc<str>,
    pub first_used: Millis,
    pub status: FlowStatus,
    pub execution: Option<Uuid>,
}

#[derive(Debug)]
struct Entry {
    key: u64,
    /// The sequence number of the previous use under the same key.
    prev: Option<u64>,
    used: TokenUse,
}

/// The index's keys are hashes already: pass them through.
#[derive(Debug, Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

fn key(token: &str) -> u64 {
    // Fx hashing: an emulator for tests need not resist hash flooding, and
    // collisions are told apart by the token kept in each use.
    let mut h = rustc_hash::FxHasher::default();
    h.write(token.as_bytes());
    h.write_u8(0xff);
    h.finish()
}

#[derive(Debug, Default)]
pub struct TokenStore {
    /// hash -> sequence number of the newest use under it.
    index: HashMap<u64, u64, BuildHasherDefault<Identity>>,
    /// Uses oldest first; the front has sequence number `base`.
    /// The clock never goes back, so this is also expiry order.
    uses: VecDeque<Entry>,
    base: u64,
}

impl TokenStore {
    /// Forgets every use made `ttl` or longer before `now`.
    pub fn purge(&mut self, now: Millis, ttl: Millis) {
        while let Some(front) = self.uses.front() {
            if front.used.first_used.saturating_add(ttl) > now {
                break;
            }
            let (k, seq) = (front.key, self.base);
            self.uses.pop_front();
            self.base += 1;
            // Still the newest under its hash: nothing under it is live any more.
            if self.index.get(&k) == Some(&seq) {
                self.index.remove(&k);
            }
        }
    }

    fn get(&self, seq: u64) -> Option<&Entry> {
        let i = seq.checked_sub(self.base)?;
        self.uses.get(usize::try_from(i).ok()?)
    }

    /// The live uses of `token`, any flow, newest first.
    pub fn uses<'a>(&'a self, token: &'a str) -> impl Iterator<Item = &'a TokenUse> + 'a {
        let mut next = self.index.get(&key(token)).copied();
        std::iter::from_fn(move || {
            let e = self.get(next?)?;
            next = e.prev;
            Some(e)
        })
        .filter(move |e| &*e.used.token == token)
        .map(|e| &e.used)
    }

    pub fn remember(&mut self, used: TokenUse) {
        let k = key(&used.token);
        let seq = self.base + self.uses.len() as u64;
        let prev = self.index.insert(k, seq);
        self.uses.push_back(Entry { key: k, prev, used });
    }

    /// (token, flow) pairs held.
    pub fn held(&self) -> usize {
        self.uses.len()
    }

    pub fn shrink(&mut self) {
        self.index.shrink_to_fit();
        self.uses.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn use_of(token: &str, flow: &str, at: Millis) -> TokenUse {
        TokenUse {
            token: token.into(),
            flow: Arc::from(flow),
            first_used: at,
            status: FlowStatus::Active,
            execution: Some(Uuid::nil()),
        }
    }

    #[test]
    fn uses_expire_after_the_ttl_and_are_purged() {
        let mut s = TokenStore::default();
        s.remember(use_of("t", "a", 0));
        s.remember(use_of("t", "b", 10));
        s.remember(use_of("u", "a", 20));
        assert_eq!(s.held(), 3);
        assert_eq!(
            s.uses("t").map(|u| &*u.flow).collect::<Vec<_>>(),
            ["b", "a"]
        );
        s.purge(100, 100);
        assert_eq!(s.uses("t").count(), 1, "the use at 0 expired at 100");
        s.purge(119, 100);
        assert_eq!(s.uses("t").count(), 0);
        assert_eq!(s.uses("u").count(), 1);
        s.purge(120, 100);
        assert_eq!(s.held(), 0);
        assert!(s.index.is_empty() && s.uses.is_empty());
    }

    #[test]
    fn colliding_hashes_keep_tokens_apart() {
        let mut s = TokenStore::default();
        s.remember(use_of("x", "a", 0));
        // Force "y" under the key of "x", as a hash collision would.
        let k = key("x");
        let prev = s.index.insert(k, 1);
        let mut y = use_of("y", "a", 0);
        y.execution = None;
        s.uses.push_back(Entry {
            key: k,
            prev,
            used: y,
        });
        // The chain under the key holds y (newest), then x: only x is x's.
        assert_eq!(s.uses("x").count(), 1);
        assert_eq!(
            s.uses("x").next().and_then(|u| u.execution),
            Some(Uuid::nil())
        );
    }
}
