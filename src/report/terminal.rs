//! The human report: a line per scenario, then the failures with
//! expected/actual side by side, then the totals.

use std::io::{self, Write};

use crate::runner::{FailureKind, ScenarioResult, Status, Summary};

/// The line printed when a scenario ends.
pub fn scenario_line(r: &ScenarioResult) -> String {
    let tag = match r.status {
        Status::Passed => "PASS",
        Status::Failed => "FAIL",
        Status::Skipped => "SKIP",
        Status::Inconclusive => "INCONCLUSIVE",
        Status::NotStarted => "NOT STARTED",
    };
    // Steps of an outcome the endpoint did not choose (`when:`) are no gap.
    let skipped = r
        .steps
        .iter()
        .filter(|s| s.status == Status::Skipped)
        .filter(|s| {
            !s.skipped
                .as_deref()
                .is_some_and(|w| w.starts_with(crate::runner::NOT_APPLICABLE))
        })
        .count();
    let mut line = format!("{tag} {} ({:.0} ms)", r.name, r.duration_ms);
    if r.attempts > 1 {
        line.push_str(&format!(", played {} times", r.attempts));
    }
    if skipped > 0 {
        line.push_str(&format!(", {skipped} step(s) skipped"));
    }
    if r.status == Status::NotStarted {
        line.push_str(": the target refused its fixture flows (see set-up below)");
    }
    // A scenario not played at all says why once (a need the target lacks).
    if r.status == Status::Skipped
        && let Some(why) = r.steps.first().and_then(|s| s.skipped.as_deref())
    {
        line.push_str(&format!(": {why}"));
    }
    if r.contract == Some(crate::scenario::ContractTag::Chosen) {
        // The open questions are said once, at the end ([`chosen_line`]).
        line.push_str(" [chosen]");
    }
    line
}

/// One line for every `[chosen]` scenario of the run: how many there were,
/// and the open questions of APPFLOW.md a recording on AWS would settle
/// (each once, in order); `None` when the run had none.
pub fn chosen_line(summary: &Summary) -> Option<String> {
    let chosen: Vec<&ScenarioResult> = summary
        .scenarios
        .iter()
        .filter(|s| s.contract == Some(crate::scenario::ContractTag::Chosen))
        .collect();
    if chosen.is_empty() {
        return None;
    }
    let mut questions: Vec<&(usize, String)> = chosen.iter().flat_map(|s| &s.settles).collect();
    questions.sort_by_key(|(n, _)| *n);
    questions.dedup_by_key(|(n, _)| *n);
    let mut line = format!(
        "[chosen]: {} scenario{} rest on rules nobody has verified against AWS (docs/APPFLOW.md)",
        chosen.len(),
        if chosen.len() == 1 { "" } else { "s" }
    );
    if !questions.is_empty() {
        line.push_str("; a recording there settles open questions ");
        let list: Vec<String> = questions
            .iter()
            .map(|(n, q)| format!("{n} ({q})"))
            .collect();
        line.push_str(&list.join(", "));
    }
    Some(line)
}

/// Writes the end of a run for people: each failed scenario's failures
/// (expected and actual side by side), the snapshots written, parity
/// differences, wire rules broken, notes, then the totals (latency in ms,
/// calls/s, duration in s). Errors: write failures.
// Long on purpose: the report top to bottom in the order a reader sees it.
pub fn render(summary: &Summary, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
    let failed: Vec<&ScenarioResult> = summary
        .scenarios
        .iter()
        .filter(|s| matches!(s.status, Status::Failed | Status::Inconclusive))
        .collect();
    setup_refused(summary, w)?;
    if !failed.is_empty() {
        writeln!(w, "\nfailures and steps not judged:")?;
    }
    for s in failed {
        writeln!(w, "\n--- {} ({})", s.name, s.file)?;
        writeln!(w, "    {}", s.description)?;
        // Behaviour first; the wire rules, broken on many answers alike, last.
        let (wire, behaviour): (Vec<_>, Vec<_>) =
            s.failures.iter().partition(|f| f.kind == FailureKind::Wire);
        for f in behaviour.into_iter().chain(wire) {
            let at = f.step.map_or_else(String::new, |n| {
                let name = s
                    .steps
                    .iter()
                    .find(|st| st.index == n)
                    .map_or("", |st| st.name.as_str());
                format!("step {n} ({name}) ")
            });
            writeln!(w, "  {at}[{}] {}", f.kind, indent(&f.message))?;
            if let (Some(e), Some(a)) = (&f.expected, &f.actual) {
                writeln!(w, "      expected: {e}")?;
                writeln!(w, "      actual:   {a}")?;
            }
        }
        if let Some(p) = &s.snapshot_written {
            writeln!(w, "  wrote {p}")?;
        }
    }
    for s in summary
        .scenarios
        .iter()
        .filter(|s| s.status != Status::Failed)
    {
        if let Some(p) = &s.snapshot_written {
            writeln!(w, "wrote {p}")?;
        }
    }
    let parity: Vec<&ScenarioResult> = summary
        .scenarios
        .iter()
        .filter(|s| !s.parity.is_empty())
        .collect();
    if !parity.is_empty() {
        let total: usize = parity.iter().map(|s| s.parity.len()).sum();
        writeln!(
            w,
            "\nparity differences from the reference ({total} in {} scenario(s); not failures: the contract and expectations decide):",
            parity.len()
        )?;
        for s in parity {
            let r = s.reference.as_ref();
            writeln!(
                w,
                "--- {} (reference `{}`, recorded on {} {})",
                s.name,
                r.map_or("?", |r| r.name.as_str()),
                r.and_then(|r| r.recorded_on.as_deref()).unwrap_or("?"),
                r.and_then(|r| r.recorded.as_deref()).unwrap_or("")
            )?;
            for d in &s.parity {
                let show = |v: &Option<serde_json::Value>| {
                    v.as_ref()
                        .map_or_else(|| "(absent)".to_owned(), |v| v.to_string())
                };
                writeln!(
                    w,
                    "  {}: reference {}, this target {}",
                    d.path,
                    show(&d.left),
                    show(&d.right)
                )?;
            }
        }
    }
    contract_lines(summary, w)?;
    let notes = summary.notes();
    if !notes.is_empty() {
        writeln!(w, "\nnotes (not failures):")?;
        for (text, scenarios) in &notes {
            let n = scenarios.len();
            writeln!(
                w,
                "  {text} [{} scenario{}{}]",
                n,
                if n == 1 { "" } else { "s" },
                if n == 1 {
                    format!(": {}", scenarios[0])
                } else {
                    String::new()
                }
            )?;
        }
    }
    if summary.totals.throttled_retries > 0 {
        writeln!(
            w,
            "\nthrottled: {} answers were 429 and retried with the same request (backoff with jitter, and the whole run's send rate lowered); not failures",
            summary.totals.throttled_retries
        )?;
    }
    if summary.totals.replays > 0 {
        writeln!(
            w,
            "replayed: {} play(s) of undecided scenarios again from the start, with fresh flows and tokens",
            summary.totals.replays
        )?;
    }
    let unsigned = summary.scenarios.iter().flat_map(|s| &s.failures).any(|f| {
        f.message.contains("MissingAuthenticationToken")
            || f.actual
                .as_deref()
                .is_some_and(|a| a.contains("MissingAuthenticationToken"))
    });
    if unsigned {
        writeln!(
            w,
            "\nhint: the endpoint answered 403 MissingAuthenticationToken: it wants signed requests (W7); add --sign (credentials from the AWS chain: AWS_PROFILE, AWS_ACCESS_KEY_ID ...)"
        )?;
    }
    let t = &summary.totals;
    let cut = summary.interrupted();
    if cut > 0 {
        writeln!(
            w,
            "\ninterrupted (Ctrl-C): {cut} scenario{} cut short or not played; this run is no verdict",
            if cut == 1 { "" } else { "s" }
        )?;
    }
    if let Some(line) = chosen_line(summary) {
        writeln!(w, "\n{line}")?;
    }
    if let Some(r) = summary.scenarios.iter().find_map(|s| s.reference.as_ref()) {
        writeln!(
            w,
            "\nreference: `{}`{}",
            r.name,
            match r.mode {
                crate::runner::SnapshotMode::Parity =>
                    ", parity (differences reported, not failures)",
                crate::runner::SnapshotMode::Record => ", recorded by this run",
                _ => ", strict",
            }
        )?;
    }
    let not_started = if t.not_started > 0 {
        format!(", {} not started (set-up refused)", t.not_started)
    } else {
        String::new()
    };
    writeln!(
        w,
        "\n{} scenario{} against {} ({}): {} passed, {} failed, {} inconclusive, {} skipped{not_started}; {} calls, latency p50 {:.2} ms, p99 {:.2} ms, {:.0} calls/s, {:.2} s",
        t.scenarios,
        if t.scenarios == 1 { "" } else { "s" },
        summary.target,
        summary.target_kind.as_str(),
        t.passed,
        t.failed,
        t.inconclusive,
        t.skipped,
        t.calls,
        t.latency_p50_ms,
        t.latency_p99_ms,
        t.calls_per_second,
        t.duration_ms / 1000.0
    )
}

/// The rules every answer is held to, each said broken (where, on how
/// many answers) or held.
const ANSWER_RULES: [(&str, &str); 6] = [
    (
        "W1",
        "answers are JSON objects with content-type application/json",
    ),
    (
        "W2",
        "errors name their type, with its status and a message",
    ),
    ("W3", "every answer carries a request id of its own"),
    ("W4", "timestamps are epoch seconds as JSON numbers"),
    ("W5", "members the model lists have its types and values"),
    ("O1", "ARNs name the target's region and one account"),
];

/// Whether some answer of the run is one the rule `id` judges: W2 an
/// error answer, W4 one with a timestamp, O1 one with an ARN; the other
/// rules judge every answer. Read from the scenarios' transcripts.
fn exercised(summary: &Summary, id: &str) -> bool {
    fn answers(v: &serde_json::Value, out: &mut Vec<serde_json::Value>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(r) = m.get("response") {
                    out.push(r.clone());
                }
                if let Some(serde_json::Value::Array(rs)) = m.get("responses") {
                    out.extend(rs.iter().cloned());
                }
                m.values().for_each(|x| answers(x, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| answers(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    for s in &summary.scenarios {
        answers(&s.transcript, &mut all);
    }
    let applies = |r: &serde_json::Value| {
        let body = r.get("body").map(ToString::to_string).unwrap_or_default();
        match id {
            "W2" => r
                .get("status")
                .and_then(serde_json::Value::as_u64)
                .is_some_and(|s| s >= 400),
            "W4" => body.contains("At\":"),
            "O1" => body.contains("arn:"),
            _ => true,
        }
    };
    all.iter().any(applies)
}

fn contract_lines(summary: &Summary, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
    let answers = summary.totals.answers;
    if answers == 0 {
        return Ok(());
    }
    let broken = summary.wire();
    writeln!(
        w,
        "\ncontract, over {answers} answers (each rule and path counted once):"
    )?;
    for (id, rule) in ANSWER_RULES {
        if broken.iter().any(|x| x.id == id) {
            continue;
        }
        // "held" says an answer was held to it: a rule no answer of the
        // run could break (W2 without an error answer) was not exercised.
        if exercised(summary, id) {
            writeln!(w, "  {rule} ({id}): held")?;
        } else {
            writeln!(
                w,
                "  {rule} ({id}): not exercised (no answer it applies to)"
            )?;
        }
    }
    for x in &broken {
        writeln!(
            w,
            "  {}: {} ({}): broken on {} of {answers} answers",
            x.at, x.rule, x.id, x.count
        )?;
    }
    Ok(())
}

fn indent(s: &str) -> String {
    s.replace('\n', "\n      ")
}

/// Set-up the target refused, said once for the run: how many scenarios
/// never started, the target's words, and what changes the fixtures.
fn setup_refused(summary: &Summary, w: &mut (impl Write + ?Sized)) -> io::Result<()> {
    let Some(first) = summary.first_refusal() else {
        return Ok(());
    };
    writeln!(
        w,
        "\nset-up refused: {} scenario(s) never started (neither failed nor passed): {}",
        summary.totals.not_started,
        indent(first)
    )?;
    writeln!(
        w,
        "  the fixture flows are made from appflow-harness.yaml or --var KEY=VALUE: source_bucket, source_prefix, destination_bucket, destination_prefix, event_connector_profile, event_object, or whole bodies under create_flow (OnDemand, Scheduled, Event); see README, Running against real AWS"
    )
}
