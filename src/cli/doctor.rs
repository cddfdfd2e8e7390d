//! `doctor`'s flags.

use clap::Args;

use super::TargetArgs;
use crate::emulator::Config;
use crate::endpoint::{EmbeddedRuntime, TargetOptions};

/// `appflow-harness doctor`: which target to diagnose.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The target to diagnose and how to reach it.
    #[command(flatten)]
    pub target: TargetArgs,
}

impl DoctorArgs {
    /// The target options to diagnose (an embedded target with defaults).
    pub fn options(&self) -> TargetOptions {
        self.target
            .options(Config::default(), EmbeddedRuntime::Shared)
    }
}
