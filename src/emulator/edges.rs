//! The emulator at AWS's edges, for users testing their own clients and for
//! testing the harness's AWS paths here: SigV4 verification (403 with the
//! codes of APPFLOW.md W7, checked by [`super::sigv4`]), throttling (a token bucket; 429
//! ThrottlingException), in front of the AppFlow routes. A layer installed
//! only when `serve` is started with them, so the hot path without them is
//! untouched; `/_harness/config` can then change their settings.

use std::sync::Mutex;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::error::{ApiError, ErrorKind};
use super::http::{error_response, read_limited};
use super::{Handle, sigv4};

/// A token bucket: `rate` requests a second, bursts of up to `rate`.
#[derive(Debug)]
pub struct Bucket {
    state: Mutex<(f64, Instant)>,
}

impl Default for Bucket {
    fn default() -> Self {
        Self {
            state: Mutex::new((f64::MAX, Instant::now())),
        }
    }
}

impl Bucket {
    /// Takes a token at `now`; false when the bucket is empty.
    pub fn take(&self, rate: f64, now: Instant) -> bool {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let elapsed = now.saturating_duration_since(s.1).as_secs_f64();
        s.0 = (s.0.min(rate) + elapsed * rate).min(rate);
        s.1 = now;
        if s.0 >= 1.0 {
            s.0 -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The layer's work for one request. Every refusal reads (or discards) the
/// body first, so a client still sending a large body reads the answer
/// instead of a reset connection (W6, W7).
pub(super) async fn guard(State(handle): State<Handle>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with(super::control::PREFIX) {
        return next.run(request).await;
    }
    let (throttle, keys, region) = {
        let state = handle.lock();
        let c = &state.config;
        (
            c.throttle_rps,
            c.verify_sigv4.clone(),
            c.verify_sigv4.as_ref().map(|_| c.region.clone()),
        )
    };
    if let Some(rate) = throttle
        && !handle.bucket().take(rate as f64, Instant::now())
    {
        let _ = read_limited(request.into_body()).await;
        return error_response(&ApiError::new(ErrorKind::Throttling, "Rate exceeded"));
    }
    let (Some(keys), Some(region)) = (keys, region) else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let bytes = match read_limited(body).await {
        Ok(b) => b,
        // Too large or unreadable: W6's answer, as the operation would give.
        Err(e) => return error_response(&e),
    };
    let now = handle.clock().now();
    let expected = sigv4::Expected {
        keys: &keys,
        region: &region,
        now,
        wall: handle.clock().wall(),
    };
    if let Err(e) = sigv4::verify(
        parts.method.as_str(),
        &parts.uri,
        &parts.headers,
        &bytes,
        expected,
    ) {
        return error_response(&e);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_bucket_allows_its_rate_and_refills() {
        let b = Bucket::default();
        let t = Instant::now();
        let allowed = (0..30).filter(|_| b.take(20.0, t)).count();
        assert_eq!(allowed, 20, "a burst of one second's worth");
        assert!(
            b.take(20.0, t + Duration::from_millis(100)),
            "two tokens back after 100 ms"
        );
    }
}
