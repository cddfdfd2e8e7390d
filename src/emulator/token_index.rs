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

    /// Stores `seq` as the newest use under `key`; answers the use it replaces.
    pub fn insert(
        &mut self,
        key: u64,
        seq: u64,
        base: u64,
        key_of: impl Fn(u64) -> u64,
    ) -> Option<u64> {
        if (self.filled + 1) * 8 > self.buckets.len() * SLOTS * 7 {
            self.rebuild(base, &key_of);
        }
        let probe = self.probe(key, base, &key_of);
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

    /// Moves the live slots to a table twice their number (at least), empty
    /// of dead ones.
    fn rebuild(&mut self, base: u64, key_of: &impl Fn(u64) -> u64) {
        let kept = || {
            self.buckets
                .iter()
                .flat_map(|b| b.0)
                .filter(|&s| s != 0 && seq_of(s) >= base)
                .map(|s| (key_of(seq_of(s)), seq_of(s)))
        };
        let buckets = ((kept().count() + 1) * 2)
            .div_ceil(SLOTS)
            .next_power_of_two()
            .max(MIN_BUCKETS);
        let mut table = vec![Bucket::default(); buckets];
        let mask = buckets - 1;
        let mut filled = 0;
        for (key, seq) in kept() {
            let mut b = (key as usize) & mask;
            loop {
                if let Some(i) = table[b].0.iter().position(|&s| s == 0) {
                    table[b].0[i] = pack(key, seq);
                    filled += 1;
                    break;
                }
                b = (b + 1) & mask;
            }
        }
        self.buckets = table;
        self.filled = filled;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bucket_and_fingerprint_are_told_apart_by_the_full_hash() {
        // Four keys with equal low bits and equal top 16 bits: one bucket, one fingerprint.
        let keys: Vec<u64> = (1..=4).map(|n| n << 20).collect();
        let mut index = Index::default();
        let key_of = |seq: u64| keys[seq as usize];
        for (seq, &key) in keys.iter().enumerate() {
            assert_eq!(index.insert(key, seq as u64, 0, key_of), None);
        }
        for (seq, &key) in keys.iter().enumerate() {
            assert_eq!(index.get(key, 0, key_of), Some(seq as u64));
        }
        assert_eq!(index.get(5 << 20, 0, key_of), None);
    }

    #[test]
    fn full_buckets_overflow_into_the_next_and_dead_slots_are_reused() {
        let mut index = Index::default();
        // Twenty keys for bucket 0 of an 8-bucket table, and one more later:
        // they spill over.
        let mut keys: Vec<u64> = (0..20).map(|n| n << 11).collect();
        keys.push(7 << 11 | 1 << 40);
        let key_of = |seq: u64| keys[seq as usize];
        for (seq, &key) in keys.iter().enumerate().take(20) {
            index.insert(key, seq as u64, 0, key_of);
        }
        for (seq, &key) in keys.iter().enumerate().take(20) {
            assert_eq!(index.get(key, 0, key_of), Some(seq as u64), "key {seq}");
        }
        let filled = index.filled;
        assert_eq!(index.get(keys[3], 10, key_of), None, "expired");
        assert_eq!(index.live_slots(10), 10);
        // Replacing a live key reuses its slot; a new key takes a dead one.
        assert_eq!(index.insert(keys[12], 12, 10, key_of), Some(12));
        assert_eq!(index.filled, filled);
        assert_eq!(index.insert(keys[20], 20, 10, key_of), None);
        assert_eq!(index.filled, filled, "a dead slot was reused");
        assert_eq!(index.get(keys[20], 10, key_of), Some(20));
        assert_eq!(index.get(keys[19], 10, key_of), Some(19));
    }

    #[test]
    fn rebuilding_keeps_every_live_use_and_drops_the_dead() {
        let mut index = Index::default();
        let n = 10_000u64;
        let key = |seq: u64| seq.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut base = 0;
        for seq in 0..n {
            if seq == n / 2 {
                base = n / 4;
            }
            index.insert(key(seq), seq, base, key);
        }
        for seq in 0..n {
            let want = (seq >= n / 4).then_some(seq);
            assert_eq!(index.get(key(seq), base, key), want, "seq {seq}");
        }
        assert!(index.filled * 8 <= index.buckets.len() * SLOTS * 7);
        assert_eq!(index.live_slots(base), (n - n / 4) as usize);
    }
}
