//! StartFlow through the emulator's router in-process (fresh and replayed
//! tokens), against a bare axum handler that parses the same JSON, so the
//! figure that matters is a ratio measured in the same run.

use std::sync::atomic::{AtomicU64, Ordering};

use appflow_harness::emulator::fields::TriggerType;
use appflow_harness::emulator::{Config, Handle, router};
use appflow_harness::fixtures::create_flow_body;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Request, header};
use axum::routing::post;
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::BodyExt;
use tower::ServiceExt;

fn request(body: String) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri("/start-flow")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .expect("request")
}

async fn roundtrip(app: &Router, body: String) -> Bytes {
    let resp = app
        .clone()
        .oneshot(request(body))
        .await
        .expect("infallible");
    assert_eq!(resp.status(), 200);
    resp.into_body().collect().await.expect("body").to_bytes()
}

fn emulator() -> Router {
    let config = Config {
        max_concurrent_runs: usize::MAX,
        max_runs_per_month: u64::MAX,
        ..Config::default()
    };
    let handle = Handle::new(config);
    let create: appflow_harness::emulator::ops::CreateFlow =
        serde_json::from_value(create_flow_body("bench", TriggerType::OnDemand)).expect("create");
    appflow_harness::emulator::ops::OperationRequest::apply(create, &mut handle.lock(), 0)
        .expect("flow");
    router(handle)
}

fn bare() -> Router {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct StartFlow {
        flow_name: String,
        client_token: Option<String>,
    }
    async fn start(body: Bytes) -> ([(header::HeaderName, &'static str); 1], &'static str) {
        let req: StartFlow = serde_json::from_slice(&body).expect("json");
        std::hint::black_box((&req.flow_name, &req.client_token));
        (
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"flowArn":"arn:aws:appflow:us-east-1:000000000000:flow/bench","flowStatus":"Active","executionId":"00000000-0000-4000-8000-000000000000"}"#,
        )
    }
    Router::new().route("/start-flow", post(start))
}

fn start_flow(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut g = c.benchmark_group("start_flow_in_process");
    let bare = bare();
    g.bench_function("bare_axum_baseline", |b| {
        b.to_async(&rt).iter(|| {
            roundtrip(
                &bare,
                r#"{"flowName":"bench","clientToken":"x"}"#.to_owned(),
            )
        })
    });
    let app = emulator();
    let n = AtomicU64::new(0);
    g.bench_function("emulator_fresh_token", |b| {
        b.to_async(&rt).iter(|| {
            let i = n.fetch_add(1, Ordering::Relaxed);
            roundtrip(
                &app,
                format!(r#"{{"flowName":"bench","clientToken":"tok-{i}"}}"#),
            )
        })
    });
    let app = emulator();
    rt.block_on(roundtrip(
        &app,
        r#"{"flowName":"bench","clientToken":"replayed"}"#.to_owned(),
    ));
    g.bench_function("emulator_replayed_token", |b| {
        b.to_async(&rt).iter(|| {
            roundtrip(
                &app,
                r#"{"flowName":"bench","clientToken":"replayed"}"#.to_owned(),
            )
        })
    });
    g.finish();

    // The pure state transition, without HTTP: what the emulator adds per call.
    let mut g = c.benchmark_group("start_flow_apply");
    let handle = Handle::new(Config {
        max_concurrent_runs: usize::MAX,
        max_runs_per_month: u64::MAX,
        ..Config::default()
    });
    let create: appflow_harness::emulator::ops::CreateFlow =
        serde_json::from_value(create_flow_body("bench", TriggerType::OnDemand)).expect("create");
    appflow_harness::emulator::ops::OperationRequest::apply(create, &mut handle.lock(), 0)
        .expect("flow");
    let n = AtomicU64::new(0);
    g.bench_function("fresh_token", |b| {
        b.iter(|| {
            let i = n.fetch_add(1, Ordering::Relaxed);
            let op = appflow_harness::emulator::ops::StartFlow {
                flow_name: "bench".to_owned(),
                client_token: Some(format!("tok-{i}")),
            };
            let out = appflow_harness::emulator::ops::OperationRequest::apply(
                op,
                &mut handle.lock(),
                i / 1000,
            )
            .expect("start");
            serde_json::to_vec(&out).expect("json")
        })
    });
    g.finish();
}

criterion_group!(benches, start_flow);
criterion_main!(benches);
