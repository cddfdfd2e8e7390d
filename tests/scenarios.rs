//! The whole catalogue against the embedded emulator: every scenario passes,
//! and every transcript matches its insta snapshot in snapshots/.

use std::path::PathBuf;
use std::sync::Arc;

use appflow_harness::emulator::Config;
use appflow_harness::runner::{self, Options, Status};

fn catalogue() -> Vec<appflow_harness::scenario::Scenario> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    appflow_harness::scenario::load(&[dir]).unwrap_or_else(|errors| {
        panic!(
            "invalid scenarios: {}",
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalogue_passes_on_the_embedded_emulator_and_matches_its_snapshots() {
    let scenarios = catalogue();
    let target = crate::support::embedded_target(Config::default()).await;
    let options = Options::new("test", "2026-11-25");
    let summary = runner::run(scenarios, Arc::new(target), options, |_| {}).await;
    let mut report = Vec::new();
    appflow_harness::report::terminal::render(&summary, &mut report).expect("render");
    assert!(summary.passed(), "{}", String::from_utf8_lossy(&report));
    assert!(summary.scenarios.iter().all(|s| s.status == Status::Passed));
    for s in &summary.scenarios {
        let contents = serde_json::to_string_pretty(&s.transcript).expect("json");
        insta::with_settings!({
            snapshot_path => "../snapshots/embedded",
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => s.description.clone(),
            info => &serde_json::json!({"target": "embedded", "region": "us-east-1", "verified_against_aws": false}),
        }, {
            insta::assert_snapshot!(s.name.clone(), contents);
        });
    }
}

#[tokio::test]
async fn check_passes_on_the_catalogue_as_a_user_runs_it() {
    use clap::Parser;
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = tempdir();
    let junit = dir.join("junit.xml");
    let json = dir.join("report.json");
    let cli = appflow_harness::cli::Cli::try_parse_from([
        "appflow-harness",
        "check",
        &format!("{root}/scenarios"),
        "--snapshot-dir",
        &format!("{root}/snapshots"),
        "--junit",
        junit.to_str().expect("utf8"),
        "--json",
        json.to_str().expect("utf8"),
    ])
    .expect("arguments");
    let code = appflow_harness::cli::run(cli).await;
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("json report")).expect("json");
    let failures: Vec<&serde_json::Value> = report["scenarios"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["status"] == "failed")
        .collect();
    assert_eq!(
        crate::support::exit_code(&code),
        appflow_harness::exit_codes::OK,
        "{failures:#?}"
    );
    assert_eq!(report["schema"], "appflow-harness/check-report/v1");
    assert_eq!(report["totals"]["failed"], 0);
    assert!(report["totals"]["calls"].as_u64().is_some_and(|n| n > 100));
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(
        xml.contains("<testcase name=\"token_replay_on_demand\""),
        "{xml}"
    );
    assert!(!xml.contains("<failure"));
}

#[test]
fn check_refuses_bad_arguments() {
    use clap::Parser;
    assert!(
        appflow_harness::cli::Cli::try_parse_from(["appflow-harness", "check", "--jobs", "many"])
            .is_err()
    );
    assert!(
        appflow_harness::cli::Cli::try_parse_from(["appflow-harness", "serve", "--account", "12"])
            .is_err()
    );
}

pub fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("appflow-harness-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[tokio::test]
async fn a_panic_inside_a_step_fails_its_scenario_cleans_up_its_flows_and_fails_the_run() {
    use appflow_harness::commands::Console;
    use appflow_harness::commands::check::{self, CheckOptions};
    use appflow_harness::endpoint::{Environment, TargetChoice, TargetOptions};
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut options = CheckOptions::new(TargetOptions::new(TargetChoice::Url(emulator.url())));
    options.scenarios = vec![
        root.join("on_demand_start.yaml"),
        root.join("token_replay_on_demand.yaml"),
    ];
    options.snapshot_root = None;
    // A bug planted in the harness: the hook panics before step 2 of one scenario.
    options.step_hook = Some(Arc::new(|scenario, step| {
        if scenario.name == "on_demand_start" && step.index == 2 {
            panic!("planted bug");
        }
    }));
    let (mut out, mut log) = (Vec::new(), Vec::new());
    let mut console = Console {
        out: &mut out,
        log: &mut log,
    };
    let result = check::run(options, &Environment::default(), &mut console).await;
    let out = String::from_utf8_lossy(&out);
    assert_eq!(
        crate::support::exit_code(&result),
        appflow_harness::exit_codes::FAILURES,
        "{out}"
    );
    assert!(out.contains("FAIL on_demand_start"), "{out}");
    assert!(
        out.contains(
            "step 2 (DescribeFlowExecutionRecords) [panic] the harness panicked: planted bug"
        ),
        "{out}"
    );
    assert!(out.contains("PASS token_replay_on_demand"), "{out}");
    let counters = emulator.handle().lock().flows.len();
    assert_eq!(counters, 0, "the panicked scenario's flow was deleted");
}

#[test]
fn every_rule_id_of_appflow_md_is_covered_by_a_scenario_and_input_rules_from_both_sides() {
    use appflow_harness::scenario::coverage::coverage;
    let shipped = appflow_harness::contract::APPFLOW_MD;
    // The contract lives in the project's shared folder; the copy shipped in
    // docs/ must be the same text, so that ids cannot drift.
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/APPFLOW.md");
    if let Ok(text) = std::fs::read_to_string(&shared) {
        assert_eq!(
            text,
            shipped,
            "docs/APPFLOW.md differs from {}",
            shared.display()
        );
    }
    let ids = appflow_harness::contract::rule_ids();
    assert_eq!(
        ids.len(),
        44,
        "APPFLOW.md defines W1-W8, V1-V3, O1-O3, L1-L7, T1-T14, C1-C2, S1-S4, Q1-Q3: {ids:?}"
    );
    let table = coverage(&catalogue(), ids);
    let missing: Vec<String> = table
        .iter()
        .filter(|r| !r.covered())
        .map(|r| {
            format!(
                "{} ({})",
                r.id,
                r.missing_side.unwrap_or("no scenario covers it")
            )
        })
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a scenario: {}",
        missing.join(", ")
    );
}

#[test]
fn coverage_names_a_rule_once_its_only_scenario_is_gone() {
    use appflow_harness::scenario::coverage::coverage;
    let ids = appflow_harness::contract::rule_ids();
    let without: Vec<_> = catalogue()
        .into_iter()
        .filter(|s| s.name != "stop_on_demand" && s.name != "flow_name_boundaries")
        .collect();
    let table = coverage(&without, ids);
    let l4 = table.iter().find(|r| r.id == "L4").expect("L4");
    assert!(!l4.covered() && l4.scenarios.is_empty(), "{l4:?}");
    let v1 = table.iter().find(|r| r.id == "V1").expect("V1");
    assert_eq!(
        v1.missing_side,
        Some("no scenario expects an accepted boundary (200)"),
        "V1 keeps only its rejections"
    );
}

#[tokio::test]
async fn the_json_report_follows_its_schema_failures_included() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json"),
        )
        .expect("schema"),
    )
    .expect("schema json");
    let target = crate::support::embedded_target(Config::default()).await;
    // A failing run: strict snapshots against a directory with none in it
    // (without `strict` a missing recording is a note, not a failure).
    let mut options = Options::new("schema", "2026-11-27");
    options.snapshots = Some(runner::Snapshots {
        root: tempdir(),
        reference: "embedded".into(),
        mode: runner::SnapshotMode::Strict,
        transformers: Vec::new(),
    });
    let summary = runner::run(catalogue(), Arc::new(target), options, |_| {}).await;
    assert!(!summary.passed(), "missing snapshots fail the run");
    let mut out = Vec::new();
    appflow_harness::report::json::render(&summary, &mut out).expect("render");
    let report: serde_json::Value = serde_json::from_slice(&out).expect("json");
    let mut errors = Vec::new();
    crate::support::conforms(&report, &schema, &schema, "report", &mut errors);
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(report["scenarios"][0]["failures"][0]["kind"], "snapshot");
}
