//! `load` in a build without the `load` feature (`--no-default-features`):
//! it takes any words and answers, with the usage exit code, how to build
//! the real one (goose is not compiled in).

use clap::Args;

use crate::commands::{CommandError, Console, Outcome};
use crate::endpoint::Environment;

/// `appflow-harness load` without the `load` feature: its words are kept
/// only to be refused as a whole.
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct LoadArgs {
    /// `load`'s flags, not read in this build.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub words: Vec<String>,
}

/// The message of a `load` in a build without the `load` feature.
pub const NO_LOAD: &str = "this build has no `load` (it was built with --no-default-features): build with the default features, e.g. `cargo run -- load ...`";

/// Refuses `load` with [`NO_LOAD`] (a usage error, exit 2).
pub(super) async fn run(
    _args: LoadArgs,
    _env: &Environment,
    _console: &mut Console<'_>,
) -> Result<Outcome, CommandError> {
    Err(CommandError::Usage(NO_LOAD.to_owned()))
}
