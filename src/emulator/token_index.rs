//! The token store's index: a 64-bit token hash -> the sequence number of the
//! newest use under it.
//!
//! Built for a stream of fresh tokens over millions of live uses, where each
//! lookup is a cache miss: open addressing over 64-byte buckets of eight
//! 8-byte slots, so a lookup and the insert after it touch one cache line
//! (a general-purpose map keeps control bytes and slots apart: two misses).
//! A slot packs 16 bits of the hash with the sequence number. Nothing is
//! deleted: uses expire oldest first, so a slot whose sequence number is
//! below the oldest live one (`base`) is dead; a later insert reuses it, and
//! a rebuild drops the dead ones when the table fills up. A slot whose 16
//! bits match is confirmed with the use's full hash, which the caller gives
//! through `key_of` (the only access outside the bucket).

/// Sequence numbers must stay below 2^48 - 1: 89 years at 100,000 uses/s.
const SEQ_BITS: u32 = 48;
const SEQ_MASK: u64 = (1 << SEQ_BITS) - 1;
const SLOTS: usize = 8;
/// How many uses ahead a rebuild prefetches the bucket of.
const REBUILD_PREFETCH_AHEAD: usize = 16;
/// A table with fewer buckets is never built.
const MIN_BUCKETS: usize = 8;

#[derive(Debug, Clone, Copy, Default)]
#[repr(align(64))]
struct Bucket([u64; SLOTS]);

#[derive(Debug, Default)]
pub(super) struct Index {
    /// A power of two of them, or none before the first insert.
    buckets: Vec<Bucket>,
    /// Slots holding a use, live or dead: once 7/8 of them are, the table is rebuilt.
    filled: usize,
}

fn fingerprint(key: u64) -> u64 {
    key >> SEQ_BITS
}

fn pack(key: u64, seq: u64) -> u64 {
    debug_assert!(seq < SEQ_MASK, "sequence numbers fit in 48 bits");
    (fingerprint(key) << SEQ_BITS) | (seq + 1)
}

/// The sequence number in a filled slot.
fn seq_of(slot: u64) -> u64 {
    (slot & SEQ_MASK) - 1
}

/// Where a probe for a key ended.
struct Probe {
    /// The slot holding the key's live use, if any.
    found: Option<(usize, usize)>,
    /// The first slot free for it (empty or dead) along the probe.
    free: Option<(usize, usize)>,
}

impl Index {
    /// The live use stored under `key`. Uses from `base` on are live;
    /// `key_of(seq)` is the full hash of a live use.
    pub fn get(&self, key: u64, base: u64, key_of: impl Fn(u64) -> u64) -> Option<u64> {
        if self.buckets.is_empty() {
            return None;
        }
        let (b, i) = self.probe(key, base, &key_of).found?;
        Some(seq_of(self.buckets[b].0[i]))
    }

    /// Stores `seq` as the newest use under `key`; answers the use it
    /// replaces. `held()` lists the live uses, oldest first, as (hash,
    /// sequence number): a full table is rebuilt from it.
    pub fn insert<I: ExactSizeIterator<Item = (u64, u64)> + Clone>(
        &mut self,
        key: u64,
        seq: u64,
        base: u64,
        key_of: impl Fn(u64) -> u64,
        held: impl FnOnce() -> I,
    ) -> Option<u64> {
        if (self.filled + 1) * 8 > self.buckets.len() * SLOTS * 7 {
            self.rebuild(held(), &key_of);
        }
        self.put(key, seq, base, &key_of)
    }

    fn put(&mut self, key: u64, seq: u64, base: u64, key_of: &impl Fn(u64) -> u64) -> Option<u64> {
        let probe = self.probe(key, base, key_of);
        if let Some((b, i)) = probe.found {
            let old = seq_of(self.buckets[b].0[i]);
            self.buckets[b].0[i] = pack(key, seq);
            return Some(old);
        }
        // A probe ends at a bucket with an empty slot, so a free slot was seen.
        let (b, i) = probe.free?;
        if self.buckets[b].0[i] == 0 {
            self.filled += 1;
        }
        self.buckets[b].0[i] = pack(key, seq);
        None
    }

    fn probe(&self, key: u64, base: u64, key_of: &impl Fn(u64) -> u64) -> Probe {
        let mask = self.buckets.len() - 1;
        let mut b = (key as usize) & mask;
        let fp = fingerprint(key);
        let mut free = None;
        loop {
            let mut saw_empty = false;
            for (i, &slot) in self.buckets[b].0.iter().enumerate() {
                if slot == 0 {
                    saw_empty = true;
                    free = free.or(Some((b, i)));
                } else if seq_of(slot) < base {
                    free = free.or(Some((b, i)));
                } else if fingerprint(slot) == fp && key_of(seq_of(slot)) == key {
                    return Probe {
                        found: Some((b, i)),
                        free,
                    };
                }
            }
            // Inserts fill the first free slot along the probe, so no use of
            // this key lies past a bucket that still has an empty slot.
            if saw_empty {
                return Probe { found: None, free };
            }
            b = (b + 1) & mask;
        }
    }

    /// A new table, twice the size of `held` (at least), from the held uses
    /// in the order they were made: a sequential read, where walking the old
    /// table would fetch each use's hash from a random place.
    fn rebuild(
        &mut self,
        held: impl ExactSizeIterator<Item = (u64, u64)> + Clone,
        key_of: &impl Fn(u64) -> u64,
    ) {
        let buckets = ((held.len() + 1) * 2)
            .div_ceil(SLOTS)
            .next_power_of_two()
            .max(MIN_BUCKETS);
        self.buckets = vec![Bucket::default(); buckets];
        self.filled = 0;
        // Nothing in the new table is dead; newer uses replace older ones
        // under the same hash.
        // Each insert is a cache miss at a random place; fetching the buckets
        // of the uses a few places ahead lets those misses overlap.
        let mut ahead = held.clone().skip(REBUILD_PREFETCH_AHEAD);
        for (key, seq) in held {
            if let Some((next, _)) = ahead.next() {
                self.prefetch(next);
            }
            self.put(key, seq, 0, key_of);
        }
    }

    /// Starts loading the bucket where a probe for `key` begins, so that
    /// work done before the probe overlaps the cache miss it would be.
    pub fn prefetch(&self, key: u64) {
        let mask = self.buckets.len().wrapping_sub(1);
        if let Some(bucket) = self.buckets.get((key as usize) & mask) {
            prefetch_line(bucket);
        }
    }

    /// Slots holding a live use.
    #[cfg(test)]
    pub fn live_slots(&self, base: u64) -> usize {
        self.buckets
            .iter()
            .flat_map(|b| b.0)
            .filter(|&s| s != 0 && seq_of(s) >= base)
            .count()
    }

    /// Bytes held by the table.
    pub fn bytes(&self) -> usize {
        self.buckets.capacity() * std::mem::size_of::<Bucket>()
    }
}

/// A hint to the CPU to fetch the cache line holding `p`.
#[allow(unsafe_code)]
fn prefetch_line<T>(p: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: a prefetch reads nothing into the program and cannot fault,
        // whatever the address; SSE is part of every x86_64 target, so the
        // target feature the intrinsic asks for is there.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(p).cast()) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Uses numbered from 0 in `keys`; those from `base` on are live.
    struct Uses {
        index: Index,
        keys: Vec<u64>,
        base: u64,
    }

    impl Uses {
        fn new() -> Self {
            Self {
                index: Index::default(),
                keys: Vec::new(),
                base: 0,
            }
        }

        /// Makes the next use, under `key`; answers the use it replaces.
        fn add(&mut self, key: u64) -> Option<u64> {
            let seq = self.keys.len() as u64;
            let (keys, base) = (&self.keys, self.base);
            let key_of = |s: u64| keys[s as usize];
            let held = || {
                let live = &keys[base as usize..];
                (live.iter().enumerate()).map(move |(i, &k)| (k, base + i as u64))
            };
            let old = self.index.insert(key, seq, base, key_of, held);
            self.keys.push(key);
            old
        }

        fn get(&self, key: u64) -> Option<u64> {
            self.index.get(key, self.base, |s| self.keys[s as usize])
        }
    }

    #[test]
    fn same_bucket_and_fingerprint_are_told_apart_by_the_full_hash() {
        // Four keys with equal low bits and equal top 16 bits: one bucket, one fingerprint.
        let mut uses = Uses::new();
        for n in 1..=4 {
            assert_eq!(uses.add(n << 20), None);
        }
        for n in 1..=4 {
            assert_eq!(uses.get(n << 20), Some(n - 1));
        }
        assert_eq!(uses.get(5 << 20), None);
        assert_eq!(uses.add(2 << 20), Some(1), "the newest use replaces");
        assert_eq!(uses.get(2 << 20), Some(4));
    }

    #[test]
    fn full_buckets_overflow_into_the_next_and_dead_slots_are_reused() {
        let mut uses = Uses::new();
        // Twenty keys for bucket 0 of an 8-bucket table: they spill over.
        for n in 0..20 {
            uses.add(n << 11);
        }
        for n in 0..20 {
            assert_eq!(uses.get(n << 11), Some(n), "key {n}");
        }
        let filled = uses.index.filled;
        uses.base = 10;
        assert_eq!(uses.get(3 << 11), None, "expired");
        assert_eq!(uses.index.live_slots(10), 10);
        // Replacing a live key reuses its slot; a new key takes a dead one.
        assert_eq!(uses.add(12 << 11), Some(12));
        assert_eq!(uses.index.filled, filled);
        assert_eq!(uses.add(7 << 11 | 1 << 40), None);
        assert_eq!(uses.index.filled, filled, "a dead slot was reused");
        assert_eq!(uses.get(7 << 11 | 1 << 40), Some(21));
        assert_eq!(uses.get(19 << 11), Some(19));
    }

    #[test]
    fn rebuilding_keeps_every_live_use_and_drops_the_dead() {
        let mut uses = Uses::new();
        let n = 10_000u64;
        let key = |seq: u64| seq.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for seq in 0..n {
            if seq == n / 2 {
                uses.base = n / 4;
            }
            // Every tenth use repeats the hash of the one before it.
            let k = if seq % 10 == 9 {
                key(seq - 1)
            } else {
                key(seq)
            };
            uses.add(k);
        }
        for seq in uses.base..n {
            let want = if seq % 10 == 8 { seq + 1 } else { seq };
            assert_eq!(uses.get(uses.keys[seq as usize]), Some(want), "seq {seq}");
        }
        for seq in 0..uses.base {
            if seq % 10 != 9 {
                assert_eq!(uses.get(key(seq)), None, "seq {seq}");
            }
        }
        let index = &uses.index;
        assert!(index.filled * 8 <= index.buckets.len() * SLOTS * 7);
        assert_eq!(index.live_slots(uses.base), (n - n / 4) as usize * 9 / 10);
    }
}
