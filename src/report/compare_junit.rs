//! `compare`'s JUnit report, written with [`super::junit`]'s pieces: one
//! suite for the comparison, a test case per scenario. A scenario fails
//! where a side broke the contract (a violation, as the terminal lists it)
//! or, with `--fail-on gap`, where the target differs; it is skipped where
//! no answer field was compared; the counts are the suite's properties.

use std::io::{self, Write};
use std::time::Duration;

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use super::junit::{non_success, skipped, write_suite};
use crate::compare::{Class, Comparison, ScenarioParity};

/// Writes `c` as JUnit XML: per scenario a case (class name `compare`),
/// failed for violations (each with its step, path, side and rules in the
/// description) or, when `fail_on_gap`, for gaps; skipped when nothing of
/// it was compared. Errors: write failures.
pub fn render(c: &Comparison, fail_on_gap: bool, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
    let mut suite = TestSuite::new(format!(
        "appflow-harness compare {} vs {}",
        c.target.spec, c.baseline.spec
    ));
    let t = &c.totals;
    for (k, v) in [
        ("parity", format!("{:.1}%", t.parity_score * 100.0)),
        ("violations", t.violations.to_string()),
        ("gaps", t.gaps.to_string()),
        ("allowed", t.allowed.to_string()),
        ("not-compared", t.not_compared.to_string()),
    ] {
        suite.add_property((k.to_owned(), v));
    }
    for s in &c.scenarios {
        let mut case = TestCase::new(s.name.clone(), status(s, fail_on_gap));
        case.set_classname("compare");
        suite.add_test_case(case);
    }
    write_suite(suite, Duration::ZERO, w)
}

fn status(s: &ScenarioParity, fail_on_gap: bool) -> TestCaseStatus {
    let violations = s.count(Class::Violation);
    let gaps = s.count(Class::Gap);
    // The violations as the terminal lists them; the gaps by step and path.
    let violation_lines = || -> String {
        s.entries
            .iter()
            .filter(|e| e.class == Class::Violation && e.message.is_some())
            .map(|e| super::compare::violation_line(&s.name, e))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let gap_lines = || -> String {
        s.entries
            .iter()
            .filter(|e| e.class == Class::Gap)
            .map(|e| {
                let at = e
                    .step
                    .map_or_else(|| "scenario".to_owned(), |n| format!("step {n}"));
                let rules = if e.rules.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", e.rules.join(", "))
                };
                format!("{at}: {}{rules}", e.path.as_deref().unwrap_or_default())
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    if violations > 0 {
        non_success(
            NonSuccessKind::Failure,
            format!("{violations} violation(s) of the contract"),
            "violation",
            violation_lines(),
        )
    } else if fail_on_gap && gaps > 0 {
        non_success(
            NonSuccessKind::Failure,
            format!("{gaps} field(s) differ from the baseline (--fail-on gap)"),
            "gap",
            gap_lines(),
        )
    } else if s.compared_fields == 0 {
        skipped("no answer field was compared")
    } else {
        TestCaseStatus::success()
    }
}
