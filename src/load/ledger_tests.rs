//! The ledger's unit tests.

use super::*;

fn started(n: u64, id: &str, at_ms: u32) -> Record {
    Record {
        n,
        attempts: 1,
        interrupted: false,
        last: Final::Started(Id::new(id)),
        request_id: None,
        at_ms,
        new_call: false,
    }
}

const W: Windows = Windows {
    settle_ms: 100,
    orphan_ms: 500,
    horizon_ms: 300,
    window_ms: 200,
    retention: crate::load::retention::Retention {
        token_ttl_ms: 1_000,
        runs_per_flow: Some(2),
        documented: true,
    },
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

#[test]
fn a_run_not_read_before_the_documented_retention_dropped_it_is_evicted_not_lost() {
    let mut b = Book {
        stride: 1,
        ..Book::default()
    };
    b.read(0, 0, W.retention.token_ttl_ms);
    b.tally.issued = 5;
    b.answer(started(0, "old", 10));
    b.answer(started(4, "newest", 20));
    // The next read comes 2 s later: more than the 1 s TTL, and token 0
    // had 4 newer runs (the target keeps 2): it may have been dropped;
    // token 4 is the newest, which the target keeps: lost.
    b.read(2_000, 2_000, W.retention.token_ttl_ms);
    assert_eq!(b.gap_count, 1, "the gap is recorded: {b:?}");
    b.settle(None, 2_000, W, true, true);
    assert_eq!(
        (b.tally.evicted, b.tally.lost),
        (1, 1),
        "evicted by the documented retention vs still held: {b:?}"
    );
    let mut undocumented = W;
    undocumented.retention = crate::load::retention::Retention::default();
    let mut c = Book::default();
    c.read(0, 0, undocumented.retention.token_ttl_ms);
    c.answer(started(0, "x", 10));
    c.read(u32::MAX, u32::MAX, undocumented.retention.token_ttl_ms);
    c.settle(None, u32::MAX, undocumented, true, true);
    assert_eq!(c.tally.lost, 1, "no documented retention: lost");
}
