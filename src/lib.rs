//! appflow-harness: contract tests and load tests for the Amazon AppFlow
//! `StartFlow` API, with an embedded emulator.
//!
//! - [`appflow`]: the vocabulary (operations, trigger types, statuses, the
//!   error table), checked against the service model.
//! - [`scenario`]: scenario files, parsed and validated into plans.
//! - [`endpoint`]: what a command talks to (embedded, URL, AWS), resolved once.
//! - [`client`]: sends operations to an endpoint, reads answers as SDKs do.
//! - [`runner`]: plays plans against a target into a [`runner::Summary`].
//! - [`contract`], [`normalise`], [`snapshot`]: judging and recording answers;
//!   [`compare`]: two targets, or a run and its reference, diffed and classified;
//!   [`diff`]: leaf-by-leaf JSON differences; [`transform`]: values that are
//!   not behaviour, stripped before comparing; [`reply`]: one answer as data.
//! - [`fixtures`]: the flows the harness creates for itself; [`names`]: the
//!   names and tokens it gives them.
//! - [`redact`]: secrets out of everything written, at one boundary.
//! - [`report`]: terminal, JSON and JUnit renderings of a summary;
//!   [`safe_text`]: what came from an endpoint, made safe to show.
//! - [`load`]: the goose load test and its verdict.
//! - [`model`]: the contract as a pure state machine with behaviour profiles;
//!   [`explore`]: generated call sequences judged by it, shrunk to scenarios;
//!   [`record`]: an application's own traffic proxied, judged and kept as a scenario.
//! - [`emulator`]: the embedded AppFlow emulator and its test-control API.
//! - [`commands`], [`cli`], [`exit_codes`]: the commands, their command line,
//!   and what the binary's exit status means.

pub mod appflow;
pub mod cli;
pub mod client;
pub mod commands;
pub mod compare;
pub mod contract;
pub mod diff;
pub mod emulator;
pub mod endpoint;
pub mod exit_codes;
pub mod explore;
pub mod fixtures;
#[cfg(feature = "load")]
pub mod load;
pub mod model;
pub mod names;
pub mod normalise;
pub mod record;
pub mod redact;
pub mod reply;
pub mod report;
pub mod runner;
pub mod safe_text;
pub mod scenario;
pub mod snapshot;
pub mod transform;
