//! `explore`'s JUnit report, written with [`super::junit`]'s pieces: one
//! suite for the exploration; a failing test case for the shrunk finding
//! (its numbered steps, expected beside actual, the rule ids); test cases
//! for what was judged, fail closed (nothing judged is a failure, sequences
//! not judged skipped with the reasons); one test case per [chosen] rule of the
//! fingerprint; the budget and counts as the suite's properties.

use std::io::{self, Write};
use std::time::Duration;

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use super::explore::render_finding;
use super::junit::{non_success, skipped, write_suite};
use crate::explore::differ::differences;
use crate::explore::report::Finding;
use crate::explore::{Exploration, Fingerprint};

/// Writes `s`, an exploration of `target`, as JUnit XML. The test cases:
/// `finding` (failure: the shrunk sequence, when one was found),
/// `sequences judged` (failure when none was), `sequences not judged`
/// (skipped with the reasons when some were not), `explorer` (error when proptest stopped for
/// another reason), and `fingerprint <rule>` per [chosen] rule (passed
/// when consistent, skipped when never exercised, failed when sequences
/// disagreed). Errors: write failures.
pub fn render(s: &Exploration, target: &str, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
    let mut suite = TestSuite::new(format!("appflow-harness explore {target}"));
    for (k, v) in [
        ("seed", s.seed.to_string()),
        (
            "cases",
            s.cases
                .map_or_else(|| "unbounded".to_owned(), |c| c.to_string()),
        ),
        ("time-budget-secs", format!("{:.0}", s.time_budget_secs)),
        ("stopped", super::explore::stopped(s)),
        ("max-steps", s.max_steps.to_string()),
        ("sequences", s.sequences.to_string()),
        ("sequences-passed", s.passed.to_string()),
        ("sequences-failed", s.failed.to_string()),
        ("sequences-not-judged", s.unjudged.len().to_string()),
        ("sequences-not-run", s.not_run.to_string()),
        ("calls", s.calls.to_string()),
        (
            "result",
            if s.passed() { "passed" } else { "failed" }.into(),
        ),
    ] {
        suite.add_property((k.to_owned(), v));
    }
    let case = |name: &str, status: TestCaseStatus| {
        let mut c = TestCase::new(name.to_owned(), status);
        c.set_classname("explore");
        c
    };
    if let Some(f) = &s.finding {
        suite.add_test_case(finding_case(f)?);
    }
    // A failed sequence was judged (the `finding` case fails for it);
    // this case fails only when nothing was judged at all.
    let judged = if s.judged() > 0 {
        TestCaseStatus::success()
    } else {
        non_success(
            NonSuccessKind::Failure,
            "no sequence was judged: the run proves nothing",
            "nothing-judged",
            format!("{} sequences played, none judged", s.sequences),
        )
    };
    let mut c = case("sequences judged", judged);
    c.set_system_out(format!(
        "{}; {} calls in {:.1}s; stopped: {}",
        super::explore::counts(s),
        s.calls,
        s.elapsed_secs,
        super::explore::stopped(s)
    ));
    c.set_time(Duration::from_secs_f64(s.elapsed_secs.max(0.0)));
    suite.add_test_case(c);
    // Skipped, as check's inconclusive scenarios are: never passed, and
    // the run's result (the exit code) is decided by `sequences judged`.
    let unjudged = if s.unjudged.is_empty() {
        TestCaseStatus::success()
    } else {
        let mut st = skipped(format!(
            "{} sequences could not be judged (never passed)",
            s.unjudged.len()
        ));
        st.set_description(s.unjudged.join("\n"));
        st
    };
    suite.add_test_case(case("sequences not judged", unjudged));
    if let Some(e) = &s.error {
        suite.add_test_case(case(
            "explorer",
            non_success(NonSuccessKind::Error, e.clone(), "explorer", ""),
        ));
    }
    for f in &s.fingerprint {
        suite.add_test_case(fingerprint_case(f));
    }
    write_suite(suite, Duration::from_secs_f64(s.elapsed_secs.max(0.0)), w)
}

/// The finding: its failing step in the message, the numbered steps as the
/// terminal shows them in the text; class name: the saved file, if any.
fn finding_case(f: &Finding) -> io::Result<TestCase> {
    let failing = f.sequence.steps.iter().find(|p| p.failed);
    let message = failing.map_or_else(
        || "an answer outside the admitted set".to_owned(),
        |p| failing_message(f, p),
    );
    let mut text = Vec::new();
    render_finding(f, &mut text)?;
    let status = non_success(
        NonSuccessKind::Failure,
        message,
        "finding",
        String::from_utf8_lossy(&text).into_owned(),
    );
    let mut c = TestCase::new(
        format!("finding ({} steps)", f.sequence.steps.len()),
        status,
    );
    c.set_classname(
        f.file
            .as_ref()
            .map_or_else(|| "explore".to_owned(), |p| p.display().to_string()),
    );
    Ok(c)
}

/// The failing step in one line: the rule a wire-only failure broke (its
/// answer was admitted), or the answer, the admitted ones and the fields
/// that differed.
fn failing_message(f: &Finding, p: &crate::explore::Played) -> String {
    let answered = p
        .observed
        .iter()
        .map(|o| format!("{} {}", o.status, o.error.as_deref().unwrap_or("")))
        .map(|x| x.trim().to_owned())
        .collect::<Vec<_>>()
        .join(" and ");
    if p.wire_only {
        return format!(
            "step {} broke {}; its answer ({answered}) was admitted [{}]",
            p.index,
            p.violations.join("; "),
            p.rules.join(", ")
        );
    }
    let rules: Vec<&str> = p
        .admitted
        .iter()
        .flat_map(|a| a.rules.iter().copied())
        .collect();
    let earlier = super::explore::earlier_runs(f);
    let differed: Vec<String> = p
        .admitted
        .iter()
        .flat_map(|a| {
            p.observed
                .iter()
                .take(1)
                .flat_map(|o| differences(&a.admitted.expect, o, &earlier))
                .collect::<Vec<_>>()
        })
        .collect();
    let differed = dedup_strings(differed);
    let differs = if differed.is_empty() {
        String::new()
    } else {
        format!(" ({})", differed.join("; "))
    };
    format!(
        "step {} answered {answered}; the contract admits {} [{}]{differs}",
        p.index,
        p.admitted
            .iter()
            .map(|a| a.answer.as_str())
            .collect::<Vec<_>>()
            .join(" or "),
        dedup(rules).join(", ")
    )
}

fn dedup_strings(mut v: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    v.retain(|x| seen.insert(x.clone()));
    v
}

fn dedup(mut v: Vec<&str>) -> Vec<&str> {
    v.sort_unstable();
    v.dedup();
    v
}

/// A [chosen] rule of the fingerprint as a test case.
fn fingerprint_case(f: &Fingerprint) -> TestCase {
    let status = match (f.exercised, f.candidates.as_slice()) {
        (_, []) => non_success(
            NonSuccessKind::Failure,
            format!(
                "{}: sequences disagreed (no profile explains every answer)",
                f.rule
            ),
            "inconsistent",
            "",
        ),
        (false, _) => skipped("never exercised"),
        (true, _) => TestCaseStatus::success(),
    };
    let mut c = TestCase::new(format!("fingerprint {}", f.rule), status);
    c.set_classname("explore.fingerprint");
    let flag = f
        .serve_flag
        .as_deref()
        .map(|x| format!(" (serve {x})"))
        .unwrap_or_default();
    c.set_system_out(format!("{}{flag}", f.candidates.join(" or ")));
    c
}
