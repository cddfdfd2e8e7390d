//! appflow-harness: contract tests and load tests for the Amazon AppFlow
//! `StartFlow` API, with an embedded emulator.
//!
//! - [`emulator`]: StartFlow and its neighbour operations, faithful to the
//!   contract in APPFLOW.md, with a test-control API.
//! - [`cli`]: the command line (`serve`, ...), kept in the library so tests
//!   can parse and run it in-process.
//! - [`exit_codes`]: what the binary's exit status means.

pub mod check;
pub mod cli;
pub mod client;
pub mod contract;
pub mod emulator;
pub mod exit_codes;
pub mod fixtures;
pub mod load;
pub mod normalise;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod snapshot;
