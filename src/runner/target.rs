//! What the runner plays against: the embedded emulator, an emulator at a
//! URL, or real AWS with SigV4, and which abilities it has.

use std::time::Duration;

use crate::client::sigv4::Signer;
use crate::client::{ClientError, Endpoint};
use crate::emulator::{Config, Emulator};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    Embedded,
    Url,
    Aws,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Embedded => "embedded",
            Self::Url => "url",
            Self::Aws => "aws",
        }
    }
}

pub struct Target {
    pub kind: TargetKind,
    pub endpoint: Endpoint,
    pub region: String,
    /// Whether the target answers the `/_harness/` test-control API.
    pub control: bool,
    /// Keeps an embedded emulator alive as long as the target.
    _emulator: Option<Emulator>,
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("failed to start the embedded emulator: {0}")]
    Start(std::io::Error),
    #[error("target {0} is unreachable: {1}")]
    Unreachable(String, String),
    #[error("--target aws needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment")]
    NoCredentials,
}

impl Target {
    /// The embedded emulator, started in this runtime on `127.0.0.1:0`.
    pub async fn embedded(config: Config, timeout: Duration) -> Result<Self, TargetError> {
        let region = config.region.clone();
        let emulator = Emulator::start_with(config)
            .await
            .map_err(TargetError::Start)?;
        let endpoint = Endpoint::new(&emulator.url(), timeout, None)?;
        Ok(Self {
            kind: TargetKind::Embedded,
            endpoint,
            region,
            control: true,
            _emulator: Some(emulator),
        })
    }

    /// An endpoint at `url`; signed when `signer` is given (real AWS, or a
    /// local server that checks signatures).
    pub async fn url(
        url: &str,
        region: &str,
        signer: Option<Signer>,
        timeout: Duration,
    ) -> Result<Self, TargetError> {
        let kind = if signer.is_some() && url.contains(".amazonaws.com") {
            TargetKind::Aws
        } else {
            TargetKind::Url
        };
        let endpoint = Endpoint::new(url, timeout, signer)?;
        let control =
            kind != TargetKind::Aws && endpoint.get_json("/_harness/config").await.is_some();
        Ok(Self {
            kind,
            endpoint,
            region: region.to_owned(),
            control,
            _emulator: None,
        })
    }

    /// Real AppFlow in `region`, signed with the environment's credentials.
    pub async fn aws(region: &str, timeout: Duration) -> Result<Self, TargetError> {
        let signer = Signer::from_env(region).ok_or(TargetError::NoCredentials)?;
        Self::url(
            &format!("https://appflow.{region}.amazonaws.com"),
            region,
            Some(signer),
            timeout,
        )
        .await
    }

    /// Fails when nothing answers at all (any HTTP answer counts).
    pub async fn probe(&self) -> Result<(), TargetError> {
        let call = self
            .endpoint
            .call(
                "ListFlows",
                bytes::Bytes::from_static(b"{\"maxResults\":1}"),
            )
            .await?;
        match call.outcome {
            crate::client::Outcome::Reply(_) => Ok(()),
            crate::client::Outcome::Transport { message, .. } => Err(TargetError::Unreachable(
                self.endpoint.base_url().to_owned(),
                message,
            )),
        }
    }
}
