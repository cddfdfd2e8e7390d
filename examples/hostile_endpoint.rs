//! An endpoint that answers every AppFlow operation other than CreateFlow
//! and DeleteFlow with a body of N megabytes, for `benches/hostile_memory.sh`.
//!
//! `cargo run --release --example hostile_endpoint -- PORT MEGABYTES`

use axum::Router;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|a| a.parse().ok()).unwrap_or(4570);
    let mb: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);
    let huge: &'static str = Box::leak("x".repeat(mb << 20).into_boxed_str());
    let app = Router::new().fallback(move |uri: Uri| async move {
        let small =
            r#"{"flowArn":"arn:aws:appflow:us-east-1:000000000000:flow/x","flowStatus":"Active"}"#;
        let body = match uri.path() {
            "/create-flow" | "/delete-flow" => small,
            _ => huge,
        };
        let r: Response = (
            [
                ("content-type", "application/json"),
                ("x-amzn-requestid", "h-1"),
            ],
            body,
        )
            .into_response();
        r
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    eprintln!("hostile endpoint on http://127.0.0.1:{port}: {mb} MB answers");
    axum::serve(listener, app).await
}
