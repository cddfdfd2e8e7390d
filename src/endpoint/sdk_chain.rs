//! The AWS SDK's credential and region chain (aws-config), for `--target
//! aws` when the environment holds no keys: profiles (keys, SSO, roles),
//! web identity, container and instance credentials. Built with the `aws`
//! feature (a default one).

use aws_config::ecs::EcsCredentialsProvider;
use aws_config::imds::credentials::ImdsCredentialsProvider;
use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::meta::region::ProvideRegion;
use aws_config::profile::{ProfileFileCredentialsProvider, ProfileFileRegionProvider};
use aws_config::web_identity_token::WebIdentityTokenCredentialsProvider;
use aws_credential_types::provider::SharedCredentialsProvider;

use super::TargetError;
use crate::client::sigv4::Signer;

/// The region `profile` names in the shared config files, if it names one.
pub(super) async fn profile_region(profile: &str) -> Option<String> {
    let provider = ProfileFileRegionProvider::builder()
        .profile_name(profile)
        .build();
    ProvideRegion::region(&provider)
        .await
        .map(|r| r.to_string())
}

/// Credentials for `region` from the SDK's chain (`instance_metadata`:
/// whether the EC2 instance metadata service may be asked). The error
/// ([`TargetError::Credentials`]) names every source tried.
pub(super) async fn credentials(
    profile: &str,
    region: &str,
    instance_metadata: bool,
) -> Result<Signer, TargetError> {
    // The SDK's HTTP client (SSO, web identity) needs rustls' default set.
    crate::client::install_tls_provider();
    let mut chain = CredentialsProviderChain::first_try(
        "Profile",
        ProfileFileCredentialsProvider::builder()
            .profile_name(profile)
            .build(),
    )
    .or_else(
        "WebIdentityToken",
        WebIdentityTokenCredentialsProvider::builder().build(),
    )
    .or_else("EcsContainer", EcsCredentialsProvider::builder().build());
    let mut tried = format!(
        "the environment (AWS_ACCESS_KEY_ID), profile `{profile}` in the shared config and credentials files (keys, SSO, role), web identity, container credentials"
    );
    if instance_metadata {
        chain = chain.or_else(
            "Ec2InstanceMetadata",
            ImdsCredentialsProvider::builder().build(),
        );
        tried.push_str(", instance metadata");
    }
    let source = format!("profile `{profile}` (the AWS SDK's credential chain)");
    Signer::from_provider(SharedCredentialsProvider::new(chain), source, region)
        .await
        .map_err(|e| TargetError::Credentials(format!("no credentials: tried {tried}: {e}")))
}
