//! The emulator's HTTP/1 server loop. axum::serve does not expose the two
//! settings a hostile or unusual client needs: answering a request whose
//! client half-closed its side after sending it (curl's `--http1.1` with
//! `shutdown(SHUT_WR)`, pipelined batches), and closing connections that
//! never finish their headers (slowloris).
//!
//! Shutting down is graceful: the listener closes, each connection answers
//! the request it is serving and closes (idle ones at once), and `serve`
//! returns once all have, or after [`SHUTDOWN_GRACE`].
//!
//! There is no connection limit: each connection is one small task, idle
//! half-open ones are closed by the header read timeout, and the
//! operating system's file descriptor limit bounds the rest.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

/// How long a client may take to send a request's headers, including the
/// wait for the next request on a kept-alive connection.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a shutdown waits for in-flight requests (Kubernetes' default
/// termination grace period).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Serves `app` on `listener` until `shutdown` completes, then lets the
/// requests in flight finish (within [`SHUTDOWN_GRACE`]).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut builder = http1::Builder::new();
    builder
        .half_close(true)
        .keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    tokio::pin!(shutdown);
    let (close, closing) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(s) => s,
                // Out of file descriptors and the like: wait, do not spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Answers go out at once: Nagle's algorithm would hold small answers
        // back for the peer's delayed ACK (up to 40 ms on Linux).
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let mut closing = closing.clone();
        connections.spawn(async move {
            // A connection error (a reset, a framing error hyper answered
            // itself, a timeout) ends that connection only.
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                biased;
                _ = connection.as_mut() => return,
                _ = closing.changed() => {}
            }
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        });
        // Ended connections are forgotten as new ones come.
        while connections.try_join_next().is_some() {}
    }
    let _ = close.send(true);
    let drained = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, drained).await;
    Ok(())
}
