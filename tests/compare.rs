//! `compare` and references: two embedded emulators whose profiles differ
//! give exactly the expected gaps; a rule broken on one side is a
//! violation; a conforming endpoint that differs only where the contract
//! leaves room passes `check`; the HTML page is self-contained; recordings
//! of different kinds never overwrite each other.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use appflow_harness::endpoint::Environment;
use serde_json::{Value, json};

use crate::support::proxy::{self, Answer, Change};

fn root() -> String {
    env!("CARGO_MANIFEST_DIR").to_owned()
}

fn tempdir() -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("appflow-harness-compare-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

/// Runs a command line as a user would; answers its exit code and output.
async fn run(args: &[String]) -> (i32, String) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    crate::support::run_cli(&args, &Environment::default()).await
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

/// `compare` of the catalogue against `target`; its exit code, output and JSON report.
async fn compare(target: &str, dir: &Path, extra: &[&str]) -> (i32, String, Value) {
    let json = dir.join("compare.json");
    let mut args = strings(&[
        "compare",
        &format!("{}/scenarios", root()),
        "--target",
        target,
    ]);
    args.extend(strings(&["--json", &json.display().to_string()]));
    args.extend(strings(extra));
    let (code, out) = run(&args).await;
    let report = serde_json::from_slice(&std::fs::read(&json).expect("json report")).expect("json");
    (code, out, report)
}

/// (scenario, step) of every entry of `class` in a JSON comparison.
fn places(report: &Value, class: &str) -> BTreeSet<(String, u64)> {
    report["scenarios"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| {
            let name = s["name"].as_str().unwrap_or_default().to_owned();
            s["entries"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(move |e| e["class"] == class)
                .map(move |e| (name.clone(), e["step"].as_u64().unwrap_or_default()))
        })
        .collect()
}

fn set(items: &[(&str, u64)]) -> BTreeSet<(String, u64)> {
    items.iter().map(|(s, n)| ((*s).to_owned(), *n)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_flag_changes_are_two_gap_behaviours_at_exactly_the_expected_steps() {
    let dir = tempdir();
    let (md, html) = (dir.join("parity.md"), dir.join("parity.html"));
    let (code, out, report) = compare(
        "embedded:active-start=idempotent,stopped-status=draft",
        &dir,
        &[
            "--fail-on",
            "gap",
            "--markdown",
            &md.display().to_string(),
            "--html",
            &html.display().to_string(),
        ],
    )
    .await;
    assert_eq!(code, 1, "--fail-on gap fails on gaps:\n{out}");
    assert_eq!(
        places(&report, "gap"),
        set(&[
            ("activation_replay", 3),
            ("start_when_active", 2),
            ("start_when_active", 4),
            ("start_after_stop", 2),
            ("stop_event", 4),
            ("stop_scheduled", 2),
            ("stop_scheduled", 3),
            ("stop_scheduled", 5),
        ]),
        "{out}"
    );
    for class in ["violation", "known", "not-compared", "allowed"] {
        assert!(places(&report, class).is_empty(), "no {class}:\n{out}");
    }
    assert_eq!(
        report["totals"]["gaps"], 2,
        "two flags changed, two behaviours:\n{out}"
    );
    assert_eq!(report["totals"]["gap_fields"], 20, "{out}");
    assert!(
        out.contains("gaps: 2 behaviour(s) where both sides conform and chose differently (20 answer fields):\n  1. StartFlow at 3 step(s): activation_replay step 3; start_when_active steps 2, 4\n"),
        "{out}"
    );
    assert!(
        out.contains("       response.status: baseline 409  |  target 200\n"),
        "{out}"
    );
    assert!(
        out.contains("  2. DescribeFlow, StopFlow at 5 step(s): start_after_stop step 2; stop_event step 4; stop_scheduled steps 2, 3, 5\n       response.body.flowStatus: baseline \"Suspended\"  |  target \"Draft\""),
        "{out}"
    );
    assert!(out.contains("2 gaps (20 fields)"), "{out}");
    let md = std::fs::read_to_string(md).expect("markdown");
    assert!(
        md.lines().count() < 20,
        "a pull-request comment, not a 47-row table:\n{md}"
    );
    assert!(md.contains("5 of 47 scenarios differ"), "{md}");
    assert!(
        !md.contains("| body_too_large |"),
        "only scenarios that differ:\n{md}"
    );
    assert!(
        md.contains("`response.body.flowStatus` `\"Suspended\"` → `\"Draft\"`"),
        "values in code spans (placeholders such as <flow> are no HTML tags):\n{md}"
    );
    let page = std::fs::read_to_string(html).expect("html");
    assert!(
        page.contains("&quot;status&quot;: <mark>200</mark>")
            && page.contains("&quot;status&quot;: <mark>409</mark>"),
        "the side-by-side answers highlight the field that differs"
    );
    assert!(
        page.contains("<td>passed</td><td>passed</td>") && !page.contains("(scenario)"),
        "statuses in words, no row for an operation without a failure"
    );
    assert!(
        page.contains("white-space:pre-wrap") && !page.contains("overflow:auto"),
        "long answers wrap instead of scrolling sideways"
    );
    let score = report["totals"]["parity_score"].as_f64().expect("score");
    assert!(score > 0.99 && score < 1.0, "{score}");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{}/docs/compare.schema.json", root())).expect("schema"),
    )
    .expect("schema json");
    let mut errors = Vec::new();
    crate::support::conforms(&report, &schema, &schema, "report", &mut errors);
    assert!(
        errors.is_empty(),
        "the report follows docs/compare.schema.json: {errors:#?}"
    );
}

/// Answers StartFlow with an ARN in another region (O1).
struct WrongRegion;
impl Change for WrongRegion {
    fn answer(&self, path: &str, _: &Value, a: &mut Answer) {
        if path == "/start-flow"
            && let Some(j) = a.json.as_mut()
            && let Some(arn) = j["flowArn"].as_str()
        {
            j["flowArn"] = json!(arn.replace(":us-east-1:", ":eu-west-1:"));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_broken_on_the_target_is_a_violation_with_its_side_and_rule() {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let url = proxy::start(&emulator.url(), WrongRegion).await;
    let dir = tempdir();
    let (code, out, report) = compare(&url, &dir, &["--filter", "on_demand_start"]).await;
    assert_eq!(code, 1, "{out}");
    let s = &report["scenarios"][0];
    let v = s["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["class"] == "violation" && e["message"].is_string())
        .expect("a violation");
    assert_eq!(v["side"], "target");
    assert_eq!(v["step"], 1);
    assert_eq!(v["rules"], json!(["O1"]));
    assert!(out.contains("target on_demand_start step 1 [O1]"), "{out}");
}

/// Conforms, but differs where the contract leaves room: an IAM user as
/// creator, fewer run counters, `Canceled` where we say `CancelStarted`,
/// and empty lists and maps left out (W8).
struct Cosmetic;
impl Change for Cosmetic {
    fn answer(&self, _: &str, _: &Value, a: &mut Answer) {
        fn walk(v: &mut Value) {
            match v {
                Value::Object(m) => {
                    for (k, x) in m.iter_mut() {
                        match (k.as_str(), &*x) {
                            ("createdBy" | "lastUpdatedBy", Value::String(_)) => {
                                *x = json!("arn:aws:iam::000000000000:user/ci-runner");
                            }
                            ("executionStatus", Value::String(s)) if s == "CancelStarted" => {
                                *x = json!("Canceled");
                            }
                            _ => walk(x),
                        }
                    }
                    if let Some(Value::Object(r)) = m.get_mut("executionResult") {
                        r.remove("maxPageSize");
                        r.remove("numParallelProcesses");
                    }
                    m.retain(|_, x| !matches!(x, Value::Array(a) if a.is_empty()));
                    m.retain(|_, x| !matches!(x, Value::Object(o) if o.is_empty()));
                }
                Value::Array(a) => a.iter_mut().for_each(walk),
                _ => {}
            }
        }
        if let Some(j) = a.json.as_mut() {
            walk(j);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conforming_endpoint_that_differs_where_the_contract_leaves_room_passes_check() {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let url = proxy::start(&emulator.url(), Cosmetic).await;
    // A copy of the shipped references: the strict run writes .snap.new files.
    let copy = tempdir();
    std::fs::create_dir_all(copy.join("embedded")).expect("dir");
    for e in std::fs::read_dir(format!("{}/snapshots/embedded", root()))
        .expect("references")
        .flatten()
    {
        if e.path().extension().is_some_and(|x| x == "snap") {
            std::fs::copy(e.path(), copy.join("embedded").join(e.file_name())).expect("copy");
        }
    }
    let snapshots = copy.display().to_string();
    let base = strings(&[
        "check",
        &format!("{}/scenarios", root()),
        "--target",
        &url,
        "--snapshot-dir",
        &snapshots,
    ]);
    let (code, out) = run(&base).await;
    assert_eq!(
        code, 0,
        "by default, differences from a reference of another kind are parity notes:\n{out}"
    );
    assert!(out.contains("reference: `embedded`, parity"), "{out}");
    assert!(
        out.contains("parity differences from the reference"),
        "{out}"
    );
    assert!(
        out.contains("steps.2.response.body.flowExecutions.0.executionStatus: reference \"CancelStarted\", this target \"Canceled\""),
        "the one difference the transformers do not hide:\n{out}"
    );
    assert!(
        !out.contains("ci-runner"),
        "createdBy is not behaviour:\n{out}"
    );
    assert!(
        !out.contains("maxPageSize"),
        "run counters are not behaviour:\n{out}"
    );

    let mut strict = base.clone();
    strict.extend(strings(&["--snapshots", "strict"]));
    let (code, out) = run(&strict).await;
    assert_eq!(code, 1, "--snapshots strict fails on them:\n{out}");
    let written = std::fs::read_dir(copy.join("embedded"))
        .expect("dir")
        .flatten()
        .filter(|e| e.path().to_string_lossy().ends_with(".snap.new"))
        .count();
    assert!(
        written > 0,
        "strict mode writes the new transcripts for review"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_report_is_self_contained() {
    let dir = tempdir();
    let html = dir.join("parity.html");
    let (_, _, _) = compare(
        "embedded:stopped-status=draft",
        &dir,
        &["--html", &html.display().to_string(), "--filter", "stop_"],
    )
    .await;
    let page = std::fs::read_to_string(&html).expect("html");
    assert!(page.starts_with("<!doctype html>"));
    assert!(page.contains("Parity per operation") && page.contains("Every difference"));
    assert!(
        page.contains("&quot;Suspended&quot;") && page.contains("&quot;Draft&quot;"),
        "both answers shown"
    );
    for banned in ["<script", "<link", "src=", "url(", "@import", "<iframe"] {
        assert!(!page.contains(banned), "the page loads something: {banned}");
    }
    let hrefs: Vec<&str> = page
        .match_indices("href=\"")
        .map(|(i, _)| &page[i + 6..i + 7])
        .collect();
    assert!(
        hrefs.iter().all(|h| *h == "#"),
        "only links inside the page: {hrefs:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recordings_of_two_kinds_live_side_by_side_with_their_provenance() {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let dir = tempdir();
    let snaps = dir.display().to_string();
    let scenario = format!("{}/scenarios/token_replay_after_8h.yaml", root());
    let record = |target: &str| {
        strings(&[
            "check",
            &scenario,
            "--target",
            target,
            "--snapshot-dir",
            &snaps,
            "--record",
        ])
    };
    assert_eq!(run(&record("embedded")).await.0, 0);
    assert_eq!(run(&record(&emulator.url())).await.0, 0);
    assert_eq!(run(&record("embedded")).await.0, 0, "recording again");
    for kind in ["embedded", "url"] {
        let path = dir.join(kind).join("token_replay_after_8h.snap");
        let stored = appflow_harness::snapshot::read(&path)
            .expect("read")
            .unwrap_or_else(|| panic!("{} lost", path.display()));
        let p = stored.provenance.expect("provenance");
        assert_eq!(p.target, kind);
        assert_eq!(p.endpoint_host, "127.0.0.1");
        assert_eq!(p.region, "us-east-1");
        assert_eq!(p.harness_version, env!("CARGO_PKG_VERSION"));
        assert!(p.scenario_digest.starts_with("sha256:") && p.scenario_digest.len() == 71);
        assert_eq!(
            p.profile.as_ref().and_then(|x| x.get("activeStart")),
            Some(&json!("conflict"))
        );
        assert!(p.skipped_steps.is_empty());
        assert!(
            !p.verified_against_aws,
            "only a recording made on AWS, with nothing skipped"
        );
    }
    // Against the url reference now recorded, a url target is strict.
    let (code, out) = run(&strings(&[
        "check",
        &scenario,
        "--target",
        &emulator.url(),
        "--snapshot-dir",
        &snaps,
    ]))
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("reference: `url`, strict"), "{out}");
}
