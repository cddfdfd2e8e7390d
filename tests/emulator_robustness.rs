//! Arbitrary input never takes the emulator down: every answer is AWS error
//! JSON or a success, never a 5xx, a panic or a dropped connection.

use appflow_harness::emulator::{BODY_LIMIT, Config, Handle, router};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::time::Duration;

use crate::support::fuzz_cases::{ROUTES, body};

async fn send(
    app: axum::Router,
    method: &str,
    route: &str,
    ctype: &str,
    body: Vec<u8>,
) -> (u16, Option<String>, Vec<u8>) {
    crate::support::fuzz_cases::send(app, method, route, ctype, body)
        .await
        .expect("an answer with x-amzn-RequestId and a complete body")
}

fn seeded() -> Handle {
    crate::support::fuzz_cases::seeded(Config::default())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_request_gets_a_well_formed_aws_answer(
        route in prop::sample::select(&ROUTES[..]),
        method in prop::sample::select(&["POST", "POST", "POST", "GET", "PUT"][..]),
        ctype in prop::sample::select(&["application/json", "text/plain", "application/x-amz-json-1.1", ""][..]),
        body in body(),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let (status, etype, bytes) = rt.block_on(send(router(seeded()), method, route, ctype, body));
        crate::support::fuzz_cases::well_formed(status, etype.as_deref(), &bytes)
            .map_err(TestCaseError::fail)?;
    }
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_with_a_validation_error() {
    let mut big = b"{\"flowName\":\"od\",\"clientToken\":\"".to_vec();
    big.resize(BODY_LIMIT + 10, b'a');
    big.extend_from_slice(b"\"}");
    let (status, etype, body) = send(
        router(seeded()),
        "POST",
        "/start-flow",
        "application/json",
        big,
    )
    .await;
    assert_eq!(
        (status, etype.as_deref()),
        (400, Some("ValidationException"))
    );
    let v: Value = serde_json::from_slice(&body).expect("json");
    assert!(v["message"].as_str().is_some_and(|m| m.contains("limit")));
}

/// Writes `raw` on a new connection, half-closes it, and reads to the end.
async fn half_closed_exchange(addr: std::net::SocketAddr, raw: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(raw).await.expect("write");
    s.shutdown().await.expect("half-close");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

fn start_flow_request(flow: &str) -> String {
    let body = format!(r#"{{"flowName":"{flow}"}}"#);
    format!(
        "POST /start-flow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[tokio::test]
async fn a_request_sent_then_half_closed_is_answered_every_time() {
    let emu = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    // The answer takes a while, so the client's half-close arrives first:
    // the case a server that closes on EOF gets wrong.
    let api = crate::support::Api::new(&emu.url());
    api.control(
        "faults",
        json!({"kind": "latency", "latencyMs": 20, "count": 200, "operation": "StartFlow"}),
    )
    .await;
    let mut answered = 0;
    for _ in 0..200 {
        let text = half_closed_exchange(emu.addr(), start_flow_request("nope").as_bytes()).await;
        if text.starts_with("HTTP/1.1 404") && text.contains("x-amzn-requestid") {
            answered += 1;
        }
    }
    assert_eq!(
        answered, 200,
        "every half-closed request gets its AWS answer"
    );
}

#[tokio::test]
async fn every_request_of_a_pipelined_batch_is_answered() {
    let emu = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let batch: String = (0..8)
        .map(|i| start_flow_request(&format!("f{i}")))
        .collect();
    let text = half_closed_exchange(emu.addr(), batch.as_bytes()).await;
    assert_eq!(text.matches("HTTP/1.1 404").count(), 8, "{text}");
    assert_eq!(
        text.matches("does not exist").count(),
        8,
        "each with its AWS error body"
    );
}

#[tokio::test]
async fn a_connection_that_never_finishes_its_headers_is_closed() {
    use appflow_harness::emulator::{Config, Handle, router, transport};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = router(Handle::new(Config::default()));
    tokio::spawn(transport::serve(
        listener,
        app,
        Duration::from_millis(300),
        std::future::pending(),
    ));
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"POST /start-flow HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    // The bound is for liveness, not a timing claim: without a header read
    // timeout the server would hold this connection open forever.
    let mut rest = Vec::new();
    let ended = tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut rest)).await;
    assert!(
        ended.is_ok(),
        "the server closed the connection that never finished its headers"
    );
}
