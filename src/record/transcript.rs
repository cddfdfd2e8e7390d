//! A recording's transcript: the traffic as the runner's transcript of the
//! saved scenario shows it ([`crate::runner::transcript`], the one owner of
//! that shape), so the recording is a reference its replays are compared
//! with (`check`'s snapshot comparison, `compare --baseline reference:NAME`).
//! Names and tokens are the scenario's placeholders (`<flow:f0>`,
//! `<token:t0>`), runs numbered as the replay numbers them.

use std::time::Duration;

use serde_json::Value;

use super::scenario::Templates;
use super::{Answered, Exchange};
use crate::client::{Call, CallOutcome, TransportKind};
use crate::normalise::Normaliser;
use crate::redact::Redactor;
use crate::runner::transcript::{call_entry, of_scenario, pages_as_one};
use crate::scenario::Scenario;

/// The transcript of `calls` as the steps of `scenario` (the file
/// [`super::scenario::write`] made of them, read back): one entry per
/// step, each the call it was made of (a read's later pages, the calls
/// with a `nextToken` that follow it, folded in as the replay folds an
/// `all-pages` read), every string cleaned by `redactor`.
pub fn of_recording(scenario: &Scenario, calls: &[Exchange], redactor: &Redactor) -> Value {
    let t = Templates::of(calls);
    let mut normaliser = Normaliser::new();
    for (real, alias) in &t.flows {
        normaliser.name(real, format!("<flow:{alias}>"));
    }
    for (real, alias) in &t.tokens {
        normaliser.name(real, format!("<token:{alias}>"));
    }
    let own = |name: &str| t.flows.contains_key(name);
    let mut steps = scenario.steps.iter();
    let mut entries = Vec::new();
    let mut i = 0;
    while i < calls.len() {
        let first = &calls[i];
        let mut next = i + 1;
        while calls
            .get(next)
            .is_some_and(|c| continued(c) && c.operation == first.operation && !continued(first))
        {
            next += 1;
        }
        let later = &calls[i + 1..next];
        i = next;
        // A later page with no first page before it is no step (as in the file).
        if continued(first) {
            continue;
        }
        let Some(step) = steps.next() else { break };
        let call = if step.all_pages {
            as_one(first, later)
        } else {
            as_call(first)
        };
        // A call that was not JSON is a raw step: its entry shows the text.
        let request = (first.raw.clone()).map_or_else(|| first.request.clone(), Value::String);
        entries.push(call_entry(step, &request, &[call], &mut normaliser, &own));
    }
    of_scenario(scenario, entries, redactor)
}

/// A call with a page token: a later page of a list read.
fn continued(c: &Exchange) -> bool {
    c.request.get("nextToken").is_some()
}

/// A proxied call as the client's [`Call`] (its latency is not recorded).
fn as_call(c: &Exchange) -> Call {
    Call {
        outcome: match &c.answer {
            Answered::Reply(r) => CallOutcome::Reply(r.clone()),
            Answered::Transport(message) => CallOutcome::Transport {
                kind: TransportKind::Closed,
                message: message.clone(),
            },
        },
        latency: Duration::ZERO,
    }
}

/// A list read's pages as one call, as the replay's `all-pages` step reads
/// them: the first page with every page's items; a page that is not a 200
/// with a body ends the read and stands for it.
fn as_one(first: &Exchange, later: &[Exchange]) -> Call {
    let Some(member) = first.operation.list_member() else {
        return as_call(first);
    };
    let mut call = as_call(first);
    let mut items = Vec::new();
    for page in std::iter::once(first).chain(later) {
        match &page.answer {
            Answered::Reply(r) if r.status == 200 && r.json.is_some() => items.extend(
                r.json
                    .as_ref()
                    .and_then(|j| j.get(member))
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            ),
            _ => return as_call(page),
        }
    }
    if let CallOutcome::Reply(r) = &mut call.outcome
        && let Some(body) = r.json.take()
    {
        r.json = Some(pages_as_one(body, items, member));
    }
    call
}
