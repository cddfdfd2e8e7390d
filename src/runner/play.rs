//! One scenario against one target: set up its flows, play its steps,
//! check each answer (expectations, contract), clean up whatever happened,
//! then compare the normalised transcript with the snapshot.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{Value, json};

use super::{Failure, Options, ScenarioResult, Status, StepResult, Target, TargetKind};
use crate::client::{Call, Outcome, Reply, TransportKind};
use crate::emulator::model::TriggerType;
use crate::fixtures::create_flow_body;
use crate::normalise::Normaliser;
use crate::scenario::matcher::{get_path, match_value};
use crate::scenario::template::{Bindings, names};
use crate::scenario::{Action, Scenario, Step};
use crate::snapshot;

const POLL: Duration = Duration::from_millis(250);

struct Run<'a> {
    scenario: &'a Scenario,
    target: &'a Target,
    bindings: Bindings,
    normaliser: Normaliser,
    /// real flow name -> trigger
    triggers: HashMap<String, TriggerType>,
    created: Vec<String>,
    failures: Vec<Failure>,
    steps: Vec<StepResult>,
    transcript: Vec<Value>,
    latencies: Vec<Duration>,
    saved_config: Option<Value>,
}

pub(super) async fn play(
    s: &Scenario,
    index: usize,
    target: &Target,
    options: &Options,
) -> ScenarioResult {
    let started = Instant::now();
    let mut run = Run {
        scenario: s,
        target,
        bindings: Bindings::default(),
        normaliser: Normaliser::new(),
        triggers: HashMap::new(),
        created: Vec::new(),
        failures: Vec::new(),
        steps: Vec::new(),
        transcript: Vec::new(),
        latencies: Vec::new(),
        saved_config: None,
    };
    run.bind(index, &options.run_id);
    if run.setup().await {
        run.play_steps().await;
    }
    run.cleanup().await;
    let transcript = json!({
        "scenario": s.name,
        "description": s.description,
        "steps": run.transcript,
    });
    let snapshot_written = options
        .snapshots
        .as_ref()
        .and_then(|dir| run.check_snapshot(dir, &transcript, options));
    let ran_any = run.steps.iter().any(|st| st.status != Status::Skipped);
    let status = if !run.failures.is_empty() {
        Status::Failed
    } else if ran_any {
        Status::Passed
    } else {
        Status::Skipped
    };
    ScenarioResult {
        name: s.name.clone(),
        file: s.path.display().to_string(),
        description: s.description.clone(),
        contract: s.contract.clone(),
        status,
        steps: run.steps,
        failures: run.failures,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        transcript,
        snapshot_written,
        latencies: run.latencies,
    }
}

impl Run<'_> {
    /// Real names for the scenario's flows and tokens: unique per run, so a
    /// scenario can be re-run at once against a service whose tokens live 8 hours.
    fn bind(&mut self, index: usize, run_id: &str) {
        for (alias, flow) in &self.scenario.flows {
            let real = format!("ah-{run_id}-{index:03}-{alias}");
            self.bindings
                .values
                .insert(format!("flow.{alias}"), Value::String(real.clone()));
            self.normaliser.name(&real, format!("<flow:{alias}>"));
            self.triggers.insert(real, flow.trigger);
        }
        let mut tokens = Vec::new();
        for step in &self.scenario.steps {
            match &step.action {
                Action::Call { body, .. } => collect_names(body, &mut tokens),
                Action::Raw { body, .. } => {
                    collect_names(&Value::String(body.clone()), &mut tokens)
                }
                _ => {}
            }
            if let Some(b) = &step.expect.body {
                collect_names(b, &mut tokens);
            }
        }
        for name in tokens {
            if let Some(t) = name.strip_prefix("token.")
                && !self.bindings.values.contains_key(&name)
            {
                let real = format!("ah-{}", uuid::Uuid::new_v4());
                self.normaliser.name(&real, format!("<token:{t}>"));
                self.bindings.values.insert(name, Value::String(real));
            }
        }
        self.bindings
            .values
            .insert("region".into(), Value::String(self.target.region.clone()));
    }

    async fn setup(&mut self) -> bool {
        for (alias, flow) in &self.scenario.flows {
            let real = self
                .bindings
                .values
                .get(&format!("flow.{alias}"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let mut body = create_flow_body(&real, flow.trigger);
            if let (Some(Value::Object(over)), Value::Object(b)) = (&flow.create, &mut body) {
                for (k, v) in over {
                    b.insert(k.clone(), self.bindings.render(v));
                }
            }
            match crate::fixtures::create_flow(&self.target.endpoint, &body).await {
                Ok(latency) => {
                    self.latencies.push(latency);
                    self.created.push(real);
                }
                Err(e) => {
                    self.fail(None, "setup", format!("CreateFlow for flow `{alias}` {e}"));
                    return false;
                }
            }
        }
        true
    }

    async fn play_steps(&mut self) {
        let mut skip_reason: Option<String> = None;
        for step in &self.scenario.steps {
            if skip_reason.is_none() && step.action.needs_control() && !self.target.control {
                skip_reason = Some(format!(
                    "the target has no test-control API (/_harness/), which `{}` needs",
                    step.name
                ));
            }
            if let Some(reason) = &skip_reason {
                self.steps.push(StepResult {
                    index: step.index,
                    name: step.name.clone(),
                    status: Status::Skipped,
                    skipped: Some(reason.clone()),
                    calls: 0,
                });
                self.transcript
                    .push(json!({"step": step.index, "name": step.name, "skipped": true}));
                continue;
            }
            let before = self.failures.len();
            let calls = match &step.action {
                Action::Call { .. } | Action::Raw { .. } => self.play_call(step).await,
                _ => {
                    self.play_control(step).await;
                    0
                }
            };
            let status = if self.failures.len() > before {
                Status::Failed
            } else {
                Status::Passed
            };
            self.steps.push(StepResult {
                index: step.index,
                name: step.name.clone(),
                status,
                skipped: None,
                calls,
            });
        }
    }

    async fn play_call(&mut self, step: &Step) -> usize {
        let Some(operation) = step.action.operation() else {
            return 0;
        };
        let (text, shown) = match &step.action {
            Action::Call { body, .. } => {
                let rendered = self.bindings.render(body);
                let shown = self.normaliser.normalise(&rendered);
                (
                    rendered.to_string(),
                    json!({"operation": operation, "body": shown}),
                )
            }
            Action::Raw { body, .. } => {
                let rendered = self.bindings.render_text(body);
                let shown = self.normaliser.text(&rendered);
                (rendered, json!({"operation": operation, "raw": shown}))
            }
            _ => return 0,
        };
        let flow_name = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get("flowName").and_then(Value::as_str).map(str::to_owned));
        let trigger = flow_name.and_then(|n| self.triggers.get(&n).copied());
        let deadline = step.expect.eventually.map(|d| Instant::now() + d);
        let mut sent = 0;
        let (calls, failures) = loop {
            let calls = self.send_many(operation, &text, step.concurrent).await;
            sent += calls.len();
            let failures = self.evaluate(step, operation, trigger, &calls);
            match deadline {
                Some(d) if !failures.is_empty() && Instant::now() + POLL < d => {
                    tokio::time::sleep(POLL).await
                }
                _ => break (calls, failures),
            }
        };
        self.failures.extend(failures);
        if let Some(Outcome::Reply(first)) = calls.first().map(|c| &c.outcome) {
            for (name, path) in &step.capture {
                match first.json.as_ref().and_then(|j| get_path(j, path)) {
                    Some(v) => {
                        self.bindings.values.insert(name.clone(), v.clone());
                    }
                    None => self.fail(
                        Some(step.index),
                        "expectation",
                        format!("capture `{name}`: the answer has no `{path}`"),
                    ),
                }
            }
        }
        let mut entry = json!({"step": step.index, "name": step.name, "request": shown});
        let answers: Vec<Value> = calls
            .iter()
            .map(|c| self.shown_outcome(&c.outcome))
            .collect();
        if step.concurrent > 1 {
            let mut groups: BTreeMap<String, (usize, Value)> = BTreeMap::new();
            for a in answers {
                groups.entry(a.to_string()).or_insert((0, a)).0 += 1;
            }
            let mut list: Vec<(usize, Value)> = groups.into_values().collect();
            list.sort_by(|a, b| {
                b.0.cmp(&a.0)
                    .then_with(|| a.1.to_string().cmp(&b.1.to_string()))
            });
            entry["concurrent"] = json!(step.concurrent);
            entry["responses"] = Value::Array(
                list.into_iter()
                    .map(|(n, mut v)| {
                        v["count"] = json!(n);
                        v
                    })
                    .collect(),
            );
        } else if let Some(a) = answers.into_iter().next() {
            entry["response"] = a;
        }
        self.transcript.push(entry);
        sent
    }

    fn shown_outcome(&mut self, o: &Outcome) -> Value {
        match o {
            Outcome::Reply(r) => json!({
                "status": r.status,
                "error": r.error_type,
                "body": match &r.json {
                    Some(j) => self.normaliser.normalise(j),
                    None => Value::String(format!("<not json: {} bytes>", r.raw.len())),
                },
            }),
            Outcome::Transport { kind, .. } => json!({"no-response": kind}),
        }
    }

    /// Expectations and the contract, for every answer of one attempt.
    fn evaluate(
        &self,
        step: &Step,
        operation: &str,
        trigger: Option<TriggerType>,
        calls: &[Call],
    ) -> Vec<Failure> {
        let mut out: Vec<Failure> = Vec::new();
        let mut push = |f: Failure| {
            if !out.iter().any(|g| {
                g.kind == f.kind
                    && g.message == f.message
                    && g.expected == f.expected
                    && g.actual == f.actual
            }) {
                out.push(f);
            }
        };
        let e = &step.expect;
        let expected_body = e.body.as_ref().map(|b| self.bindings.render(b));
        let mut replies: Vec<&Reply> = Vec::new();
        for call in calls {
            match &call.outcome {
                Outcome::Transport { kind, message } => {
                    if !e.no_response {
                        push(failure(
                            step,
                            "transport",
                            format!(
                                "no answer ({}): {message}",
                                serde_json::to_string(kind).unwrap_or_default()
                            ),
                            None,
                            None,
                        ));
                    }
                }
                Outcome::Reply(r) => {
                    if e.no_response {
                        push(failure(
                            step,
                            "expectation",
                            "an answer came where none was expected".into(),
                            Some("no response".into()),
                            Some(format!("{} {}", r.status, r.body_text())),
                        ));
                        continue;
                    }
                    replies.push(r);
                    if let Some(s) = e.status
                        && s != r.status
                    {
                        push(failure(
                            step,
                            "expectation",
                            format!("status: expected {s}, got {}", r.status),
                            Some(s.to_string()),
                            Some(format!(
                                "{} {} {}",
                                r.status,
                                r.error_type.as_deref().unwrap_or("-"),
                                r.body_text()
                            )),
                        ));
                    }
                    if let Some(want) = &e.error
                        && r.error_type.as_deref() != Some(want.as_str())
                    {
                        push(failure(
                            step,
                            "expectation",
                            format!(
                                "error type: expected {want}, got {}",
                                r.error_type.as_deref().unwrap_or("none")
                            ),
                            Some(want.clone()),
                            r.error_type.clone(),
                        ));
                    }
                    if let Some(b) = &expected_body {
                        let mut mismatches = Vec::new();
                        match &r.json {
                            Some(j) => match_value(b, Some(j), "", &mut mismatches),
                            None => mismatches.push(crate::scenario::matcher::Mismatch {
                                path: "body".into(),
                                expected: b.to_string(),
                                actual: r.body_text(),
                            }),
                        }
                        for m in mismatches {
                            push(failure(
                                step,
                                "expectation",
                                format!(
                                    "body.{}: expected {}, got {}",
                                    m.path, m.expected, m.actual
                                ),
                                Some(m.expected),
                                Some(m.actual),
                            ));
                        }
                    }
                    for v in crate::contract::check(operation, r, trigger) {
                        push(failure(
                            step,
                            "contract",
                            format!("{}: {}", v.at, v.rule),
                            None,
                            None,
                        ));
                    }
                }
            }
        }
        for (path, want) in &e.distinct {
            let mut seen: Vec<String> = replies
                .iter()
                .map(|r| {
                    r.json
                        .as_ref()
                        .and_then(|j| get_path(j, path))
                        .map_or_else(|| "(absent)".into(), Value::to_string)
                })
                .collect();
            seen.sort();
            seen.dedup();
            if seen.len() != *want {
                push(failure(
                    step,
                    "expectation",
                    format!(
                        "distinct {path}: expected {want} distinct value(s) over {} answers, got {}",
                        calls.len(),
                        seen.len()
                    ),
                    Some(want.to_string()),
                    Some(seen.len().to_string()),
                ));
            }
        }
        out
    }

    async fn play_control(&mut self, step: &Step) {
        if self.saved_config.is_none() {
            self.saved_config = self.target.endpoint.get_json("/_harness/config").await;
        }
        let (path, body, shown) = match &step.action {
            Action::AdvanceClock(d) => (
                "/_harness/clock",
                json!({"seconds": d.as_secs_f64()}),
                json!({"advance-clock-seconds": d.as_secs_f64()}),
            ),
            Action::Fault(f) => ("/_harness/faults", f.clone(), json!({"fault": f})),
            Action::Configure(c) => ("/_harness/config", c.clone(), json!({"configure": c})),
            _ => return,
        };
        let call = self
            .target
            .endpoint
            .call_path(path, Bytes::from(body.to_string()))
            .await;
        match call.map(|c| c.outcome) {
            Ok(Outcome::Reply(r)) if r.status == 200 => {}
            Ok(Outcome::Reply(r)) => self.fail(
                Some(step.index),
                "control",
                format!("{path} answered {}: {}", r.status, r.body_text()),
            ),
            Ok(Outcome::Transport { message, .. }) => self.fail(
                Some(step.index),
                "control",
                format!("{path}: no answer: {message}"),
            ),
            Err(e) => self.fail(Some(step.index), "control", e.to_string()),
        }
        self.transcript
            .push(json!({"step": step.index, "name": step.name, "control": shown}));
    }

    /// Deletes the flows whatever happened, and undoes target-wide changes.
    async fn cleanup(&mut self) {
        if self.saved_config.is_some() {
            let _ = self.target.endpoint.delete("/_harness/faults").await;
        }
        for name in std::mem::take(&mut self.created) {
            crate::fixtures::delete_flow(&self.target.endpoint, &name).await;
        }
        if let Some(saved) = self.saved_config.take() {
            let restore = restore_patch(&saved);
            let _ = self
                .target
                .endpoint
                .call_path("/_harness/config", Bytes::from(restore.to_string()))
                .await;
        }
    }

    fn check_snapshot(
        &mut self,
        dir: &std::path::Path,
        transcript: &Value,
        options: &Options,
    ) -> Option<String> {
        let path = snapshot::path_for(dir, &self.scenario.name);
        let contents = serde_json::to_string_pretty(transcript).unwrap_or_default();
        let recorded = snapshot::Recorded {
            target: self.target.kind.as_str().into(),
            region: self.target.region.clone(),
            recorded: options.today.clone(),
            verified_against_aws: self.target.kind == TargetKind::Aws,
        };
        let file = snapshot::render(
            &self.scenario.path.display().to_string(),
            &self.scenario.description,
            &recorded,
            &contents,
        );
        let old = match snapshot::read(&path) {
            Ok(old) => old,
            Err(e) => {
                self.fail(
                    None,
                    "snapshot",
                    format!("failed to read {}: {e}", path.display()),
                );
                return None;
            }
        };
        let differs = match &old {
            None => true,
            Some(old) => {
                let (want, got) = self.comparable(old, transcript);
                if want == got {
                    false
                } else {
                    if !options.update {
                        self.fail(
                            None,
                            "snapshot",
                            format!(
                                "the transcript differs from {}:\n{}",
                                path.display(),
                                snapshot::diff(&want, &got)
                            ),
                        );
                    }
                    true
                }
            }
        };
        if !differs {
            return None;
        }
        if old.is_none() && !options.update {
            self.fail(None, "snapshot", format!("no snapshot at {}; review the new one with `cargo insta review` or rerun with --update", path.display()));
        }
        match snapshot::write(&path, &file, options.update) {
            Ok(p) => Some(p.display().to_string()),
            Err(e) => {
                self.fail(
                    None,
                    "snapshot",
                    format!("failed to write a snapshot beside {}: {e}", path.display()),
                );
                None
            }
        }
    }

    /// Both sides as compared: skipped steps taken from the snapshot, known
    /// differences for this kind of target removed.
    fn comparable(&self, old: &str, transcript: &Value) -> (String, String) {
        let mut want: Value = serde_json::from_str(old).unwrap_or(Value::String(old.to_owned()));
        let mut got = transcript.clone();
        if let (Some(w), Some(g)) = (
            want.get("steps").and_then(Value::as_array).cloned(),
            got.get_mut("steps").and_then(Value::as_array_mut),
        ) {
            for (i, step) in g.iter_mut().enumerate() {
                if step.get("skipped") == Some(&Value::Bool(true))
                    && let Some(old_step) = w.get(i)
                {
                    *step = old_step.clone();
                }
            }
        }
        if let Some(paths) = self
            .scenario
            .known_differences
            .get(self.target.kind.as_str())
        {
            snapshot::strip_paths(&mut want, paths);
            snapshot::strip_paths(&mut got, paths);
        }
        let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
        (pretty(&want), pretty(&got))
    }

    async fn send(&mut self, operation: &'static str, body: String) -> Call {
        let c = call(self.target.endpoint.clone(), operation, Bytes::from(body)).await;
        self.latencies.push(c.latency);
        c
    }

    async fn send_many(&mut self, operation: &'static str, body: &str, n: u32) -> Vec<Call> {
        if n <= 1 {
            return vec![self.send(operation, body.to_owned()).await];
        }
        let mut set = tokio::task::JoinSet::new();
        for i in 0..n {
            let endpoint = self.target.endpoint.clone();
            let body = Bytes::from(body.to_owned());
            set.spawn(async move { (i, call(endpoint, operation, body).await) });
        }
        let mut calls = Vec::with_capacity(n as usize);
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok(pair) => calls.push(pair),
                Err(e) => calls.push((u32::MAX, no_answer(TransportKind::Closed, e.to_string()))),
            }
        }
        calls.sort_by_key(|(i, _)| *i);
        self.latencies.extend(calls.iter().map(|(_, c)| c.latency));
        calls.into_iter().map(|(_, c)| c).collect()
    }

    fn fail(&mut self, step: Option<usize>, kind: &str, message: String) {
        self.failures.push(Failure {
            step,
            kind: kind.into(),
            message,
            expected: None,
            actual: None,
        });
    }
}

/// One call whose client error (a bad URL, a signing failure) counts as no answer.
async fn call(endpoint: crate::client::Endpoint, operation: &'static str, body: Bytes) -> Call {
    endpoint
        .call(operation, body)
        .await
        .unwrap_or_else(|e| no_answer(TransportKind::Connect, e.to_string()))
}

fn no_answer(kind: TransportKind, message: String) -> Call {
    Call {
        outcome: Outcome::Transport { kind, message },
        latency: Duration::ZERO,
    }
}

fn failure(
    step: &Step,
    kind: &str,
    message: String,
    expected: Option<String>,
    actual: Option<String>,
) -> Failure {
    Failure {
        step: Some(step.index),
        kind: kind.into(),
        message,
        expected,
        actual,
    }
}

fn collect_names(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            if let Ok(ns) = names(s) {
                out.extend(ns.into_iter().map(str::to_owned));
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_names(x, out)),
        Value::Object(m) => m.values().for_each(|x| collect_names(x, out)),
        _ => {}
    }
}

/// The `/_harness/config` patch that puts back a saved configuration.
fn restore_patch(saved: &Value) -> Value {
    let mut patch = serde_json::Map::new();
    if let Some(p) = saved.get("profile").and_then(Value::as_object) {
        for (k, v) in p {
            patch.insert(k.clone(), v.clone());
        }
    }
    for k in [
        "maxFlows",
        "maxConcurrentRuns",
        "maxRunsPerMonth",
        "runTimeMs",
        "cancelTimeMs",
        "tokenTtlMs",
    ] {
        if let Some(v) = saved.get(k) {
            patch.insert(k.into(), v.clone());
        }
    }
    Value::Object(patch)
}
