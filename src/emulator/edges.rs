//! The emulator at AWS's edges, for users testing their own clients and for
//! testing the harness's AWS paths here: SigV4 verification (403 with the
//! codes of APPFLOW.md W7), throttling (a token bucket; 429
//! ThrottlingException), in front of the AppFlow routes. A layer installed
//! only when `serve` is started with them, so the hot path without them is
//! untouched; `/_harness/config` can then change their settings.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;

use super::Handle;
use super::error::{ApiError, ErrorKind};
use super::http::{BODY_LIMIT, error_response};

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

/// The layer's work for one request.
pub(super) async fn guard(State(handle): State<Handle>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with(super::control::PREFIX) {
        return next.run(request).await;
    }
    let (throttle, keys) = {
        let state = handle.lock();
        (state.config.throttle_rps, state.config.verify_sigv4.clone())
    };
    if let Some(rate) = throttle
        && !handle.bucket().take(rate as f64, Instant::now())
    {
        return error_response(&ApiError::new(ErrorKind::Throttling, "Rate exceeded"));
    }
    let Some(keys) = keys else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(b) => b,
        // Too large or unreadable: W6's answer, as the operation would give.
        Err(_) => {
            return error_response(&ApiError::validation(format!(
                "Request body exceeds the limit of {BODY_LIMIT} bytes"
            )));
        }
    };
    if let Err(e) = verify(
        parts.method.as_str(),
        &parts.uri,
        &parts.headers,
        &bytes,
        &keys,
    ) {
        return error_response(&e);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn denied(kind: ErrorKind, message: &str) -> ApiError {
    ApiError::new(kind, message)
}

/// Checks a request's SigV4 signature against `keys` (`ACCESS_KEY:SECRET`),
/// recomputing it with aws-sigv4.
pub fn verify(
    method: &str,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
    keys: &str,
) -> Result<(), ApiError> {
    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;

    let bad = || {
        denied(
            ErrorKind::InvalidSignature,
            "The request signature we calculated does not match the signature you provided.",
        )
    };
    let Some(auth) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Err(denied(
            ErrorKind::MissingAuthenticationToken,
            "Missing Authentication Token",
        ));
    };
    let (access_key, secret) = keys.split_once(':').unwrap_or((keys, ""));
    let rest = auth.strip_prefix("AWS4-HMAC-SHA256 ").ok_or_else(bad)?;
    let field = |name: &str| {
        rest.split(',')
            .map(str::trim)
            .find_map(|p| p.strip_prefix(name))
            .map(str::to_owned)
    };
    let credential = field("Credential=").ok_or_else(bad)?;
    let signed_headers = field("SignedHeaders=").ok_or_else(bad)?;
    let given = field("Signature=").ok_or_else(bad)?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [key_id, _date, region, service, "aws4_request"] = scope[..] else {
        return Err(bad());
    };
    if key_id != access_key {
        return Err(denied(
            ErrorKind::UnrecognizedClient,
            "The security token included in the request is invalid.",
        ));
    }
    let date = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_amz_date)
        .ok_or_else(bad)?;
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let url = format!(
        "http://{host}{}",
        uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let token = headers
        .get("x-amz-security-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // The signer adds host, x-amz-date and the session token itself.
    let signed: Vec<(&str, &str)> = signed_headers
        .split(';')
        .filter(|h| !matches!(*h, "host" | "x-amz-date" | "x-amz-security-token"))
        .filter_map(|h| Some((h, headers.get(h)?.to_str().ok()?)))
        .collect();
    let identity = Credentials::new(access_key, secret, token, None, "emulator").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(date)
        .settings(SigningSettings::default())
        .build()
        .map_err(|_| bad())?
        .into();
    let request = SignableRequest::new(method, url, signed.into_iter(), SignableBody::Bytes(body))
        .map_err(|_| bad())?;
    let (_, expected) = sign(request, &params).map_err(|_| bad())?.into_parts();
    if expected == given {
        Ok(())
    } else {
        Err(bad())
    }
}

/// `20261125T000000Z` -> a time.
fn parse_amz_date(s: &str) -> Option<SystemTime> {
    if s.len() != 16 || !s.ends_with('Z') || s.as_bytes().get(8) != Some(&b'T') {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (n(0..4)?, n(4..6)?, n(6..8)?);
    let (h, mi, se) = (n(9..11)?, n(11..13)?, n(13..15)?);
    // Days from civil (Howard Hinnant), the inverse of appflow::civil_date.
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + se;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::sigv4::Signer;

    fn headers_of(pairs: &[(String, String)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", "127.0.0.1:4566".parse().expect("host"));
        h.insert("content-type", "application/json".parse().expect("ct"));
        for (k, v) in pairs {
            h.insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
                v.parse().expect("value"),
            );
        }
        h
    }

    #[test]
    fn a_signature_made_with_the_key_verifies_and_others_get_aws_codes() {
        let url = "http://127.0.0.1:4566/start-flow";
        let uri: axum::http::Uri = "/start-flow".parse().expect("uri");
        let body = br#"{"flowName":"a1"}"#;
        let good = Signer::new("AKIDHARNESS", "s3cr3t", Some("tok"), "us-east-1");
        let signed = good
            .sign("POST", url, body, SystemTime::now())
            .expect("sign");
        let keys = "AKIDHARNESS:s3cr3t";
        assert_eq!(
            verify("POST", &uri, &headers_of(&signed), body, keys),
            Ok(())
        );
        let kind = |r: Result<(), ApiError>| r.err().map(|e| e.kind);
        assert_eq!(
            kind(verify("POST", &uri, &headers_of(&signed), b"{}", keys)),
            Some(ErrorKind::InvalidSignature),
            "another body"
        );
        let wrong = Signer::new("AKIDHARNESS", "not-it", None, "us-east-1")
            .sign("POST", url, body, SystemTime::now())
            .expect("sign");
        assert_eq!(
            kind(verify("POST", &uri, &headers_of(&wrong), body, keys)),
            Some(ErrorKind::InvalidSignature)
        );
        let stranger = Signer::new("AKIDOTHER", "s3cr3t", None, "us-east-1")
            .sign("POST", url, body, SystemTime::now())
            .expect("sign");
        assert_eq!(
            kind(verify("POST", &uri, &headers_of(&stranger), body, keys)),
            Some(ErrorKind::UnrecognizedClient)
        );
        assert_eq!(
            kind(verify("POST", &uri, &headers_of(&[]), body, keys)),
            Some(ErrorKind::MissingAuthenticationToken)
        );
    }

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
