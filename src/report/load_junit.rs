//! `load`'s JUnit report, written with [`super::junit`]'s pieces: one suite
//! for the run; a test case per section of the verdict (correctness,
//! availability, evidence) and per threshold asked for, failed where the
//! terminal report says FAILED; a `run` case that fails unless the run
//! passed whole (an interrupted run is no pass); the terminal report as the
//! suite's system-out, so the wording has one owner.

use std::io::{self, Write};
use std::time::Duration;

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use super::junit::{non_success, write_suite};
use crate::load::report::{LoadReport, RunResult};

/// Writes `r` as JUnit XML. Test cases: `correctness`, `availability`,
/// `evidence`, `threshold <name>` per threshold (failure when that part
/// failed, its message the terminal's result line), and `run` (failure
/// unless the result is PASSED: an interrupted run fails it). Properties:
/// target, result, seconds run and planned. Errors: write failures.
pub fn render(r: &LoadReport, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
    let mut suite = TestSuite::new(format!("appflow-harness load {}", r.run.target));
    let result = match r.result {
        RunResult::Passed => "passed",
        RunResult::Failed => "failed",
        RunResult::Interrupted => "interrupted",
    };
    suite.add_property(("target".to_owned(), r.run.target.clone()));
    suite.add_property(("result".to_owned(), result.to_owned()));
    suite.add_property((
        "duration-secs".to_owned(),
        format!("{:.1}", r.duration_secs),
    ));
    if let Some(p) = r.run.planned_secs() {
        suite.add_property(("planned-secs".to_owned(), format!("{p:.1}")));
    }
    let line = r.result_line();
    let failed = r.failed_sections();
    let mut parts: Vec<String> = ["correctness", "availability", "evidence"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    parts.extend(r.thresholds.iter().map(|t| format!("threshold {}", t.name)));
    for part in parts {
        let status = if failed.contains(&part) {
            non_success(
                NonSuccessKind::Failure,
                format!("{part}: FAILED"),
                "load",
                line.clone(),
            )
        } else {
            TestCaseStatus::success()
        };
        suite.add_test_case(case(&part, status));
    }
    let run = match r.result {
        RunResult::Passed => TestCaseStatus::success(),
        _ => non_success(NonSuccessKind::Failure, line.clone(), "load", String::new()),
    };
    suite.add_test_case(case("run", run));
    let mut out = Vec::new();
    r.render(&mut out)?;
    suite.set_system_out(String::from_utf8_lossy(&out).into_owned());
    write_suite(suite, Duration::from_secs_f64(r.duration_secs.max(0.0)), w)
}

fn case(name: &str, status: TestCaseStatus) -> TestCase {
    let mut c = TestCase::new(name.to_owned(), status);
    c.set_classname("load");
    c
}
