//! The connection flags every command that talks to a target shares:
//! which target (`--target`), and how to reach it (region, signing,
//! timeouts, pacing, AWS profile and endpoint, fixture configuration).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::emulator::Config;
use crate::endpoint::{EmbeddedRuntime, TargetChoice, TargetOptions};

/// Which endpoint a command talks to, and how: the same for every command
/// with one target (`compare`, with two, takes [`ConnectionArgs`] alone).
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// `embedded` (an emulator in this process), `aws` (real AppFlow, SigV4
    /// with the AWS SDK's credential chain), or an http(s) URL of an
    /// endpoint (an emulator).
    ///
    /// A URL that nothing answers is exit 4 at once; `doctor --target aws`
    /// says where the credentials come from, or what to set.
    #[arg(long, default_value = "embedded")]
    pub target: TargetChoice,
    /// How to reach it: region, signing, timeouts, pacing, AWS profile and
    /// endpoint, fixtures.
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

impl TargetArgs {
    /// Refuses the embedded emulator's flags with a target that is not the
    /// embedded emulator: they would be silently ignored, and a user who
    /// set `--active-start idempotent` against a URL believes they were
    /// applied. A flag left at its default is not refused.
    ///
    /// # Errors
    /// The flags given and what to do instead (a usage error, exit 2).
    pub fn refuse_emulator_flags(
        &self,
        emulator: &crate::emulator::flags::EmulatorArgs,
    ) -> Result<(), String> {
        let changed = emulator.changed();
        if matches!(self.target, TargetChoice::Embedded) || changed.is_empty() {
            return Ok(());
        }
        Err(format!(
            "{} set(s) the embedded emulator, but --target is {}: start that endpoint with its own settings (for ours: `appflow-harness serve {} ...`), or drop the flag",
            changed.join(", "),
            match &self.target {
                TargetChoice::Url(u) => u.as_str(),
                _ => "aws",
            },
            changed.first().copied().unwrap_or_default()
        ))
    }
}

/// How to reach a target: region, signing, timeouts, pacing, the AWS
/// profile and endpoint, and what fixture flows are made of.
#[derive(Debug, Clone, Args)]
pub struct ConnectionArgs {
    /// Sign requests to a URL target with the environment's AWS credentials.
    #[arg(long)]
    pub sign: bool,
    /// Region of the target (ARNs of the embedded emulator, SigV4, the AWS
    /// endpoint); default: AWS_REGION, else us-east-1.
    #[arg(long)]
    pub region: Option<String>,
    /// Seconds to wait for one answer (1 or more).
    #[arg(long, default_value_t = 10, value_parser = super::values::seconds)]
    pub timeout_secs: u64,
    /// The largest answer read, in bytes; a larger one is read no further
    /// and counts as a failed call ("answer larger than N bytes").
    #[arg(long, default_value_t = crate::client::DEFAULT_ANSWER_LIMIT, value_parser = super::values::bytes)]
    pub max_answer_bytes: usize,
    /// At most this many requests a second to the target, all calls of the
    /// command together (be gentle with real AWS).
    #[arg(long, value_parser = super::values::rate)]
    pub max_rps: Option<f64>,
    /// The shared-config profile for AWS credentials and region (default:
    /// AWS_PROFILE, else `default`).
    #[arg(long)]
    pub profile: Option<String>,
    /// AWS's AppFlow at another address (default: AWS_ENDPOINT_URL_APPFLOW,
    /// else AWS_ENDPOINT_URL, else the region's endpoint in its partition).
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// The configuration file (default: ./appflow-harness.yaml if present):
    /// what the fixture flows are made of.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// A fixture variable, KEY=VALUE (source_bucket, source_prefix,
    /// destination_bucket, destination_prefix, event_connector_profile,
    /// event_object); overrides the configuration file.
    #[arg(long = "var", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
}

/// `KEY=VALUE` of `--var`, split at the first `=`.
/// The key must name a fixture variable: a mistake there is a command-line
/// error (exit 2), found before anything runs, like any other flag's.
fn parse_var(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
        .ok_or_else(|| format!("`{s}` is not KEY=VALUE"))?;
    crate::fixtures::FixtureVars::default().set(&k, &v)?;
    Ok((k, v))
}

impl TargetArgs {
    /// The target options of these flags, with the embedded emulator's
    /// configuration and how it runs.
    pub fn options(&self, emulator: Config, embedded_runtime: EmbeddedRuntime) -> TargetOptions {
        self.connection
            .options(self.target.clone(), emulator, embedded_runtime)
    }

    /// The default number of scenarios run at once: 2 against AWS (be
    /// gentle with a real account), else 8.
    pub fn default_jobs(&self) -> usize {
        default_jobs([&self.target])
    }
}

/// 2 when any of `targets` is AWS, else 8.
pub(super) fn default_jobs<'a>(targets: impl IntoIterator<Item = &'a TargetChoice>) -> usize {
    if targets.into_iter().any(|t| *t == TargetChoice::Aws) {
        2
    } else {
        8
    }
}

impl ConnectionArgs {
    /// The target options for `choice` reached with these flags.
    pub fn options(
        &self,
        choice: TargetChoice,
        emulator: Config,
        embedded_runtime: EmbeddedRuntime,
    ) -> TargetOptions {
        TargetOptions {
            choice,
            region: self.region.clone(),
            sign: self.sign,
            timeout: Duration::from_secs(self.timeout_secs),
            answer_limit: self.max_answer_bytes,
            max_rps: self.max_rps,
            profile: self.profile.clone(),
            endpoint_url: self.endpoint_url.clone(),
            config_file: self.config.clone(),
            vars: self.vars.clone(),
            emulator,
            embedded_runtime,
        }
    }
}
