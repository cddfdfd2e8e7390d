//! A plain forwarder in front of the emulator with one twist in what it
//! passes back (answers gzip-encoded unasked, a CreateFlow answer lost):
//! faults of the transport that the changing proxy (`proxy.rs`, JSON in,
//! JSON out) cannot make.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::response::Response;

use crate::support::serve_app;

/// A gzip stream of `data` in stored (uncompressed) deflate blocks: valid
/// gzip any decoder reads, made without a compression crate.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut chunks: Vec<&[u8]> = data.chunks(65_535).collect();
    if chunks.is_empty() {
        chunks.push(&[]);
    }
    let last = chunks.len() - 1;
    for (i, chunk) in chunks.into_iter().enumerate() {
        out.push(u8::from(i == last));
        let len = u16::try_from(chunk.len()).expect("a stored block");
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    let mut crc = !0u32;
    for b in data {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    out.extend_from_slice(&(!crc).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// What the forwarding endpoint does to what passes through.
#[derive(Clone, Copy)]
pub enum Twist {
    /// Every answer gzip-encoded, whatever the request's Accept-Encoding.
    Gzip,
    /// The first CreateFlow is forwarded (the flow is made) and its answer
    /// dropped: the connection closes without it.
    LoseFirstCreate,
}

/// A plain forwarder to `upstream` with one twist; answers its URL and a
/// count of CreateFlow answers dropped.
pub async fn forwarder(upstream: String, twist: Twist) -> (String, Arc<AtomicUsize>) {
    let http = reqwest::Client::builder()
        .no_gzip()
        .build()
        .expect("client");
    let dropped = Arc::new(AtomicUsize::new(0));
    let lost_once = Arc::new(AtomicBool::new(false));
    let counter = dropped.clone();
    let app = Router::new().fallback(move |request: Request| {
        let (http, upstream, counter, lost_once) = (
            http.clone(),
            upstream.clone(),
            counter.clone(),
            lost_once.clone(),
        );
        async move {
            let method = request.method().clone();
            let path = request.uri().path().to_owned();
            let body = axum::body::to_bytes(request.into_body(), 8 << 20)
                .await
                .unwrap_or_default();
            let sent = http
                .request(method, format!("{upstream}{path}"))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("the emulator answers");
            let status = sent.status();
            let headers = sent.headers().clone();
            let raw = sent.bytes().await.expect("the emulator's body");
            if matches!(twist, Twist::LoseFirstCreate)
                && path == "/create-flow"
                && !lost_once.swap(true, Ordering::SeqCst)
            {
                counter.fetch_add(1, Ordering::SeqCst);
                let failing = futures_util::stream::once(async {
                    Err::<Bytes, std::io::Error>(std::io::Error::other("answer lost"))
                });
                return Response::new(Body::from_stream(failing));
            }
            let mut r = Response::new(Body::empty());
            *r.status_mut() = status;
            for name in ["content-type", "x-amzn-requestid", "x-amzn-errortype"] {
                if let Some(v) = headers.get(name) {
                    r.headers_mut().insert(name, v.clone());
                }
            }
            if matches!(twist, Twist::Gzip) {
                r.headers_mut()
                    .insert("content-encoding", "gzip".parse().expect("value"));
                *r.body_mut() = Body::from(gzip(&raw));
            } else {
                *r.body_mut() = Body::from(raw);
            }
            r
        }
    });
    (serve_app(app).await, dropped)
}
