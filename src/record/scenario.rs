//! A recording as a scenario file in the catalogue's format, built as the
//! format's own structs ([`crate::scenario::file`]) and written by
//! [`crate::scenario::write`]: the flows the application created become
//! `flows:` (`{{flow.fN}}` wherever their names appear), its clientTokens
//! `{{token.tN}}` (one template per token), each call a step expecting
//! what the target answered where the contract decides it (status, error
//! type, flowStatus; an executionId equal to an earlier captured run, or a
//! new one: none of `{{runs}}`), reads of runs waiting (`eventually:`, L2).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::fingerprint::{ModelReading, created, flow_of};
use super::{Answered, Exchange};
use crate::appflow::Operation;
use crate::scenario::file::{ExpectFile, FlowFile, RawFile, ScenarioFile, StatusFile, StepFile};
use crate::scenario::write::{WriteError, step as located};

/// Where the recording came from, for the file's header.
pub struct RecordedFrom<'a> {
    /// The target's kind: `aws`, `url` or `embedded`.
    pub kind: &'a str,
    /// The target's region.
    pub region: &'a str,
    /// The date the recording ended, `YYYY-MM-DD` (UTC).
    pub date: String,
    /// The flags `check` replays the file with against its transcript
    /// (`--reference url`), or `--no-snapshots` when none was written.
    pub replay_flags: String,
}

/// The recording's names and tokens as templates.
pub(super) struct Templates {
    /// Flow name -> its alias (`f0`).
    pub flows: BTreeMap<String, String>,
    /// clientToken -> its alias (`t0`).
    pub tokens: BTreeMap<String, String>,
}

impl Templates {
    /// The aliases of the flows `calls` created and of the tokens they sent,
    /// numbered in order of first appearance.
    pub fn of(calls: &[Exchange]) -> Self {
        let flows = created(calls)
            .into_iter()
            .enumerate()
            .map(|(i, n)| (n, format!("f{i}")))
            .collect();
        let mut tokens = BTreeMap::new();
        for c in calls {
            if let Some(t) = c.request.get("clientToken").and_then(Value::as_str)
                && !tokens.contains_key(t)
            {
                let alias = format!("t{}", tokens.len());
                tokens.insert(t.to_owned(), alias);
            }
        }
        Self { flows, tokens }
    }

    /// A body that is not JSON with each created flow's name and recorded
    /// token in it replaced by its template, longest first (so that a name
    /// inside another is not cut).
    fn apply_text(&self, text: &str) -> String {
        let mut pairs: Vec<(&String, String)> = (self.flows.iter())
            .map(|(n, a)| (n, format!("{{{{flow.{a}}}}}")))
            .chain(
                self.tokens
                    .iter()
                    .map(|(n, a)| (n, format!("{{{{token.{a}}}}}"))),
            )
            .filter(|(n, _)| !n.is_empty())
            .collect();
        pairs.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
        let mut out = text.to_owned();
        for (name, template) in pairs {
            out = out.replace(name.as_str(), &template);
        }
        out
    }

    /// `v` with every string equal to a created flow's name, a recorded
    /// token or a run captured so far (`runs`, e.g. CancelFlowExecutions'
    /// executionIds) replaced by its template.
    fn apply(&self, v: &Value, runs: &[String]) -> Value {
        match v {
            Value::String(s) => {
                if let Some(a) = self.flows.get(s) {
                    json!(format!("{{{{flow.{a}}}}}"))
                } else if let Some(a) = self.tokens.get(s) {
                    json!(format!("{{{{token.{a}}}}}"))
                } else if let Some(k) = runs.iter().position(|r| r == s) {
                    json!(format!("{{{{r{k}}}}}"))
                } else {
                    v.clone()
                }
            }
            Value::Array(a) => Value::Array(a.iter().map(|x| self.apply(x, runs)).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| (k.clone(), self.apply(x, runs)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// The scenario file of a recording, as text (its header, then the file).
/// Errors: [`WriteError`] (a value YAML cannot hold).
pub fn write(
    calls: &[Exchange],
    print: &ModelReading,
    from: &RecordedFrom<'_>,
) -> Result<String, WriteError> {
    let (file, header) = scenario(calls, print, from);
    crate::scenario::write::write(&file, &header)
}

/// The scenario file of a recording and its header lines.
pub fn scenario(
    calls: &[Exchange],
    print: &ModelReading,
    from: &RecordedFrom<'_>,
) -> (ScenarioFile, Vec<String>) {
    let t = Templates::of(calls);
    let mut runs: Vec<String> = Vec::new();
    let mut steps = Vec::new();
    let mut foreign: Vec<String> = Vec::new();
    let mut continued = 0usize;
    for (i, c) in calls.iter().enumerate() {
        let flow = flow_of(&c.request);
        let ours = flow.is_some_and(|n| t.flows.contains_key(n));
        if let Some(n) = flow.filter(|_| !ours)
            && !foreign.iter().any(|f| f == n)
        {
            foreign.push(n.to_owned());
        }
        if c.request.get("nextToken").is_some() {
            // A page token is the recorded target's own: the read's first
            // step follows every page instead (`all-pages`).
            continued += 1;
            continue;
        }
        let mut step = match &c.raw {
            Some(text) => StepFile {
                raw: Some(RawFile {
                    operation: c.operation.name().to_owned(),
                    body: t.apply_text(text),
                    pad_to: None,
                }),
                ..StepFile::default()
            },
            None => StepFile::call(c.operation, t.apply(&c.request, &runs)),
        };
        if let Answered::Reply(r) = &c.answer
            && r.json
                .as_ref()
                .is_some_and(|j| j.get("nextToken").is_some())
        {
            step.all_pages = true;
        }
        let mut name = format!("call {} ({})", i + 1, c.operation.name());
        if let Some(rules) = print.per_call.get(i).filter(|r| !r.is_empty()) {
            name.push_str(&format!(", decided by {}", rules.join(" ")));
        }
        match &c.answer {
            Answered::Transport(_) => {
                // Nothing was answered: the replay holds the call to the contract only.
                name.push_str(": no answer was recorded");
            }
            Answered::Reply(reply) => {
                let mut expect = ExpectFile {
                    status: Some(StatusFile(vec![reply.status])),
                    error: reply.error_type.clone().filter(|_| reply.status != 200),
                    ..ExpectFile::default()
                };
                if deletes_while_runs_may_run(calls, i) && matches!(reply.status, 200 | 409) {
                    // Whether a run started earlier is still in progress
                    // depends on the target's run time, which the contract
                    // leaves free: either answer of L6 replays.
                    expect = ExpectFile {
                        one_of: vec![
                            ExpectFile {
                                status: Some(StatusFile(vec![200])),
                                ..ExpectFile::default()
                            },
                            ExpectFile {
                                status: Some(StatusFile(vec![409])),
                                error: Some("ConflictException".into()),
                                ..ExpectFile::default()
                            },
                        ],
                        ..ExpectFile::default()
                    };
                    name.push_str(
                        ": 200, or 409 while a run started earlier is still in progress (L6)",
                    );
                }
                if reply.status == 200 && (ours || flow.is_none()) {
                    expect.body = body(c.operation, reply.json.as_ref(), &mut runs, &mut step);
                    if c.operation == Operation::DescribeFlowExecutionRecords
                        && expect.body.is_some()
                    {
                        expect.eventually =
                            Some(crate::scenario::format_duration(crate::model::L2_LAG));
                    }
                }
                if flow.is_some() && !ours {
                    name.push_str(
                        ": a flow the application did not create, judged on status and error only",
                    );
                }
                step.expect = Some(expect);
            }
        }
        step.name = Some(name);
        steps.push(located(step));
    }
    let covers: Vec<String> = print.rules.iter().map(|r| (*r).to_owned()).collect();
    let mut file = ScenarioFile {
        description: format!(
            "an application's own traffic, recorded by `appflow-harness record` against {} ({} calls)",
            from.kind,
            calls.len()
        ),
        // Recorded on AWS, the answers are seen; on an emulator, they are
        // that emulator's choices, which nobody has verified against AWS.
        contract: Some(if from.kind == "aws" { "seen" } else { "chosen" }.into()),
        covers,
        steps,
        ..ScenarioFile::default()
    };
    for c in calls
        .iter()
        .filter(|c| c.operation == Operation::CreateFlow)
    {
        let (Some(n), Some(tr)) = (
            flow_of(&c.request),
            c.request
                .pointer("/triggerConfig/triggerType")
                .and_then(Value::as_str),
        ) else {
            continue;
        };
        if let Some(alias) = t.flows.get(n) {
            if tr == "Event" && !file.needs.iter().any(|x| x == "event-source") {
                file.needs.push("event-source".into());
            }
            // The application's CreateFlow step makes it; the runner still deletes it afterwards.
            file.flows.entry(alias.clone()).or_insert(FlowFile {
                trigger: tr.to_owned(),
                create: None,
                name: None,
                exists: false,
            });
        }
    }
    let mut lines = header(calls, print, from, &foreign);
    if continued > 0 {
        lines.push(format!(
            "{continued} later-page call(s) (with a nextToken) are not steps: the first page's step reads every page (all-pages)."
        ));
    }
    (file, lines)
}

/// Whether call `i` is a DeleteFlow without `forceDelete` of a flow that an
/// earlier call of the recording started a run on (L6: refused while the
/// run is in progress, which depends on the target's run time).
fn deletes_while_runs_may_run(calls: &[Exchange], i: usize) -> bool {
    let c = &calls[i];
    let forced = c.request.get("forceDelete").and_then(Value::as_bool) == Some(true);
    let Some(flow) =
        flow_of(&c.request).filter(|_| c.operation == Operation::DeleteFlow && !forced)
    else {
        return false;
    };
    calls[..i].iter().any(|e| {
        e.operation == Operation::StartFlow
            && flow_of(&e.request) == Some(flow)
            && matches!(&e.answer, Answered::Reply(r) if r.status == 200
                && r.json.as_ref().is_some_and(|j| j.get("executionId").is_some()))
    })
}

/// The expected body of a 200 about a created flow (or account-wide):
/// flowStatus, the executionId's relation to earlier runs, the runs a
/// records read lists. Captures each new run on `step` as `rN`.
fn body(
    op: Operation,
    json: Option<&Value>,
    runs: &mut Vec<String>,
    step: &mut StepFile,
) -> Option<Value> {
    let json = json?;
    let mut out = serde_json::Map::new();
    if let Some(s) = json
        .get("flowStatus")
        .filter(|_| op != Operation::ListFlows)
    {
        out.insert("flowStatus".into(), s.clone());
    }
    match op {
        Operation::StartFlow => {
            let exec = match json.get("executionId").and_then(Value::as_str) {
                None => json!({ "absent": true }),
                Some(id) => match runs.iter().position(|r| r == id) {
                    Some(k) => json!(format!("{{{{r{k}}}}}")),
                    None => {
                        step.capture
                            .insert(format!("r{}", runs.len()), "executionId".into());
                        runs.push(id.to_owned());
                        // A new run: none the scenario has seen (T1, T3), as explore writes it.
                        crate::explore::file_expect::new_run()
                    }
                },
            };
            out.insert("executionId".into(), exec);
        }
        Operation::DescribeFlowExecutionRecords => {
            let listed: Vec<Value> = json
                .get("flowExecutions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|r| r.get("executionId").and_then(Value::as_str))
                .filter_map(|id| runs.iter().position(|r| r == id))
                .map(|k| json!({ "executionId": format!("{{{{r{k}}}}}") }))
                .collect();
            if !listed.is_empty() {
                out.insert("flowExecutions".into(), json!({ "contains": listed }));
            }
        }
        _ => {}
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

fn header(
    calls: &[Exchange],
    print: &ModelReading,
    from: &RecordedFrom<'_>,
    foreign: &[String],
) -> Vec<String> {
    let mut h = vec![
        format!(
            "Recorded by appflow-harness {} `record` against {} (region {}) on {}: {} calls.",
            env!("CARGO_PKG_VERSION"),
            from.kind,
            from.region,
            from.date,
            calls.len()
        ),
        format!(
            "Replay: appflow-harness check THIS_FILE {} [--target URL]",
            from.replay_flags
        ),
        format!(
            "ModelReading (the candidate of each [chosen] rule the target showed, judged by the contract's model over {} calls):",
            print.judged
        ),
    ];
    h.extend(print.lines().into_iter().map(|l| format!("  {l}")));
    h.extend(print.refused_line().map(|l| format!("  {l}")));
    h.extend(print.profiles.replay_lines());
    if from.kind == "aws" {
        h.push("Recorded against AWS: this is evidence for APPFLOW.md's open questions; please send the file back (see README, Recording your application's traffic).".to_owned());
    }
    if !foreign.is_empty() {
        h.push(format!(
            "Flows the application did not create ({}): their calls are judged on status and error type only, with no assumption about those flows.",
            foreign.len()
        ));
    }
    h
}
