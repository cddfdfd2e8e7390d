//! `appflow-harness serve`: the embedded emulator on a port until Ctrl-C or
//! SIGTERM (as Kubernetes stops a pod); either shuts it down gracefully: the
//! requests in flight are answered, then it exits 0.

use std::net::IpAddr;

use super::{CommandError, Console, Outcome};
use crate::emulator::{Config, Handle, router, transport};

/// What `serve` needs: where to listen, the emulator's configuration and the
/// header timeout.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The address to listen on (`--bind`, 127.0.0.1 by default).
    pub bind: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    /// The emulator's configuration: account, region, quotas and behaviour
    /// profile.
    pub config: Config,
    /// How long a client may take to send a request's headers.
    pub header_timeout: std::time::Duration,
}

/// Serves the emulator on `bind:port` until Ctrl-C, then answers
/// [`Outcome::Passed`]. Errors: [`CommandError::TargetUnreachable`] when the
/// address cannot be bound, [`CommandError::Internal`] when the server loop
/// fails.
pub async fn run(
    options: ServeOptions,
    console: &mut Console<'_>,
) -> Result<Outcome, CommandError> {
    let listener = tokio::net::TcpListener::bind((options.bind, options.port))
        .await
        .map_err(|e| {
            CommandError::TargetUnreachable(format!(
                "failed to bind {}:{}: {e}",
                options.bind, options.port
            ))
        })?;
    let config = options.config;
    let addr = listener
        .local_addr()
        .map_or_else(|_| "?".into(), |a| a.to_string());
    console.note(format_args!(
        "appflow-harness emulator listening on http://{addr} (region {}, account {}, profile {})",
        config.region, config.account, config.profile
    ));
    let app = router(Handle::new(config));
    transport::serve(listener, app, options.header_timeout, stop_signal())
        .await
        .map_err(CommandError::io("emulator failed"))?;
    console.note(format_args!("appflow-harness emulator stopped"));
    Ok(Outcome::Passed)
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
