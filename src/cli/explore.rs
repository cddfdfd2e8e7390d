//! `explore`'s flags, parsed into its options.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{EmulatorArgs, TargetArgs};
use crate::commands::explore::ExploreOptions;
use crate::endpoint::{EmbeddedRuntime, TargetChoice};

/// `appflow-harness explore`: generated call sequences judged by the
/// contract's model; a failure shrunk and saved as a scenario file.
#[derive(Debug, Args)]
pub struct ExploreArgs {
    #[command(flatten)]
    /// Which target, and how to reach it.
    pub target: TargetArgs,
    /// Sequences to generate at most (default: as many as `--run-time`
    /// buys; 20 against AWS).
    #[arg(long)]
    pub cases: Option<u32>,
    /// Steps per sequence at most (default 20; 8 against AWS).
    #[arg(long)]
    pub steps: Option<usize>,
    /// The generator's seed (default: random; printed, so a run can be repeated).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Stop generating after this long ("60s", "5m"; default 60s, 30s
    /// against AWS); a finding is shrunk past it. The name load uses (the
    /// old name is a hidden alias).
    #[arg(long = "run-time", alias = "time", value_parser = parse_duration)]
    pub time: Option<Duration>,
    /// How long a pause lets real time pass, so a token forgotten early
    /// shows ("10s"; default a sixth of `--run-time`, at most 10s; "0s": no
    /// pauses). Pauses take at most a quarter of `--run-time` in all.
    #[arg(long, value_parser = parse_duration)]
    pub pause: Option<Duration>,
    /// Write the shrunk failing sequence as a scenario file in this folder.
    #[arg(long)]
    pub save: Option<PathBuf>,
    /// Write a JSON report here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write a JUnit XML report here (the finding, what was judged, the
    /// fingerprint).
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// How long a read may lack a new run before it fails (L2; default 10s,
    /// 30s against AWS); saved files wait as long (`eventually:`).
    #[arg(long, value_parser = parse_duration)]
    pub poll: Option<Duration>,
    /// Print what the budget implies (flows, calls, runs, their price) and
    /// send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// A rule id whose deviations are known (e.g. T14): a sequence that
    /// fails only there is counted as not judged, and reported, instead of
    /// being a finding. Repeatable.
    #[arg(long)]
    pub tolerate: Vec<String>,
    #[command(flatten)]
    /// The embedded emulator (with `--target embedded`).
    pub emulator: EmulatorArgs,
}

/// A duration as scenario files write it (`90s`, `250ms`, `5m`, `1h`,
/// [`crate::scenario::parse_duration`]), or plain seconds (`2`).
fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    match !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        true => crate::scenario::parse_duration(&format!("{s}s")),
        false => crate::scenario::parse_duration(s),
    }
}

impl From<ExploreArgs> for ExploreOptions {
    fn from(a: ExploreArgs) -> Self {
        let aws = a.target.target == TargetChoice::Aws;
        let time = a.time.unwrap_or(if aws {
            crate::explore::DEFAULT_TIME_AWS
        } else {
            crate::explore::DEFAULT_TIME
        });
        Self {
            target: a
                .target
                .options(a.emulator.config(), EmbeddedRuntime::Shared),
            budget: crate::explore::Budget {
                cases: a
                    .cases
                    .unwrap_or(if aws { 20 } else { crate::explore::UNBOUNDED }),
                steps: a.steps.unwrap_or(if aws { 8 } else { 20 }),
                seed: a
                    .seed
                    .unwrap_or_else(|| uuid::Uuid::new_v4().as_u64_pair().0 % 1_000_000),
                time,
                shrink_time: Duration::from_secs(if aws { 600 } else { 60 }),
                pause: a
                    .pause
                    .unwrap_or_else(|| crate::explore::default_pause(time)),
            },
            poll: a.poll.unwrap_or(if aws {
                crate::model::L2_LAG_AWS
            } else {
                crate::model::L2_LAG
            }),
            save: a.save,
            json: a.json,
            junit: a.junit,
            dry_run: a.dry_run,
            tolerate: a.tolerate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("").is_err());
    }
}
