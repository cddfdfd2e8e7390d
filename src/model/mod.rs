//! The StartFlow contract of APPFLOW.md as a pure state machine, written
//! from the contract alone (it imports nothing from `emulator`, and the
//! emulator nothing from it): flows by name, runs, tokens, the clock.
//! Given a state and a call it answers the set of answers the contract
//! admits, projected to what the contract decides, each naming its rule
//! ids; [chosen] rules are alternatives kept as a set of behaviour
//! profiles that every answer narrows ([`Worlds`]).

mod call;
mod expect;
mod judge;
mod profile;
mod quota;
mod rules;
mod start;
mod state;

/// How long a run may be missing from DescribeFlowExecutionRecords after
/// the StartFlow that made it (L2: "may appear seconds late"): the bound
/// `explore` polls a lagging read for and its saved files' `eventually:`
/// (one number, so a finding and its file agree). A harness choice where
/// the contract names none.
pub const L2_LAG: std::time::Duration = std::time::Duration::from_secs(10);

/// [`L2_LAG`] against AWS, where records were seen later still.
pub const L2_LAG_AWS: std::time::Duration = std::time::Duration::from_secs(30);

pub use call::{Invocation, ListedFlow, ListedRun, Observed};
pub use expect::{Admission, Exec, Fit, OkBody};
pub use judge::{Admitted, Judgement, MAX_WORLDS, Worlds, permutations};
pub use profile::{Dimension, PROFILES, ProfileId, ProfileSet};
pub use rules::{Branch, branches};
pub use state::{ModelState, Phase, Quotas, TOKEN_TTL_SECS, valid_flow_name, valid_token};

#[cfg(test)]
mod quota_tests;
#[cfg(test)]
mod tests;
