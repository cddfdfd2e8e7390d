//! `load` as processes: merges that refuse or add up, Kubernetes-style
//! workers, and signals mid-run.

use std::time::Duration;

use appflow_harness::load::LoadReport;
use serde_json::{Value, json};

use super::run_cli;

/// A worker's (or, with `worker` None, a standalone run's) report, with
/// one series point per second.
fn worker_report(
    worker: Option<(usize, usize)>,
    target: &str,
    users: u64,
    started_at: f64,
) -> LoadReport {
    use appflow_harness::load::metrics::{Metrics, Recorded};
    use appflow_harness::load::report::{RequestFigures, RunInfo, SeriesReport};
    let metrics = Metrics::new(Duration::from_secs(1));
    for i in 0..30u32 {
        metrics.record("StartFlow fresh", i * 100, 500, 200, None);
    }
    let (name, h, statuses, failures) = metrics.snapshot().remove(0);
    let run = RunInfo {
        harness_version: "test".into(),
        target: target.into(),
        target_kind: "url".into(),
        started_at,
        worker,
        options: json!({"users": users}),
    };
    let figures = RequestFigures::new(name, h, statuses, failures, 3.0);
    let _ = Recorded::default();
    LoadReport::new(
        run,
        3.0,
        vec![figures],
        Default::default(),
        Default::default(),
        SeriesReport {
            interval_ms: 1000,
            by_request: metrics.series(),
            active_ms: metrics.active_span_ms(),
        },
    )
}

/// `serve`'s flags that lift the run quotas (Q2, Q3), as `unbounded_quotas`
/// does for an emulator in the test's process.
const UNBOUNDED_SERVE: &[&str] = &[
    "--max-concurrent-runs",
    "100000000",
    "--max-runs-per-month",
    "100000000",
];

/// Writes `r` as `dir/name` (JSON) for `load merge`; answers its path.
fn write_report(dir: &std::path::Path, name: &str, r: &LoadReport) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string(r).expect("json")).expect("write");
    path.display().to_string()
}

/// (index, requests) of each point of a merged series.
fn by_index(points: &[Value]) -> Vec<(u64, u64)> {
    points
        .iter()
        .map(|p| {
            (
                p["index"].as_u64().unwrap_or(0),
                p["requests"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn merge_refuses_reports_that_do_not_belong_together_and_merges_series_by_time() {
    let dir = std::env::temp_dir().join(format!("appflow-harness-merge-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let write = |name: &str, r: &LoadReport| write_report(&dir, name, r);
    let url = "http://127.0.0.1:9";
    let w0 = write("w0.json", &worker_report(Some((0, 2)), url, 2, 100.0));
    let w1 = write("w1.json", &worker_report(Some((1, 2)), url, 2, 101.0));
    let alone = write("alone.json", &worker_report(None, url, 2, 100.0));
    let other_target = write(
        "t.json",
        &worker_report(Some((1, 2)), "http://127.0.0.1:8", 2, 100.0),
    );
    let other_options = write("o.json", &worker_report(Some((1, 2)), url, 3, 100.0));
    let other_count = write("n.json", &worker_report(Some((1, 3)), url, 2, 100.0));
    for (second, why) in [
        (&w0, "both worker 0"),
        (&alone, "not a worker's report"),
        (&other_target, "different targets"),
        (&other_options, "different options"),
        (&other_count, "not the same run"),
    ] {
        let (code, message) = run_cli(&["load", "merge", &w0, second]);
        assert_eq!(
            code,
            appflow_harness::exit_codes::USAGE,
            "merging {second} with worker 0 is refused, not summed: {message}"
        );
        assert!(message.contains(why), "the reason says {why:?}: {message}");
    }
    let merged_path = dir.join("merged.json");
    let (code, message) = run_cli(&[
        "load",
        "merge",
        &w0,
        &w1,
        "--min-verified",
        "1",
        "--json",
        &merged_path.display().to_string(),
    ]);
    assert_ne!(
        code,
        appflow_harness::exit_codes::USAGE,
        "two workers merge: {message}"
    );
    let merged: Value =
        serde_json::from_slice(&std::fs::read(&merged_path).expect("merged")).expect("json");
    let points = merged["series"]["by_request"][0]["points"]
        .as_array()
        .expect("points");
    let by_index = by_index(points);
    // Worker 1 started a second later: its seconds 0..2 are the merge's 1..3.
    assert_eq!(
        by_index,
        [(0, 10), (1, 20), (2, 20), (3, 10)],
        "series add up by time, not by index: {points:?}"
    );
}

#[test]
fn three_workers_as_kubernetes_runs_them_merge_into_one_verdict() {
    use std::process::{Command, Stdio};
    let bin = env!("CARGO_BIN_EXE_appflow-harness");
    let (mut serve, url) = crate::support::spawn_serve(UNBOUNDED_SERVE);
    let dir =
        std::env::temp_dir().join(format!("appflow-harness-workers-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let start_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs_f64()
        + 2.0;
    let workers: Vec<_> = (0..3)
        .map(|i| {
            Command::new(bin)
                .args([
                    "load",
                    "--target",
                    &url,
                    "--users",
                    "2",
                    "--run-time",
                    "2s",
                    "--flows",
                    "2",
                    "--workers",
                    "3",
                ])
                .args(["--start-at", &start_at.to_string(), "--min-verified", "10"])
                .arg("--json")
                .arg(dir.join(format!("w{i}.json")))
                .env("JOB_COMPLETION_INDEX", i.to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("worker")
        })
        .collect();
    for mut w in workers {
        assert!(
            w.wait().expect("worker ends").success(),
            "each worker passes alone"
        );
    }
    let reports: Vec<Value> = (0..3)
        .map(|i| {
            serde_json::from_slice(&std::fs::read(dir.join(format!("w{i}.json"))).expect("report"))
                .expect("json")
        })
        .collect();
    for (i, r) in reports.iter().enumerate() {
        assert_eq!(
            r["run"]["worker"],
            json!([i, 3]),
            "worker {i} knows its index"
        );
    }
    let merged_path = dir.join("merged.json");
    let merge = Command::new(bin)
        .arg("load")
        .arg("merge")
        .args((0..3).map(|i| dir.join(format!("w{i}.json"))))
        .arg("--json")
        .arg(&merged_path)
        .output()
        .expect("merge");
    let _ = serve.kill();
    let _ = serve.wait();
    let out = String::from_utf8_lossy(&merge.stdout);
    assert!(merge.status.success(), "{out}");
    let merged: Value =
        serde_json::from_slice(&std::fs::read(&merged_path).expect("merged")).expect("json");
    let sum = |path: &str| -> u64 {
        reports
            .iter()
            .map(|r| r.pointer(path).and_then(Value::as_u64).unwrap_or(0))
            .sum()
    };
    assert_eq!(merged["merged_from"], 3);
    assert_eq!(merged["requests"].as_u64(), Some(sum("/requests")), "{out}");
    assert_eq!(
        merged["verdict"]["fresh_tokens"].as_u64(),
        Some(sum("/verdict/fresh_tokens"))
    );
    assert_eq!(
        merged["verdict"]["classes"]["exactly_once"].as_u64(),
        Some(sum("/verdict/classes/exactly_once"))
    );
    let fresh_hist: u64 = merged["by_request"]
        .as_array()
        .expect("by_request")
        .iter()
        .find(|r| r["name"] == "StartFlow fresh")
        .and_then(|r| r["histogram"]["values"].as_array())
        .expect("histogram")
        .iter()
        .map(|p| p[1].as_u64().unwrap_or(0))
        .sum();
    let fresh_requests: u64 = reports
        .iter()
        .flat_map(|r| r["by_request"].as_array().cloned().unwrap_or_default())
        .filter(|r| r["name"] == "StartFlow fresh")
        .map(|r| r["requests"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(
        fresh_hist, fresh_requests,
        "histograms are added, not averaged"
    );
    assert!(
        out.contains("merged from 3 reports") && out.contains("correctness (records): ok"),
        "{out}"
    );
}

/// serve's request counter.
fn served(rt: &tokio::runtime::Runtime, url: &str) -> Value {
    rt.block_on(async {
        reqwest::get(format!("{url}/_harness/counters"))
            .await
            .expect("counters")
            .json::<Value>()
            .await
            .expect("json")
    })
}

#[test]
fn sigterm_and_sigint_mid_run_write_the_report_leave_no_flow_and_exit_130() {
    use std::process::{Command, Stdio};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let bin = env!("CARGO_BIN_EXE_appflow-harness");
    let (mut serve, url) = crate::support::spawn_serve(UNBOUNDED_SERVE);
    let dir = std::env::temp_dir().join(format!("appflow-harness-signal-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    for signal in ["TERM", "INT"] {
        let json_path = dir.join(format!("{signal}.json"));
        let html_path = dir.join(format!("{signal}.html"));
        let junit_path = dir.join(format!("{signal}.xml"));
        let before = served(&rt, &url)["requests"].as_u64().unwrap_or(0);
        let load = Command::new(bin)
            .args(["load", "--target", &url, "--users", "2", "--flows", "2"])
            .args(["--run-time", "120s", "--min-verified", "1", "--json"])
            .arg(&json_path)
            .arg("--report-file")
            .arg(&html_path)
            .arg("--junit")
            .arg(&junit_path)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("load");
        // Mid-run: the attack has sent a few hundred requests.
        let mut waited = 0;
        while served(&rt, &url)["requests"].as_u64().unwrap_or(0) < before + 300 {
            std::thread::sleep(Duration::from_millis(100));
            waited += 1;
            assert!(waited < 600, "the attack never started");
        }
        let killed = Command::new("kill")
            .args([format!("-{signal}"), load.id().to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
        let out = load.wait_with_output().expect("load ends");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(appflow_harness::exit_codes::INTERRUPTED),
            "SIG{signal}: exit 130 as README's table says: {stderr}"
        );
        assert!(
            !stderr.contains("caught ctrl-c"),
            "goose's own handler stays out: {stderr}"
        );
        let report: Value =
            serde_json::from_slice(&std::fs::read(&json_path).expect("the JSON report is written"))
                .expect("json");
        assert_eq!(report["interrupted"], json!(true), "SIG{signal}");
        // Every report says the run was cut short, with the planned run
        // time beside the actual, and none shows it as passed (issue 29).
        assert_eq!(
            report["result"],
            json!("interrupted"),
            "SIG{signal}: the JSON's result: {report}"
        );
        assert_eq!(report["run"]["options"]["run_time_secs"], json!(120.0));
        let terminal = String::from_utf8_lossy(&out.stdout);
        let last = terminal.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("result: INTERRUPTED after")
                && last.contains("of the planned 120 s")
                && last.contains("not a pass"),
            "SIG{signal}: the terminal report ends with one result line: {terminal}"
        );
        assert!(!terminal.contains("PASSED"), "{terminal}");
        let page = std::fs::read_to_string(&html_path).expect("the HTML report is written");
        assert!(
            page.contains("class=\"warn\">interrupted</span>")
                && page.contains("of the planned 120 s: not a pass"),
            "SIG{signal}: the page's headline says interrupted and the planned time"
        );
        assert!(
            !page.contains("class=\"ok\">passed</span>"),
            "SIG{signal}: no green passed for a run cut short"
        );
        let junit = std::fs::read_to_string(&junit_path).expect("the JUnit report is written");
        assert!(
            junit.contains("<property name=\"result\" value=\"interrupted\"")
                && junit.contains("<testcase name=\"run\"")
                && junit.contains("message=\"result: INTERRUPTED after"),
            "SIG{signal}: the JUnit report fails its run case as interrupted: {junit}"
        );
        assert_eq!(
            report["verdict"]["classes"]["lost"],
            json!(0),
            "what ran is judged: {report}"
        );
        assert_eq!(
            served(&rt, &url)["flows"],
            json!(0),
            "SIG{signal}: the ld- flows were deleted"
        );
    }
    let _ = serve.kill();
    let _ = serve.wait();
}

/// A long run's series coarsen (interval doubled past `MAX_POINTS`), so
/// workers may end an interval or a power of two apart: the merge folds
/// the finer series into the coarser interval, losing no request; any other
/// pair of intervals is refused.
#[test]
fn a_coarsened_worker_series_merges_into_the_coarser_interval() {
    let dir = std::env::temp_dir().join(format!("appflow-harness-coarse-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let write = |name: &str, r: &LoadReport| write_report(&dir, name, r);
    let url = "http://127.0.0.1:9";
    let coarse = |interval_ms: u64| {
        let mut r = worker_report(Some((1, 2)), url, 2, 100.0);
        r.series.interval_ms = interval_ms;
        for s in &mut r.series.by_request {
            for p in &mut s.points {
                p.index = (u64::from(p.index) * 1000 / interval_ms) as u32;
            }
        }
        r
    };
    let w0 = write("w0.json", &worker_report(Some((0, 2)), url, 2, 100.0));
    let w1 = write("w1.json", &coarse(2000));
    let odd = write("odd.json", &coarse(3000));
    let (code, message) = run_cli(&["load", "merge", &w0, &odd]);
    assert_eq!(code, appflow_harness::exit_codes::USAGE, "{message}");
    assert!(message.contains("other intervals"), "{message}");
    let merged_path = dir.join("merged.json");
    let (code, message) = run_cli(&[
        "load",
        "merge",
        &w0,
        &w1,
        "--min-verified",
        "1",
        "--json",
        &merged_path.display().to_string(),
    ]);
    assert_ne!(code, appflow_harness::exit_codes::USAGE, "{message}");
    let merged: Value =
        serde_json::from_slice(&std::fs::read(&merged_path).expect("merged")).expect("json");
    assert_eq!(
        merged["series"]["interval_ms"], 2000,
        "the coarser interval"
    );
    let points = merged["series"]["by_request"][0]["points"]
        .as_array()
        .expect("points");
    let by_index = by_index(points);
    assert_eq!(
        by_index,
        [(0, 40), (1, 20)],
        "every request, by time: {points:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
