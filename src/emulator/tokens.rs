//! The StartFlow clientToken memory: which (token, flowName) pairs were used,
//! what they answered, and when they expire.
//!
//! Layout is chosen for memory: a live token costs one map slot, one shared
//! `Arc<str>` key and one expiry-queue entry; the stored response is rebuilt
//! from the flow name (ARN), a status byte and a 16-byte execution id.

use std::collections::VecDeque;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use uuid::Uuid;

use super::model::{FlowStatus, Millis};

/// One successful StartFlow call remembered under its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenUse {
    pub flow: Arc<str>,
    pub first_used: Millis,
    pub status: FlowStatus,
    pub execution: Option<Uuid>,
}

/// Most tokens are used with one flow; `Many` keeps the rare rest (rule 3).
#[derive(Debug)]
enum Uses {
    One(TokenUse),
    Many(Vec<TokenUse>),
}

impl Uses {
    fn as_slice(&self) -> &[TokenUse] {
        match self {
            Uses::One(u) => std::slice::from_ref(u),
            Uses::Many(v) => v,
        }
    }
}

#[derive(Debug, Default)]
pub struct TokenStore {
    // Fx hashing: StartFlow hashes a token once or twice per call, and SipHash
    // showed in profiles; an emulator for tests need not resist hash flooding.
    map: FxHashMap<Arc<str>, Uses>,
    /// Insertion order is time order because the clock never goes back.
    expiry: VecDeque<(Millis, Arc<str>)>,
    held: usize,
}

impl TokenStore {
    /// Forgets every use made `ttl` or longer before `now`.
    pub fn purge(&mut self, now: Millis, ttl: Millis) {
        while let Some((at, _)) = self.expiry.front() {
            if at.saturating_add(ttl) > now {
                break;
            }
            let Some((_, token)) = self.expiry.pop_front() else {
                break;
            };
            let live = |u: &TokenUse| u.first_used.saturating_add(ttl) > now;
            let remove = match self.map.get_mut(&token) {
                Some(Uses::One(u)) => !live(u),
                Some(Uses::Many(v)) => {
                    let before = v.len();
                    v.retain(live);
                    self.held -= before - v.len();
                    v.is_empty()
                }
                None => false,
            };
            if remove && let Some(Uses::One(_)) = self.map.remove(&token) {
                self.held -= 1;
            }
        }
    }

    /// The live uses of `token`, any flow.
    pub fn uses(&self, token: &str) -> &[TokenUse] {
        self.map.get(token).map_or(&[], Uses::as_slice)
    }

    pub fn remember(&mut self, token: &str, used: TokenUse) {
        let at = used.first_used;
        self.held += 1;
        // The common case, a token never seen: one allocation, one insert.
        let Some((key, _)) = self.map.get_key_value(token) else {
            let key: Arc<str> = Arc::from(token);
            self.map.insert(Arc::clone(&key), Uses::One(used));
            self.expiry.push_back((at, key));
            return;
        };
        let key = Arc::clone(key);
        if let Some(uses) = self.map.get_mut(token) {
            *uses = match std::mem::replace(uses, Uses::Many(Vec::new())) {
                Uses::One(first) => Uses::Many(vec![first, used]),
                Uses::Many(mut v) => {
                    v.push(used);
                    Uses::Many(v)
                }
            };
        }
        self.expiry.push_back((at, key));
    }

    /// (token, flow) pairs held.
    pub fn held(&self) -> usize {
        self.held
    }

    pub fn clear(&mut self) {
        *self = Self::default();
    }

    pub fn shrink(&mut self) {
        self.map.shrink_to_fit();
        self.expiry.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn use_on(flow: &str, at: Millis) -> TokenUse {
        TokenUse {
            flow: Arc::from(flow),
            first_used: at,
            status: FlowStatus::Active,
            execution: Some(Uuid::nil()),
        }
    }

    #[test]
    fn uses_expire_after_the_ttl_and_are_purged() {
        let mut s = TokenStore::default();
        s.remember("t", use_on("a", 0));
        s.remember("t", use_on("b", 10));
        s.remember("u", use_on("a", 20));
        assert_eq!(s.held(), 3);
        s.purge(100, 100);
        assert_eq!(s.uses("t").len(), 1, "the use at 0 expired at 100");
        s.purge(119, 100);
        assert!(s.uses("t").is_empty());
        assert_eq!(s.uses("u").len(), 1);
        s.purge(120, 100);
        assert_eq!(s.held(), 0);
        assert!(s.map.is_empty() && s.expiry.is_empty());
    }
}
