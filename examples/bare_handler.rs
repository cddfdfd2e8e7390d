//! The baseline of the loopback comparison (benches/loopback.sh): a bare axum
//! handler that parses the same StartFlow JSON and answers a fixed body, with
//! none of the emulator's work. `cargo run --release --example bare_handler -- PORT`

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::post;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartFlow {
    flow_name: String,
    client_token: Option<String>,
}

const FIXED: &str = r#"{"flowArn":"arn:aws:appflow:us-east-1:000000000000:flow/bench","flowStatus":"Active","executionId":"00000000-0000-4000-8000-000000000000"}"#;

async fn start_flow(body: Bytes) -> impl IntoResponse {
    match serde_json::from_slice::<StartFlow>(&body) {
        Ok(req) => {
            std::hint::black_box((&req.flow_name, &req.client_token));
            ([(header::CONTENT_TYPE, "application/json")], FIXED).into_response()
        }
        Err(_) => (axum::http::StatusCode::BAD_REQUEST, "{}").into_response(),
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(4567);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    eprintln!("bare handler on http://127.0.0.1:{port}");
    // The same server loop as the emulator's, so only the handler differs.
    appflow_harness::emulator::transport::serve(
        listener,
        Router::new().route("/start-flow", post(start_flow)),
        appflow_harness::emulator::transport::HEADER_READ_TIMEOUT,
        std::future::pending(),
    )
    .await
}
