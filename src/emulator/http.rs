//! The HTTP adapter: turns a request into an operation's input, applies it
//! under the state lock, and answers restJson1 (or the fault asked for).

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::de::DeserializeOwned;

use super::Handle;
use super::error::{ApiError, ErrorKind};
use super::faults::{Fault, FaultKind, FaultWhen};
use super::ops::OperationRequest;

/// Bodies over this are refused with a ValidationException. Checked by hand
/// ([`read_limited`]): a `DefaultBodyLimit` layer would box and clone every
/// route's service per request (seen in profiles), and axum's extractor
/// drops the rest of a larger body unread (the client then sees a reset).
pub const BODY_LIMIT: usize = 1 << 20;

/// A body over [`BODY_LIMIT`] is read and thrown away up to this many bytes
/// before the refusal goes out, so the client reads the answer instead of a
/// reset; past it the connection is closed (a client that sends this much
/// to a JSON API is not waiting for an answer).
pub const DISCARD_LIMIT: usize = 64 << 20;

pub(super) async fn operation<O: OperationRequest>(
    State(handle): State<Handle>,
    body: Body,
) -> Response {
    handle.count_request();
    let fault = handle.take_fault(O::NAME);
    if let Some(f) = fault {
        if f.latency_ms > 0 {
            // Boxed: a timer held inline would make every request's future
            // (moved into a box by axum) larger, faults or not.
            Box::pin(tokio::time::sleep(Duration::from_millis(f.latency_ms))).await;
        }
        if f.when == FaultWhen::Before && f.kind != FaultKind::Latency {
            // Read first, as every refusal: the client reads the answer.
            let _ = read_limited(body).await;
            return fault_response(f);
        }
    }
    let result = read_limited(body)
        .await
        .and_then(|bytes| parse_json::<O>(&bytes))
        .and_then(|input| {
            // The clock is read under the lock: two starts on one flow then
            // get their times in the order they get their sequence numbers,
            // so runs listed newest first have non-increasing `startedAt`
            // (S2). Read before the lock, a start that lost the race for it
            // was listed before an older one (issue 31: one inversion in
            // minutes of load made `load` stop trusting the flow's order).
            let mut state = handle.lock();
            let now = handle.clock().now();
            input.apply(&mut state, now)
        });
    if let Some(f) = fault
        && f.kind != FaultKind::Latency
    {
        return fault_response(f);
    }
    match result.and_then(|output| to_json::<O>(&output)) {
        Ok(body) => json_response(StatusCode::OK, body, None),
        Err(e) => error_response(&e),
    }
}

fn to_json<O: OperationRequest>(output: &O::Output) -> Result<Vec<u8>, ApiError> {
    // Sized for the common answers, so serialising seldom reallocates.
    let mut body = Vec::with_capacity(256);
    O::write_json(output, &mut body)
        .map_err(|e| ApiError::new(ErrorKind::InternalServer, e.to_string()))?;
    Ok(body)
}

/// Parses a JSON object body; an empty body counts as `{}` as the SDKs send it.
pub(super) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::validation(
            "Invalid request body: expected a JSON object",
        ));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::validation(format!("Invalid request body: {e}")))
}

/// Reads a request body of at most [`BODY_LIMIT`] bytes. A larger one is
/// W6's ValidationException, answered after the rest is read and discarded
/// (up to [`DISCARD_LIMIT`]), never a reset connection.
pub(super) async fn read_limited(body: Body) -> Result<Bytes, ApiError> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    // One chunk (the usual small body) is kept as it is, without a copy.
    let mut first = Bytes::new();
    let mut more: Vec<u8> = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(unreadable)?;
        total += chunk.len();
        if total > BODY_LIMIT {
            while total <= DISCARD_LIMIT {
                match stream.next().await {
                    Some(Ok(c)) => total += c.len(),
                    _ => break,
                }
            }
            return Err(too_large());
        }
        if first.is_empty() && more.is_empty() {
            first = chunk;
        } else {
            if more.is_empty() {
                more.extend_from_slice(&first);
            }
            more.extend_from_slice(&chunk);
        }
    }
    Ok(if more.is_empty() {
        first
    } else {
        Bytes::from(more)
    })
}

fn too_large() -> ApiError {
    ApiError::validation(format!(
        "Request body exceeds the limit of {BODY_LIMIT} bytes"
    ))
}

fn unreadable(e: impl std::fmt::Display) -> ApiError {
    ApiError::validation(format!("Unreadable request body: {e}"))
}

pub(super) fn read_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    match body {
        Ok(bytes) if bytes.len() > BODY_LIMIT => Err(too_large()),
        Ok(bytes) => Ok(bytes),
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(too_large()),
        Err(rejection) => Err(unreadable(rejection)),
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");
const ERROR_TYPE: HeaderName = HeaderName::from_static("x-amzn-errortype");

pub(super) fn json_response(
    status: StatusCode,
    body: Vec<u8>,
    error: Option<ErrorKind>,
) -> Response {
    let mut headers = HeaderMap::with_capacity(4);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let mut id = uuid::Uuid::encode_buffer();
    let id = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut id);
    if let Ok(v) = HeaderValue::from_str(id) {
        headers.insert(REQUEST_ID, v);
    }
    if let Some(kind) = error {
        headers.insert(ERROR_TYPE, HeaderValue::from_static(kind.name()));
    }
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

pub(super) fn error_response(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(status, e.body(), Some(e.kind))
}

fn fault_response(f: Fault) -> Response {
    match f.kind {
        FaultKind::Internal => error_response(&ApiError::new(
            ErrorKind::InternalServer,
            "Injected fault: internal server error",
        )),
        FaultKind::Throttle => error_response(&ApiError::new(
            ErrorKind::Throttling,
            "Injected fault: rate exceeded",
        )),
        // A body that fails makes hyper close the connection mid-response.
        FaultKind::Drop | FaultKind::Latency => {
            let failing = futures_util::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::other(
                    "injected fault: connection dropped",
                ))
            });
            let mut r = Response::new(Body::from_stream(failing));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
    }
}

/// Routes that are no AppFlow operation answer as API Gateway does, in JSON.
pub(super) async fn unknown_route(uri: axum::http::Uri, body: Body) -> Response {
    let _ = read_limited(body).await;
    error_response(&ApiError::new(
        ErrorKind::UnknownOperation,
        format!("No AppFlow operation at {}", uri.path()),
    ))
}

/// A wrong method on an operation's route is no operation either (W1: every
/// operation is a POST), so it answers the same 404 as the error table says.
pub(super) async fn wrong_method(body: Body) -> Response {
    let _ = read_limited(body).await;
    error_response(&ApiError::new(
        ErrorKind::UnknownOperation,
        "AppFlow operations are POST requests",
    ))
}
