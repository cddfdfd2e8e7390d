//! `cleanup`'s flags, parsed into its options.

use std::time::Duration;

use clap::Args;

use super::TargetArgs;
use crate::commands::cleanup::{CleanupOptions, HARNESS_PREFIXES};
use crate::emulator::Config;
use crate::endpoint::EmbeddedRuntime;

/// `appflow-harness cleanup`: which flows to list and whether to delete them.
#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// The target to clean up and how to reach it.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Flow name prefixes to match (default: ah- and ld-, and the
    /// description of the harness's fixture flows).
    #[arg(long)]
    pub prefix: Vec<String>,
    /// Only flows created at least this long ago (30m, 2h).
    #[arg(long, value_parser = crate::scenario::parse_duration)]
    pub older_than: Option<Duration>,
    /// Delete the flows listed.
    #[arg(long)]
    pub yes: bool,
}

impl From<CleanupArgs> for CleanupOptions {
    fn from(a: CleanupArgs) -> Self {
        // With no --prefix, the harness's own: its name prefixes and the
        // fixtures' description.
        let match_description = a.prefix.is_empty();
        let prefixes = if a.prefix.is_empty() {
            HARNESS_PREFIXES.map(str::to_owned).to_vec()
        } else {
            a.prefix
        };
        Self {
            target: a.target.options(Config::default(), EmbeddedRuntime::Shared),
            prefixes,
            match_description,
            older_than: a.older_than,
            yes: a.yes,
        }
    }
}
