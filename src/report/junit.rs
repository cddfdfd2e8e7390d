//! The JUnit report: one test case per scenario, failures with their steps.

use std::io::{self, Write};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::runner::{Status, Summary};

/// Writes `summary` as JUnit XML: one suite, a test case per scenario (class
/// name: its file; time in seconds); a failure carries its first message, and
/// every failure with its step in the description. Errors: write failures.
pub fn render(summary: &Summary, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
    let mut suite = TestSuite::new(format!(
        "appflow-harness check ({})",
        summary.target_kind.as_str()
    ));
    for s in &summary.scenarios {
        let status = match s.status {
            Status::Passed => TestCaseStatus::success(),
            Status::Skipped => {
                let mut st = TestCaseStatus::skipped();
                st.set_message("every step needs an ability the target lacks");
                st
            }
            Status::Inconclusive => {
                let mut st = TestCaseStatus::skipped();
                let first = s.failures.first().map_or_else(String::new, |f| {
                    f.message.lines().next().unwrap_or("").to_owned()
                });
                st.set_message(format!("inconclusive (not verified): {first}"));
                st
            }
            Status::Failed => {
                let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
                let first = s.failures.first().map_or_else(String::new, |f| {
                    f.message.lines().next().unwrap_or("").to_owned()
                });
                st.set_message(first);
                st.set_type(s.failures.first().map_or("failure", |f| f.kind.as_str()));
                let text: Vec<String> = s
                    .failures
                    .iter()
                    .map(|f| match f.step {
                        Some(n) => format!("step {n} [{}] {}", f.kind, f.message),
                        None => format!("[{}] {}", f.kind, f.message),
                    })
                    .collect();
                st.set_description(text.join("\n"));
                st
            }
        };
        let mut case = TestCase::new(s.name.clone(), status);
        case.set_classname(s.file.clone());
        case.set_time(Duration::from_secs_f64(s.duration_ms / 1000.0));
        suite.add_test_case(case);
    }
    let mut report = Report::new("appflow-harness");
    report.set_time(Duration::from_secs_f64(summary.totals.duration_ms / 1000.0));
    report.add_test_suite(suite);
    report.serialize(&mut *w).map_err(io::Error::other)?;
    writeln!(w)
}
