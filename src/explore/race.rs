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
pub(super) fn race(slot: BoxedStrategy<u8>, free: &[u8], used: u8) -> BoxedStrategy<Move> {
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
