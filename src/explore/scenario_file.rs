//! A shrunk sequence written as a scenario file in the catalogue's format:
//! flows (created by the steps), steps with the model's expectations
//! (status lists where profiles differ), captures of executionIds,
//! `covers:` with the rule ids involved, and a header with the seed and the
//! target. `check FILE` replays it. The file is built as the format's own
//! structs ([`crate::scenario::file`]) and written by
//! [`crate::scenario::write`], the format's one writer.

use std::time::Duration;

use serde_json::json;

use super::file_expect::StepLines;
use super::file_templates::{Templates, UNCAPTURED, known, run_id};
use super::generate::{Move, SLOTS, TokenArg, slot_trigger};
use super::names::requests;
use super::play::{Played, Sequence, operation_of};
use crate::appflow::TriggerType;
use crate::fixtures::FixtureVars;
use crate::model::{Admission, OkBody};
use crate::scenario::file::{ExpectFile, FlowFile, RawFile, ScenarioFile, StatusFile};
use crate::scenario::file::{StepFile, WhenFile};
use crate::scenario::write::{WriteError, step as located};

/// Where the file came from, for its header.
pub struct FoundBy<'a> {
    /// The generator's seed.
    pub seed: u64,
    /// The target, in words.
    pub target: &'a str,
    /// Steps of the failing sequence before shrinking.
    pub original_steps: usize,
    /// How long explore let a read lack a run (L2); the file's reads wait
    /// as long, and its settles as long as explore's ([`super::settle_bound`]).
    pub poll: Duration,
}

/// The scenario file of a failing sequence, as text (its header of
/// comments, then the file). Errors: [`WriteError`] (a value YAML cannot hold).
pub fn write(
    seq: &Sequence,
    fixtures: &FixtureVars,
    from: &FoundBy<'_>,
) -> Result<String, WriteError> {
    let (file, header) = scenario(seq, fixtures, from);
    crate::scenario::write::write(&file, &header)
}

/// The scenario file of a failing sequence and its header lines.
// Long on purpose: the scenario file top to bottom, as it reads.
pub fn scenario(
    seq: &Sequence,
    fixtures: &FixtureVars,
    from: &FoundBy<'_>,
) -> (ScenarioFile, Vec<String>) {
    let t = Templates {
        played_prefix: format!("{}x{}-s", crate::names::CHECK_PREFIX, seq.names),
        ..Templates::default()
    };
    let steps: Vec<Move> = seq.steps.iter().map(|p| p.step.clone()).collect();
    let mut runs: Vec<String> = Vec::new();
    // `covers:` names what the failing step decides (a same-token burst:
    // T5); the rules of the other steps only when it names none.
    let mut covers: Vec<&str> = Vec::new();
    if let Some(p) = seq.steps.iter().find(|p| p.failed) {
        if let Move::Burst { tokens, .. } = &p.step
            && tokens.len() > 1
            && tokens.windows(2).all(|w| w[0] == w[1])
            && tokens[0] != TokenArg::None
        {
            covers.push("T5");
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
    }
    let failing_decides = !covers.is_empty();
    let mut body: Vec<StepFile> = Vec::new();
    let mut after_clock = false;
    let mut guard: Option<WhenFile> = None;
    for p in &seq.steps {
        if p.skipped.is_some() {
            continue;
        }
        for r in p
            .rules
            .iter()
            .chain(p.admitted.iter().flat_map(|a| a.rules.iter()))
        {
            if !failing_decides && !covers.contains(r) && crate::contract::rule_ids().contains(r) {
                covers.push(r);
            }
        }
        if let Some(crate::model::Invocation::Wait { secs }) = p.calls.first() {
            body.push(StepFile {
                wait: Some(format!("{secs}s")),
                ..StepFile::default()
            });
            continue;
        }
        if p.step == Move::Clock {
            body.push(StepFile {
                advance_clock: Some("8h".into()),
                ..StepFile::default()
            });
            after_clock = true;
            continue;
        }
        // A quota step is a `configure:`; a lost answer a `fault:` before its call.
        // A lost step that was answered after all is written as a plain call.
        let answered = p.observed.first().is_some_and(|o| o.status != 0);
        if let Some(c) = p
            .control
            .as_ref()
            .filter(|_| !(answered && matches!(p.step, Move::Lost { .. })))
        {
            let mut control = if let Move::Lost { .. } = p.step {
                StepFile {
                    fault: Some(c.clone()),
                    ..StepFile::default()
                }
            } else {
                StepFile {
                    configure: Some(c.clone()),
                    ..StepFile::default()
                }
            };
            // A fault armed for a call that is skipped would meet a later one.
            control.when = guard.clone();
            body.push(control);
            after_clock = true;
            if let Move::Quota { .. } = p.step {
                continue;
            }
        }
        // A race: two steps sent at once; what follows holds for the order
        // it had (the guard: the call whose status tells the order).
        if let Move::Race { .. } = p.step {
            let (steps, at) = super::race_file::step_files(p, &t, fixtures, &mut runs, after_clock);
            let first = body.len() + 1;
            for (k, mut s) in steps.into_iter().enumerate() {
                s.when = guard.clone().filter(|_| k == 0);
                body.push(s);
            }
            if let Some((k, status)) = at {
                guard = Some(WhenFile {
                    step: first + k,
                    status: Some(StatusFile(vec![status])),
                    ..WhenFile::default()
                });
            }
            continue;
        }
        let mut order = None;
        if let Some(mut s) = step_file(
            p,
            &t,
            fixtures,
            &mut runs,
            after_clock,
            seq.profiles,
            &mut order,
        ) {
            s.when = guard.clone();
            // The reads wait for a run as long as explore did (L2), a
            // settle for the runs to end as long as it did.
            let wait = match p.step {
                Move::Settle { .. } => super::settle_bound(from.poll),
                _ => from.poll,
            };
            if let Some(e) = s.expect.as_mut().filter(|e| e.eventually.is_some()) {
                e.eventually = Some(crate::scenario::format_duration(wait));
            }
            body.push(s);
            // What follows a burst won by one copy holds for that order.
            if let Some(statuses) = order {
                guard = Some(WhenFile {
                    step: body.len(),
                    statuses_in_order: statuses,
                    ..WhenFile::default()
                });
            }
        }
        // W6: what follows a large body holds for the outcome it had (refused or served).
        if let (Move::Large { .. }, Some(o)) = (&p.step, p.observed.first()) {
            let statuses = match o.status {
                400 | 413 => vec![400, 413],
                s => vec![s],
            };
            guard = Some(WhenFile {
                step: body.len(),
                status: Some(StatusFile(statuses)),
                ..WhenFile::default()
            });
        }
    }
    let mut header = vec![
        format!(
            "Found by `appflow-harness explore --seed {}` against {}; shrunk from {} to {} steps.",
            from.seed,
            from.target,
            from.original_steps,
            seq.steps.len()
        ),
        "Replay: appflow-harness check THIS_FILE --no-snapshots".to_owned(),
    ];
    // Expectations follow the profile the target showed: so does the emulator.
    header.extend(seq.profiles.replay_lines());
    let failing = seq.steps.iter().find(|p| p.failed);
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
    let mut file = ScenarioFile {
        description: format!("explore finding: {what}"),
        contract: Some("chosen".into()),
        covers: covers.into_iter().map(str::to_owned).collect(),
        steps: body.into_iter().map(located).collect(),
        ..ScenarioFile::default()
    };
    if steps.iter().any(|s| {
        matches!(
            s,
            Move::Create {
                trigger: TriggerType::Event,
                ..
            }
        )
    }) {
        file.needs.push("event-source".into());
    }
    let flow = |trigger: TriggerType| FlowFile {
        trigger: trigger.to_string(),
        create: None,
        name: None,
        exists: false,
    };
    for slot in 0..SLOTS {
        if steps.iter().any(|s| mentions(s, slot)) {
            let trigger = slot_trigger(&steps, slot).unwrap_or(TriggerType::OnDemand);
            file.flows.insert(format!("s{slot}"), flow(trigger));
        }
    }
    (file, header)
}

fn mentions(step: &Move, slot: u8) -> bool {
    let none = matches!(
        step,
        Move::Clock | Move::Pause | Move::List { .. } | Move::Quota { .. }
    );
    !none && super::play::slot_of(step) == slot
}

/// One played step as the file's step: one request, or a burst as one
/// concurrent step; none for a step without a call.
fn step_file(
    p: &Played,
    t: &Templates,
    fixtures: &FixtureVars,
    runs: &mut Vec<String>,
    after_clock: bool,
    settled: crate::model::ProfileSet,
    order: &mut Option<Vec<u16>>,
) -> Option<StepFile> {
    let trigger = p.trigger;
    let op = operation_of(&p.step)?;
    t.before(p, runs);
    // Reads page at the size the sequence used, through every page.
    let reqs = requests(&p.step, t, fixtures, trigger);
    let lines = StepLines {
        name: super::file_expect::step_name(p),
        after_clock,
    };
    // Several tokens, or none (each call is new, T7): every order counts.
    if let Move::Burst { tokens, .. } = &p.step
        && (tokens.first() == Some(&TokenArg::None) || tokens.windows(2).any(|w| w[0] != w[1]))
    {
        return super::burst::step_file(p, &reqs, &lines, runs, settled, order);
    }
    let mut expect =
        super::file_expect::expectation(&p.admitted, p.failed, p.observed.first(), &p.step, runs);
    let request = reqs[0].1.clone();
    // A space beside a template is kept only in a raw body (the
    // template engine reads `" {{x}}"` as the whole value `{{x}}`).
    let text = request.to_string();
    let mut out = StepFile::default();
    if let Move::Large { .. } = p.step {
        out.raw = Some(RawFile {
            operation: op.name().to_owned(),
            body: text,
            pad_to: Some(super::generate::LARGE_BODY),
        });
    } else if text.contains("\" {{") || text.contains("}} \"") {
        out.raw = Some(RawFile {
            operation: op.name().to_owned(),
            body: text,
            pad_to: None,
        });
    } else {
        out = StepFile::call(op, request);
    }
    // One token repeated (T5): one run, one executionId.
    let burst = reqs.len() > 1;
    if burst {
        out.concurrent = u32::try_from(reqs.len()).ok();
    }
    if let Move::Records { .. } | Move::Settle { .. } = p.step {
        out.all_pages = true;
    }
    // A settle that saw its runs end waits for them to end (else a replay
    // after it would meet a run still in progress, and prove less).
    if let (Move::Settle { .. }, Some(o)) = (&p.step, p.observed.first())
        && o.status == 200
        && !super::play::in_progress(o)
        && let Some(b) = expect.body.as_mut()
    {
        super::list_expect::wait_for_ends(b);
    }
    if let Move::List { .. } = p.step {
        out.all_pages = true;
        let template = |name: &str| {
            let slot: u8 = name.strip_prefix(&t.played_prefix)?.parse().ok()?;
            Some(format!("{{{{flow.s{slot}}}}}"))
        };
        if let Some(flows) = super::list_expect::flows(&p.admitted, &template) {
            expect.body = Some(json!({ "flows": flows }));
        }
    }
    lines.apply(&mut out);
    if burst {
        let on_demand = trigger == TriggerType::OnDemand
            && p.admitted
                .iter()
                .all(|a| matches!(a.admitted.expect, Admission::Ok(_)));
        // Every copy answers the one run (T5); when that run is new (T3, a
        // fresh token), each copy's executionId is none the file has seen.
        let new = p.admitted.iter().all(|a| {
            matches!(&a.admitted.expect, Admission::Ok(OkBody::Start { exec, .. })
                if super::file_expect::is_new(exec))
        });
        expect.body =
            (on_demand && new).then(|| json!({ "executionId": super::file_expect::new_run() }));
        if on_demand {
            expect.distinct.insert("executionId".into(), 1);
        }
    }
    // A lost answer (a `fault:` before the call) is expected as none.
    if matches!(p.step, Move::Lost { .. }) && p.observed.first().is_some_and(|o| o.status == 0) {
        expect = ExpectFile {
            no_response: true,
            ..ExpectFile::default()
        };
    }
    if expect != ExpectFile::default() {
        out.expect = Some(expect);
    }
    // A same-token burst's copies answer one run (T5, `distinct: 1`): the
    // first copy's is captured, so a later replay is held to it.
    let capture_ok = p.admitted.iter().all(|a| match &a.admitted.expect {
        Admission::Ok(OkBody::Start { exec, .. }) => super::file_expect::is_new(exec),
        _ => false,
    });
    for id in p.observed.iter().filter_map(run_id) {
        if known(runs, &id) {
            continue;
        }
        if capture_ok {
            runs.push(id);
            out.capture
                .insert(format!("r{}", runs.len() - 1), "executionId".into());
        } else {
            runs.push(format!("{UNCAPTURED}{id}"));
        }
    }
    Some(out)
}
