//! The endpoint client: sends an AppFlow operation to any endpoint (the
//! embedded emulator, an emulator at a URL, real AWS with SigV4) and reads
//! the answer the way the AWS SDKs do, never failing on a garbage answer.

pub mod pace;
pub mod pages;
pub mod retry;
pub mod sigv4;
pub mod transport;

pub use crate::reply::{Reply, error_type};
pub use retry::{Repeats, Retried, RetryPolicy};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;

use crate::appflow::Operation;
use sigv4::Signer;

/// Why a request could not be sent at all (as opposed to sent and unanswered,
/// which is an [`CallOutcome::Transport`]).
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The endpoint URL does not parse, or its scheme is not http or https.
    #[error("invalid endpoint url {url:?}: {reason}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it (the parser's message, or the scheme rule).
        reason: String,
    },
    /// reqwest could not build its client (e.g. no TLS backend); the message says why.
    #[error("failed to build the http client: {0}")]
    Build(String),
    /// Credentials could not be refreshed or the request could not be SigV4-signed (W1, W7).
    #[error("failed to sign the request: {0}")]
    Sign(String),
}

/// What happened to one call: an answer, or why there is none.
#[derive(Debug, Clone)]
pub enum CallOutcome {
    /// An answer came (any status, any body, however malformed), read up to the answer limit.
    Reply(Reply),
    /// No complete answer: connection refused or closed, timeout, bad HTTP.
    Transport {
        /// What kind of transport failure it was.
        kind: TransportKind,
        /// The error with its whole cause chain, for the report.
        message: String,
    },
}

/// Why a call got no answer; one per [`CallOutcome::Transport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TransportKind {
    /// The connection could not be made (refused, unreachable, DNS).
    Connect,
    /// No complete answer within the endpoint's timeout (the `--timeout` flag).
    Timeout,
    /// The connection closed or the HTTP exchange broke before the answer was complete.
    Closed,
    /// The answer was larger than the endpoint's answer limit; reading stopped there.
    TooLarge,
}

/// Answers larger than this are not read past it (a hostile or broken
/// endpoint must not take the harness's memory).
pub const DEFAULT_ANSWER_LIMIT: usize = 4 << 20;

/// A call's outcome and how long it took.
#[derive(Debug, Clone)]
pub struct Call {
    /// The answer, or why there is none.
    pub outcome: CallOutcome,
    /// Time from sending the request to the end of its answer, or to the transport failure (pacing
    /// and signing excluded).
    pub latency: Duration,
}

/// An endpoint to send AppFlow operations to.
#[derive(Debug, Clone)]
pub struct Endpoint {
    base: String,
    http: reqwest::Client,
    signer: Option<Signer>,
    answer_limit: usize,
    /// The send rate shared by every clone: adaptive (throttles lower it),
    /// under the `--max-rps` ceiling.
    pace: std::sync::Arc<pace::AdaptiveRate>,
    /// Set on a stop (SIGINT, SIGTERM): no retry is sent after it
    /// (see [`Endpoint::with_stop`]).
    stop: Arc<AtomicBool>,
    /// The run's request ids (W3), shared by every clone.
    request_ids: Arc<crate::contract::RequestIds>,
}

/// Makes rustls' ring provider the process's default, once (later calls do
/// nothing). Call before building any HTTP client: reqwest is built without
/// a provider of its own, and where goose or the AWS SDK bring aws-lc-rs
/// too, rustls needs to be told which one to use.
pub fn install_tls_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err: a provider is already installed, which is all we need.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl Endpoint {
    /// `url` is the endpoint's base, e.g. `http://127.0.0.1:4566`.
    pub fn new(url: &str, timeout: Duration, signer: Option<Signer>) -> Result<Self, ClientError> {
        let parsed = reqwest::Url::parse(url).map_err(|e| ClientError::BadUrl {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ClientError::BadUrl {
                url: url.to_owned(),
                reason: "the scheme must be http or https".into(),
            });
        }
        let http = transport::builder(timeout)
            .pool_max_idle_per_host(256)
            .build()
            .map_err(|e| ClientError::Build(e.to_string()))?;
        Ok(Self {
            base: url.trim_end_matches('/').to_owned(),
            http,
            signer,
            answer_limit: DEFAULT_ANSWER_LIMIT,
            pace: std::sync::Arc::new(pace::AdaptiveRate::new(None)),
            stop: Arc::new(AtomicBool::new(false)),
            request_ids: Arc::default(),
        })
    }

    /// Shares `stop` with the caller: once it is set (a command's SIGINT or
    /// SIGTERM handler sets it), [`Endpoint::call_with`] sends no retry
    /// (unless its policy says [`RetryPolicy::after_stop`], as clean-up's
    /// does) and ends a wait between tries early; first tries are the
    /// caller's to stop. Clones made after this call share the flag.
    pub fn with_stop(mut self, stop: Arc<AtomicBool>) -> Self {
        self.stop = stop;
        self
    }

    /// The run-wide ledger of request ids (W3) that every engine judging
    /// this endpoint's answers feeds ([`crate::contract::RequestIds::record`]);
    /// shared by every clone, so one run over one target is one ledger.
    pub fn request_ids(&self) -> &crate::contract::RequestIds {
        &self.request_ids
    }

    /// The stop flag this endpoint's retries obey ([`Endpoint::with_stop`]).
    pub fn stop_flag(&self) -> &Arc<AtomicBool> {
        &self.stop
    }

    /// Sends at most `per_second` requests a second, from all clones
    /// together (the ceiling of the adaptive rate; `None`: no ceiling).
    /// Clones made before this call keep the rate they had.
    pub fn with_max_rps(mut self, per_second: Option<f64>) -> Self {
        self.pace = std::sync::Arc::new(pace::AdaptiveRate::new(per_second));
        self
    }

    /// The adaptive send rate shared by every clone (throttles seen, the
    /// current rate).
    pub fn pace(&self) -> &pace::AdaptiveRate {
        &self.pace
    }

    /// Reads at most `bytes` of an answer; a larger one is a
    /// [`TransportKind::TooLarge`] outcome.
    pub fn with_answer_limit(mut self, bytes: usize) -> Self {
        self.answer_limit = bytes.max(1024);
        self
    }

    /// The endpoint's base URL as given, without a trailing `/` (e.g. `http://127.0.0.1:4566`).
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Calls `operation` with a raw JSON body.
    pub async fn call(&self, operation: Operation, body: Bytes) -> Result<Call, ClientError> {
        self.call_path(operation.path(), body).await
    }

    /// Posts `body` to `path` under the endpoint (AppFlow routes and `/_harness/`).
    pub async fn call_path(&self, path: &str, body: Bytes) -> Result<Call, ClientError> {
        self.send(path, body, true).await
    }

    /// Calls `operation` like [`Endpoint::call`], but leaves the answer's body
    /// unparsed ([`Reply::unparsed`]): for bulk reads (a load test's records
    /// pages) whose caller parses only the members it needs.
    ///
    /// # Errors
    /// As [`Endpoint::call`].
    pub async fn call_unparsed(
        &self,
        operation: Operation,
        body: Bytes,
    ) -> Result<Call, ClientError> {
        self.send(operation.path(), body, false).await
    }

    /// Calls `operation` under `policy`: the one retry loop of the harness.
    /// A retry is sent only when the request is safe to repeat
    /// ([`retry::is_safe`], read from `body`; a throttle also when the
    /// policy says [`RetryPolicy::throttles_unsafe`]), the answer is one `policy`
    /// retries and its bounds allow, and the stop flag is not set; each
    /// waits the policy's backoff first. Answers the last call and the
    /// retries before it.
    ///
    /// # Errors
    /// A [`ClientError`] (bad URL, signing) ends the loop at once.
    pub async fn call_with(
        &self,
        policy: &RetryPolicy,
        operation: Operation,
        body: Bytes,
    ) -> Result<Retried, ClientError> {
        self.retrying(policy, operation, body, true).await
    }

    /// [`Endpoint::call_with`] with the answer's body left unparsed
    /// ([`Reply::unparsed`]), for bulk reads that parse it themselves.
    ///
    /// # Errors
    /// As [`Endpoint::call_with`].
    pub async fn call_with_unparsed(
        &self,
        policy: &RetryPolicy,
        operation: Operation,
        body: Bytes,
    ) -> Result<Retried, ClientError> {
        self.retrying(policy, operation, body, false).await
    }

    async fn retrying(
        &self,
        policy: &RetryPolicy,
        operation: Operation,
        body: Bytes,
        parse: bool,
    ) -> Result<Retried, ClientError> {
        // Reads need no parse to be known safe; writes are read for a clientToken.
        let safe = retry::is_safe(operation, None)
            || retry::is_safe(operation, serde_json::from_slice(&body).ok().as_ref());
        let mut repeats = Repeats::default();
        loop {
            let call = self.send(operation.path(), body.clone(), parse).await?;
            let Some((kind, wait)) = policy.retry(&call, &repeats, safe) else {
                return Ok(Retried {
                    call,
                    repeats,
                    stopped: false,
                });
            };
            let stopped = || !policy.after_stop && self.stop.load(Ordering::Relaxed);
            if stopped() {
                return Ok(Retried {
                    call,
                    repeats,
                    stopped: true,
                });
            }
            self.pause(wait, policy.after_stop).await;
            if stopped() {
                return Ok(Retried {
                    call,
                    repeats,
                    stopped: true,
                });
            }
            repeats.count(kind);
        }
    }

    /// Waits `wait`, or less when the stop flag is set meanwhile (unless
    /// `after_stop`): a stop never waits out a backoff.
    async fn pause(&self, wait: Duration, after_stop: bool) {
        if after_stop {
            tokio::time::sleep(wait).await;
        } else {
            retry::wait_or_stop(&self.stop, Some(wait)).await;
        }
    }

    async fn send(&self, path: &str, body: Bytes, parse: bool) -> Result<Call, ClientError> {
        self.pace.acquire().await;
        let url = format!("{}{}", self.base, path);
        let mut request = self
            .http
            .post(&url)
            .header("content-type", "application/json")
            .body(body.clone());
        if let Some(signer) = &self.signer {
            signer.refresh().await.map_err(ClientError::Sign)?;
            for (k, v) in signer
                .sign("POST", &url, &body, SystemTime::now())
                .map_err(ClientError::Sign)?
            {
                request = request.header(k, v);
            }
        }
        let started = Instant::now();
        let outcome = match request.send().await {
            Ok(response) => transport::read(response, self.answer_limit, parse).await,
            Err(e) => transport::failure(&e),
        };
        // The SDKs' adaptive mode: a throttle slows every request of the run.
        let throttled = matches!(&outcome, CallOutcome::Reply(r) if retry::is_throttle(r));
        self.pace.update(throttled);
        Ok(Call {
            outcome,
            latency: started.elapsed(),
        })
    }

    /// DELETEs a path (the `/_harness/` API); whether it answered 2xx.
    pub async fn delete(&self, path: &str) -> bool {
        self.http
            .delete(format!("{}{}", self.base, path))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }

    /// GETs a path (the `/_harness/` API); `None` when it is not there, or
    /// not JSON, or larger than the answer limit.
    pub async fn get_json(&self, path: &str) -> Option<serde_json::Value> {
        let response = self
            .http
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .ok()?;
        if !response.status().is_success() {
            return None;
        }
        match transport::read(response, self.answer_limit, true).await {
            CallOutcome::Reply(r) => r.json,
            CallOutcome::Transport { .. } => None,
        }
    }
}
