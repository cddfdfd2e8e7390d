//! The exit statuses of `appflow-harness`, one constant each. The outcome
//! and error types map themselves to one (`Outcome::exit_code`,
//! `CommandError::exit_code`); this file imports nothing.

/// Everything ran and every check passed.
pub const OK: i32 = 0;
/// Checks ran and at least one failed (a scenario, a load verdict or threshold).
pub const FAILURES: i32 = 1;
/// The command line was wrong (clap also exits 2 for its own errors).
pub const USAGE: i32 = 2;
/// A scenario or configuration file could not be read or is invalid.
pub const INVALID_INPUT: i32 = 3;
/// The target endpoint could not be reached or started.
pub const TARGET_UNREACHABLE: i32 = 4;
/// Something inside the harness failed (e.g. a report could not be written).
pub const INTERNAL: i32 = 5;
/// Nothing failed, but not everything was verified: some scenario could not
/// be judged (throttled, unanswered) even after it was replayed. Not a pass.
pub const INCONCLUSIVE: i32 = 6;
/// Nothing failed, but the target refused to create some scenario's
/// fixture flows (a 4xx to CreateFlow): those scenarios never started, and
/// the report says why once, with the `--var` keys that change the fixtures.
pub const SETUP_REFUSED: i32 = 7;
/// Stopped by Ctrl-C or SIGTERM: the flows made were deleted and the reports
/// asked for were written, with the scenarios not played marked (128 + SIGINT).
pub const INTERRUPTED: i32 = 130;
