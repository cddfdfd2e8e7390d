//! Tests of [`super`].

use proptest::prelude::*;

use super::*;

fn answer(at: Millis, execution: Option<Uuid>) -> Answer {
    Answer {
        at,
        status: FlowStatus::Active,
        execution,
    }
}

fn flows_of<'a>(s: &'a TokenStore, token: &'a str) -> Vec<&'a str> {
    s.uses(token).map(|u| u.flow).collect()
}

#[test]
fn uses_expire_after_the_ttl_and_are_purged() {
    let (a, b) = (Arc::from("a"), Arc::from("b"));
    let mut s = TokenStore::default();
    s.remember("t", &a, answer(0, Some(Uuid::new_v4())));
    s.remember("t", &b, answer(10, None));
    s.remember("u", &a, answer(20, None));
    assert_eq!(s.held(), 3);
    assert_eq!(flows_of(&s, "t"), ["b", "a"]);
    assert_eq!(s.uses("t").next().and_then(|u| u.execution), None);
    s.purge(100, 100);
    assert_eq!(flows_of(&s, "t"), ["b"], "the use at 0 expired at 100");
    s.purge(119, 100);
    assert!(flows_of(&s, "t").is_empty());
    assert_eq!(flows_of(&s, "u"), ["a"]);
    s.purge(120, 100);
    assert_eq!(s.held(), 0);
    assert!(s.index.bytes() == 0 && s.uses.is_empty() && s.bytes.is_empty());
    assert!(s.flows.is_empty(), "no interned name outlives its uses");
    s.remember("t", &b, answer(200, None));
    assert_eq!(flows_of(&s, "t"), ["b"]);
}

#[test]
fn colliding_hashes_keep_tokens_apart() {
    let a = Arc::from("a");
    let mut s = TokenStore::default();
    let x_run = Uuid::new_v4();
    s.remember("x", &a, answer(0, Some(x_run)));
    // Store "y" under the hash of "x", as a collision would.
    let y = Token {
        text: "y",
        key: key("x"),
    };
    s.insert(y, 1, 0, answer(0, None));
    assert_eq!(s.uses("x").count(), 1);
    assert_eq!(s.uses("x").next().and_then(|u| u.execution), Some(x_run));
    assert_eq!(
        s.uses("y").count(),
        0,
        "y is not indexed under its own hash"
    );
    s.purge(1, 1);
    assert_eq!(s.held(), 0);
}

#[test]
fn a_deleted_flows_tokens_end_with_it_and_a_new_flow_of_its_name_starts_afresh() {
    let (a, b) = (Arc::from("a"), Arc::from("b"));
    let mut s = TokenStore::default();
    let run = Uuid::new_v4();
    s.remember("t", &a, answer(0, Some(run)));
    s.remember("t", &b, answer(1, None));
    s.forget_flow("a");
    assert_eq!(
        flows_of(&s, "t"),
        ["b"],
        "T14: the use on the deleted a is gone"
    );
    assert_eq!(s.held(), 2, "its record leaves with the TTL, not at once");
    s.forget_flow("nothing-here");
    // a re-created: the old use is not answered, a new one is.
    let fresh = Uuid::new_v4();
    s.remember("t", &a, answer(2, Some(fresh)));
    let on_a: Vec<_> = s.uses("t").filter(|u| u.flow == "a").collect();
    assert_eq!(on_a.len(), 1, "only the new flow's use: {on_a:?}");
    assert_eq!(on_a[0].execution, Some(fresh));
    s.forget_flow("b");
    s.forget_flow("a");
    assert!(flows_of(&s, "t").is_empty());
    s.purge(100, 10);
    assert_eq!(s.held(), 0);
    assert!(s.flows.is_empty() && s.flow_ids.is_empty());
}

#[derive(Debug, Clone)]
enum Step {
    Remember {
        token: String,
        flow: usize,
        after: u64,
    },
    Purge {
        after: u64,
    },
    Delete {
        flow: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => ("[a-c]{1,12}", 0..3usize, 0..40u64)
            .prop_map(|(token, flow, after)| Step::Remember { token, flow, after }),
        1 => (0..80u64).prop_map(|after| Step::Purge { after }),
        1 => (0..3usize).prop_map(|flow| Step::Delete { flow }),
    ]
}

proptest! {
    /// Against a plain list of uses: the same uses, newest first, after
    /// any mix of remembering, purging and deleting flows (the byte
    /// queue wraps often; a deleted flow's uses are held but never answered).
    #[test]
    fn agrees_with_a_list_of_uses(steps in prop::collection::vec(step(), 1..200)) {
        const TTL: u64 = 100;
        let flows: Vec<Arc<str>> = ["f0", "f1", "f2"].map(Arc::from).to_vec();
        let mut store = TokenStore::default();
        // (token, flow, first used, run, flow deleted since)
        let mut model: Vec<(String, usize, u64, Uuid, bool)> = Vec::new();
        let mut now = 0;
        for step in steps {
            match step {
                Step::Remember { token, flow, after } => {
                    now += after;
                    store.purge(now, TTL);
                    let run = Uuid::new_v4();
                    store.remember(token.as_str(), &flows[flow], answer(now, Some(run)));
                    model.push((token, flow, now, run, false));
                }
                Step::Purge { after } => {
                    now += after;
                    store.purge(now, TTL);
                }
                Step::Delete { flow } => {
                    store.forget_flow(&flows[flow]);
                    model.iter_mut().filter(|m| m.1 == flow).for_each(|m| m.4 = true);
                }
            }
            model.retain(|&(_, _, at, _, _)| at + TTL > now);
            prop_assert_eq!(store.held(), model.len());
            for token in model.iter().map(|m| m.0.clone()).chain(["zz".to_owned()]) {
                let got: Vec<(&str, Millis, Option<Uuid>)> = store
                    .uses(token.as_str())
                    .map(|u| (u.flow, u.first_used, u.execution))
                    .collect();
                let want: Vec<(&str, Millis, Option<Uuid>)> = model
                    .iter()
                    .rev()
                    .filter(|m| m.0 == token && !m.4)
                    .map(|m| (&*flows[m.1], m.2, Some(m.3)))
                    .collect();
                prop_assert_eq!(got, want);
            }
        }
        store.purge(now + TTL, TTL);
        prop_assert!(store.index.bytes() == 0 && store.bytes.is_empty());
    }
}
