//! Comparing two targets (`appflow-harness compare`): the same scenarios
//! played on both, their transcripts diffed step by step and path by path,
//! and every difference classified.

pub mod diff;
