//! A race of two writes on one flow ([`Move::Race`]): the write sent
//! beside a StartFlow, and how the generator draws it.

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use serde::Serialize;

use super::generate::Move;
use super::strategies::{token, trigger};
use crate::appflow::TriggerType;

/// The write a [`Move::Race`] sends beside its StartFlow, without a
/// clientToken (a write's token would make a replay of it, not a race).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Write {
    /// A second CreateFlow of the slot's name, of this trigger type (the
    /// race is then two CreateFlows: exactly one makes the flow).
    Create {
        /// The trigger type both CreateFlows send.
        trigger: TriggerType,
    },
    /// UpdateFlow of the slot's flow to another input (variant 1).
    Update,
    /// DeleteFlow, with `forceDelete` or not.
    Delete {
        /// `forceDelete`.
        force: bool,
    },
    /// StopFlow (racing an activation on a scheduled or event flow).
    Stop,
}

/// A race: on `slot` (mostly a live flow), a StartFlow beside an
/// UpdateFlow, a DeleteFlow or a StopFlow; on a free slot now and then
/// two CreateFlows of its name instead. `used` pool tokens are in use.
/// Shrinks first to the race's one call alone ([`AloneFirst`]).
pub(super) fn race(slot: BoxedStrategy<u8>, free: &[u8], used: u8) -> BoxedStrategy<Move> {
    AloneFirst(drawn(slot, free, used)).boxed()
}

fn drawn(slot: BoxedStrategy<u8>, free: &[u8], used: u8) -> BoxedStrategy<Move> {
    let write = prop_oneof![
        Just(Write::Update),
        prop::bool::ANY.prop_map(|force| Write::Delete { force }),
        Just(Write::Stop),
    ];
    let beside_start = (slot, write, token(used, false))
        .prop_map(|(slot, with, token)| Move::Race { slot, with, token });
    if free.is_empty() {
        return beside_start.boxed();
    }
    let creates = (
        prop::sample::select(free.to_vec()),
        trigger(),
        token(used, false),
    )
        .prop_map(|(slot, trigger, token)| Move::Race {
            slot,
            with: Write::Create { trigger },
            token,
        });
    prop_oneof![3 => beside_start, 1 => creates].boxed()
}

/// [`race`]'s draws, which shrink first to the race's one call alone (a
/// StartFlow with the race's token; for a race of creates, one CreateFlow
/// of the name): a finding that holds without the race then saves calls
/// one after another, which replay alike whichever write a target orders
/// first, instead of a file guarded on the order explore happened to see.
#[derive(Debug)]
pub(super) struct AloneFirst<S>(pub(super) S);

/// The race's one call alone, as its own move (see [`AloneFirst`]).
pub(super) fn alone(race: &Move) -> Option<Move> {
    match *race {
        Move::Race {
            slot,
            with: Write::Create { trigger },
            ..
        } => Some(Move::Create {
            slot,
            trigger,
            token: super::generate::TokenArg::None,
            variant: 0,
        }),
        Move::Race { slot, token, .. } => Some(Move::Start {
            slot,
            name: super::moves::Variant::Plain,
            token,
        }),
        _ => None,
    }
}

impl<S: Strategy<Value = Move>> Strategy for AloneFirst<S> {
    type Tree = AloneFirstTree<S::Tree>;
    type Value = Move;

    fn new_tree(
        &self,
        runner: &mut prop::test_runner::TestRunner,
    ) -> prop::strategy::NewTree<Self> {
        Ok(AloneFirstTree {
            inner: self.0.new_tree(runner)?,
            phase: Phase::Drawn,
        })
    }
}

/// Where an [`AloneFirst`] draw stands in its shrinking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// As drawn: not shrunk yet.
    Drawn,
    /// Shrunk to the call alone (no further shrink from here).
    Alone,
    /// The call alone did not keep the finding: the race shrinks as drawn.
    Inner,
}

/// The value tree of an [`AloneFirst`] draw.
#[derive(Debug)]
pub(super) struct AloneFirstTree<T> {
    inner: T,
    phase: Phase,
}

impl<T: prop::strategy::ValueTree<Value = Move>> prop::strategy::ValueTree for AloneFirstTree<T> {
    type Value = Move;

    fn current(&self) -> Move {
        let drawn = self.inner.current();
        match self.phase {
            Phase::Alone => alone(&drawn).unwrap_or(drawn),
            Phase::Drawn | Phase::Inner => drawn,
        }
    }

    fn simplify(&mut self) -> bool {
        match self.phase {
            Phase::Drawn if alone(&self.inner.current()).is_some() => {
                self.phase = Phase::Alone;
                true
            }
            Phase::Drawn | Phase::Inner => {
                self.phase = Phase::Inner;
                self.inner.simplify()
            }
            Phase::Alone => false,
        }
    }

    fn complicate(&mut self) -> bool {
        match self.phase {
            Phase::Alone => {
                self.phase = Phase::Inner;
                true
            }
            Phase::Inner => self.inner.complicate(),
            Phase::Drawn => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    use super::*;
    use crate::explore::{TokenArg, Variant};

    #[test]
    fn a_race_shrinks_first_to_its_start_alone_and_back_when_that_loses_the_finding() {
        let race = Move::Race {
            slot: 1,
            with: Write::Delete { force: false },
            token: TokenArg::Pool(2, Variant::Plain),
        };
        let mut tree = AloneFirst(Just(race.clone()))
            .new_tree(&mut TestRunner::deterministic())
            .expect("tree");
        assert_eq!(tree.current(), race, "drawn as a race");
        assert!(tree.simplify(), "the first shrink is the start alone");
        assert_eq!(
            tree.current(),
            Move::Start {
                slot: 1,
                name: Variant::Plain,
                token: TokenArg::Pool(2, Variant::Plain)
            },
            "the start alone keeps the race's slot and token"
        );
        assert!(tree.complicate(), "the start alone lost the finding: back");
        assert_eq!(tree.current(), race, "back to the race as drawn");
        assert!(
            !tree.simplify(),
            "then the race shrinks as drawn (Just: no further)"
        );
    }

    #[test]
    fn a_race_of_creates_shrinks_to_one_create_without_a_token() {
        let race = Move::Race {
            slot: 0,
            with: Write::Create {
                trigger: TriggerType::Scheduled,
            },
            token: TokenArg::Pool(0, Variant::Plain),
        };
        let mut tree = AloneFirst(Just(race))
            .new_tree(&mut TestRunner::deterministic())
            .expect("tree");
        assert!(tree.simplify());
        assert_eq!(
            tree.current(),
            Move::Create {
                slot: 0,
                trigger: TriggerType::Scheduled,
                token: TokenArg::None,
                variant: 0
            },
            "neither create of a race sends a token, so the one alone sends none"
        );
        assert!(!tree.simplify(), "the create alone shrinks no further");
    }
}
