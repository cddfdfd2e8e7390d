//! `check`'s flags, parsed into its options.

use std::path::PathBuf;

use clap::Args;

use super::{EmulatorArgs, TargetArgs};
use crate::commands::check::CheckOptions;
use crate::endpoint::EmbeddedRuntime;
use crate::runner::SnapshotMode;

/// `appflow-harness check`: scenarios, target, references and reports.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Scenario files or folders (default: scenarios/).
    pub scenarios: Vec<PathBuf>,
    /// Which target, and how to reach it (`--target` and the connection flags).
    #[command(flatten)]
    pub target: TargetArgs,
    /// Make this run's transcripts the recording of its reference (default:
    /// the target's kind, `snapshots/<kind>/`); other references are untouched.
    #[arg(long, visible_alias = "update")]
    pub record: bool,
    /// The snapshot root; each reference is a directory in it.
    #[arg(long, default_value = "snapshots")]
    pub snapshot_dir: PathBuf,
    /// Which reference to compare with (a directory under --snapshot-dir;
    /// default: the target's kind if recorded, else aws, else embedded).
    #[arg(long)]
    pub reference: Option<String>,
    /// How differences from the reference count: auto (strict against a
    /// recording of the same kind of target, parity otherwise), strict, parity.
    #[arg(long, value_enum, default_value = "auto")]
    pub snapshots: SnapshotMode,
    /// Compare with no reference (expectations and the contract only).
    #[arg(long)]
    pub no_snapshots: bool,
    /// Write a JUnit XML report here.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Write a JSON report here (schema: docs/report.schema.json).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Scenarios run at once (those that change the clock, faults or quotas
    /// run alone); default 8, or 2 against AWS.
    #[arg(long, value_parser = super::values::at_least_one)]
    pub jobs: Option<usize>,
    /// Only scenarios whose name contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// Print which scenarios cover each rule id of APPFLOW.md, run nothing,
    /// and exit 1 if a rule is not covered.
    #[arg(long)]
    pub list_coverage: bool,
    /// Print the plan (flows created, StartFlow calls, runs started and what
    /// they cost, steps skipped) and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The embedded emulator's flags (used with `--target embedded`).
    #[command(flatten)]
    pub emulator: EmulatorArgs,
}

impl From<CheckArgs> for CheckOptions {
    fn from(a: CheckArgs) -> Self {
        Self {
            scenarios: a.scenarios,
            target: a
                .target
                .options(a.emulator.config(), EmbeddedRuntime::Shared),
            snapshot_root: (!a.no_snapshots).then_some(a.snapshot_dir),
            reference: a.reference,
            snapshot_mode: if a.record {
                SnapshotMode::Record
            } else {
                a.snapshots
            },
            junit: a.junit,
            json: a.json,
            jobs: a.jobs.unwrap_or_else(|| a.target.default_jobs()),
            filter: a.filter,
            list_coverage: a.list_coverage,
            step_hook: None,
            watch_signals: true,
            dry_run: a.dry_run,
        }
    }
}
