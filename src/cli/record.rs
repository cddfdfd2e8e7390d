//! `record`'s flags, parsed into its options.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{EmulatorArgs, TargetArgs};
use crate::commands::record::RecordOptions;
use crate::endpoint::EmbeddedRuntime;

/// `appflow-harness record`: a proxy an application points its AppFlow
/// endpoint at; its traffic judged as it passes and kept as a scenario.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Where the proxy listens (`127.0.0.1:PORT`); the application's
    /// endpoint (`AWS_ENDPOINT_URL_APPFLOW=http://127.0.0.1:PORT`).
    #[arg(long)]
    pub listen: SocketAddr,
    /// Which target the calls go to, and how.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Write the scenario file here (default: print it on stdout).
    #[arg(long)]
    pub save: Option<PathBuf>,
    /// Stop after this many calls were recorded (1 or more).
    #[arg(long, value_parser = super::values::at_least_one)]
    pub calls: Option<usize>,
    /// Stop after this long ("90s", "5m"); the name load and explore use.
    #[arg(long = "run-time", alias = "time", value_parser = crate::scenario::parse_duration)]
    pub time: Option<Duration>,
    /// The snapshot root the transcript is written under (with --save), as
    /// `check --snapshot-dir`.
    #[arg(long, default_value = "snapshots")]
    pub snapshot_dir: PathBuf,
    /// The reference the transcript joins (a directory under
    /// --snapshot-dir; default: the target's kind, aws, url or embedded).
    #[arg(long)]
    pub reference: Option<String>,
    /// Write no transcript (the scenario file only).
    #[arg(long)]
    pub no_snapshots: bool,
    /// The embedded emulator (with `--target embedded`).
    #[command(flatten)]
    pub emulator: EmulatorArgs,
}

impl From<RecordArgs> for RecordOptions {
    fn from(a: RecordArgs) -> Self {
        Self {
            target: a
                .target
                .options(a.emulator.config(), EmbeddedRuntime::Shared),
            listen: a.listen,
            save: a.save,
            calls: a.calls,
            time: a.time,
            watch_signals: true,
            snapshot_root: (!a.no_snapshots).then_some(a.snapshot_dir),
            reference: a.reference,
        }
    }
}
