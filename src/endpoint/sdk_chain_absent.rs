//! The AWS SDK's credential chain in a build without the `aws` feature
//! (`--no-default-features`): no profile is read, and `--target aws`
//! without keys in the environment is refused with how to build it in.

use super::TargetError;
use crate::client::sigv4::Signer;

/// No region from profiles in this build.
pub(super) async fn profile_region(_profile: &str) -> Option<String> {
    None
}

/// Always [`TargetError::NoSdkChain`] (a usage error, exit 2).
pub(super) async fn credentials(
    _profile: &str,
    _region: &str,
    _instance_metadata: bool,
) -> Result<Signer, TargetError> {
    Err(TargetError::NoSdkChain)
}
