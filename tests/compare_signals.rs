//! Signals to `compare`: SIGTERM (how Kubernetes stops a pod) and Ctrl-C
//! stop both sides, clean up and write the reports.

use serde_json::{Value, json};

fn root() -> String {
    env!("CARGO_MANIFEST_DIR").to_owned()
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("appflow-harness-signal-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

/// SIGTERM (how Kubernetes stops a pod) does for `compare` what Ctrl-C does:
/// both sides stop, clean up, and the reports are written; exit 130.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_in_the_middle_of_compare_cleans_up_and_writes_the_report() {
    use std::process::{Command, Stdio};
    let (mut serve, url) = crate::support::spawn_serve(&[]);
    let api = crate::support::Api::new(&url);
    for op in ["StartFlow", "DescribeFlowExecutionRecords", "DescribeFlow"] {
        api.control(
            "faults",
            json!({"kind": "latency", "latencyMs": 150, "count": 100000, "operation": op}),
        )
        .await;
    }
    let dir = tempdir();
    let json_path = dir.join("compare.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_appflow-harness"))
        .args([
            "compare",
            &format!("{}/scenarios", root()),
            "--baseline",
            &url,
            "--target",
            &url,
            "--json",
        ])
        .arg(&json_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("compare");
    let flows = || async {
        let r = api.call("ListFlows", json!({"maxResults": 100})).await;
        r.json
            .and_then(|j| j["flows"].as_array().cloned())
            .unwrap_or_default()
            .len()
    };
    // Wait (bounded) until the run has made flows: then it is mid-run.
    let mut waited = 0;
    while flows().await == 0 && waited < 200 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
    }
    assert!(flows().await > 0, "the comparison is under way");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let code = child.wait().expect("compare ends").code();
    assert_eq!(
        code,
        Some(appflow_harness::exit_codes::INTERRUPTED),
        "SIGTERM: the documented exit code"
    );
    assert_eq!(flows().await, 0, "no flow left on either side");
    let report: Value =
        serde_json::from_slice(&std::fs::read(&json_path).expect("report written")).expect("json");
    assert!(report["scenarios"].is_array(), "{report}");
    let _ = serve.kill();
    let _ = serve.wait();
}
