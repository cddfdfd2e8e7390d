//! The one transport policy: how every HTTP client of the harness that
//! talks to a target is built, and how an answer is read off the wire.
//!
//! - No redirect is followed (W10): a 3xx comes back as an answer to
//!   judge, so neither the request nor its credentials
//!   (`X-Amz-Security-Token`, the signature) ever reach another host.
//! - The same `Accept-Encoding: gzip` on every request, and gzip answers
//!   decoded, whatever features other crates unify into reqwest (the
//!   `gzip` feature is named in Cargo.toml for that reason). A server may
//!   compress even unasked (RFC 9110), so every engine must read it.
//! - The answer-size bound applies to the decoded body (a small gzip
//!   answer can inflate to gigabytes).
//! - One timeout for a whole exchange (connect, send, answer).

use std::time::Duration;

use bytes::Bytes;

use super::{CallOutcome, TransportKind};
use crate::reply::Reply;

/// The `User-Agent` every request of the harness carries.
pub const USER_AGENT: &str = concat!("appflow-harness/", env!("CARGO_PKG_VERSION"));

/// A reqwest client builder with the harness's transport policy: no
/// redirects, gzip asked for and decoded, `timeout` for a whole exchange,
/// the harness's user agent, and rustls' provider installed. Engines add
/// only what tunes speed (pool size, HTTP/1, TCP_NODELAY), never policy.
pub fn builder(timeout: Duration) -> reqwest::ClientBuilder {
    super::install_tls_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .gzip(true)
        .timeout(timeout)
        .user_agent(USER_AGENT)
}

/// Reads an answer as a stream of decoded bytes, stopping at `limit`
/// bytes: the answer (body parsed as JSON when `parse`), or a
/// [`TransportKind::TooLarge`] / transport outcome.
pub async fn read(mut response: reqwest::Response, limit: usize, parse: bool) -> CallOutcome {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let too_large = |seen: String| CallOutcome::Transport {
        kind: TransportKind::TooLarge,
        message: format!("answer larger than {limit} bytes ({seen}); not read past the limit"),
    };
    // reqwest drops Content-Length when it decodes, so this is the
    // identity-encoded length only; decoded bytes are counted below.
    if let Some(n) = response.content_length()
        && n > limit as u64
    {
        return too_large(format!("Content-Length {n}"));
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > limit {
                    return too_large(format!("more than {} bytes came", body.len() + chunk.len()));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => {
                let reply = Reply::unparsed(status, &headers, Bytes::from(body));
                return CallOutcome::Reply(if parse { reply.parsed() } else { reply });
            }
            Err(e) => return failure(&e),
        }
    }
}

/// A reqwest error as a transport outcome, with its whole cause chain.
pub fn failure(e: &reqwest::Error) -> CallOutcome {
    let kind = if e.is_timeout() {
        TransportKind::Timeout
    } else if e.is_connect() {
        TransportKind::Connect
    } else {
        TransportKind::Closed
    };
    // reqwest's Display hides the cause chain; the chain says what happened.
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    CallOutcome::Transport { kind, message }
}
