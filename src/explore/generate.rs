//! The call sequences `explore` plays, generated (and shrunk) by
//! proptest-state-machine from a small reference state: which of a
//! sequence's three flow slots exist, so that creates and re-creates land
//! on free names and the other calls mostly on live flows.

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use proptest_state_machine::ReferenceStateMachine;

pub use super::moves::{LARGE_BODY, Move, SETTLE_PAGE, TokenArg, Variant};
pub use super::race::Write;
use super::strategies::{quota, token, trigger, variant};
use crate::appflow::TriggerType;

/// Flow slots per sequence (each its own name, re-created under it).
pub const SLOTS: u8 = 3;
/// Tokens per sequence (shared by StartFlow and CreateFlow/UpdateFlow: T6).
pub const TOKENS: u8 = 5;

/// What a slot is, as far as the generator knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// Never created, or deleted with forceDelete.
    Free,
    /// Created with this trigger type.
    Live(TriggerType),
    /// Deleted without forceDelete: gone, or kept by a run in progress.
    Unsure(TriggerType),
}

/// The generator's state: the slots, and how many pool tokens are in use.
#[derive(Debug, Clone)]
pub struct Plan {
    /// What each slot is.
    pub slots: [Slot; SLOTS as usize],
    /// The tokens of the calls sent at once.
    pub tokens: u8,
    /// Time passed (a settle or a pause) since the last StartFlow: replays
    /// of earlier tokens are the likelier next step, since they are what
    /// shows a token forgotten over time (T1).
    pub waited: bool,
}

/// The reference state machine of proptest-state-machine.
pub struct Generator;

impl ReferenceStateMachine for Generator {
    type State = Plan;
    type Transition = Move;

    fn init_state() -> BoxedStrategy<Plan> {
        Just(Plan {
            slots: [Slot::Free; SLOTS as usize],
            tokens: 0,
            waited: false,
        })
        .boxed()
    }

    // Long on purpose: the weighted list of every call the generator makes, kept together so the weights read as one table.
    fn transitions(state: &Plan) -> BoxedStrategy<Move> {
        let free: Vec<u8> = (0..SLOTS)
            .filter(|s| !matches!(state.slots[*s as usize], Slot::Live(_)))
            .collect();
        let live: Vec<u8> = (0..SLOTS)
            .filter(|s| matches!(state.slots[*s as usize], Slot::Live(_)))
            .collect();
        // Mostly a live flow; now and then any slot (a flow that is gone).
        let slot = if live.is_empty() {
            (0..SLOTS).boxed()
        } else {
            prop_oneof![6 => prop::sample::select(live.clone()), 1 => 0..SLOTS].boxed()
        };
        let used = state.tokens;
        let mut options: Vec<(u32, BoxedStrategy<Move>)> = vec![
            (
                10,
                (slot.clone(), variant(), token(used, true))
                    .prop_map(|(slot, name, token)| Move::Start { slot, name, token })
                    .boxed(),
            ),
            (2, slot.clone().prop_map(|slot| Move::Stop { slot }).boxed()),
            (
                3,
                (slot.clone(), prop::bool::weighted(0.7))
                    .prop_map(|(slot, force)| Move::Delete { slot, force })
                    .boxed(),
            ),
            (
                2,
                slot.clone()
                    .prop_map(|slot| Move::Describe { slot })
                    .boxed(),
            ),
            (1, (1..4u8).prop_map(|page| Move::List { page }).boxed()),
            (
                3,
                (slot.clone(), 1..4u8)
                    .prop_map(|(slot, page)| Move::Records { slot, page })
                    .boxed(),
            ),
            (
                1,
                (slot.clone(), prop::option::weighted(0.8, 0..4u8))
                    .prop_map(|(slot, run)| Move::Cancel { slot, run })
                    .boxed(),
            ),
            (
                1,
                (slot.clone(), token(used, false), 0..2u8)
                    .prop_map(|(slot, token, variant)| Move::Update {
                        slot,
                        token,
                        variant,
                    })
                    .boxed(),
            ),
            // Half the bursts repeat one token (T5), half use fresh tokens
            // each (or none): a scenario file replays the first kind at
            // once (`concurrent:`), the second one call after another.
            (
                2,
                (
                    slot.clone(),
                    prop_oneof![
                        (token(used, false), 2..4usize).prop_map(|(t, n)| vec![t; n]),
                        (prop::bool::ANY, 2..4u8).prop_map(move |(none, n)| {
                            (0..n)
                                .map(|i| match none {
                                    true => TokenArg::None,
                                    false => {
                                        TokenArg::Pool((used + i).min(TOKENS - 1), Variant::Plain)
                                    }
                                })
                                .collect()
                        }),
                    ],
                )
                    .prop_map(|(slot, tokens)| Move::Burst { slot, tokens })
                    .boxed(),
            ),
            (1, super::race::race(slot.clone(), &free, used)),
            (2, Just(Move::Clock).boxed()),
            (
                2,
                slot.clone().prop_map(|slot| Move::Settle { slot }).boxed(),
            ),
            (1, Just(Move::Pause).boxed()),
            (
                2,
                (slot.clone(), token(used, false), prop::bool::ANY)
                    .prop_map(|(slot, token, after)| Move::Lost { slot, token, after })
                    .boxed(),
            ),
            (
                1,
                (slot.clone(), token(used, false))
                    .prop_map(|(slot, token)| Move::Large { slot, token })
                    .boxed(),
            ),
            (3, quota()),
        ];
        if state.waited && used > 0 {
            options.push((
                12,
                (slot.clone(), 0..used)
                    .prop_map(|(slot, k)| Move::Start {
                        slot,
                        name: Variant::Plain,
                        token: TokenArg::Pool(k, Variant::Plain),
                    })
                    .boxed(),
            ));
        }
        if !free.is_empty() {
            // Mostly creates while nothing exists; re-creates later.
            let weight = if live.is_empty() { 12 } else { 3 };
            options.push((
                weight,
                (
                    prop::sample::select(free),
                    trigger(),
                    token(used, false),
                    0..2u8,
                )
                    .prop_map(|(slot, trigger, token, variant)| Move::Create {
                        slot,
                        trigger,
                        token,
                        variant,
                    })
                    .boxed(),
            ));
        }
        prop::strategy::Union::new_weighted(options).boxed()
    }

    fn apply(mut state: Plan, step: &Move) -> Plan {
        let highest = |t: &TokenArg| match t {
            TokenArg::Pool(k, _) => k + 1,
            TokenArg::None => 0,
        };
        let uses = match step {
            Move::Create { token, .. }
            | Move::Update { token, .. }
            | Move::Start { token, .. }
            | Move::Lost { token, .. }
            | Move::Large { token, .. }
            | Move::Race { token, .. } => highest(token),
            Move::Burst { tokens, .. } => tokens.iter().map(highest).max().unwrap_or(0),
            _ => 0,
        };
        state.tokens = state.tokens.max(uses).min(TOKENS);
        match step {
            Move::Settle { .. } | Move::Pause => state.waited = true,
            Move::Start { .. } | Move::Burst { .. } | Move::Race { .. } => state.waited = false,
            _ => {}
        }
        match step {
            Move::Create { slot, trigger, .. }
            | Move::Race {
                slot,
                with: Write::Create { trigger },
                ..
            } => state.slots[*slot as usize] = Slot::Live(*trigger),
            Move::Delete { slot, force }
            | Move::Race {
                slot,
                with: Write::Delete { force },
                ..
            } => {
                let s = &mut state.slots[*slot as usize];
                *s = match (*s, force) {
                    (_, true) | (Slot::Free, _) => Slot::Free,
                    (Slot::Live(t) | Slot::Unsure(t), false) => Slot::Unsure(t),
                };
            }
            _ => {}
        }
        state
    }

    /// Shrinking keeps a create off a name that is surely live (a second
    /// flow of one name is a case the contract does not decide).
    fn preconditions(state: &Plan, step: &Move) -> bool {
        match step {
            Move::Create { slot, .. }
            | Move::Race {
                slot,
                with: Write::Create { .. },
                ..
            } => !matches!(state.slots[*slot as usize], Slot::Live(_)),
            _ => true,
        }
    }
}

/// The trigger type a slot's flow was last created with in `steps`.
pub fn slot_trigger(steps: &[Move], slot: u8) -> Option<TriggerType> {
    steps.iter().rev().find_map(|s| match s {
        Move::Create {
            slot: s, trigger, ..
        }
        | Move::Race {
            slot: s,
            with: Write::Create { trigger },
            ..
        } if *s == slot => Some(*trigger),
        _ => None,
    })
}
