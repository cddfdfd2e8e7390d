//! The JUnit report: one test case per scenario, failures with their steps.
//! The pieces every JUnit file of the harness shares (a non-success status
//! with its message, type and text; the report around one suite, written)
//! are here too, for `explore`'s report ([`super::explore_junit`]).

use std::io::{self, Write};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::runner::{Status, Summary};

/// A failure or error status: `message` (one line), `kind` (the `type`
/// attribute) and the full `text` (the element's body).
pub fn non_success(
    kind: NonSuccessKind,
    message: impl Into<String>,
    type_: &str,
    text: impl Into<String>,
) -> TestCaseStatus {
    let mut st = TestCaseStatus::non_success(kind);
    st.set_message(message.into());
    st.set_type(type_.to_owned());
    let text = text.into();
    if !text.is_empty() {
        st.set_description(text);
    }
    st
}

/// A skipped status with its reason.
pub fn skipped(message: impl Into<String>) -> TestCaseStatus {
    let mut st = TestCaseStatus::skipped();
    st.set_message(message.into());
    st
}

/// Writes `suite` inside the harness's report (time: `time`), then a
/// newline. Errors: write failures.
pub fn write_suite(
    suite: TestSuite,
    time: Duration,
    w: &mut (impl Write + ?Sized),
) -> io::Result<()> {
    let mut report = Report::new("appflow-harness");
    report.set_time(time);
    report.add_test_suite(suite);
    report.serialize(&mut *w).map_err(io::Error::other)?;
    writeln!(w)
}

/// Writes `summary` as JUnit XML: one suite, a test case per scenario (class
/// name: its file; time in seconds); a failure carries its first message, and
/// every failure with its step in the description. Errors: write failures.
pub fn render(summary: &Summary, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
    let mut suite = TestSuite::new(format!(
        "appflow-harness check ({})",
        summary.target_kind.as_str()
    ));
    for s in &summary.scenarios {
        let first = || {
            s.failures.first().map_or_else(String::new, |f| {
                f.message.lines().next().unwrap_or("").to_owned()
            })
        };
        let status = match s.status {
            Status::Passed => TestCaseStatus::success(),
            // Why it was not played, as its steps say (a need the target
            // lacks, or Ctrl-C before it began).
            Status::Skipped => skipped(
                s.steps
                    .first()
                    .and_then(|st| st.skipped.clone())
                    .unwrap_or_else(|| "the scenario has no step".into()),
            ),
            Status::Inconclusive => skipped(format!("inconclusive (not verified): {}", first())),
            Status::NotStarted => skipped(format!("not started, set-up refused: {}", first())),
            Status::Failed => {
                let text: Vec<String> = s
                    .failures
                    .iter()
                    .map(|f| match f.step {
                        Some(n) => format!("step {n} [{}] {}", f.kind, f.message),
                        None => format!("[{}] {}", f.kind, f.message),
                    })
                    .collect();
                non_success(
                    NonSuccessKind::Failure,
                    first(),
                    s.failures.first().map_or("failure", |f| f.kind.as_str()),
                    text.join("\n"),
                )
            }
        };
        let mut case = TestCase::new(s.name.clone(), status);
        case.set_classname(s.file.clone());
        case.set_time(Duration::from_secs_f64(s.duration_ms / 1000.0));
        suite.add_test_case(case);
    }
    let cut = summary.interrupted();
    if cut > 0 {
        // The interruption is the run's first fact, not only per case.
        suite.add_property(quick_junit::Property::new("interrupted", "true"));
        suite.set_system_out(format!(
            "interrupted (Ctrl-C): {cut} scenario(s) cut short or not played; this run is no verdict"
        ));
    }
    write_suite(
        suite,
        Duration::from_secs_f64(summary.totals.duration_ms / 1000.0),
        w,
    )
}
