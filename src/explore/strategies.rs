//! The strategies the generator draws a step's parts from: trigger types,
//! near misses, clientTokens, quota limits.

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use super::generate::{Move, TOKENS, TokenArg, Variant};
use crate::appflow::TriggerType;

/// A trigger type, on-demand the most often.
pub(super) fn trigger() -> impl Strategy<Value = TriggerType> {
    prop_oneof![
        3 => Just(TriggerType::OnDemand),
        2 => Just(TriggerType::Scheduled),
        1 => Just(TriggerType::Event),
    ]
}

/// A name or token as it is, mostly, or a near miss of it.
pub(super) fn variant() -> impl Strategy<Value = Variant> {
    prop_oneof![
        12 => Just(Variant::Plain),
        1 => Just(Variant::Upper),
        1 => Just(Variant::Lead),
        1 => Just(Variant::Trail),
        1 => prop_oneof![Just(255u16), Just(256), Just(257)].prop_map(Variant::Len),
    ]
}

fn near_miss() -> impl Strategy<Value = Variant> {
    prop_oneof![
        Just(Variant::Upper),
        Just(Variant::Lead),
        Just(Variant::Trail),
        prop_oneof![Just(255u16), Just(256), Just(257)].prop_map(Variant::Len),
    ]
}

/// A clientToken: none, a fresh one, a replay of one used before, or a
/// near miss of one used before (`used` tokens of the pool are in use).
pub(super) fn token(used: u8, near_misses: bool) -> BoxedStrategy<TokenArg> {
    let fresh = TokenArg::Pool(used.min(TOKENS - 1), Variant::Plain);
    if used == 0 {
        return prop_oneof![1 => Just(TokenArg::None), 4 => Just(fresh)].boxed();
    }
    let near = if near_misses { 2 } else { 0 };
    prop::strategy::Union::new_weighted(
        vec![
            (1, Just(TokenArg::None).boxed()),
            (4, Just(fresh).boxed()),
            (
                4,
                (0..used)
                    .prop_map(|k| TokenArg::Pool(k, Variant::Plain))
                    .boxed(),
            ),
            (
                near,
                (0..used, near_miss())
                    .prop_map(|(k, v)| TokenArg::Pool(k, v))
                    .boxed(),
            ),
        ]
        .into_iter()
        .filter(|(w, _)| *w > 0)
        .collect(),
    )
    .boxed()
}

/// A quota step: mostly small limits that a sequence reaches (0 to 3 flows
/// or runs), now and then room enough (8 flows or runs, 50 concurrent).
pub(super) fn quota() -> BoxedStrategy<Move> {
    let small = prop_oneof![1 => Just(0u8), 4 => 1..4u8, 1 => Just(8u8)];
    (
        small.clone(),
        small,
        prop_oneof![1 => Just(2u8), 4 => Just(50u8)],
    )
        .prop_map(|(flows, runs, concurrent)| Move::Quota {
            flows,
            runs,
            concurrent,
        })
        .boxed()
}
