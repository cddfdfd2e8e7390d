//! concurrency: StartFlow calls with one token that overlap on a scheduled
//! or event flow answer 409 to all but the first to arrive, though every
//! replay of the activating token must answer its 200 (T5, T11): the
//! activation is not linearisable. Calls one after another are served
//! right. A proxy of its own, as the fault needs calls to overlap: the
//! first StartFlow of a token on a scheduled or event flow is held until a
//! second of the same token arrives (at most [`HOLD`]), so a burst's calls
//! overlap every time, however loaded the machine, and a call alone waits
//! out the bound and is served right.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::Value;

/// How long the first StartFlow of a token waits for a second: a bound,
/// so that a call alone is answered; long enough that a burst's second
/// call, sent at once, arrives within it on a loaded machine.
const HOLD: Duration = Duration::from_millis(400);

#[derive(Default)]
struct Shared {
    inflight: Mutex<HashMap<String, usize>>,
    /// Keys (flow and token) answered once: their later calls are replays
    /// and are not held.
    answered: Mutex<HashSet<String>>,
    /// Woken when a call arrives, for the held ones.
    arrived: tokio::sync::Notify,
    triggers: Mutex<HashMap<String, String>>,
    upstream: String,
    http: reqwest::Client,
}

/// Starts the racing endpoint in front of `upstream`; answers its URL.
pub async fn start(upstream: &str) -> String {
    let shared = Arc::new(Shared {
        upstream: upstream.to_owned(),
        ..Shared::default()
    });
    let app = axum::Router::new().fallback(handle).with_state(shared);
    crate::support::serve_app(app).await
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

async fn handle(State(s): State<Arc<Shared>>, request: Request) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let bytes = axum::body::to_bytes(request.into_body(), 8 << 20)
        .await
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let name = body["flowName"].as_str().unwrap_or_default().to_owned();
    // Calls race per flow and token: one token's replays racing its first use.
    let key = format!(
        "{name}\n{}",
        body["clientToken"].as_str().unwrap_or_default()
    );
    if path == "/create-flow" {
        let t = body["triggerConfig"]["triggerType"]
            .as_str()
            .unwrap_or_default();
        lock(&s.triggers).insert(name.clone(), t.to_owned());
    }
    let counted = path == "/start-flow" && body["clientToken"].is_string();
    let overlapping = counted && {
        let mut m = lock(&s.inflight);
        let n = m.entry(key.clone()).or_insert(0);
        *n += 1;
        *n > 1
    };
    let scheduled_now = lock(&s.triggers)
        .get(&name)
        .is_some_and(|t| t != "OnDemand");
    if counted && overlapping {
        s.arrived.notify_waiters();
    } else if counted && scheduled_now && !lock(&s.answered).contains(&key) {
        hold(&s, &key).await;
    }
    let sent = forward(&s.http, &s.upstream, &method, &path, &bytes).await;
    if counted && sent.as_ref().is_some_and(|u| u.status == 200) {
        lock(&s.answered).insert(key.clone());
    }
    if counted && let Some(n) = lock(&s.inflight).get_mut(&key) {
        *n = n.saturating_sub(1);
    }
    let Some(upstream) = sent else {
        return closed();
    };
    let scheduled = lock(&s.triggers)
        .get(&name)
        .is_some_and(|t| t != "OnDemand");
    if overlapping && scheduled && upstream.status == 200 {
        return conflict();
    }
    upstream.response()
}

/// Waits until a second call of `key` is in flight, or [`HOLD`] passed.
async fn hold(s: &Shared, key: &str) {
    let until = tokio::time::Instant::now() + HOLD;
    loop {
        let woken = s.arrived.notified();
        tokio::pin!(woken);
        // Registered before the count is read: an arrival in between wakes it.
        woken.as_mut().enable();
        if lock(&s.inflight).get(key).is_some_and(|n| *n > 1) {
            return;
        }
        if tokio::time::timeout_at(until, woken).await.is_err() {
            return;
        }
    }
}

/// An upstream answer: status, the headers AppFlow clients read, body.
#[derive(Clone)]
pub(super) struct Upstream {
    pub status: u16,
    pub headers: Vec<(&'static str, axum::http::HeaderValue)>,
    pub raw: Bytes,
}

impl Upstream {
    /// The answer, sent on.
    pub fn response(&self) -> Response {
        let mut response = Response::new(axum::body::Body::from(self.raw.clone()));
        *response.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        for (h, v) in &self.headers {
            response.headers_mut().insert(*h, v.clone());
        }
        response
    }
}

/// Sends the request on to `upstream`; `None` when the connection closed
/// (an injected fault).
pub(super) async fn forward(
    http: &reqwest::Client,
    upstream: &str,
    method: &Method,
    path: &str,
    bytes: &Bytes,
) -> Option<Upstream> {
    let url = format!("{upstream}{path}");
    let r = match *method {
        Method::GET => http.get(&url),
        Method::DELETE => http.delete(&url),
        _ => http
            .post(&url)
            .header("content-type", "application/json")
            .body(Bytes::clone(bytes)),
    }
    .send()
    .await
    .ok()?;
    let status = r.status().as_u16();
    let headers = ["content-type", "x-amzn-requestid", "x-amzn-errortype"]
        .into_iter()
        .filter_map(|h| r.headers().get(h).map(|v| (h, v.clone())))
        .collect();
    let raw = r.bytes().await.unwrap_or_default();
    Some(Upstream {
        status,
        headers,
        raw,
    })
}

/// The emulator closed the connection: so does the proxy.
pub(super) fn closed() -> Response {
    let failing = futures_util::stream::once(async move {
        Err::<Bytes, std::io::Error>(std::io::Error::other("the upstream closed the connection"))
    });
    Response::new(axum::body::Body::from_stream(failing))
}

/// The 409 an overlapping call gets.
fn conflict() -> Response {
    Response::builder()
        .status(409)
        .header("content-type", "application/json")
        .header("x-amzn-requestid", uuid::Uuid::new_v4().to_string())
        .header("x-amzn-errortype", "ConflictException")
        .body(axum::body::Body::from(
            r#"{"message":"the flow is being activated"}"#,
        ))
        .expect("response")
}
