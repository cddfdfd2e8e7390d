//! `compare`'s flags, parsed into its options.

use std::path::PathBuf;

use clap::Args;

use super::ConnectionArgs;
use crate::endpoint::TargetChoice;

/// `appflow-harness compare`: the two sides, the connection flags both
/// share, and the reports.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Scenario files or folders (default: scenarios/).
    pub scenarios: Vec<PathBuf>,
    /// The reference side: `embedded` (default), `embedded:FLAG=VALUE,...`
    /// with serve's flags (`embedded:active-start=idempotent`), an http(s)
    /// URL, `aws`, or `reference:NAME`: the recordings of reference NAME
    /// under --snapshot-dir (`snapshots/aws/`, a `record` transcript), not
    /// played again.
    #[arg(long, default_value = "embedded")]
    pub baseline: String,
    /// The side under test, in the same forms.
    #[arg(long)]
    pub target: String,
    /// How to reach both sides (region, signing of URL sides, pacing of
    /// each side, AWS profile and endpoint, fixtures).
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Scenarios run at once on each side; default 8, or 2 when a side is AWS.
    #[arg(long, value_parser = super::values::at_least_one)]
    pub jobs: Option<usize>,
    /// Only scenarios whose name contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// Where transformers.yaml (and a `reference:NAME` baseline) is read from.
    #[arg(long, default_value = "snapshots")]
    pub snapshot_dir: PathBuf,
    /// Write the comparison as JSON (schema: docs/compare.schema.json).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write a Markdown summary (for a pull-request comment).
    #[arg(long)]
    pub markdown: Option<PathBuf>,
    /// Write a self-contained HTML page (renders offline).
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Write a JUnit XML report (a test case per scenario: failed for a
    /// violation, or a gap with --fail-on gap; skipped when not compared).
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// What fails the run: violations only, or gaps too.
    #[arg(long, value_enum, default_value = "violation")]
    pub fail_on: crate::commands::compare::FailOn,
}

impl From<CompareArgs> for crate::commands::compare::CompareOptions {
    fn from(a: CompareArgs) -> Self {
        // Each side's own choice and emulator come from its spec; the
        // connection flags apply to both (each side gets its own pacer).
        let connection = a.connection.options(
            TargetChoice::Embedded,
            crate::emulator::Config::default(),
            crate::endpoint::EmbeddedRuntime::Shared,
        );
        let sides: Vec<TargetChoice> = [&a.baseline, &a.target]
            .into_iter()
            .filter_map(|spec| crate::endpoint::parse_spec(spec).ok().map(|(c, _)| c))
            .collect();
        Self {
            jobs: a
                .jobs
                .unwrap_or_else(|| super::connection::default_jobs(&sides)),
            scenarios: a.scenarios,
            filter: a.filter,
            baseline: a.baseline,
            target: a.target,
            connection,
            snapshot_root: a.snapshot_dir,
            json: a.json,
            markdown: a.markdown,
            html: a.html,
            junit: a.junit,
            fail_on: a.fail_on,
            watch_signals: true,
        }
    }
}
