//! SigV4 signing for real AWS targets (signing name `appflow`). The signing
//! time is a parameter so tests can pin it; secrets never reach `Debug`.

use std::fmt;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;

/// Signs requests with the current credentials of its source: fixed keys,
/// or a provider (the AWS SDK's chain) whose temporary credentials are
/// fetched again before they expire, so a long run keeps signing.
#[derive(Clone)]
pub struct Signer {
    state: std::sync::Arc<CredentialState>,
    region: String,
}

struct CredentialState {
    provider: Option<SharedCredentialsProvider>,
    current: std::sync::RwLock<Credentials>,
    /// Where the credentials come from, for messages.
    source: String,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("access_key_id", &"<redacted>")
            .field("source", &self.state.source)
            .field("region", &self.region)
            .finish()
    }
}

/// Credentials are fetched again this long before they expire.
const REFRESH_AHEAD: std::time::Duration = std::time::Duration::from_secs(300);

impl Signer {
    /// A signer with fixed keys (`session_token` for temporary ones) for `region`;
    /// the keys are never refreshed, and they never reach `Debug` output.
    pub fn new(
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<&str>,
        region: &str,
    ) -> Self {
        let credentials = Credentials::new(
            access_key_id,
            secret_access_key,
            session_token.map(str::to_owned),
            None,
            "appflow-harness",
        );
        Self {
            state: std::sync::Arc::new(CredentialState {
                provider: None,
                current: std::sync::RwLock::new(credentials),
                source: "the environment (AWS_ACCESS_KEY_ID)".into(),
            }),
            region: region.to_owned(),
        }
    }

    /// A signer over `provider`, whose first credentials are fetched now;
    /// `source` says where they come from.
    pub async fn from_provider(
        provider: SharedCredentialsProvider,
        source: String,
        region: &str,
    ) -> Result<Self, String> {
        let credentials = provider
            .provide_credentials()
            .await
            .map_err(|e| format!("{source}: {}", error_chain(&e)))?;
        Ok(Self {
            state: std::sync::Arc::new(CredentialState {
                provider: Some(provider),
                current: std::sync::RwLock::new(credentials),
                source,
            }),
            region: region.to_owned(),
        })
    }

    /// Where the credentials come from.
    pub fn source(&self) -> &str {
        &self.state.source
    }

    /// Fetches new credentials when the current ones expire soon.
    pub async fn refresh(&self) -> Result<(), String> {
        let Some(provider) = &self.state.provider else {
            return Ok(());
        };
        let soon = self
            .state
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .expiry()
            .is_some_and(|at| at <= SystemTime::now() + REFRESH_AHEAD);
        if soon {
            let fresh = provider
                .provide_credentials()
                .await
                .map_err(|e| format!("{}: {}", self.state.source, error_chain(&e)))?;
            *self
                .state
                .current
                .write()
                .unwrap_or_else(|p| p.into_inner()) = fresh;
        }
        Ok(())
    }

    fn credentials(&self) -> Credentials {
        self.state
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The access key id's last 4 characters, the most a report may show.
    pub fn key_hint(&self) -> String {
        let credentials = self.credentials();
        let id = credentials.access_key_id();
        let n = id.chars().count();
        format!(
            "…{}",
            id.chars().skip(n.saturating_sub(4)).collect::<String>()
        )
    }

    /// The headers that sign a `content-type: application/json` request at `time`.
    pub fn sign(
        &self,
        method: &str,
        url: &str,
        body: &[u8],
        time: SystemTime,
    ) -> Result<Vec<(String, String)>, String> {
        let identity = self.credentials().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("appflow")
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| e.to_string())?
            .into();
        let headers = [("content-type", "application/json")];
        let request =
            SignableRequest::new(method, url, headers.into_iter(), SignableBody::Bytes(body))
                .map_err(|e| e.to_string())?;
        let (instructions, _signature) = sign(request, &params)
            .map_err(|e| e.to_string())?
            .into_parts();
        let (headers, _query) = instructions.into_parts();
        Ok(headers
            .into_iter()
            .map(|h| (h.name().to_owned(), h.value().to_owned()))
            .collect())
    }
}

/// An error with its causes, as one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn signing_is_deterministic_for_a_pinned_time_and_scoped_to_appflow() {
        let signer = Signer::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            Some("SESSION"),
            "eu-west-1",
        );
        let t = UNIX_EPOCH + Duration::from_secs(1_795_564_800); // 2026-11-25T00:00:00Z
        let a = signer
            .sign(
                "POST",
                "https://appflow.eu-west-1.amazonaws.com/start-flow",
                b"{}",
                t,
            )
            .expect("signs");
        let b = signer
            .sign(
                "POST",
                "https://appflow.eu-west-1.amazonaws.com/start-flow",
                b"{}",
                t,
            )
            .expect("signs");
        assert_eq!(a, b);
        let auth = &a
            .iter()
            .find(|(k, _)| k == "authorization")
            .expect("authorization")
            .1;
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261125/eu-west-1/appflow/aws4_request"
            ),
            "{auth}"
        );
        assert!(
            a.iter()
                .any(|(k, v)| k == "x-amz-date" && v == "20261125T000000Z")
        );
        assert!(
            a.iter()
                .any(|(k, v)| k == "x-amz-security-token" && v == "SESSION")
        );
        let other = signer
            .sign(
                "POST",
                "https://appflow.eu-west-1.amazonaws.com/start-flow",
                b"{\"a\":1}",
                t,
            )
            .expect("signs");
        assert_ne!(a, other, "the body is part of the signature");
        assert!(!format!("{signer:?}").contains("wJalr"));
    }
}
