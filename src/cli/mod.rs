//! The command line: clap structs (one file per command's flags, and the
//! connection and emulator flags every command that talks to a target
//! shares), their conversion into each command's plain options, and the
//! dispatch. Flag values are parsed into typed values here, at the edge;
//! no command's work happens here.

mod check;
mod cleanup;
mod compare;
mod connection;
mod doctor;
mod explore;
#[cfg(feature = "load")]
mod load;
// Without the `load` feature: a `load` that takes any words and says how to
// get the real one.
#[cfg(not(feature = "load"))]
#[path = "load_absent.rs"]
mod load;
mod record;
mod serve;
pub mod values;

use clap::{Parser, Subcommand};

pub use crate::emulator::flags::EmulatorArgs;
pub use check::CheckArgs;
pub use cleanup::CleanupArgs;
pub use compare::CompareArgs;
pub use connection::{ConnectionArgs, TargetArgs};
pub use doctor::DoctorArgs;
pub use explore::ExploreArgs;
pub use load::LoadArgs;
#[cfg(feature = "load")]
pub use load::{LoadAction, LoadOutputs, MergeArgs};
pub use record::RecordArgs;
pub use serve::ServeArgs;

use crate::commands::{self, CommandError, Console, Outcome};
use crate::endpoint::Environment;
use crate::redact::RedactingWriter;

/// The parsed command line of `appflow-harness`.
#[derive(Debug, Parser)]
#[command(
    name = "appflow-harness",
    version,
    about = "Contract tests and load tests for the Amazon AppFlow StartFlow API"
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands of `appflow-harness`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the embedded AppFlow emulator until Ctrl-C.
    Serve(ServeArgs),
    /// Play scenario files against a target and check every answer against
    /// expectations, the contract and the stored snapshots.
    Check(CheckArgs),
    /// Play the scenarios on a baseline and a target, diff their answers and
    /// classify every difference (violation, gap, known, not compared).
    Compare(CompareArgs),
    /// What a target resolves to (endpoint, region, credentials' source,
    /// abilities), one read, one fixture flow created and deleted, and what
    /// to fix when any of it fails.
    Doctor(DoctorArgs),
    /// List the flows harness runs left behind (killed runs), and delete
    /// them with --yes (scheduled and event flows are stopped first).
    Cleanup(CleanupArgs),
    /// A goose load test of StartFlow that also verifies that nothing was
    /// lost or duplicated: every fresh token one run, every replay the first run.
    #[cfg_attr(
        not(feature = "load"),
        command(
            about = "The goose load test: not in this build (built without the `load` feature)"
        )
    )]
    Load(LoadArgs),
    /// Generated call sequences judged by the contract's model; a failing
    /// one is shrunk and saved as a scenario file; the target's fingerprint.
    Explore(ExploreArgs),
    /// A proxy an application points its AppFlow endpoint at: each call
    /// forwarded to the target (re-signed), judged against the contract,
    /// and the traffic kept as a scenario file that replays anywhere.
    Record(RecordArgs),
}

/// Runs a parsed command line with the process's environment, writing to
/// stdout and stderr.
pub async fn run(cli: Cli) -> Result<Outcome, CommandError> {
    let (mut out, mut log) = (std::io::stdout(), std::io::stderr());
    let mut console = Console {
        out: &mut out,
        log: &mut log,
    };
    let env = Environment::from_process();
    tokio::select! {
        result = run_with(cli, &env, &mut console) => result,
        // A second Ctrl-C / SIGTERM: stop now, without waiting for clean-up.
        () = commands::forced_stop() => Ok(Outcome::Interrupted),
    }
}

/// Runs a parsed command line with a given environment and console.
pub async fn run_with(
    cli: Cli,
    env: &Environment,
    console: &mut Console<'_>,
) -> Result<Outcome, CommandError> {
    // Everything a command prints goes through the one redaction function.
    let redactor = std::sync::Arc::new(env.redactor());
    let mut out = RedactingWriter::new(&mut *console.out, redactor.clone());
    let mut log = RedactingWriter::new(&mut *console.log, redactor);
    let console = &mut Console {
        out: &mut out,
        log: &mut log,
    };
    match cli.command {
        Command::Serve(args) => commands::serve::run(args.into(), console).await,
        Command::Check(args) => {
            args.target
                .refuse_emulator_flags(&args.emulator)
                .map_err(CommandError::Usage)?;
            commands::check::run(args.into(), env, console).await
        }
        Command::Compare(args) => commands::compare::run(args.into(), env, console).await,
        Command::Doctor(a) => commands::doctor::run(a.options(), env, console).await,
        Command::Cleanup(a) => commands::cleanup::run(a.into(), env, console).await,
        Command::Load(args) => load::run(args, env, console).await,
        Command::Explore(args) => {
            args.target
                .refuse_emulator_flags(&args.emulator)
                .map_err(CommandError::Usage)?;
            commands::explore::run(args.into(), env, console).await
        }
        Command::Record(args) => {
            args.target
                .refuse_emulator_flags(&args.emulator)
                .map_err(CommandError::Usage)?;
            commands::record::run(args.into(), env, console).await
        }
    }
}
