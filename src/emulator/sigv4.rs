//! SigV4 verification as AWS does it (APPFLOW.md W7): the key, then the
//! credential scope (the emulator's region, service `appflow`, the date of
//! `X-Amz-Date`), then `X-Amz-Date` within 15 minutes of the server's
//! clock (the emulator's clock, or the wall clock when the test-control API
//! moved the emulator's ahead: a client signs with its own wall clock, and
//! a signed `check` that moves the clock 8 hours must still pass), then the
//! signature itself, recomputed with aws-sigv4. Each refusal
//! is a 403 whose message says which part was wrong, in AWS's words.
//! Presigned (query-string) signatures are refused with a message saying so.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;

use super::error::{ApiError, ErrorKind};
use super::fields::{Millis, civil_date};

/// The signing name AppFlow's credential scopes carry.
pub const SERVICE: &str = "appflow";
/// How far `X-Amz-Date` may be from the server's clock, either way.
pub const MAX_SKEW_MS: Millis = 15 * 60_000;

/// What a signature is checked against: the key, the emulator's region and
/// its clock's time.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// `ACCESS_KEY:SECRET`.
    pub keys: &'a str,
    /// The emulator's region: the credential scope must name it with service `appflow` (W1).
    pub region: &'a str,
    /// The emulator's clock.
    pub now: Millis,
    /// The wall clock (`now` less the offset the control API added).
    pub wall: Millis,
}

fn denied(kind: ErrorKind, message: impl Into<String>) -> ApiError {
    ApiError::new(kind, message)
}

fn invalid(message: impl Into<String>) -> ApiError {
    denied(ErrorKind::InvalidSignature, message)
}

/// Checks a request's SigV4 signature; the error is the 403 to answer.
// Long on purpose: AWS's checks in the order AWS makes them (header, scope, date, signature), each with its own refusal.
pub fn verify(
    method: &str,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
    expected: Expected<'_>,
) -> Result<(), ApiError> {
    let mismatch = || {
        invalid("The request signature we calculated does not match the signature you provided.")
    };
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    if auth.is_none() && is_presigned(uri) {
        return Err(invalid(
            "Presigned (query-string) SigV4 signatures are not accepted by this emulator: \
             sign the request with an Authorization header",
        ));
    }
    let Some(auth) = auth else {
        return Err(denied(
            ErrorKind::MissingAuthenticationToken,
            "Missing Authentication Token",
        ));
    };
    let (access_key, secret) = expected.keys.split_once(':').unwrap_or((expected.keys, ""));
    let rest = auth
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or_else(|| invalid("Only AWS4-HMAC-SHA256 Authorization headers are accepted"))?;
    let field = |name: &str| {
        rest.split(',')
            .map(str::trim)
            .find_map(|p| p.strip_prefix(name))
            .ok_or_else(|| {
                invalid(format!(
                    "Authorization header requires '{}' parameter.",
                    name.trim_end_matches('=')
                ))
            })
    };
    let credential = field("Credential=")?;
    let signed_headers = field("SignedHeaders=")?;
    let given = field("Signature=")?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [key_id, scope_date, region, service, "aws4_request"] = scope[..] else {
        return Err(invalid(format!(
            "Credential should be ACCESS_KEY/YYYYMMDD/REGION/SERVICE/aws4_request, not '{}'",
            scope.get(1..).map(|s| s.join("/")).unwrap_or_default()
        )));
    };
    if key_id != access_key {
        return Err(denied(
            ErrorKind::UnrecognizedClient,
            "The security token included in the request is invalid.",
        ));
    }
    check_scope(region, service, expected.region)?;
    let amz_date = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            invalid("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        })?;
    let date = parse_amz_date(amz_date).ok_or_else(|| {
        invalid(format!(
            "X-Amz-Date '{amz_date}' is not an ISO-8601 basic time such as 20261129T131500Z"
        ))
    })?;
    check_time(scope_date, amz_date, date, expected.now)
        .or_else(|e| check_time(scope_date, amz_date, date, expected.wall).map_err(|_| e))?;
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
    let at = UNIX_EPOCH + Duration::from_millis(date);
    let expected_signature = recompute(
        method,
        url,
        &signed,
        body,
        (access_key, secret, token),
        region,
        at,
    )
    .ok_or_else(mismatch)?;
    if expected_signature == given {
        Ok(())
    } else {
        Err(mismatch())
    }
}

/// The credential scope's region and service against the emulator's.
fn check_scope(region: &str, service: &str, ours: &str) -> Result<(), ApiError> {
    if region != ours {
        return Err(invalid(format!(
            "Credential should be scoped to a valid region, not '{region}'. \
             (this endpoint's region is '{ours}')"
        )));
    }
    if service != SERVICE {
        return Err(invalid(format!(
            "Credential should be scoped to correct service: '{SERVICE}'. (the scope names '{service}')"
        )));
    }
    Ok(())
}

/// The scope's date against `X-Amz-Date`, and `X-Amz-Date` (`date`) within
/// 15 minutes of `now`.
fn check_time(scope_date: &str, amz_date: &str, date: Millis, now: Millis) -> Result<(), ApiError> {
    let day = &amz_date[..8];
    if scope_date != day {
        return Err(invalid(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: \
             '{scope_date}' != '{day}', from '{amz_date}'."
        )));
    }
    if date.saturating_add(MAX_SKEW_MS) < now {
        return Err(invalid(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
            amz_format(now - MAX_SKEW_MS),
            amz_format(now)
        )));
    }
    if date > now.saturating_add(MAX_SKEW_MS) {
        return Err(invalid(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
            amz_format(now + MAX_SKEW_MS),
            amz_format(now)
        )));
    }
    Ok(())
}

/// The signature aws-sigv4 makes for the request with these credentials.
fn recompute(
    method: &str,
    url: String,
    signed: &[(&str, &str)],
    body: &[u8],
    (access_key, secret, token): (&str, &str, Option<String>),
    region: &str,
    at: SystemTime,
) -> Option<String> {
    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;

    let identity = Credentials::new(access_key, secret, token, None, "emulator").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SERVICE)
        .time(at)
        .settings(SigningSettings::default())
        .build()
        .ok()?
        .into();
    let request = SignableRequest::new(
        method,
        url,
        signed.iter().copied(),
        SignableBody::Bytes(body),
    )
    .ok()?;
    let (_, signature) = sign(request, &params).ok()?.into_parts();
    Some(signature)
}

/// Whether the query carries a SigV4 query-string signature.
fn is_presigned(uri: &axum::http::Uri) -> bool {
    uri.query().is_some_and(|q| {
        q.split('&').any(|p| {
            let name = p.split('=').next().unwrap_or("");
            name.eq_ignore_ascii_case("X-Amz-Algorithm")
                || name.eq_ignore_ascii_case("X-Amz-Signature")
                || name.eq_ignore_ascii_case("X-Amz-Credential")
        })
    })
}

/// `20261125T000000Z` -> epoch milliseconds.
pub fn parse_amz_date(s: &str) -> Option<Millis> {
    if s.len() != 16 || !s.ends_with('Z') || s.as_bytes().get(8) != Some(&b'T') {
        return None;
    }
    let n = |r: std::ops::Range<usize>| {
        let part = s.get(r)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse::<i64>().ok())?
    };
    let (y, mo, d) = (n(0..4)?, n(4..6)?, n(6..8)?);
    let (h, mi, se) = (n(9..11)?, n(11..13)?, n(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant), the inverse of civil_date.
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + se;
    u64::try_from(secs).ok().map(|s| s * 1000)
}

/// Epoch milliseconds -> `20261125T000000Z`.
pub fn amz_format(ms: Millis) -> String {
    let (y, m, d) = civil_date(ms);
    let s = (ms / 1000) % 86_400;
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

#[cfg(test)]
#[path = "sigv4_tests.rs"]
mod tests;
