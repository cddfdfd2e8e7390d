//! `explore --junit`: the XML parsed back, for a run with a finding, a
//! clean run, and a run that judged nothing (never an all-green file).

use std::path::Path;

use appflow_harness::endpoint::{TargetChoice, TargetOptions};
use appflow_harness::explore::Budget;
use quick_junit::{Report, TestCase, TestCaseStatus};

use super::{explore, options, url};
use crate::support::proxy;

/// Explores with `--junit` into `dir`; the parsed report and the terminal.
async fn junit(target: TargetOptions, budget: Budget, dir: &Path) -> (Report, String) {
    let path = dir.join("explore.xml");
    let mut o = options(target, budget, Some(dir));
    o.junit = Some(path.clone());
    let (_, out) = explore(o).await;
    let xml = std::fs::read_to_string(&path).expect("the JUnit file is written");
    let report = Report::deserialize_from_str(&xml)
        .unwrap_or_else(|e| panic!("the JUnit file parses ({e}):\n{xml}"));
    (report, out)
}

fn case<'a>(r: &'a Report, name: &str) -> &'a TestCase {
    r.test_suites[0]
        .test_cases
        .iter()
        .find(|c| c.name.as_str().starts_with(name))
        .unwrap_or_else(|| panic!("a test case named {name}: {r:#?}"))
}

fn property(r: &Report, name: &str) -> String {
    r.test_suites[0]
        .properties
        .iter()
        .find(|p| p.name.as_str() == name)
        .map(|p| p.value.as_str().to_owned())
        .unwrap_or_else(|| panic!("a property {name}: {r:#?}"))
}

fn failure_text(c: &TestCase) -> (String, String) {
    match &c.status {
        TestCaseStatus::NonSuccess {
            message,
            description,
            ..
        } => (
            message
                .as_ref()
                .map(|m| m.as_str().to_owned())
                .unwrap_or_default(),
            description
                .as_ref()
                .map(|d| d.as_str().to_owned())
                .unwrap_or_default(),
        ),
        other => panic!(
            "{} is a failure or an error, not {other:?}",
            c.name.as_str()
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finding_is_a_failing_test_case_with_its_numbered_steps_and_rule_ids() {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let u = proxy::start(&emulator.url(), super::faults::TrimsTokens).await;
    let dir = crate::scenarios::tempdir();
    let budget = Budget {
        seed: 1,
        ..Budget::default()
    };
    let (r, out) = junit(url(&u), budget, &dir).await;
    let suite = &r.test_suites[0];
    assert!(suite.failures >= 1, "the suite counts the finding: {r:#?}");
    let finding = case(&r, "finding");
    let (message, text) = failure_text(finding);
    assert!(
        message.contains("answered")
            && message.contains("the contract admits")
            && message.contains("L2"),
        "the message names expected, actual and rule ids: {message}"
    );
    for want in [" 1. ", "FAILED", "expected:", "actual:", "saved as"] {
        assert!(
            text.contains(want),
            "the failure text shows the numbered steps as the terminal does ({want}):\n{text}\n{out}"
        );
    }
    assert!(
        finding
            .classname
            .as_ref()
            .is_some_and(|c| c.as_str().ends_with(".yaml")),
        "the class name is the saved file: {finding:#?}"
    );
    assert_eq!(property(&r, "seed"), "1");
    assert_eq!(property(&r, "result"), "failed");
    assert!(
        !text.contains("AKIA") && !text.contains("aws_secret"),
        "no secrets in the report"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_run_is_green_and_names_the_fingerprint() {
    let dir = crate::scenarios::tempdir();
    let budget = Budget {
        seed: 3,
        cases: 40,
        ..Budget::default()
    };
    let (r, out) = junit(TargetOptions::new(TargetChoice::Embedded), budget, &dir).await;
    let suite = &r.test_suites[0];
    assert_eq!(
        (suite.failures, suite.errors),
        (0, 0),
        "a clean run has no failure or error:\n{out}\n{r:#?}"
    );
    assert!(matches!(
        case(&r, "sequences judged").status,
        TestCaseStatus::Success { .. }
    ));
    assert_eq!(property(&r, "result"), "passed");
    let passed: usize = property(&r, "sequences-passed").parse().expect("a number");
    assert!(passed > 0, "{r:#?}");
    let c1 = case(&r, "fingerprint C1");
    assert!(
        c1.system_out
            .as_ref()
            .is_some_and(|o| o.as_str().contains("conflict")),
        "the fingerprint names the emulator's profile (C1 conflict): {c1:#?}"
    );
    assert!(
        !suite
            .test_cases
            .iter()
            .any(|c| c.name.as_str().starts_with("finding")),
        "no finding"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_judged_nothing_is_never_green() {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let u = proxy::start(&emulator.url(), super::Throttles).await;
    let dir = crate::scenarios::tempdir();
    let budget = Budget {
        seed: 1,
        cases: 1,
        steps: 2,
        ..Budget::default()
    };
    let (r, out) = junit(url(&u), budget, &dir).await;
    let suite = &r.test_suites[0];
    assert!(
        suite.failures >= 1,
        "nothing judged is a failure:\n{out}\n{r:#?}"
    );
    let (message, _) = failure_text(case(&r, "sequences judged"));
    assert!(message.contains("no sequence was judged"), "{message}");
    let TestCaseStatus::Skipped {
        message,
        description,
        ..
    } = &case(&r, "sequences not judged").status
    else {
        panic!("the unjudged sequences are skipped, with why:\n{r:#?}");
    };
    let message = message.as_ref().map(|m| m.as_str()).unwrap_or_default();
    let text = description.as_ref().map(|d| d.as_str()).unwrap_or_default();
    assert!(message.contains("could not be judged"), "{message}");
    assert!(text.contains("429") || text.contains("throttled"), "{text}");
    assert_eq!(property(&r, "result"), "failed");
}
