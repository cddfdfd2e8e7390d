//! The contract every answer is checked against, with no line in the
//! scenario: the status-to-error-type table of APPFLOW.md, the request id,
//! and the output shapes of the AppFlow service model (members, types,
//! enums, lengths, patterns), plus StartFlow's executionId rule.

mod request_ids;
mod shapes;

pub use request_ids::RequestIds;

pub use shapes::folded;

use std::sync::{Mutex, OnceLock};

use serde_json::Value;

use crate::appflow::{ErrorKind, Operation, TriggerType};
use crate::reply::Reply;

pub use shapes::Model;

pub use crate::appflow::MODEL_JSON;

/// One contract rule an answer breaks, where, and its APPFLOW.md rule id
/// (wire rules W1-W8, output rules O1-O3, the status table, model shapes).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// Where in the answer: `status`, `header x-amzn-RequestId`, `body.flowStatus`, ...
    pub at: String,
    /// The rule in words, as shown in the report (e.g. "answers are JSON, with content-type
    /// application/json, not none").
    pub rule: String,
    /// The APPFLOW.md rule it breaks (W2, O1, ...).
    pub id: &'static str,
}

impl Violation {
    /// A violation at `at` (a transcript path such as `body.flowArn`) of `rule`, with rule id `id`.
    pub fn new(at: &str, rule: String, id: &'static str) -> Self {
        Self {
            at: at.to_owned(),
            rule,
            id,
        }
    }

    /// A rule about the wire (request id, error header, JSON body) rather
    /// than behaviour: one that, broken once, tends to be broken on every answer.
    pub fn is_wire(&self) -> bool {
        self.at.starts_with("header ") || self.at == "body.message"
    }
}

/// Something worth knowing that breaks no rule: a member the model does not
/// list (W5), activity the run did not cause.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Note {
    /// Where in the answer (`body.flows.0.extra`); the runner folds list indices with [`folded`].
    pub at: String,
    /// What was found, in words, with the rule id that allows it (e.g. W5).
    pub text: String,
}

/// What checking one answer found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Findings {
    /// Rules the answer breaks; empty when it conforms.
    pub violations: Vec<Violation>,
    /// Findings that break no rule (W5 members, activity the run did not cause).
    pub notes: Vec<Note>,
}

/// The HTTP status an error type must come with: the vocabulary's one
/// table, which the emulator answers by too.
pub fn error_status(name: &str) -> Option<u16> {
    ErrorKind::from_name(name).map(ErrorKind::status)
}

/// The contract as the harness ships it (a copy of the project's APPFLOW.md).
pub const APPFLOW_MD: &str = include_str!("../../docs/APPFLOW.md");

/// The rule ids of APPFLOW.md (`**T1**` ...), in the order they appear.
pub fn rule_ids() -> &'static [&'static str] {
    static IDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    // The rules start at the first section; the introduction only names examples.
    let rules = APPFLOW_MD
        .find("\n## ")
        .map_or(APPFLOW_MD, |i| &APPFLOW_MD[i..]);
    IDS.get_or_init(|| rule_ids_in(rules))
}

/// The rule ids defined in a text: `**X1**` with a capital and digits.
pub fn rule_ids_in(text: &str) -> Vec<&str> {
    let mut ids = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("**") {
        let after = &rest[i + 2..];
        let Some(j) = after.find("**") else { break };
        let id = &after[..j];
        let mut chars = id.chars();
        let is_id = chars.next().is_some_and(|c| c.is_ascii_uppercase())
            && id.len() >= 2
            && chars.all(|c| c.is_ascii_digit());
        if is_id && !ids.contains(&id) {
            ids.push(id);
        }
        rest = if is_id { &after[j + 2..] } else { after };
    }
    ids
}

/// The open questions of APPFLOW.md (what a recording on AWS settles), in order.
pub fn open_questions() -> &'static [&'static str] {
    static QS: OnceLock<Vec<&'static str>> = OnceLock::new();
    QS.get_or_init(|| {
        let Some(start) = APPFLOW_MD.find("## Open questions") else {
            return Vec::new();
        };
        APPFLOW_MD[start..]
            .lines()
            .skip(1)
            .take_while(|l| !l.starts_with("## "))
            .filter_map(|l| {
                let (n, rest) = l.split_once(". ")?;
                n.parse::<usize>().ok().map(|_| rest.trim())
            })
            .collect()
    })
}

/// The service model the harness ships ([`MODEL_JSON`], the AppFlow Smithy JSON AST),
/// parsed once on first use: the shapes answers are checked against (types, enums, lengths,
/// patterns; members it does not list are W5 notes).
pub fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| Model::parse(MODEL_JSON))
}

/// Checks one answer to `operation`. `trigger` is that of the flow named in
/// the request, where the caller knows it (StartFlow's executionId rule).
pub fn check(operation: Operation, reply: &Reply, trigger: Option<TriggerType>) -> Findings {
    let mut f = Findings::default();
    let out = &mut f.violations;
    if reply.request_id.as_deref().is_none_or(str::is_empty) {
        out.push(Violation::new(
            "header x-amzn-RequestId",
            "every answer carries a request id".into(),
            "W3",
        ));
    }
    match reply.content_type.as_deref() {
        Some(ct)
            if ct.starts_with("application/json") || ct.starts_with("application/x-amz-json") => {}
        other => out.push(Violation::new(
            "header content-type",
            format!(
                "answers are JSON, with content-type application/json, not {}",
                other.map_or_else(
                    || "none".to_owned(),
                    |c| format!("`{}`", crate::safe_text::escape_control(c))
                )
            ),
            "W1",
        )),
    }
    // W10: a redirect is not an AppFlow answer; the SDKs follow none, so
    // neither does the client, and its body and headers are not judged.
    if (300..400).contains(&reply.status) {
        out.clear();
        out.push(Violation::new(
            "status",
            format!(
                "an answer comes from the endpoint asked: {} redirects{}, and no SDK follows it",
                reply.status,
                reply
                    .location_host
                    .as_deref()
                    .map_or_else(String::new, |h| format!(" to {h}"))
            ),
            "W10",
        ));
        return f;
    }
    // W2 whatever the body is: an HTML 503 from a front door names no
    // error type either, and must not leave W2 "held".
    if (400..=599).contains(&reply.status) && reply.status != 413 && reply.error_type.is_none() {
        out.push(Violation::new(
            "header x-amzn-ErrorType",
            format!("an error ({}) must name its type", reply.status),
            "W2",
        ));
    }
    let Some(body) = reply.json.as_ref() else {
        out.push(Violation::new(
            "body",
            format!("the body must be JSON, got {}", reply.body_summary()),
            "W1",
        ));
        return f;
    };
    if !body.is_object() {
        out.push(Violation::new(
            "body",
            "the body must be a JSON object".into(),
            "W1",
        ));
        return f;
    }
    match reply.status {
        200 => {
            model().check_output(operation.name(), body, out, &mut f.notes);
            if operation == Operation::StartFlow {
                start_flow_rules(body, trigger, out);
            }
        }
        // W6: a body larger than the endpoint accepts may be refused by a
        // front door (a proxy, API Gateway) as plain 413, with or without
        // AppFlow's error type and message.
        413 => {}
        400..=599 => {
            if let Some(name) = reply.error_type.as_deref()
                && let Some(want) = error_status(name)
                && want != reply.status
            {
                out.push(Violation::new(
                    "status",
                    format!("{name} comes with HTTP {want}, not {}", reply.status),
                    "W2",
                ));
            }
            if reply.message().is_none() {
                out.push(Violation::new(
                    "body.message",
                    "an error body carries `message` (or `Message`) as a string".into(),
                    "W2",
                ));
            }
        }
        other => out.push(Violation::new(
            "status",
            format!("AppFlow answers 200 or an error status, not {other}"),
            "W1",
        )),
    }
    f
}

fn start_flow_rules(body: &Value, trigger: Option<TriggerType>, out: &mut Vec<Violation>) {
    let id = body.get("executionId").filter(|v| !v.is_null());
    let rule = match trigger {
        Some(TriggerType::OnDemand) if id.and_then(Value::as_str).is_none_or(str::is_empty) => {
            "an on-demand start answers a non-empty executionId"
        }
        Some(TriggerType::OnDemand)
            if id
                .and_then(Value::as_str)
                .is_some_and(|s| s.chars().any(char::is_whitespace)) =>
        {
            "an executionId has no whitespace"
        }
        Some(TriggerType::Scheduled | TriggerType::Event) if id.is_some() => {
            "a scheduled or event start answers no executionId"
        }
        _ => return,
    };
    out.push(Violation::new("body.executionId", rule.into(), "O3"));
}

/// An ARN's region and account (`arn:aws:appflow:REGION:ACCOUNT:...`).
fn arn_parts(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':').skip(3);
    Some((parts.next()?, parts.next()?))
}

/// An account id as O1 wants it: 12 digits.
fn valid_account(account: &str) -> bool {
    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
}

/// Makes `arn`'s account the run's (O1's `account`, as [`check_arns`]
/// holds it) if none is yet and it is 12 digits; judges nothing.
pub fn adopt_account(arn: &str, account: &Mutex<Option<String>>) {
    if let Some((_, a)) = arn_parts(arn).filter(|(_, a)| valid_account(a)) {
        let mut seen = account.lock().unwrap_or_else(|p| p.into_inner());
        seen.get_or_insert_with(|| a.to_owned());
    }
}

/// O1 against the target: every AppFlow ARN in an answer names the target's
/// region, and one account for the whole run (`account` holds the first
/// one seen).
pub fn check_arns(body: &Value, region: &str, account: &Mutex<Option<String>>) -> Vec<Violation> {
    let mut found = Vec::new();
    arns(body, "body", &mut found);
    let mut out = Vec::new();
    for (at, arn) in found {
        let Some((arn_region, arn_account)) = arn_parts(&arn) else {
            continue;
        };
        if arn_region != region {
            out.push(Violation::new(
                &at,
                format!("the ARN names region `{arn_region}`, the target is in `{region}`"),
                "O1",
            ));
        }
        if !valid_account(arn_account) {
            out.push(Violation::new(
                &at,
                format!("the ARN's account `{arn_account}` is not 12 digits"),
                "O1",
            ));
            continue;
        }
        let mut seen = account.lock().unwrap_or_else(|p| p.into_inner());
        match seen.as_deref() {
            None => *seen = Some(arn_account.to_owned()),
            Some(first) if first != arn_account => out.push(Violation::new(
                &at,
                format!(
                    "the ARN names account `{arn_account}`, earlier ARNs of this run named `{first}`"
                ),
                "O1",
            )),
            Some(_) => {}
        }
    }
    out
}

fn arns(v: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::String(s) if s.starts_with("arn:aws") && s.contains(":appflow:") => {
            out.push((at.to_owned(), s.clone()))
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                arns(x, &format!("{at}.{i}"), out);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                arns(x, &format!("{at}.{k}"), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests;
