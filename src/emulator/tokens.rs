//! The StartFlow clientToken memory: which (token, flowName) pairs were used,
//! what they answered, and when they expire.
//!
//! Layout is chosen for memory and for growth: the map is keyed by a 64-bit
//! hash of the token, so growing the table rehashes plain integers instead of
//! chasing a pointer to every token; each use keeps its token to tell the
//! rare colliding tokens apart. The stored answer is rebuilt from the flow
//! name (ARN), a status byte and a 16-byte execution id.

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

/// Most hashes hold one use; `Many` keeps the rare rest (rule 3, collisions).
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

/// The keys are hashes already: pass them through.
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
    map: HashMap<u64, Uses, BuildHasherDefault<Identity>>,
    /// Insertion order is time order because the clock never goes back.
    expiry: VecDeque<(Millis, u64)>,
    held: usize,
}

impl TokenStore {
    /// Forgets every use made `ttl` or longer before `now`.
    pub fn purge(&mut self, now: Millis, ttl: Millis) {
        while let Some(&(at, k)) = self.expiry.front() {
            if at.saturating_add(ttl) > now {
                break;
            }
            self.expiry.pop_front();
            let live = |u: &TokenUse| u.first_used.saturating_add(ttl) > now;
            let remove = match self.map.get_mut(&k) {
                Some(Uses::One(u)) => !live(u),
                Some(Uses::Many(v)) => {
                    let before = v.len();
                    v.retain(live);
                    self.held -= before - v.len();
                    v.is_empty()
                }
                None => false,
            };
            if remove && let Some(Uses::One(_)) = self.map.remove(&k) {
                self.held -= 1;
            }
        }
    }

    /// The live uses of `token`, any flow.
    pub fn uses<'a>(&'a self, token: &'a str) -> impl Iterator<Item = &'a TokenUse> + 'a {
        self.map
            .get(&key(token))
            .map_or(&[][..], Uses::as_slice)
            .iter()
            .filter(move |u| &*u.token == token)
    }

    pub fn remember(&mut self, used: TokenUse) {
        let k = key(&used.token);
        self.held += 1;
        self.expiry.push_back((used.first_used, k));
        match self.map.get_mut(&k) {
            None => {
                self.map.insert(k, Uses::One(used));
            }
            Some(uses) => {
                *uses = match std::mem::replace(uses, Uses::Many(Vec::new())) {
                    Uses::One(first) => Uses::Many(vec![first, used]),
                    Uses::Many(mut v) => {
                        v.push(used);
                        Uses::Many(v)
                    }
                };
            }
        }
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
        s.purge(100, 100);
        assert_eq!(s.uses("t").count(), 1, "the use at 0 expired at 100");
        s.purge(119, 100);
        assert_eq!(s.uses("t").count(), 0);
        assert_eq!(s.uses("u").count(), 1);
        s.purge(120, 100);
        assert_eq!(s.held(), 0);
        assert!(s.map.is_empty() && s.expiry.is_empty());
    }

    #[test]
    fn colliding_hashes_keep_tokens_apart() {
        let mut s = TokenStore::default();
        // Force two tokens under one key, as a hash collision would.
        let k = key("x");
        let mut other = use_of("y", "a", 0);
        other.execution = None;
        s.map
            .insert(k, Uses::Many(vec![use_of("x", "a", 0), other]));
        s.expiry.push_back((0, k));
        assert_eq!(s.uses("x").count(), 1);
        assert_eq!(
            s.uses("x").next().and_then(|u| u.execution),
            Some(Uuid::nil())
        );
    }
}
