//! The load command and its fail-closed verdict: a clean attack on the
//! emulator; endpoints that refuse everything, answer garbage, start two
//! runs for some tokens, lose runs (`fakes`), throttle or never end their
//! pages (`endpoints`), or lose answers after doing the work, each with the
//! right token classes and exit code; honest options; merges, workers and
//! signals as processes (`processes`).

mod endpoints;
mod fakes;
mod processes;
mod soak;
mod stop;

use std::time::Duration;

use appflow_harness::emulator::Config;
use appflow_harness::load::{self, LoadOptions, LoadReport, Mix, Thresholds};
use serde_json::{Value, json};

/// Goose keeps process-wide state (its Ctrl-C kill switch): one attack at a time.
pub(crate) static ONE_ATTACK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub(crate) fn options(mix: Mix) -> LoadOptions {
    LoadOptions {
        users: 4,
        hatch_rate: 8.0,
        run_time: Duration::from_secs(2),
        mix,
        flows: 4,
        pool: 256,
        timeout: Duration::from_secs(5),
        settle: Duration::from_millis(300),
        thresholds: Thresholds {
            max_error_rate_pct: 1.0,
            min_verified: 100,
            max_p99_ms: None,
            min_rps: None,
        },
        ..LoadOptions::default()
    }
}

/// The emulator's configuration with its run quotas lifted (Q2, Q3), so a
/// load test meets no 402 it did not ask for.
pub(crate) fn unbounded_quotas() -> Config {
    Config {
        max_concurrent_runs: usize::MAX,
        max_runs_per_month: u64::MAX,
        ..Config::default()
    }
}

pub(crate) fn text(report: &LoadReport) -> String {
    let mut out = Vec::new();
    report.render(&mut out).expect("render");
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_load_on_the_emulator_has_a_clean_verdict_and_every_transaction() {
    let _one = ONE_ATTACK.lock().await;
    let config = unbounded_quotas();
    let target = crate::support::embedded_target(config).await;
    let mix: Mix = "fresh=70,replay=15,conflict=10,describe=5"
        .parse()
        .expect("mix");
    let report = load::run(&target, &options(mix)).await.expect("load");
    let t = text(&report);
    assert!(report.passed(), "{t}");
    let c = &report.verdict.classes;
    assert!(c.exactly_once > 100, "{t}");
    assert_eq!(c.exactly_once, report.verdict.fresh_tokens, "{t}");
    assert_eq!(
        report.verdict.runs_found, report.verdict.fresh_tokens,
        "{t}"
    );
    let names: Vec<&str> = report.by_request.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "DescribeFlow",
            "StartFlow conflict",
            "StartFlow fresh",
            "StartFlow replay"
        ],
        "{t}"
    );
    let conflict = report
        .by_request
        .iter()
        .find(|r| r.name == "StartFlow conflict")
        .expect("conflict");
    assert_eq!(conflict.failures, 0, "{t}");
    assert!(conflict.statuses.keys().all(|s| *s == 409), "{t}");
    let mut page = Vec::new();
    appflow_harness::report::load_html::render(&report, &mut page).expect("html");
    let page = String::from_utf8_lossy(&page);
    assert!(
        page.contains("Fresh tokens") && page.contains("<svg"),
        "the verdict, classes and pictures"
    );
    // What was run, on the page (issue 29): users, mix, planned run time,
    // the target and the rate cap; the headline is the run's result.
    for fact in [
        "<th>users</th><td>4, started 8 a second",
        "<th>mix</th><td>fresh=70,replay=15,conflict=10,describe=5",
        "<th>run time</th><td>2 s planned",
        "<th>rate cap</th><td>none",
        "class=\"ok\">passed</span>",
    ] {
        assert!(page.contains(fact), "the page shows {fact:?}");
    }
    assert!(page.contains(target.endpoint.base_url()), "and the target");
    assert!(
        t.lines()
            .last()
            .is_some_and(|l| l.starts_with("result: PASSED")),
        "the terminal report ends with one verdict line: {t}"
    );
    let mut junit = Vec::new();
    appflow_harness::report::load_junit::render(&report, &mut junit).expect("junit");
    let junit = String::from_utf8_lossy(&junit);
    for part in ["correctness", "availability", "evidence", "run"] {
        assert!(
            junit.contains(&format!("<testcase name=\"{part}\" classname=\"load\"")),
            "a JUnit case for {part}: {junit}"
        );
    }
    assert!(
        !junit.contains("<failure") && junit.contains("value=\"passed\""),
        "a clean run has no failing case: {junit}"
    );
    for banned in ["<script", "<link", "src=", "url(", "@import"] {
        assert!(!page.contains(banned), "the page loads nothing: {banned}");
    }
    let hist = report.by_request[2].histogram.histogram();
    assert_eq!(
        hist.len(),
        report.by_request[2].requests,
        "the histogram holds every request"
    );
    let counters: Value = reqwest::get(format!("{}/_harness/counters", target.endpoint.base_url()))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(
        counters["flows"],
        json!(0),
        "the load test deleted its flows"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_lost_after_the_work_was_done_are_recovered_and_nothing_is_lost() {
    let _one = ONE_ATTACK.lock().await;
    let config = unbounded_quotas();
    let target = crate::support::embedded_target(config).await;
    // The emulator starts the run, then drops the connection, for 10% of
    // StartFlows; the client also throws away 10% of the answers it gets.
    let api = crate::support::Api::new(target.endpoint.base_url());
    api.control(
        "faults",
        json!({"kind": "drop", "when": "after", "fraction": 0.1, "operation": "StartFlow"}),
    )
    .await;
    let mut o = options("fresh=100".parse().expect("mix"));
    o.lose_answers_pct = 10.0;
    o.thresholds.max_error_rate_pct = 100.0;
    let report = load::run(&target, &o).await.expect("load");
    let t = text(&report);
    let c = &report.verdict.classes;
    assert!(c.recovered > 10, "{t}");
    assert_eq!((c.lost, c.duplicated), (0, 0), "{t}");
    assert!(report.verdict.retries >= c.recovered, "{t}");
    assert!(report.verdict.clean(), "{t}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_whose_quotas_refuse_most_starts_is_said_to_be_quota_bound() {
    let _one = ONE_ATTACK.lock().await;
    let emu = appflow_harness::emulator::Emulator::start_with(Config {
        max_concurrent_runs: 50,
        ..Config::default()
    })
    .await
    .expect("emulator");
    let target = crate::support::url_target(&emu.url(), Duration::from_secs(5)).await;
    let mut o = options("fresh=100".parse().expect("mix"));
    o.run_time = Duration::from_secs(1);
    let report = load::run(&target, &o).await.expect("load");
    let t = text(&report);
    assert!(!report.availability.passed, "{t}");
    assert!(
        report.verdict.clean(),
        "the 402s are refusals, not lost runs: {t}"
    );
    assert!(
        t.contains("note: quota:") && t.contains("402 ServiceQuotaExceededException"),
        "{t}"
    );
    assert!(
        t.contains("--max-concurrent-runs"),
        "says how to lift them: {t}"
    );
}

/// The exit code of `appflow-harness <args>` run in this process, and the
/// error's text (clap's refusals count as the binary would exit: 2).
pub(crate) fn run_cli(args: &[&str]) -> (i32, String) {
    use clap::Parser;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let cli = match appflow_harness::cli::Cli::try_parse_from(
        std::iter::once("appflow-harness").chain(args.iter().copied()),
    ) {
        Ok(cli) => cli,
        Err(e) => return (e.exit_code(), e.to_string()),
    };
    let result = rt.block_on(appflow_harness::cli::run(cli));
    let message = match &result {
        Ok(o) => format!("{o:?}"),
        Err(e) => e.to_string(),
    };
    (crate::support::exit_code(&result), message)
}
