//! An endpoint in front of the emulator that changes what passes through:
//! the way to make a conforming endpoint faulty in one respect, or
//! different where the contract leaves room.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use serde_json::Value;

/// An answer as the proxy passes it on.
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    /// The body as JSON, when it is JSON (change this to change the answer).
    pub json: Option<Value>,
    pub raw: Bytes,
}

/// What a proxy changes: the request before it is forwarded (`path`, its
/// JSON body), and the answer after.
pub trait Change: Send + Sync + 'static {
    fn request(&self, _path: &str, _body: &mut Value) {}
    /// Answer without asking the emulator (the request is not forwarded).
    fn intercept(&self, _path: &str, _body: &Value, _size: usize) -> Option<Answer> {
        None
    }
    fn answer(&self, _path: &str, _request: &Value, _answer: &mut Answer) {}
    /// Forward the request body re-serialised (compact) rather than as it
    /// came: padding whitespace never reaches the emulator's size limit.
    fn compact(&self) -> bool {
        false
    }
    /// The emulator closed the connection without an answer to this
    /// request (`request` as forwarded), and so does the proxy.
    fn lost(&self, _path: &str, _request: &Value) {}
    /// Close the connection without an answer.
    fn drop_connection(&self, _path: &str, _size: usize) -> bool {
        false
    }
}

struct Proxy {
    upstream: String,
    http: reqwest::Client,
    change: Box<dyn Change>,
}

/// Starts a proxy to `upstream` on a loopback port; answers its URL.
pub async fn start(upstream: &str, change: impl Change) -> String {
    let proxy = Arc::new(Proxy {
        upstream: upstream.trim_end_matches('/').to_owned(),
        http: reqwest::Client::new(),
        change: Box::new(change),
    });
    let app = axum::Router::new().fallback(forward).with_state(proxy);
    crate::support::serve_app(app).await
}

/// An AWS-style error answer.
pub fn error(status: u16, kind: &str, message: &str) -> Answer {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    // An id of its own, as a conforming endpoint gives (W3, judged run-wide).
    if let Ok(id) = HeaderValue::from_str(&format!("proxy-{}", uuid::Uuid::new_v4())) {
        headers.insert("x-amzn-requestid", id);
    }
    if let Ok(v) = HeaderValue::from_str(kind) {
        headers.insert("x-amzn-errortype", v);
    }
    let json = serde_json::json!({ "message": message });
    Answer {
        status,
        headers,
        raw: Bytes::from(json.to_string()),
        json: Some(json),
    }
}

async fn forward(State(p): State<Arc<Proxy>>, request: Request) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let bytes = axum::body::to_bytes(request.into_body(), 8 << 20)
        .await
        .unwrap_or_default();
    let size = bytes.len();
    let mut body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if p.change.drop_connection(&path, size) {
        let failing = futures_util::stream::once(async {
            Err::<Bytes, std::io::Error>(std::io::Error::other("dropped by the proxy"))
        });
        return Response::new(axum::body::Body::from_stream(failing));
    }
    let answer = match p.change.intercept(&path, &body, size) {
        Some(a) => a,
        None => {
            let before = body.clone();
            p.change.request(&path, &mut body);
            // Sent as it came unless the change changed it.
            let sent = if body == before && !(p.change.compact() && body.is_object()) {
                bytes.clone()
            } else {
                Bytes::from(body.to_string())
            };
            let url = format!("{}{path}", p.upstream);
            let req = match method {
                Method::GET => p.http.get(&url),
                Method::DELETE => p.http.delete(&url),
                _ => p
                    .http
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(sent),
            };
            match req.send().await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let headers = r.headers().clone();
                    let Ok(raw) = r.bytes().await else {
                        p.change.lost(&path, &body);
                        return Response::new(axum::body::Body::from_stream(
                            futures_util::stream::once(async {
                                Err::<Bytes, std::io::Error>(std::io::Error::other("lost"))
                            }),
                        ));
                    };
                    Answer {
                        status,
                        headers,
                        json: serde_json::from_slice(&raw).ok(),
                        raw,
                    }
                }
                // The emulator closed the connection: so does the proxy.
                Err(e) => {
                    p.change.lost(&path, &body);
                    let failing = futures_util::stream::once(async move {
                        Err::<Bytes, std::io::Error>(std::io::Error::other(e.to_string()))
                    });
                    return Response::new(axum::body::Body::from_stream(failing));
                }
            }
        }
    };
    let mut answer = answer;
    let before = answer.json.clone();
    p.change.answer(&path, &body, &mut answer);
    let raw = match (&answer.json, &before) {
        (Some(j), b) if Some(j) != b.as_ref() => Bytes::from(j.to_string()),
        _ => answer.raw.clone(),
    };
    let mut response = Response::new(axum::body::Body::from(raw));
    *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    for name in ["content-type", "x-amzn-requestid", "x-amzn-errortype"] {
        if let Some(v) = answer.headers.get(name) {
            response.headers_mut().insert(name, v.clone());
        }
    }
    response
}
