//! The steps `explore` generates ([`Move`]), with the near misses and
//! tokens they are made of: calls on flow slots and pool tokens, made
//! concrete (names, tokens) when played.

use serde::Serialize;

use super::race::Write;
use crate::appflow::TriggerType;

/// A near miss of a name or a token: another value that looks alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Variant {
    /// The value itself.
    Plain,
    /// Letter case flipped: another (valid) value.
    Upper,
    /// A leading space.
    Lead,
    /// A trailing space.
    Trail,
    /// Padded to this many characters (255 and 256 are valid, 257 not).
    Len(u16),
}

/// The clientToken of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum TokenArg {
    /// No clientToken (T7).
    None,
    /// Token `k` of the sequence's pool, or a near miss of it.
    Pool(u8, Variant),
}

/// One generated step: calls on slots and pool tokens, made concrete
/// (names, tokens) when played.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Move {
    /// CreateFlow of the fixture body.
    Create {
        /// The flow slot (0..SLOTS) the step is about.
        slot: u8,
        /// The trigger type.
        trigger: TriggerType,
        /// The clientToken, if any.
        token: TokenArg,
        /// Which input (two calls with the same variant and name send the same).
        variant: u8,
    },
    /// UpdateFlow of the slot's flow (its own trigger type).
    Update {
        /// The flow slot (0..SLOTS) the step is about.
        slot: u8,
        /// The clientToken, if any.
        token: TokenArg,
        /// Which input (two calls with the same variant and name send the same).
        variant: u8,
    },
    /// StartFlow, maybe on a near miss of the name.
    Start {
        /// The flow slot (0..SLOTS) the step is about.
        slot: u8,
        /// The flow name, as sent.
        name: Variant,
        /// The clientToken, if any.
        token: TokenArg,
    },
    /// StopFlow.
    Stop {
        /// The flow slot (0..SLOTS) the step is about.
        slot: u8,
    },
    /// DeleteFlow.
    Delete {
        /// The flow slot (0..SLOTS) the step is about.
        slot: u8,
        /// `forceDelete`.
        force: bool,
    },
    /// DescribeFlow.
    Describe {
        /// The flow slot (0..SLOTS) the step is about.
        slot: u8,
    },
    /// ListFlows through every page.
    List {
        /// `maxResults` of each page read.
        page: u8,
    },
    /// DescribeFlowExecutionRecords through every page.
    Records {
        /// The flow slot (0..SLOTS) the step is about.
        slot: u8,
        /// `maxResults` of each page read.
        page: u8,
    },
    /// Cancel run `run` (modulo the runs seen so far), or an id no run has.
    Cancel {
        /// The flow slot (0..SLOTS) the step is about.
        slot: u8,
        /// The run, by the order runs were answered (modulo their number).
        run: Option<u8>,
    },
    /// StartFlow calls sent at once on one flow.
    Burst {
        /// The flow slot (0..SLOTS) the step is about.
        slot: u8,
        /// The tokens of the calls sent at once.
        tokens: Vec<TokenArg>,
    },
    /// A StartFlow on the slot's flow sent at the same moment as another
    /// write on it (`with`); for [`Write::Create`], two CreateFlows of the
    /// slot's name at once instead, neither with a token (whichever wins,
    /// the account ends the same).
    Race {
        /// The flow slot (0..SLOTS) the step is about.
        slot: u8,
        /// The write sent beside the StartFlow.
        with: Write,
        /// The clientToken of the StartFlow (drawn, and unused, for a race
        /// of creates, so the generator draws as it did).
        token: TokenArg,
    },
    /// The target's clock moves 8 hours (skipped without the test-control API).
    Clock,
    /// Waits until the runs of the slot's flow end: with the test-control
    /// API they are ended at once (`/_harness/finish-runs`); either way its
    /// records are read (pages of [`SETTLE_PAGE`]) until none is in
    /// progress or the player's settle bound passes (L2, S3). A replay
    /// after it meets a token whose run has ended (T1).
    Settle {
        /// The flow slot (0..SLOTS) the step is about.
        slot: u8,
    },
    /// Real time passes: the player's pause (tens of seconds by default),
    /// skipped when less of the time budget is left; a token forgotten
    /// early shows on the next replay (T1, T4).
    Pause,
    /// StartFlow whose answer the target drops (a test-control `drop`
    /// fault, with the run started or not: `after`); skipped without it.
    Lost {
        /// The flow slot (0..SLOTS) the step is about.
        slot: u8,
        /// The clientToken, if any.
        token: TokenArg,
        /// The run starts before the answer is dropped (else it never arrives).
        after: bool,
    },
    /// StartFlow padded with spaces to [`LARGE_BODY`] bytes (W6).
    Large {
        /// The flow slot (0..SLOTS) the step is about.
        slot: u8,
        /// The clientToken, if any.
        token: TokenArg,
    },
    /// The account's quotas set as the room left from now (Q1-Q3; skipped
    /// without the test-control API).
    Quota {
        /// Q1: flows the sequence may add.
        flows: u8,
        /// Q2: runs this month.
        runs: u8,
        /// Q3: runs that may start before it can bite.
        concurrent: u8,
    },
}

impl Move {
    /// Whether the step sends calls at once ([`Move::Burst`],
    /// [`Move::Race`]), whose answers may come in another order each play.
    pub fn is_at_once(&self) -> bool {
        matches!(self, Move::Burst { .. } | Move::Race { .. })
    }
}

/// The size a [`Move::Large`] body is padded to, in bytes: over 1 MiB, what
/// emulators commonly accept, and under API Gateway's 10 MB.
pub const LARGE_BODY: usize = 1_100_000;

/// `maxResults` of the reads of a [`Move::Settle`]: the most a page may hold.
pub const SETTLE_PAGE: u8 = 100;
