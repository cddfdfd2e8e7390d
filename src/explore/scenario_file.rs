//! A shrunk sequence written as a scenario file in the catalogue's format:
//! flows (created by the steps), steps with the model's expectations
//! (status lists where profiles differ), captures of executionIds,
//! `covers:` with the rule ids involved, and a header with the seed and the
//! target. `check FILE` replays it.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Value, json};

use super::generate::{SLOTS, Step, Variant, slot_trigger};
use super::names::{Namer, requests};
use super::play::{AdmittedView, Played, Sequence, operation_of};
use crate::appflow::TriggerType;
use crate::fixtures::FixtureVars;
use crate::model::Observed;
use crate::model::{Exec, Expect, OkBody};

/// Names and tokens as a scenario file's templates.
#[derive(Default)]
struct Templates {
    /// Flow aliases beyond the slots: alias -> name length (None: default).
    flows: RefCell<BTreeMap<String, Option<u16>>>,
    /// Token aliases with a length.
    tokens: RefCell<BTreeMap<String, u16>>,
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

    fn run(&self, i: Option<usize>) -> String {
        match i {
            Some(i) => format!("{{{{r{i}}}}}"),
            None => "ah-norun-scenario".into(),
        }
    }
}

/// Where the file came from, for its header.
pub struct Provenance<'a> {
    pub seed: u64,
    pub target: &'a str,
    pub original_steps: usize,
}

/// The scenario file of a failing sequence.
pub fn write(seq: &Sequence, fixtures: &FixtureVars, from: &Provenance<'_>) -> String {
    let t = Templates::default();
    let steps: Vec<Step> = seq.steps.iter().map(|p| p.step.clone()).collect();
    let mut runs: Vec<String> = Vec::new();
    let mut covers: Vec<&str> = Vec::new();
    let mut body = String::new();
    let mut after_clock = false;
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
        step_text(
            p,
            &t,
            fixtures,
            p.trigger,
            &mut runs,
            after_clock,
            &mut body,
        );
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

fn mentions(step: &Step, slot: u8) -> bool {
    step != &Step::Clock && !matches!(step, Step::List { .. }) && super::play::slot_of(step) == slot
}

/// One played step as YAML lines (a burst of several tokens as one step each).
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
    let mut reqs = requests(&p.step, t, fixtures, trigger);
    match &p.step {
        Step::List { .. } => reqs[0].1 = json!({ "maxResults": 100 }),
        Step::Records { .. } => reqs[0].1["maxResults"] = json!(100),
        _ => {}
    }
    let same_burst = match &p.step {
        Step::Burst { tokens, .. } => tokens.windows(2).all(|w| w[0] == w[1]),
        _ => true,
    };
    let expect = expectation(&p.admitted, p.failed, p.observed.first(), &p.step, runs);
    let run_id = |o: &Observed| o.execution_id.clone().filter(|_| o.status == 200);
    let count = if same_burst { 1 } else { reqs.len() };
    for (k, (_, body)) in reqs.iter().take(count).enumerate() {
        // A space beside a template is kept only in a raw body (the
        // template engine reads `" {{x}}"` as the whole value `{{x}}`).
        let text = body.to_string();
        if text.contains("\" {{") || text.contains("}} \"") {
            let _ = writeln!(
                out,
                "  - raw: {{ operation: {}, body: {} }}",
                op.name(),
                json!(text)
            );
        } else {
            let _ = writeln!(out, "  - {}: {}", op.name(), body);
        }
        if k == 0 {
            let _ = writeln!(
                out,
                "    name: {}",
                json!(format!(
                    "step {}{}",
                    p.index,
                    if p.failed { " (the failing step)" } else { "" }
                ))
            );
        }
        if same_burst && reqs.len() > 1 {
            let _ = writeln!(out, "    concurrent: {}", reqs.len());
        }
        if after_clock {
            let _ = writeln!(out, "    needs-control: true");
        }
        let mut e = if same_burst {
            expect.clone()
        } else {
            let admitted = p.one_by_one.get(k).map_or(&p.admitted[..], |a| &a[..]);
            expectation(admitted, p.failed, p.observed.get(k), &p.step, runs)
        };
        if same_burst && reqs.len() > 1 {
            let on_demand = trigger == TriggerType::OnDemand
                && p.admitted
                    .iter()
                    .all(|a| matches!(a.admitted.expect, Expect::Ok(_)));
            if let Some(m) = e.as_object_mut() {
                m.remove("body");
                if on_demand {
                    m.insert("distinct".into(), json!({ "executionId": 1 }));
                }
            }
        }
        if e.as_object().is_some_and(|m| !m.is_empty()) {
            let _ = writeln!(out, "    expect: {e}");
        }
        let admitted_k = if same_burst {
            &p.admitted[..]
        } else {
            p.one_by_one.get(k).map_or(&p.admitted[..], |a| &a[..])
        };
        let capture_ok = admitted_k.iter().all(|a| {
            matches!(
                &a.admitted.expect,
                Expect::Ok(OkBody::Start {
                    exec: Exec::New,
                    ..
                })
            )
        });
        let answers: Vec<&crate::model::Observed> = if same_burst {
            p.observed.iter().collect()
        } else {
            p.observed.get(k).into_iter().collect()
        };
        let single = !same_burst || reqs.len() == 1;
        for id in answers.into_iter().filter_map(run_id) {
            if runs.contains(&id) {
                continue;
            }
            runs.push(id);
            if capture_ok && single {
                let _ = writeln!(out, "    capture: {{ r{}: executionId }}", runs.len() - 1);
            }
        }
    }
}

/// The `expect:` of a step, from every answer the model admitted.
fn expectation(
    views: &[AdmittedView],
    failed: bool,
    observed: Option<&Observed>,
    step: &Step,
    runs: &[String],
) -> Value {
    let mut admitted: Vec<&Expect> = views.iter().map(|a| &a.admitted.expect).collect();
    // The failing step expects what the contract admits with the status the
    // target gave, when it admits that status at all: the body is the fault.
    if failed && let Some(actual) = observed {
        let same: Vec<&Expect> = admitted
            .iter()
            .copied()
            .filter(|e| match e {
                Expect::Ok(_) => actual.status == 200,
                Expect::Error(k) => k.status() == actual.status,
                _ => false,
            })
            .collect();
        if !same.is_empty() {
            admitted = same;
        }
    }
    if admitted.is_empty() || admitted.iter().any(|e| **e == Expect::Any) {
        return json!({});
    }
    let mut statuses: Vec<u16> = Vec::new();
    for e in &admitted {
        let s: &[u16] = match e {
            Expect::Error(k) => &[k.status()],
            Expect::Ok(_) => &[200],
            _ => &[400, 401, 402, 403, 404, 409],
        };
        for x in s {
            if !statuses.contains(x) {
                statuses.push(*x);
            }
        }
    }
    statuses.sort_unstable();
    let mut out = serde_json::Map::new();
    out.insert(
        "status".into(),
        if statuses.len() == 1 {
            json!(statuses[0])
        } else {
            json!(statuses)
        },
    );
    if let [Expect::Error(k), rest @ ..] = admitted.as_slice()
        && rest.iter().all(|e| **e == Expect::Error(*k))
    {
        out.insert("error".into(), json!(k.name()));
    }
    let oks: Vec<&OkBody> = admitted
        .iter()
        .filter_map(|e| match e {
            Expect::Ok(b) => Some(b),
            _ => None,
        })
        .collect();
    if oks.len() == admitted.len()
        && let Some(b) = ok_body(&oks, observed, runs)
    {
        out.insert("body".into(), b);
    }
    if matches!(step, Step::Records { .. }) && out.contains_key("body") {
        out.insert("eventually".into(), json!("10s"));
    }
    Value::Object(out)
}

fn one_of(values: Vec<String>) -> Value {
    let mut v = values;
    v.sort();
    v.dedup();
    if v.len() == 1 {
        json!(v[0])
    } else {
        json!({ "one-of": v })
    }
}

/// The body expectation all admitted 200s share, if any can be written.
fn ok_body(oks: &[&OkBody], observed: Option<&Observed>, runs: &[String]) -> Option<Value> {
    let capture = |id: &str| {
        runs.iter()
            .position(|r| r == id)
            .map(|i| format!("{{{{r{i}}}}}"))
    };
    match oks[0] {
        OkBody::Start { .. } => {
            let mut statuses = Vec::new();
            let mut execs = Vec::new();
            for b in oks {
                if let OkBody::Start { flow_status, exec } = b {
                    statuses.push(flow_status.to_string());
                    execs.push(exec.clone());
                }
            }
            let mut body = json!({ "flowStatus": one_of(statuses) });
            let exec = if execs.iter().all(|e| *e == Exec::Absent) {
                Some(json!({ "absent": true }))
            } else if execs.iter().all(|e| *e == Exec::New) {
                // A new run: not the run the target answered, if that was an earlier one.
                let earlier = observed
                    .and_then(|o| o.execution_id.as_deref())
                    .and_then(capture);
                Some(match earlier {
                    Some(c) => json!({ "present": true, "not": c }),
                    None => json!({ "present": true }),
                })
            } else if let Exec::Same(id) = &execs[0]
                && execs.iter().all(|e| *e == execs[0])
            {
                capture(id).map(Value::String)
            } else {
                None
            };
            if let Some(e) = exec {
                body["executionId"] = e;
            }
            Some(body)
        }
        OkBody::Status(_) => {
            let s: Vec<String> = oks
                .iter()
                .filter_map(|b| match b {
                    OkBody::Status(s) => Some(s.to_string()),
                    _ => None,
                })
                .collect();
            (s.len() == oks.len()).then(|| json!({ "flowStatus": one_of(s) }))
        }
        OkBody::Describe { trigger, .. } => {
            let s: Vec<String> = oks
                .iter()
                .filter_map(|b| match b {
                    OkBody::Describe { flow_status, .. } => Some(flow_status.to_string()),
                    _ => None,
                })
                .collect();
            Some(json!({ "flowStatus": one_of(s), "triggerConfig": { "triggerType": trigger } }))
        }
        OkBody::Records { runs: want } => {
            let ids: Vec<&String> = want.iter().map(|(id, _)| id).collect();
            let same_runs = oks.iter().all(|b| {
                matches!(b, OkBody::Records { runs } if runs.iter().map(|(id, _)| id).collect::<Vec<_>>() == ids)
            });
            if !same_runs {
                return None;
            }
            let mut items = Vec::new();
            for (id, _) in want {
                let mut st: Vec<String> = Vec::new();
                for b in oks {
                    if let OkBody::Records { runs } = b {
                        for (rid, s) in runs {
                            if rid == id {
                                st.extend(s.iter().map(ToString::to_string));
                            }
                        }
                    }
                }
                st.sort();
                st.dedup();
                items.push(
                    json!({ "executionId": capture(id)?, "executionStatus": { "one-of": st } }),
                );
            }
            let mut list = json!({ "length": want.len() });
            if !items.is_empty() {
                list["contains"] = Value::Array(items);
            }
            Some(json!({ "flowExecutions": list }))
        }
        OkBody::Cancel { invalid } => {
            if invalid.is_empty() || !oks.iter().all(|b| *b == oks[0]) {
                return None;
            }
            let ids: Vec<Value> = invalid
                .iter()
                .map(|id| capture(id).map_or_else(|| json!("ah-norun-scenario"), Value::String))
                .collect();
            Some(json!({ "invalidExecutions": ids }))
        }
        // ListFlows is account-wide: the file does not judge its contents.
        OkBody::List { .. } | OkBody::AnyStatus | OkBody::Deleted => None,
    }
}
