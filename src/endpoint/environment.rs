//! The process environment a target is resolved from, read once at the edge
//! so that resolution itself is a function of its inputs; the AWS SDK's
//! credential chain for when it holds no keys is in `sdk_chain`.

use super::TargetError;
use super::sdk_chain;
use crate::client::sigv4::Signer;

/// What the environment says about AWS; never printed whole.
#[derive(Clone, Default)]
pub struct Environment {
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: Option<String>,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: Option<String>,
    /// `AWS_SESSION_TOKEN`, for temporary credentials.
    pub session_token: Option<String>,
    /// `AWS_REGION`, else `AWS_DEFAULT_REGION`.
    pub region: Option<String>,
    /// `AWS_PROFILE`.
    pub profile: Option<String>,
    /// `AWS_ENDPOINT_URL_APPFLOW`, else `AWS_ENDPOINT_URL`.
    pub endpoint_url: Option<String>,
    /// Whether the chain may ask the EC2 instance metadata service (off in
    /// tests, and with `AWS_EC2_METADATA_DISABLED=true`).
    pub instance_metadata: bool,
}

impl Environment {
    /// A redactor of the credentials this environment holds, whether or
    /// not they are used (built once per command, at the edge).
    pub fn redactor(&self) -> crate::redact::Redactor {
        crate::redact::Redactor::new(
            [
                &self.access_key_id,
                &self.secret_access_key,
                &self.session_token,
            ]
            .into_iter()
            .flatten()
            .cloned(),
        )
    }
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field("credentials", &self.access_key_id.is_some())
            .field("region", &self.region)
            .field("profile", &self.profile)
            .field("endpoint_url", &self.endpoint_url)
            .finish()
    }
}

impl Environment {
    /// Reads the process environment, once, at the edge; an empty variable
    /// counts as unset.
    pub fn from_process() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Self {
            access_key_id: var("AWS_ACCESS_KEY_ID"),
            secret_access_key: var("AWS_SECRET_ACCESS_KEY"),
            session_token: var("AWS_SESSION_TOKEN"),
            region: var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")),
            profile: var("AWS_PROFILE"),
            endpoint_url: var("AWS_ENDPOINT_URL_APPFLOW").or_else(|| var("AWS_ENDPOINT_URL")),
            instance_metadata: var("AWS_EC2_METADATA_DISABLED")
                .is_none_or(|v| !v.eq_ignore_ascii_case("true")),
        }
    }

    /// A signer for `region` from the environment's keys, if it has them.
    pub fn signer(&self, region: &str) -> Option<Signer> {
        Some(Signer::new(
            self.access_key_id.as_deref()?,
            self.secret_access_key.as_deref()?,
            self.session_token.as_deref(),
            region,
        ))
    }

    /// The profile in use: `--profile`, else `AWS_PROFILE`, else `default`.
    pub fn profile_name(&self, flag: Option<&str>) -> String {
        flag.map(str::to_owned)
            .or_else(|| self.profile.clone())
            .unwrap_or_else(|| "default".into())
    }

    /// The region the profile names, if it names one (always `None` in a
    /// build without the `aws` feature).
    pub async fn profile_region(&self, profile: &str) -> Option<String> {
        sdk_chain::profile_region(profile).await
    }

    /// Credentials for `region`: the environment's keys, else the AWS SDK's
    /// chain (the profile's keys, SSO or role; web identity; container; and
    /// instance metadata where allowed). The error names what was tried; in
    /// a build without the `aws` feature, that the chain is not built in.
    pub async fn credentials(&self, profile: &str, region: &str) -> Result<Signer, TargetError> {
        if let Some(s) = self.signer(region) {
            return Ok(s);
        }
        sdk_chain::credentials(profile, region, self.instance_metadata).await
    }
}
