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
    assert!(
        scenarios.len() >= 20,
        "the catalogue covers every rule of APPFLOW.md"
    );
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
            snapshot_path => "../snapshots",
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
        "--snapshots",
        &format!("{root}/snapshots"),
        "--junit",
        junit.to_str().expect("utf8"),
        "--json",
        json.to_str().expect("utf8"),
    ])
    .expect("arguments");
    let code = appflow_harness::cli::run(cli).await;
    assert_eq!(
        crate::support::exit_code(&code),
        appflow_harness::exit_codes::OK
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("json report")).expect("json");
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
    use appflow_harness::target::{Environment, TargetChoice, TargetOptions};
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut options = CheckOptions::new(TargetOptions::new(TargetChoice::Url(emulator.url())));
    options.scenarios = vec![
        root.join("on_demand_start.yaml"),
        root.join("token_replay_on_demand.yaml"),
    ];
    options.snapshots = None;
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
