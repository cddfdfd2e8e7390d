//! `appflow-harness cleanup`: the flows a harness run left behind (a killed
//! run, a lost connection), listed by their name prefix and age, and with
//! `--yes` stopped (scheduled and event flows keep running, and costing, on
//! AWS) and deleted.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde_json::{Value, json};

use super::{CommandError, Console, Outcome};
use crate::appflow::Operation;
use crate::client::pages::{self, End, Reading, Visit};
use crate::client::{CallOutcome, Endpoint, RetryPolicy};
use crate::endpoint::{self, Environment, TargetOptions};

/// The prefixes of the flows `check` (`ah-`) and `load` (`ld-`) create.
pub use crate::names::HARNESS_PREFIXES;

/// What `appflow-harness cleanup` is told: the endpoint, which flows count as
/// leftovers (name prefix or fixture description, age), and whether to delete them.
#[derive(Debug, Clone)]
pub struct CleanupOptions {
    /// The endpoint to clean and how to reach it (choice, region, signing, pacing).
    pub target: TargetOptions,
    /// Flow name prefixes to match (default: the harness's own).
    pub prefixes: Vec<String>,
    /// Also match flows with the fixtures' description (the default).
    pub match_description: bool,
    /// Only flows created at least this long ago.
    pub older_than: Option<Duration>,
    /// Delete them (else only list them).
    pub yes: bool,
}

/// The description the harness's fixture flows carry: how flows whose
/// generated names carry no prefix (2-character ones) are still recognised.
pub const HARNESS_DESCRIPTION: &str = crate::fixtures::DESCRIPTION;

/// A leftover flow.
#[derive(Debug, Clone)]
pub struct Leftover {
    /// The flow's name (`flowName`; empty if ListFlows left it out).
    pub name: String,
    /// The flow's description; [`HARNESS_DESCRIPTION`] marks the harness's fixtures.
    pub description: String,
    /// The flow's trigger type as ListFlows gives it (`OnDemand`, `Scheduled`, `Event`).
    pub trigger: String,
    /// The flow's status as ListFlows gives it (`Active`, `Suspended`, ...; O2).
    pub status: String,
    /// When the flow was created, in epoch seconds (W4); `None` if not given.
    pub created_at: Option<f64>,
}

/// Runs `cleanup`: lists every flow through all ListFlows pages (S4, paged as S2),
/// keeps those with a harness prefix (or the fixture description) and at least
/// `older_than` old, and prints them; with `yes` it stops each active scheduled or
/// event flow, then deletes every one (`forceDelete`, retried as [`RetryPolicy::standard`]).
/// Returns [`Outcome::Failed`] when a delete failed or the endpoint's paging broke
/// S2 (a repeated `nextToken`, too many pages), else [`Outcome::Passed`] (an
/// empty last `nextToken` is named, W5, and the list read as complete).
/// Errors: those of resolving and probing the target (see `check`'s
/// [`run`](super::check::run)), and [`CommandError::TargetUnreachable`] when a
/// ListFlows page fails (error answer or no answer, after its retries).
pub async fn run(
    options: CleanupOptions,
    env: &Environment,
    console: &mut Console<'_>,
) -> Result<Outcome, CommandError> {
    let target = endpoint::resolve(options.target.clone(), env).await?;
    target.probe().await?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let (all, paging) = list_flows(&target.endpoint)
        .await
        .map_err(CommandError::TargetUnreachable)?;
    // An empty last token is named but fails nothing: the list is complete,
    // so cleanup did its job; a broken chain may have hidden flows.
    let mut broken = None;
    if let Some((why, complete)) = paging {
        let _ = writeln!(console.out, "{why}");
        broken = (!complete).then_some(why);
    }
    let leftovers: Vec<Leftover> = all
        .into_iter()
        .filter(|f| {
            options
                .prefixes
                .iter()
                .any(|p| f.name.starts_with(p.as_str()))
                || (options.match_description && f.description == HARNESS_DESCRIPTION)
        })
        .filter(|f| {
            options
                .older_than
                .is_none_or(|age| f.created_at.is_some_and(|c| now - c >= age.as_secs_f64()))
        })
        .collect();
    for f in &leftovers {
        let _ = writeln!(console.out, "{} ({}, {})", f.name, f.trigger, f.status);
    }
    if !options.yes || leftovers.is_empty() {
        let found = super::plural(leftovers.len(), "leftover flow");
        let at = target.endpoint.base_url();
        let _ = match (leftovers.is_empty(), target.kind) {
            // The embedded emulator starts empty in this process: nothing
            // a killed run left can be there.
            (true, endpoint::TargetKind::Embedded) => writeln!(
                console.out,
                "no leftover flow on {at}: the embedded emulator starts empty; name the target a killed run used (--target aws or --target URL)"
            ),
            (true, _) => writeln!(console.out, "no leftover flow on {at}: nothing to delete"),
            (false, _) => writeln!(
                console.out,
                "{found} on {at}; run again with --yes to delete them"
            ),
        };
        return Ok(Outcome::from_passed(broken.is_none()));
    }
    let mut failed = 0;
    for f in &leftovers {
        if f.status == "Active" && f.trigger != "OnDemand" {
            let _ = call(
                &target.endpoint,
                Operation::StopFlow,
                json!({"flowName": f.name}),
            )
            .await;
        }
        match call(
            &target.endpoint,
            Operation::DeleteFlow,
            json!({"flowName": f.name, "forceDelete": true}),
        )
        .await
        {
            Ok(_) => {}
            Err(e) => {
                failed += 1;
                let _ = writeln!(console.out, "failed to delete {}: {e}", f.name);
            }
        }
    }
    let _ = writeln!(
        console.out,
        "deleted {} of {} leftover flow(s)",
        leftovers.len() - failed,
        leftovers.len()
    );
    Ok(Outcome::from_passed(failed == 0 && broken.is_none()))
}

/// Calls `operation` through the endpoint client's retry loop
/// ([`RetryPolicy::standard`]: throttles, server errors and lost
/// connections retried with backoff); the answer's JSON, or what went wrong.
async fn call(endpoint: &Endpoint, operation: Operation, body: Value) -> Result<Value, String> {
    let c = endpoint
        .call_with(
            &RetryPolicy::standard(),
            operation,
            Bytes::from(body.to_string()),
        )
        .await
        .map_err(|e| e.to_string())?
        .call;
    answer(c.outcome)
}

/// A 200's JSON, or what went wrong.
fn answer(outcome: CallOutcome) -> Result<Value, String> {
    match outcome {
        CallOutcome::Reply(r) if r.status == 200 => Ok(r.json.unwrap_or(Value::Null)),
        CallOutcome::Reply(r) if r.redirect().is_some() => Err(r.redirect().unwrap_or_default()),
        CallOutcome::Reply(r) => Err(format!("{} {}", r.status, r.body_text())),
        CallOutcome::Transport { message, .. } => Err(message),
    }
}

/// Every flow, through all the pages of ListFlows (the client's pager),
/// and the violation that ended the read, if one did: a repeated
/// `nextToken` or more than [`crate::client::pages::MAX_PAGES`] pages (S2),
/// or an empty last `nextToken` (W5; the list is complete), never an
/// endless loop. The note says whether the list is complete all the same.
async fn list_flows(
    endpoint: &Endpoint,
) -> Result<(Vec<Leftover>, Option<(String, bool)>), String> {
    let mut out = Vec::new();
    let mut failed = None;
    let read = pages::read_all(
        endpoint,
        &RetryPolicy::standard(),
        Operation::ListFlows,
        &json!({"maxResults": 100}),
        Reading::default(),
        |call| {
            let page = match answer(call.outcome) {
                Ok(page) => page,
                Err(e) => {
                    failed = Some(e);
                    return Visit::Stop;
                }
            };
            let member = Operation::ListFlows.list_member().unwrap_or_default();
            for f in page
                .get(member)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let text = |k: &str| {
                    f.get(k)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                out.push(Leftover {
                    name: text("flowName"),
                    description: text("description"),
                    trigger: text("triggerType"),
                    status: text("flowStatus"),
                    created_at: f.get("createdAt").and_then(Value::as_f64),
                });
            }
            Visit::Next(
                page.get("nextToken")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            )
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    if let Some(e) = failed {
        return Err(e);
    }
    let why = match &read.end {
        End::Repeated(v) | End::TooMany(v) => Some((
            format!(
                "ListFlows stopped after {} page(s): the endpoint breaks {} ({}: {}); the flows of those pages are cleaned up, others may be left",
                read.pages, v.id, v.at, v.rule
            ),
            false,
        )),
        End::EmptyToken(v) => Some((
            format!(
                "ListFlows ended after {} page(s) on an empty nextToken: the endpoint breaks {} ({}: {}); the list is complete",
                read.pages, v.id, v.at, v.rule
            ),
            true,
        )),
        End::Complete | End::Stopped => None,
    };
    Ok((out, why))
}
