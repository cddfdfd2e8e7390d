//! One request of the attack: the goose users' HTTP client, a request
//! sent (signed when the target needs it) and timed, and its answer read
//! leanly (only the members the transactions judge, no JSON tree).

use std::time::{Instant, SystemTime};

use bytes::Bytes;
use goose::prelude::*;
use serde_json::Value;

use super::transactions::Ctx;
use crate::reply::error_name;

/// What came back from one call.
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) error: Option<String>,
    pub(super) body: Lean,
    pub(super) request_id: Option<String>,
}

/// The members of an answer the transactions read; every other member is
/// skipped without being built (this runs for every request of an attack).
/// A body that is not a JSON object reads as all absent.
#[derive(Default, serde::Deserialize)]
pub(super) struct Lean {
    #[serde(rename = "executionId", default)]
    pub(super) execution_id: Option<Value>,
    #[serde(rename = "flowStatus", default)]
    pub(super) flow_status: Option<Value>,
    #[serde(default)]
    code: Option<Value>,
    #[serde(rename = "__type", default)]
    type_: Option<Value>,
}

/// Sends one request; answers its latency in µs and the answer, if one came.
pub(super) async fn post(
    user: &mut GooseUser,
    ctx: &Ctx,
    url: &reqwest::Url,
    name: &'static str,
    body: Bytes,
) -> Result<(u64, Option<Answer>), Box<TransactionError>> {
    let path = url.path();
    let mut rb = user
        .client
        .post(url.clone())
        .header("content-type", "application/json");
    if let Some(signer) = &ctx.signer {
        let signed = match signer.refresh().await {
            Ok(()) => signer.sign("POST", url.as_str(), &body, SystemTime::now()),
            Err(e) => Err(e),
        };
        match signed {
            Ok(headers) => {
                for (k, v) in headers {
                    rb = rb.header(k, v);
                }
            }
            // Never send an unsigned request in its place: the run fails.
            Err(e) => {
                let mut failed = ctx
                    .state
                    .signing_failed
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                failed.get_or_insert(e);
                return Ok((0, None));
            }
        }
    }
    let request = GooseRequest::builder()
        .method(GooseMethod::Post)
        .path(path)
        .name(name)
        .set_request_builder(rb.body(body))
        .build();
    let started = Instant::now();
    let goose = user.request(request).await?;
    let answer = match goose.response {
        Ok(response) => {
            let status = response.status().as_u16();
            let header = |n: &str| {
                response
                    .headers()
                    .get(n)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let (etype, request_id) = (header("x-amzn-errortype"), header("x-amzn-requestid"));
            let bytes = response.bytes().await.ok();
            let body: Lean = bytes
                .as_deref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or_default();
            // `code` wins over `__type` when present, as in `reply::error_type`.
            let named = body.code.as_ref().or(body.type_.as_ref());
            Some(Answer {
                status,
                error: error_name(etype.as_deref(), named.and_then(Value::as_str)),
                body,
                request_id,
            })
        }
        Err(_) => None,
    };
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    Ok((micros, answer))
}

/// The users' HTTP client: the harness's one transport policy
/// ([`crate::client::transport::builder`]: no redirect followed, W10; gzip
/// asked for and decoded; the timeout; the user agent), tuned for speed
/// only: HTTP/1 (AppFlow's restJson1 over plain or TLS connections; no
/// ALPN or h2 upgrade cost), TCP_NODELAY (one small request at a time per
/// connection), a pool that keeps one connection per user (`users`), no
/// proxy lookup.
pub fn client(timeout: std::time::Duration, users: usize) -> reqwest::ClientBuilder {
    crate::client::transport::builder(timeout)
        .http1_only()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(users)
        .no_proxy()
}

/// The failure a 3xx answer to `name` is reported as: not followed, not an
/// AppFlow answer (W10), never counted as a refusal.
pub(super) fn redirect(name: &str, a: &Answer) -> Option<String> {
    (300..400).contains(&a.status).then(|| {
        format!(
            "{name}: {} redirect not followed (W10: an answer comes from the endpoint asked)",
            a.status
        )
    })
}
