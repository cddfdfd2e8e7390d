//! What a command knows about its target before resolving it: the choice
//! `--target` made, the connection options, and why resolving can fail.

use std::str::FromStr;
use std::time::Duration;

use crate::client::ClientError;
use crate::emulator::Config as EmulatorConfig;

/// The region a target is in when nothing else says (`--region`, `AWS_REGION`).
pub const DEFAULT_REGION: &str = "us-east-1";

/// What `--target` says: the embedded emulator, a URL, or real AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetChoice {
    /// `embedded`: an emulator started in this process.
    Embedded,
    /// An http(s):// URL: an endpoint reached as given (an emulator, or AppFlow
    /// with `--sign`).
    Url(String),
    /// `aws`: real AppFlow in the region, signed with the AWS SDK's credential
    /// chain.
    Aws,
}

impl FromStr for TargetChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "embedded" => Ok(Self::Embedded),
            "aws" => Ok(Self::Aws),
            url if url.starts_with("http://") || url.starts_with("https://") => {
                Ok(Self::Url(url.to_owned()))
            }
            other => Err(format!(
                "`{other}` is not a target: say `embedded`, `aws`, or an http(s):// URL"
            )),
        }
    }
}

/// How an embedded emulator runs: on the caller's runtime (`check`), or on
/// runtime threads of its own, so that a load generator in the same process
/// does not share a scheduler with it (`load`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbeddedRuntime {
    /// On the caller's tokio runtime.
    Shared,
    /// On a multi-threaded runtime of its own (`load`).
    Own {
        /// Worker threads of that runtime.
        threads: usize,
    },
}

/// Everything a command knows about its target before resolving it.
#[derive(Debug, Clone)]
pub struct TargetOptions {
    /// `--target`: which endpoint.
    pub choice: TargetChoice,
    /// `--region`; else `AWS_REGION`; else [`DEFAULT_REGION`].
    pub region: Option<String>,
    /// Sign requests to a URL target (AWS targets are always signed).
    pub sign: bool,
    /// How long one answer may take.
    pub timeout: Duration,
    /// The largest answer read, in bytes.
    pub answer_limit: usize,
    /// Requests a second at most, all together (`--max-rps`).
    pub max_rps: Option<f64>,
    /// `--profile`: the shared-config profile for AWS credentials and region.
    pub profile: Option<String>,
    /// `--endpoint-url`: AWS's AppFlow at another address (else
    /// `AWS_ENDPOINT_URL_APPFLOW`, else `AWS_ENDPOINT_URL`).
    pub endpoint_url: Option<String>,
    /// `--config FILE` (else `./appflow-harness.yaml` if present) and
    /// `--var KEY=VALUE`: what the fixture flows are made of.
    pub config_file: Option<std::path::PathBuf>,
    /// `--var KEY=VALUE` pairs, in command-line order; they override the file.
    pub vars: Vec<(String, String)>,
    /// The embedded emulator's configuration (its region is the target's).
    pub emulator: EmulatorConfig,
    /// How an embedded emulator runs (ignored for other targets).
    pub embedded_runtime: EmbeddedRuntime,
}

impl TargetOptions {
    /// The options for `choice` with every default: no region, unsigned, a 10 s
    /// timeout, the default answer limit, no pacing, no profile or
    /// configuration file, the default emulator on the caller's runtime.
    pub fn new(choice: TargetChoice) -> Self {
        Self {
            choice,
            region: None,
            sign: false,
            timeout: Duration::from_secs(10),
            answer_limit: crate::client::DEFAULT_ANSWER_LIMIT,
            max_rps: None,
            profile: None,
            endpoint_url: None,
            config_file: None,
            vars: Vec::new(),
            emulator: EmulatorConfig::default(),
            embedded_runtime: EmbeddedRuntime::Shared,
        }
    }
}

/// Why a target could not be resolved or reached; [`is_usage`](Self::is_usage)
/// says whether the user's words were at fault.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    /// An invalid URL, an HTTP client that could not be built, or a request
    /// that could not be signed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The embedded emulator could not start (e.g. no loopback port to bind).
    #[error("failed to start the embedded emulator: {0}")]
    Start(std::io::Error),
    /// (base URL, why): nothing answered the probe (connection refused,
    /// timeout, bad HTTP).
    #[error("target {0} is unreachable: {1}")]
    Unreachable(String, String),
    /// The flag that needs credentials (`--sign`); the environment holds no AWS
    /// keys.
    #[error(
        "{0} needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones); none were found in the environment"
    )]
    NoCredentials(&'static str),
    /// `--target aws`: the SDK's credential chain found none; the message lists
    /// what was tried.
    #[error("--target aws: {0}")]
    Credentials(String),
    /// `--target aws` in a build without the `aws` feature, and no keys in
    /// the environment: the SDK's credential chain is not built in.
    #[error(
        "aws needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones); this build has no `aws` feature (it was built with --no-default-features), so profiles, SSO, roles, web identity, container and instance credentials are not read: build with the default features, e.g. `cargo run -- check --target aws`"
    )]
    NoSdkChain,
    /// The endpoint refused the credentials (403 to the probe); the message
    /// names their source and the end of the access key id, never a secret.
    #[error("{0}")]
    Rejected(String),
    /// The fixture configuration (`--config` file, `--var`) is unreadable or
    /// invalid.
    #[error("{0}")]
    Config(String),
}

impl TargetError {
    /// Whether the user's words were at fault (rather than the target).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Self::Client(ClientError::BadUrl { .. } | ClientError::Sign(_))
                | Self::NoCredentials(_)
                | Self::NoSdkChain
                | Self::Rejected(_)
        )
    }
}
