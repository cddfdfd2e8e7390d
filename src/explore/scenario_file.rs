//! A shrunk sequence written as a scenario file in the catalogue's format:
//! flows (created by the steps), steps with the model's expectations
//! (status lists where profiles differ), captures of executionIds,
//! `covers:` with the rule ids involved, and a header with the seed and the
//! target. `check FILE` replays it.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::json;

use super::file_expect::StepLines;
use super::generate::{SLOTS, Step, TokenArg, Variant, slot_trigger};
use super::names::{Namer, requests};
use super::play::{Played, Sequence, operation_of};
use crate::appflow::TriggerType;
use crate::fixtures::FixtureVars;
use crate::model::Observed;
use crate::model::{Expect, OkBody};

/// Names and tokens as a scenario file's templates.
#[derive(Default)]
struct Templates {
    /// The flow names the sequence was played with, up to the slot number
    /// (`ah-x<sequence>-s`): a model's name becomes `{{flow.s<slot>}}`.
    played_prefix: String,
    /// Flow aliases beyond the slots: alias -> name length (None: default).
    flows: RefCell<BTreeMap<String, Option<u16>>>,
    /// Token aliases with a length.
    tokens: RefCell<BTreeMap<String, u16>>,
    /// The runs answered before the step being written (see [`UNCAPTURED`]).
    runs: RefCell<Vec<String>>,
}

impl Namer for Templates {
    fn name(&self, slot: u8, v: Variant) -> String {
        let base = format!("s{slot}");
        match v {
            Variant::Plain => format!("{{{{flow.{base}}}}}"),
            Variant::Lead => format!(" {{{{flow.{base}}}}}"),
            Variant::Trail => format!("{{{{flow.{base}}}}} "),
            Variant::Upper => {
                self.flows.borrow_mut().insert(format!("{base}u"), None);
                format!("{{{{flow.{base}u}}}}")
            }
            Variant::Len(n) => {
                let alias = format!("{base}_{n}");
                self.flows.borrow_mut().insert(alias.clone(), Some(n));
                format!("{{{{flow.{alias}}}}}")
            }
        }
    }

    fn token(&self, k: u8, v: Variant) -> String {
        let base = format!("t{k}");
        match v {
            Variant::Plain => format!("{{{{token.{base}}}}}"),
            Variant::Lead => format!(" {{{{token.{base}}}}}"),
            Variant::Trail => format!("{{{{token.{base}}}}} "),
            Variant::Upper => format!("{{{{token.{base}u}}}}"),
            Variant::Len(n) => {
                let alias = format!("{base}_{n}");
                self.tokens.borrow_mut().insert(alias.clone(), n);
                format!("{{{{token.{alias}}}}}")
            }
        }
    }

    /// Run `i` modulo the runs answered so far, as the played sequence
    /// chose it; a run no step captured cannot be named, so it becomes an
    /// id no run has (the file's expectation is then the model's weaker one).
    fn run(&self, i: Option<usize>) -> String {
        let runs = self.runs.borrow();
        match i {
            Some(i) if !runs.is_empty() && !runs[i % runs.len()].starts_with(UNCAPTURED) => {
                format!("{{{{r{}}}}}", i % runs.len())
            }
            _ => "ah-norun-scenario".into(),
        }
    }
}

/// Where the file came from, for its header.
pub struct Provenance<'a> {
    /// The generator's seed.
    pub seed: u64,
    /// The target, in words.
    pub target: &'a str,
    /// Steps of the failing sequence before shrinking.
    pub original_steps: usize,
}

/// The scenario file of a failing sequence.
// Long on purpose: the scenario file top to bottom, as it reads.
pub fn write(seq: &Sequence, fixtures: &FixtureVars, from: &Provenance<'_>) -> String {
    let t = Templates {
        played_prefix: format!("{}x{}-s", crate::names::CHECK_PREFIX, seq.names),
        ..Templates::default()
    };
    let steps: Vec<Step> = seq.steps.iter().map(|p| p.step.clone()).collect();
    let mut runs: Vec<String> = Vec::new();
    let mut covers: Vec<&str> = Vec::new();
    let mut body = String::new();
    let mut after_clock = false;
    let mut guard: Option<String> = None;
    for p in &seq.steps {
        if p.skipped.is_some() {
            continue;
        }
        for r in p
            .rules
            .iter()
            .chain(p.admitted.iter().flat_map(|a| a.rules.iter()))
        {
            if !covers.contains(r) && crate::contract::rule_ids().contains(r) {
                covers.push(r);
            }
        }
        if p.step == Step::Clock {
            body.push_str("  - advance-clock: 8h\n");
            after_clock = true;
            continue;
        }
        // A quota step is a `configure:`; a lost answer a `fault:` before its call.
        // A lost step that was answered after all is written as a plain call.
        let answered = p.observed.first().is_some_and(|o| o.status != 0);
        if let Some(c) = p
            .control
            .as_ref()
            .filter(|_| !(answered && matches!(p.step, Step::Lost { .. })))
        {
            let key = if let Step::Lost { .. } = p.step {
                "fault"
            } else {
                "configure"
            };
            let _ = writeln!(body, "  - {key}: {c}");
            after_clock = true;
            if let Step::Quota { .. } = p.step {
                continue;
            }
        }
        let mut text = String::new();
        step_text(
            p,
            &t,
            fixtures,
            p.trigger,
            &mut runs,
            after_clock,
            &mut text,
        );
        body.push_str(&super::file_expect::guarded(&text, guard.as_deref()));
        // W6: what follows a large body holds for the outcome it had (refused or served).
        if let (Step::Large { .. }, Some(o)) = (&p.step, p.observed.first()) {
            let index = body.lines().filter(|l| l.starts_with("  - ")).count();
            let statuses = match o.status {
                400 | 413 => "[400, 413]".to_owned(),
                s => format!("[{s}]"),
            };
            guard = Some(format!("{{ step: {index}, status: {statuses} }}"));
        }
    }
    let mut out = String::new();
    let failing = seq.steps.iter().find(|p| p.failed);
    let _ = writeln!(
        out,
        "# Found by `appflow-harness explore --seed {}` against {}; shrunk from {} to {} steps.",
        from.seed,
        from.target,
        from.original_steps,
        seq.steps.len()
    );
    let _ = writeln!(
        out,
        "# Replay: appflow-harness check THIS_FILE --no-snapshots"
    );
    // Expectations follow the profile the target showed: so does the emulator.
    let (flags, unservable) = seq.profiles.emulator_flags();
    if !flags.is_empty() {
        let flags = flags.join(" ");
        let _ = writeln!(
            out,
            "# On the embedded emulator, with the profile the target showed: appflow-harness check THIS_FILE --no-snapshots {flags}"
        );
    }
    for u in unservable {
        let _ = writeln!(
            out,
            "# The target showed {u}, which the emulator does not offer."
        );
    }
    let what = failing.map_or_else(String::new, |p| {
        let op = operation_of(&p.step).map_or("a step", |o| o.name());
        let expected: Vec<&str> = p.admitted.iter().map(|a| a.answer.as_str()).collect();
        let actual: Vec<String> = p
            .observed
            .iter()
            .map(|o| {
                format!("{} {}", o.status, o.error.as_deref().unwrap_or(""))
                    .trim()
                    .to_owned()
            })
            .collect();
        format!(
            "step {} ({op}) answered {}, the contract admits {}",
            p.index,
            actual.join(" and "),
            expected.join(" or ")
        )
    });
    let _ = writeln!(
        out,
        "description: {}",
        json!(format!("explore finding: {what}"))
    );
    let _ = writeln!(out, "contract: chosen");
    let _ = writeln!(out, "covers: [{}]", covers.join(", "));
    if steps.iter().any(|s| {
        matches!(
            s,
            Step::Create {
                trigger: TriggerType::Event,
                ..
            }
        )
    }) {
        let _ = writeln!(out, "needs: [event-source]");
    }
    let tokens = t.tokens.borrow();
    if !tokens.is_empty() {
        let _ = writeln!(out, "tokens:");
        for (alias, n) in tokens.iter() {
            let _ = writeln!(out, "  {alias}: {{ length: {n} }}");
        }
    }
    let _ = writeln!(out, "flows:");
    for slot in 0..SLOTS {
        if steps.iter().any(|s| mentions(s, slot)) {
            let trigger = slot_trigger(&steps, slot).unwrap_or(TriggerType::OnDemand);
            let _ = writeln!(out, "  s{slot}: {{ trigger: {trigger}, exists: false }}");
        }
    }
    for (alias, n) in t.flows.borrow().iter() {
        let shape = n
            .map(|n| format!(", name: {{ length: {n} }}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {alias}: {{ trigger: OnDemand, exists: false{shape} }}"
        );
    }
    out.push_str("steps:\n");
    out.push_str(&body);
    out
}

/// Marks a run no step captures in the list of runs (its place counts, as
/// in the order runs were answered, but no template names it).
pub(super) const UNCAPTURED: char = '\u{1}';

/// Whether `id` is in `runs`, captured or not.
pub(super) fn known(runs: &[String], id: &str) -> bool {
    (runs.iter()).any(|r| r == id || r.strip_prefix(UNCAPTURED) == Some(id))
}

/// The executionId of a 200.
pub(super) fn run_id(o: &Observed) -> Option<String> {
    o.execution_id.clone().filter(|_| o.status == 200)
}

/// A step's `name:` in the file.
fn step_name(p: &Played) -> String {
    format!(
        "step {}{}",
        p.index,
        if p.failed { " (the failing step)" } else { "" }
    )
}

fn mentions(step: &Step, slot: u8) -> bool {
    step != &Step::Clock
        && !matches!(step, Step::List { .. } | Step::Quota { .. })
        && super::play::slot_of(step) == slot
}

/// One played step as YAML lines: one request, or a burst as one
/// concurrent step.
fn step_text(
    p: &Played,
    t: &Templates,
    fixtures: &FixtureVars,
    trigger: TriggerType,
    runs: &mut Vec<String>,
    after_clock: bool,
    out: &mut String,
) {
    let Some(op) = operation_of(&p.step) else {
        return;
    };
    t.runs.replace(runs.clone());
    let mut reqs = requests(&p.step, t, fixtures, trigger);
    if let Step::Records { .. } = &p.step {
        reqs[0].1["maxResults"] = json!(100);
    }
    // Several tokens, or none (each call is new, T7): every order counts.
    if let Step::Burst { tokens, .. } = &p.step
        && (tokens.first() == Some(&TokenArg::None) || tokens.windows(2).any(|w| w[0] != w[1]))
    {
        let names = StepLines {
            name: step_name(p),
            after_clock,
        };
        super::burst::step_text(p, &reqs, &names, runs, out);
        return;
    }
    let mut expect =
        super::file_expect::expectation(&p.admitted, p.failed, p.observed.first(), &p.step, runs);
    let body = &reqs[0].1;
    // A space beside a template is kept only in a raw body (the
    // template engine reads `" {{x}}"` as the whole value `{{x}}`).
    let text = body.to_string();
    if let Step::Large { .. } = p.step {
        let _ = writeln!(
            out,
            "  - raw: {{ operation: {}, body: {}, pad-to: {} }}",
            op.name(),
            json!(text),
            super::generate::LARGE_BODY
        );
    } else if text.contains("\" {{") || text.contains("}} \"") {
        let _ = writeln!(
            out,
            "  - raw: {{ operation: {}, body: {} }}",
            op.name(),
            json!(text)
        );
    } else {
        let _ = writeln!(out, "  - {}: {}", op.name(), body);
    }
    // One token repeated (T5): one run, one executionId.
    let burst = reqs.len() > 1;
    if burst {
        let _ = writeln!(out, "    concurrent: {}", reqs.len());
    }
    if let Step::List { .. } = p.step {
        let _ = writeln!(out, "    all-pages: true");
        let template = |name: &str| {
            let slot: u8 = name.strip_prefix(&t.played_prefix)?.parse().ok()?;
            Some(format!("{{{{flow.s{slot}}}}}"))
        };
        if let (Some(flows), Some(m)) = (
            super::list_expect::flows(&p.admitted, &template),
            expect.as_object_mut(),
        ) {
            m.insert("body".into(), json!({ "flows": flows }));
        }
    }
    StepLines {
        name: step_name(p),
        after_clock,
    }
    .write(out);
    if burst {
        let on_demand = trigger == TriggerType::OnDemand
            && p.admitted
                .iter()
                .all(|a| matches!(a.admitted.expect, Expect::Ok(_)));
        if let Some(m) = expect.as_object_mut() {
            m.remove("body");
            if on_demand {
                m.insert("distinct".into(), json!({ "executionId": 1 }));
            }
        }
    }
    // A lost answer (a `fault:` before the call) is expected as none.
    if matches!(p.step, Step::Lost { .. }) && p.observed.first().is_some_and(|o| o.status == 0) {
        expect = json!({ "no-response": true });
    }
    if expect.as_object().is_some_and(|m| !m.is_empty()) {
        let _ = writeln!(out, "    expect: {expect}");
    }
    let capture_ok = !burst
        && p.admitted.iter().all(|a| match &a.admitted.expect {
            Expect::Ok(OkBody::Start { exec, .. }) => super::file_expect::is_new(exec),
            _ => false,
        });
    for id in p.observed.iter().filter_map(run_id) {
        if known(runs, &id) {
            continue;
        }
        if capture_ok {
            runs.push(id);
            let _ = writeln!(out, "    capture: {{ r{}: executionId }}", runs.len() - 1);
        } else {
            runs.push(format!("{UNCAPTURED}{id}"));
        }
    }
}
