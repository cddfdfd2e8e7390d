//! `serve`'s flags, parsed into its options.

use std::net::IpAddr;
use std::time::Duration;

use clap::Args;

use super::EmulatorArgs;
use crate::commands::serve::ServeOptions;
use crate::emulator::Config;

/// `appflow-harness serve`: where to listen and the emulator's flags.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (keep it loopback unless you mean it).
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 4566)]
    pub port: u16,
    /// AWS region in ARNs.
    #[arg(long, default_value = crate::endpoint::DEFAULT_REGION)]
    pub region: String,
    /// Seconds a client may take to send a request's headers (idle and
    /// half-open connections are closed after it).
    #[arg(long, default_value_t = 10)]
    pub header_timeout_secs: u64,
    /// The emulator's identity, quotas, edges and behaviour profile.
    #[command(flatten)]
    pub emulator: EmulatorArgs,
}

impl From<ServeArgs> for ServeOptions {
    fn from(a: ServeArgs) -> Self {
        Self {
            bind: a.bind,
            port: a.port,
            header_timeout: Duration::from_secs(a.header_timeout_secs.max(1)),
            config: Config {
                region: a.region.clone(),
                ..a.emulator.config()
            },
        }
    }
}
