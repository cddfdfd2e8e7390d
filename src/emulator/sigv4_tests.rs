//! Tests of [`super::verify`]: a good signature passes; each wrong part
//! gets its AWS code and a message naming it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;

use super::*;
use crate::client::sigv4::Signer;

const URL: &str = "http://127.0.0.1:4566/start-flow";
const KEYS: &str = "AKIDHARNESS:s3cr3t";
const BODY: &[u8] = br#"{"flowName":"a1"}"#;
/// 2026-11-29T13:15:00Z
const NOW: Millis = 1_795_958_100_000;

fn at(ms: Millis) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

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

/// Headers signed with aws-sigv4 for `service` and `region` at `time`.
fn signed_for(service: &str, region: &str, time: SystemTime) -> HeaderMap {
    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;
    let identity = Credentials::new("AKIDHARNESS", "s3cr3t", None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .expect("params")
        .into();
    let headers = [("content-type", "application/json")];
    let request = SignableRequest::new("POST", URL, headers.into_iter(), SignableBody::Bytes(BODY))
        .expect("signable");
    let (instructions, _) = sign(request, &params).expect("signed").into_parts();
    let (headers, _) = instructions.into_parts();
    let pairs: Vec<(String, String)> = headers
        .iter()
        .map(|h| (h.name().to_owned(), h.value().to_owned()))
        .collect();
    headers_of(&pairs)
}

fn check(headers: &HeaderMap, uri: &str, body: &[u8], now: Millis) -> Result<(), ApiError> {
    let uri: axum::http::Uri = uri.parse().expect("uri");
    let expected = Expected {
        keys: KEYS,
        region: "us-east-1",
        now,
        wall: now,
    };
    verify("POST", &uri, headers, body, expected)
}

fn refusal(r: Result<(), ApiError>) -> (ErrorKind, String) {
    let e = r.expect_err("refused");
    (e.kind, e.message.clone())
}

#[test]
fn a_signature_made_with_the_key_verifies_and_others_get_aws_codes() {
    let signed = Signer::new("AKIDHARNESS", "s3cr3t", Some("tok"), "us-east-1")
        .sign("POST", URL, BODY, at(NOW))
        .expect("sign");
    let good = headers_of(&signed);
    assert_eq!(check(&good, "/start-flow", BODY, NOW), Ok(()));
    let kind = |r: Result<(), ApiError>| r.err().map(|e| e.kind);
    assert_eq!(
        kind(check(&good, "/start-flow", b"{}", NOW)),
        Some(ErrorKind::InvalidSignature),
        "another body"
    );
    let wrong = Signer::new("AKIDHARNESS", "not-it", None, "us-east-1")
        .sign("POST", URL, BODY, at(NOW))
        .expect("sign");
    assert_eq!(
        kind(check(&headers_of(&wrong), "/start-flow", BODY, NOW)),
        Some(ErrorKind::InvalidSignature)
    );
    let stranger = Signer::new("AKIDOTHER", "s3cr3t", None, "us-east-1")
        .sign("POST", URL, BODY, at(NOW))
        .expect("sign");
    assert_eq!(
        kind(check(&headers_of(&stranger), "/start-flow", BODY, NOW)),
        Some(ErrorKind::UnrecognizedClient)
    );
    assert_eq!(
        kind(check(&headers_of(&[]), "/start-flow", BODY, NOW)),
        Some(ErrorKind::MissingAuthenticationToken)
    );
}

#[test]
fn the_scope_must_name_the_emulators_region_and_appflow() {
    let (kind, message) = refusal(check(
        &signed_for("appflow", "eu-west-1", at(NOW)),
        "/start-flow",
        BODY,
        NOW,
    ));
    assert_eq!(kind, ErrorKind::InvalidSignature);
    assert!(
        message.contains("scoped to a valid region, not 'eu-west-1'")
            && message.contains("us-east-1"),
        "the message names the region: {message}"
    );
    let (kind, message) = refusal(check(
        &signed_for("s3", "us-east-1", at(NOW)),
        "/start-flow",
        BODY,
        NOW,
    ));
    assert_eq!(kind, ErrorKind::InvalidSignature);
    assert!(
        message.contains("scoped to correct service: 'appflow'") && message.contains("'s3'"),
        "the message names the service: {message}"
    );
    assert_eq!(
        check(
            &signed_for("appflow", "us-east-1", at(NOW)),
            "/start-flow",
            BODY,
            NOW
        ),
        Ok(()),
        "the right scope passes"
    );
}

#[test]
fn x_amz_date_must_be_within_15_minutes_and_match_the_scope() {
    let minute: i64 = 60_000;
    let signed = signed_for("appflow", "us-east-1", at(NOW));
    for skew in [-15 * minute, 15 * minute] {
        let now = NOW.saturating_add_signed(skew);
        assert_eq!(
            check(&signed, "/start-flow", BODY, now),
            Ok(()),
            "{skew} ms off is in"
        );
    }
    let (kind, message) = refusal(check(&signed, "/start-flow", BODY, NOW + 16 * 60_000));
    assert_eq!(kind, ErrorKind::InvalidSignature);
    assert_eq!(
        message,
        "Signature expired: 20261129T131500Z is now earlier than 20261129T131600Z (20261129T133100Z - 15 min.)"
    );
    let (kind, message) = refusal(check(&signed, "/start-flow", BODY, NOW - 16 * 60_000));
    assert_eq!(kind, ErrorKind::InvalidSignature);
    assert!(
        message.starts_with("Signature not yet current: 20261129T131500Z"),
        "{message}"
    );

    // A scope date other than X-Amz-Date's day.
    let mut other_day = signed.clone();
    let auth = other_day["authorization"]
        .to_str()
        .expect("ascii")
        .replace("/20261129/", "/20261128/");
    other_day.insert("authorization", auth.parse().expect("header"));
    let (kind, message) = refusal(check(&other_day, "/start-flow", BODY, NOW));
    assert_eq!(kind, ErrorKind::InvalidSignature);
    assert!(message.contains("'20261128' != '20261129'"), "{message}");
}

#[test]
fn the_wall_clock_counts_when_the_emulators_clock_was_moved_ahead() {
    let signed = signed_for("appflow", "us-east-1", at(NOW));
    let uri: axum::http::Uri = "/start-flow".parse().expect("uri");
    let moved = |now, wall| {
        let expected = Expected {
            keys: KEYS,
            region: "us-east-1",
            now,
            wall,
        };
        verify("POST", &uri, &signed, BODY, expected)
    };
    assert_eq!(
        moved(NOW + 8 * 3_600_000, NOW),
        Ok(()),
        "signed at the wall clock"
    );
    let (_, message) = refusal(moved(NOW + 8 * 3_600_000, NOW + 16 * 60_000));
    assert!(message.starts_with("Signature expired"), "{message}");
}

#[test]
fn presigned_query_signatures_are_refused_with_a_message_saying_so() {
    let uri = "/start-flow?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDHARNESS%2F20261129%2Fus-east-1%2Fappflow%2Faws4_request&X-Amz-Signature=00";
    let (kind, message) = refusal(check(&headers_of(&[]), uri, BODY, NOW));
    assert_eq!(kind, ErrorKind::InvalidSignature);
    assert!(message.contains("Presigned"), "{message}");
}

#[test]
fn amz_dates_parse_and_format_back() {
    assert_eq!(amz_format(NOW), "20261129T131500Z");
    assert_eq!(parse_amz_date("20261129T131500Z"), Some(NOW));
    for bad in [
        "20261329T131500Z",
        "2026112xT131500Z",
        "20261129 131500Z",
        "20261129T131500",
    ] {
        assert_eq!(parse_amz_date(bad), None, "{bad}");
    }
}
