//! Where a command sends its calls. One type describes a target (the
//! embedded emulator with its configuration, an endpoint at a URL, or real
//! AWS), its region, endpoint, signing identity and abilities, and
//! [`resolve`] builds it in one place from what the user said and the
//! environment. The kind of a target is what the user said, never guessed
//! from a host name.

mod abilities;
mod environment;
mod options;
#[cfg(feature = "aws")]
mod sdk_chain;
// Without the `aws` feature: no chain, and an error saying how to get it.
#[cfg(not(feature = "aws"))]
#[path = "sdk_chain_absent.rs"]
mod sdk_chain;
mod spec;

pub use crate::appflow::TargetKind;
pub use abilities::{Abilities, is_control_config};
pub use environment::Environment;
pub use options::{DEFAULT_REGION, EmbeddedRuntime, TargetChoice, TargetError, TargetOptions};
pub use spec::parse_spec;

use crate::client::sigv4::Signer;
use crate::client::{CallOutcome, Endpoint};
use crate::emulator::{Config as EmulatorConfig, DetachedEmulator, Emulator};

/// A resolved target, ready to be called.
pub struct Target {
    /// What the user chose: embedded, url or aws.
    pub kind: TargetKind,
    /// What the fixture flows are made of.
    pub fixtures: std::sync::Arc<crate::fixtures::FixtureVars>,
    /// The client its calls go through (timeout, answer limit in bytes,
    /// `--max-rps` pacing, signer).
    pub endpoint: Endpoint,
    /// The region its ARNs and signatures use (`--region`, else AWS_REGION,
    /// else the profile's for AWS, else us-east-1).
    pub region: String,
    /// Signs each request; `None` sends them unsigned.
    pub signer: Option<Signer>,
    /// What it offers beyond AppFlow: the test-control API, event flows.
    pub abilities: Abilities,
    /// The behaviour profile of a target with the test-control API (for
    /// recordings' provenance).
    pub profile: Option<serde_json::Value>,
    /// Keeps an embedded emulator alive as long as the target.
    embedded: Option<Embedded>,
}

enum Embedded {
    Shared(Emulator),
    Own(DetachedEmulator),
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("kind", &self.kind)
            .field("endpoint", &self.endpoint.base_url())
            .field("region", &self.region)
            .field("signed", &self.signer.is_some())
            .field("abilities", &self.abilities)
            .finish()
    }
}

/// The one place a target is resolved: its region (`--region`, else
/// `AWS_REGION`, else us-east-1) goes to the embedded emulator's ARNs and to
/// the signer alike; credentials come from `env`.
// Long on purpose: the one place a target is resolved (region, endpoint, signer, abilities), kept whole on purpose.
pub async fn resolve(options: TargetOptions, env: &Environment) -> Result<Target, TargetError> {
    let fixtures = std::sync::Arc::new(
        crate::fixtures::FixtureVars::load(options.config_file.as_deref(), &options.vars)
            .map_err(TargetError::Config)?,
    );
    let profile = env.profile_name(options.profile.as_deref());
    let mut region = options.region.clone().or_else(|| env.region.clone());
    // The profile's region counts for AWS only: an emulator has no profile.
    if region.is_none() && options.choice == TargetChoice::Aws {
        region = env.profile_region(&profile).await;
    }
    let region = region.unwrap_or_else(|| DEFAULT_REGION.to_owned());
    match options.choice {
        TargetChoice::Embedded => {
            let config = EmulatorConfig {
                region: region.clone(),
                ..options.emulator
            };
            let profile = serde_json::to_value(config.profile).ok();
            let config_runs_last =
                abilities::runs_last(serde_json::to_value(&config).ok().as_ref());
            let (url, embedded) = match options.embedded_runtime {
                EmbeddedRuntime::Shared => {
                    let e = Emulator::start_with(config)
                        .await
                        .map_err(TargetError::Start)?;
                    (e.url(), Embedded::Shared(e))
                }
                EmbeddedRuntime::Own { threads } => {
                    let e = DetachedEmulator::start(config, threads).map_err(TargetError::Start)?;
                    (e.url().to_owned(), Embedded::Own(e))
                }
            };
            Ok(Target {
                fixtures,
                kind: TargetKind::Embedded,
                endpoint: Endpoint::new(&url, options.timeout, None)?
                    .with_answer_limit(options.answer_limit)
                    .with_max_rps(options.max_rps),
                region,
                signer: None,
                abilities: Abilities {
                    control: true,
                    event_source: true,
                    runs_last: config_runs_last,
                },
                profile,
                embedded: Some(embedded),
            })
        }
        TargetChoice::Url(url) => {
            let signer = if options.sign {
                Some(
                    env.signer(&region)
                        .ok_or(TargetError::NoCredentials("--sign"))?,
                )
            } else {
                None
            };
            let endpoint = Endpoint::new(&url, options.timeout, signer.clone())?
                .with_answer_limit(options.answer_limit)
                .with_max_rps(options.max_rps);
            let (abilities, profile) = Abilities::detect(&endpoint).await;
            Ok(Target {
                fixtures,
                kind: TargetKind::Url,
                endpoint,
                region,
                signer,
                abilities,
                profile,
                embedded: None,
            })
        }
        TargetChoice::Aws => {
            let signer = env.credentials(&profile, &region).await?;
            let url = options
                .endpoint_url
                .clone()
                .or_else(|| env.endpoint_url.clone())
                .unwrap_or_else(|| aws_endpoint(&region));
            let event_source = fixtures.has_event_source();
            Ok(Target {
                fixtures,
                kind: TargetKind::Aws,
                endpoint: Endpoint::new(&url, options.timeout, Some(signer.clone()))?
                    .with_answer_limit(options.answer_limit)
                    .with_max_rps(options.max_rps),
                region,
                signer: Some(signer),
                // Real AWS has no test-control API, and is never asked; S3
                // cannot start event flows, so they need a configured source.
                abilities: Abilities {
                    control: false,
                    event_source,
                    runs_last: true,
                },
                profile: None,
                embedded: None,
            })
        }
    }
}

/// AppFlow's endpoint in `region`, in that region's partition.
pub fn aws_endpoint(region: &str) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://appflow.{region}.{suffix}")
}

impl Target {
    /// The embedded emulator's state, for tests and the load verdict's
    /// counters; `None` for other targets.
    pub fn emulator(&self) -> Option<&crate::emulator::Handle> {
        match self.embedded.as_ref()? {
            Embedded::Shared(e) => Some(e.handle()),
            Embedded::Own(e) => Some(e.handle()),
        }
    }

    /// Fails when nothing answers at all (any HTTP answer counts).
    pub async fn probe(&self) -> Result<(), TargetError> {
        let call = self
            .endpoint
            .call(
                crate::appflow::Operation::ListFlows,
                bytes::Bytes::from_static(b"{\"maxResults\":1}"),
            )
            .await?;
        match call.outcome {
            // Signed, and the signature refused: one clear error before any
            // scenario runs, naming where the credentials came from.
            CallOutcome::Reply(r)
                if r.status == 403
                    && self.signer.is_some()
                    && matches!(
                        r.error_type.as_deref(),
                        Some(
                            "MissingAuthenticationTokenException"
                                | "UnrecognizedClientException"
                                | "InvalidSignatureException"
                                | "ExpiredTokenException"
                                | "AccessDeniedException"
                        )
                    ) =>
            {
                Err(TargetError::Rejected(format!(
                    "{} refused the credentials from {} (access key id ending in {}): {} {}",
                    self.endpoint.base_url(),
                    self.signer.as_ref().map_or("?", |s| s.source()),
                    self.signer
                        .as_ref()
                        .map_or_else(String::new, |s| s.key_hint()),
                    r.error_type.as_deref().unwrap_or(""),
                    r.message().unwrap_or("")
                )))
            }
            // Something answered; whether the answer is any good, the
            // scenarios will say.
            CallOutcome::Reply(_)
            | CallOutcome::Transport {
                kind: crate::client::TransportKind::TooLarge,
                ..
            } => Ok(()),
            CallOutcome::Transport { message, .. } => Err(TargetError::Unreachable(
                self.endpoint.base_url().to_owned(),
                message,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_is_what_the_user_said() {
        assert_eq!("aws".parse(), Ok(TargetChoice::Aws));
        assert_eq!("embedded".parse(), Ok(TargetChoice::Embedded));
        assert_eq!(
            "https://appflow.us-east-1.amazonaws.com".parse(),
            Ok(TargetChoice::Url(
                "https://appflow.us-east-1.amazonaws.com".into()
            ))
        );
        assert!("localhost:4566".parse::<TargetChoice>().is_err());
    }

    #[test]
    fn aws_endpoints_follow_the_partition() {
        assert_eq!(
            aws_endpoint("eu-west-1"),
            "https://appflow.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            aws_endpoint("cn-north-1"),
            "https://appflow.cn-north-1.amazonaws.com.cn"
        );
    }

    #[tokio::test]
    async fn the_region_goes_from_the_options_to_the_emulator_and_the_signer() {
        let env = Environment {
            region: Some("eu-west-1".into()),
            ..Environment::default()
        };
        let mut o = TargetOptions::new(TargetChoice::Embedded);
        let t = resolve(o.clone(), &env).await.expect("embedded");
        assert_eq!(t.region, "eu-west-1", "AWS_REGION when --region is absent");
        o.region = Some("ap-south-1".into());
        let t = resolve(o, &env).await.expect("embedded");
        assert_eq!(t.region, "ap-south-1", "--region wins");
        let config = t.emulator().expect("handle").lock().config.region.clone();
        assert_eq!(config, "ap-south-1");
        // No keys, no profile, no instance metadata: one error naming what was tried.
        let no_keys = resolve(TargetOptions::new(TargetChoice::Aws), &env).await;
        match no_keys {
            Err(TargetError::Credentials(e)) => {
                assert!(e.contains("no credentials: tried the environment"), "{e}")
            }
            other => panic!("{other:?}"),
        }
    }
}
