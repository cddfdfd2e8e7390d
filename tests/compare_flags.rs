//! `compare` takes the same connection flags as `check` (issue 17): the
//! pacing (`--max-rps`), the fixtures (`--var`) and AWS's address
//! (`--endpoint-url`) reach the side they are meant for.

use std::sync::{Arc, Mutex};

use appflow_harness::emulator::{Config, Emulator};
use appflow_harness::endpoint::Environment;
use serde_json::Value;

use crate::support::proxy::{self, Answer, Change};

use crate::support::run_cli as run;

/// What passed through the proxy: the status of every AppFlow answer and
/// the source bucket of every CreateFlow request.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<(Vec<u16>, Vec<String>)>>);

impl Change for Seen {
    fn answer(&self, path: &str, request: &Value, answer: &mut Answer) {
        if path.starts_with("/_harness") {
            return;
        }
        let mut seen = self.0.lock().expect("lock");
        seen.0.push(answer.status);
        if path == "/create-flow" {
            let bucket = request
                .pointer("/sourceFlowConfig/sourceConnectorProperties/S3/bucketName")
                .and_then(Value::as_str)
                .unwrap_or("(none)");
            seen.1.push(bucket.to_owned());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_paces_the_target_side_with_max_rps_and_builds_fixtures_from_var() {
    // The target throttles above 3 requests a second (a bucket of 3); paced
    // at 1.5 a second, nothing sent to it may be throttled.
    let emulator = Emulator::start_with(Config {
        throttle_rps: Some(3),
        ..Config::default()
    })
    .await
    .expect("emulator");
    let seen = Seen::default();
    let url = proxy::start(&emulator.url(), seen.clone()).await;
    let scenarios = format!("{}/scenarios", env!("CARGO_MANIFEST_DIR"));
    let (code, out) = run(
        &[
            "compare",
            &scenarios,
            "--target",
            &url,
            "--filter",
            "token_replay_on_demand",
            "--max-rps",
            "1.5",
            "--var",
            "source_bucket=compare-var-bucket",
        ],
        &Environment::default(),
    )
    .await;
    assert_eq!(code, 0, "compare with --max-rps and --var passes:\n{out}");
    let (statuses, buckets) = seen.0.lock().expect("lock").clone();
    assert!(
        !statuses.is_empty(),
        "the target side was called through the proxy"
    );
    assert!(
        !statuses.contains(&429),
        "--max-rps 1.5 paces the target below its 3/s limit: statuses {statuses:?}"
    );
    assert!(
        !buckets.is_empty(),
        "the scenario created its flows on the target"
    );
    assert!(
        buckets.iter().all(|b| b == "compare-var-bucket"),
        "every fixture flow on the target is made from --var source_bucket: {buckets:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_sends_the_aws_side_to_endpoint_url_signed() {
    // An emulator that verifies SigV4 with the environment's keys stands in
    // for AWS at --endpoint-url: the AWS side reaches it only if compare
    // applies --endpoint-url and signs as `aws` does.
    let emulator = Emulator::start_with(Config {
        verify_sigv4: Some("AKIDCOMPAREFLAGS:compare-secret-key".into()),
        ..Config::default()
    })
    .await
    .expect("emulator");
    let env = Environment {
        access_key_id: Some("AKIDCOMPAREFLAGS".into()),
        secret_access_key: Some("compare-secret-key".into()),
        ..Environment::default()
    };
    let scenarios = format!("{}/scenarios", env!("CARGO_MANIFEST_DIR"));
    let (code, out) = run(
        &[
            "compare",
            &scenarios,
            "--target",
            "aws",
            "--endpoint-url",
            &emulator.url(),
            "--region",
            "us-east-1",
            "--filter",
            "token_replay_on_demand",
        ],
        &env,
    )
    .await;
    assert_eq!(
        code, 0,
        "the aws side at --endpoint-url answered signed requests:\n{out}"
    );
    assert!(
        !out.contains("compare-secret-key"),
        "the secret never reaches the output"
    );
    assert!(
        emulator.handle().requests() > 3,
        "the aws side's calls reached the emulator at --endpoint-url ({} requests)",
        emulator.handle().requests()
    );
}
