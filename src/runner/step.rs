//! Playing one call step: render its request, send it (N at once for
//! `concurrent`, page by page for `all-pages`), judge the answers, repeat
//! while `eventually` allows, take the captures. The step returns what it
//! observed ([`Observed`]); the scenario folds it in.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{Value, json};

use super::captures::{capture, watch_runs};
use super::judge::{Context, contract, judge};
use super::ledger::Observed;
use super::send::{read_all_pages, send_many};
use super::transcript::{record_call, shown_request};
use super::undecided::undecided;
use super::{Failure, FailureKind};
use crate::appflow::{Operation, TriggerType};
use crate::client::retry::is_safe as retry_safe;
use crate::client::{Call, CallOutcome};
use crate::endpoint::Target;
use crate::normalise::Normaliser;
use crate::scenario::template::Bindings;
use crate::scenario::{Action, Step};

/// How long `eventually` waits between two tries.
const POLL: Duration = Duration::from_millis(250);

/// What a call step reads from the scenario so far.
pub(super) struct Names<'a> {
    pub bindings: &'a Bindings,
    /// real flow name -> trigger
    pub triggers: &'a HashMap<String, TriggerType>,
    pub normaliser: &'a mut Normaliser,
}

/// A request as rendered from the step, before it is sent.
enum Rendered {
    /// A JSON body (the step's members with templates filled in).
    Json(Value),
    /// A body as written, padded with spaces to `pad_to` bytes.
    Raw { text: String, pad_to: Option<usize> },
}

impl Rendered {
    /// The request as JSON: a raw body is parsed (it may not be JSON).
    fn json(&self) -> Option<Value> {
        match self {
            Self::Json(v) => Some(v.clone()),
            Self::Raw { text, .. } => serde_json::from_str(text).ok(),
        }
    }

    fn bytes(&self) -> Bytes {
        match self {
            Self::Json(v) => Bytes::from(v.to_string()),
            Self::Raw { text, pad_to } => {
                let mut t = text.clone();
                let pad = pad_to.unwrap_or(0).saturating_sub(t.len());
                t.extend(std::iter::repeat_n(' ', pad));
                Bytes::from(t)
            }
        }
    }
}

/// Plays a call step against `target`.
pub(super) async fn play_call(
    step: &Step,
    target: &Target,
    account: &Mutex<Option<String>>,
    mut names: Names<'_>,
) -> Observed {
    let Some(r) = ready(step, &mut names) else {
        // Not a call (`ready` renders every call step).
        return Observed::default();
    };
    let (mut o, calls) = send(&r, target, account).await;
    finish(r, &calls, &mut o, &mut names);
    o
}

/// A call step made ready to send: its request rendered (templates
/// filled in from the scenario so far), its copies and expectations.
pub(super) struct Ready<'s> {
    step: &'s Step,
    operation: Operation,
    request: Option<Value>,
    bodies: Vec<Bytes>,
    trigger: Option<TriggerType>,
    expected_body: Option<Value>,
    alternative_bodies: Vec<Option<Value>>,
    expects_throttle: bool,
    retry: bool,
    /// The request as the transcript shows it (normalised).
    shown: Value,
}

/// `step` rendered against the scenario so far; `None` for a step that
/// is not a call.
pub(super) fn ready<'s>(step: &'s Step, names: &mut Names<'_>) -> Option<Ready<'s>> {
    let operation = step.action.operation()?;
    let (rendered, shown) = render(step, operation, names)?;
    let request = rendered.json();
    let bodies = copies(step, &rendered, names.bindings);
    let trigger = request
        .as_ref()
        .and_then(|v| v.get("flowName").and_then(Value::as_str))
        .and_then(|n| names.triggers.get(n).copied());
    let expected_body = step.expect.body.as_ref().map(|b| names.bindings.render(b));
    // Each alternative's body with its templates filled in, as the main one.
    let alternative_bodies: Vec<Option<Value>> = step
        .expect
        .one_of
        .iter()
        .map(|a| a.body.as_ref().map(|b| names.bindings.render(b)))
        .collect();
    // A step that expects a 429 gets it as it comes.
    let expects_throttle = step
        .expect
        .status
        .as_ref()
        .is_some_and(|s| s.contains(&429));
    let retry = !expects_throttle
        && bodies.iter().all(|b| {
            let copy = serde_json::from_slice::<Value>(b).ok();
            retry_safe(operation, copy.as_ref().or(request.as_ref()))
        });
    Some(Ready {
        step,
        operation,
        request,
        bodies,
        trigger,
        expected_body,
        alternative_bodies,
        expects_throttle,
        retry,
        shown,
    })
}

/// Sends a ready step and judges its answers: what it observed (its
/// transcript entry aside, see [`finish`]) and the calls.
pub(super) async fn send(
    r: &Ready<'_>,
    target: &Target,
    account: &Mutex<Option<String>>,
) -> (Observed, Vec<Call>) {
    let (step, operation) = (r.step, r.operation);
    let mut o = Observed::default();
    let cx = Context {
        operation,
        trigger: r.trigger,
        region: &target.region,
        account,
        request_ids: target.endpoint.request_ids(),
    };
    o.operation = Some(operation);
    let (calls, mut judged) = send_and_judge(
        step,
        target,
        operation,
        &r.bodies,
        r.request.as_ref(),
        r.retry,
        &cx,
        (r.expected_body.as_ref(), &r.alternative_bodies),
        &mut o,
    )
    .await;
    if step.expect.eventually.is_some()
        && let (Some(why), Some(first)) = (&judged.unfixable, judged.failures.first_mut())
    {
        first.message.push_str(&format!(
            "\n(stopped polling after {} request(s): {why})",
            o.sent
        ));
    }
    // A write repeated after an attempt that got no answer: that attempt
    // may have taken effect (a DeleteFlow repeated answers 404 then), so a
    // failed expectation says nothing about the rule.
    if o.lost > 0 && !operation.is_read() && !judged.failures.is_empty() {
        let why = format!(
            "an attempt got no answer in time and was repeated; it may have taken effect: {}",
            judged.failures[0].message
        );
        judged.failures = vec![Failure::new(
            Some(step.index),
            FailureKind::Inconclusive,
            why,
        )];
    }
    if let Some((why, unanswered)) = undecided(&calls, step, r.expects_throttle, r.retry) {
        o.unanswered = unanswered;
        judged.failures = vec![Failure::new(
            Some(step.index),
            FailureKind::Inconclusive,
            why,
        )];
    }
    o.failures = judged.failures;
    o.first_status = calls.first().and_then(|c| match &c.outcome {
        CallOutcome::Reply(r) => Some(r.status),
        CallOutcome::Transport { .. } => None,
    });
    o.copy_statuses = calls
        .iter()
        .map(|c| match &c.outcome {
            CallOutcome::Reply(r) => r.status,
            CallOutcome::Transport { .. } => 0,
        })
        .collect();
    o.first_body = calls.first().and_then(|c| match &c.outcome {
        CallOutcome::Reply(r) => r.json.clone(),
        CallOutcome::Transport { .. } => None,
    });
    capture(step, &calls, &mut o);
    // Its effect unknown: a write not judged, or captures later steps use.
    let unjudged = o
        .failures
        .iter()
        .find(|f| f.kind == FailureKind::Inconclusive);
    if let Some(f) = unjudged
        && (!operation.is_read() || !step.capture.is_empty())
    {
        o.undecided = Some(format!(
            "step {} ({}) could not be judged: {}",
            step.index,
            step.name,
            f.message.lines().next().unwrap_or("")
        ));
    }
    watch_runs(operation, &calls, &mut o);
    (o, calls)
}

/// The step's transcript entry, from its calls, into `o`.
pub(super) fn finish(r: Ready<'_>, calls: &[Call], o: &mut Observed, names: &mut Names<'_>) {
    let own = |name: &str| names.triggers.contains_key(name);
    o.entry = record_call(r.step, r.shown, calls, names.normaliser, &own);
}

/// The step's request with its templates filled in, and the same request
/// normalised for the transcript; `None` for a step that is not a call.
fn render(step: &Step, operation: Operation, names: &mut Names<'_>) -> Option<(Rendered, Value)> {
    Some(match &step.action {
        Action::Call { body, .. } => {
            let rendered = names.bindings.render(body);
            let mut shown = shown_request(operation, &rendered, names.normaliser);
            if !step.each.is_empty() {
                let each = names.bindings.render(&json!(step.each));
                shown["each"] = names.normaliser.normalise(&each);
            }
            (Rendered::Json(rendered), shown)
        }
        Action::Raw { body, pad_to, .. } => {
            let text = names.bindings.render_text(body);
            let shown = super::transcript::shown_raw(operation, &text, *pad_to, names.normaliser);
            (
                Rendered::Raw {
                    text,
                    pad_to: *pad_to,
                },
                shown,
            )
        }
        _ => return None,
    })
}

/// The bodies a step sends at once: `concurrent` copies of the request,
/// copy i with the i-th value of each `each` member (`null`: left out).
fn copies(step: &Step, rendered: &Rendered, bindings: &Bindings) -> Vec<Bytes> {
    let n = step.concurrent.max(1) as usize;
    let base = match rendered {
        Rendered::Json(v) if !step.each.is_empty() => v,
        _ => return vec![rendered.bytes(); n],
    };
    (0..n)
        .map(|i| {
            let mut copy = base.clone();
            for (member, values) in &step.each {
                match values.get(i).map(|v| bindings.render(v)) {
                    Some(Value::Null) | None => {
                        if let Some(m) = copy.as_object_mut() {
                            m.remove(member);
                        }
                    }
                    Some(v) => copy[member.as_str()] = v,
                }
            }
            Bytes::from(copy.to_string())
        })
        .collect()
}

/// Sends the step (every page, or `concurrent` copies at once) and judges
/// the answers, again every POLL while an `eventually` expectation fails
/// for a reason waiting can change, until its deadline.
#[expect(
    clippy::too_many_arguments,
    reason = "the step's parts, as play_call has them"
)]
async fn send_and_judge(
    step: &Step,
    target: &Target,
    operation: Operation,
    bodies: &[Bytes],
    request: Option<&Value>,
    retry: bool,
    cx: &Context<'_>,
    (expected_body, alternative_bodies): (Option<&Value>, &[Option<Value>]),
    o: &mut Observed,
) -> (Vec<Call>, super::judge::Judged) {
    let paged = step.all_pages.then(|| operation.list_member()).flatten();
    let deadline = step.expect.eventually.map(|d| Instant::now() + d);
    // The first failed try may make time pass (control::pass_time).
    let mut owned_time = target.kind == crate::appflow::TargetKind::Embedded;
    loop {
        let calls = match (paged, request) {
            (Some(member), Some(first)) => {
                read_all_pages(&target.endpoint, operation, first, member, retry, cx, o).await
            }
            _ => {
                let (calls, repeats) = send_many(&target.endpoint, operation, bodies, retry).await;
                o.throttled += repeats.throttled;
                o.lost += repeats.lost;
                observe(&calls, cx, o);
                calls
            }
        };
        let judged = judge(step, expected_body, alternative_bodies, &calls);
        match deadline {
            Some(_) if !judged.failures.is_empty() && judged.unfixable.is_some() => {
                break (calls, judged);
            }
            Some(d) if !judged.failures.is_empty() && Instant::now() + POLL < d => {
                let first = std::mem::take(&mut owned_time);
                super::control::pass_time(target, request, first, POLL).await
            }
            _ => break (calls, judged),
        }
    }
}

/// Contract, request ids and throttles of every call, into `o`.
pub(super) fn observe(calls: &[Call], cx: &Context<'_>, o: &mut Observed) {
    o.sent += calls.len();
    for c in calls {
        o.latencies.push(c.latency);
        if let CallOutcome::Reply(r) = &c.outcome {
            o.answers += 1;
            o.request_ids.extend(r.request_id.clone());
            let (violations, notes) = contract(cx, r);
            o.violations
                .extend(violations.into_iter().map(|v| (cx.operation, v)));
            o.notes.extend(notes.into_iter().map(|n| (cx.operation, n)));
        }
    }
}
