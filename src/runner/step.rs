//! Playing one call step: render its request, send it (N at once for
//! `concurrent`), judge the answers, repeat while `eventually` allows, take
//! the captures, and record the step in the transcript.

use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{Value, json};

use super::FailureKind;
use super::judge::{Context, judge};
use super::scenario_run::Run;
use super::transcript::record_call;
use crate::appflow::Operation;
use crate::client::{Call, Endpoint, Outcome, TransportKind};
use crate::scenario::matcher::get_path;
use crate::scenario::{Action, Step};

/// How long `eventually` waits between two tries.
const POLL: Duration = Duration::from_millis(250);

impl Run<'_> {
    /// Plays a call step; answers how many requests it sent.
    pub(super) async fn play_call(&mut self, step: &Step) -> usize {
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
            Action::Raw { body, pad_to, .. } => {
                let mut rendered = self.bindings.render_text(body);
                let shown = self.normaliser.text(&rendered);
                let mut request = json!({"operation": operation, "raw": shown});
                if let Some(n) = pad_to {
                    let pad = n.saturating_sub(rendered.len());
                    rendered.extend(std::iter::repeat_n(' ', pad));
                    request["padded-to-bytes"] = json!(n);
                }
                (rendered, request)
            }
            _ => return 0,
        };
        let flow_name = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.get("flowName").and_then(Value::as_str).map(str::to_owned));
        let trigger = flow_name.and_then(|n| self.triggers.get(&n).copied());
        let expected_body = step.expect.body.as_ref().map(|b| self.bindings.render(b));
        let deadline = step.expect.eventually.map(|d| Instant::now() + d);
        // A throttled answer is retried with the same request where that is
        // safe: reads, and writes that carry a clientToken (what the token
        // is for). A step that expects a 429 gets it as it comes.
        let expects_throttle = step
            .expect
            .status
            .as_ref()
            .is_some_and(|s| s.contains(&429));
        let retry = !expects_throttle && (operation.is_read() || text.contains("\"clientToken\""));
        let mut sent = 0;
        let (calls, mut judged) = loop {
            let (calls, retried) = self
                .send_many(operation, &text, step.concurrent, retry)
                .await;
            self.throttled += retried;
            sent += calls.len();
            let cx = Context {
                operation,
                trigger,
                region: &self.target.region,
                account: self.account,
            };
            let judged = judge(step, expected_body.as_ref(), &cx, &calls);
            match deadline {
                Some(_) if !judged.failures.is_empty() && judged.unfixable.is_some() => {
                    break (calls, judged);
                }
                Some(d) if !judged.failures.is_empty() && Instant::now() + POLL < d => {
                    tokio::time::sleep(POLL).await
                }
                _ => break (calls, judged),
            }
        };
        if step.expect.eventually.is_some()
            && let (Some(why), Some(first)) = (&judged.unfixable, judged.failures.first_mut())
        {
            first.message.push_str(&format!(
                "\n(stopped polling after {sent} request(s): {why})"
            ));
        }
        self.request_ids
            .extend(calls.iter().filter_map(|c| match &c.outcome {
                Outcome::Reply(r) => r.request_id.clone(),
                Outcome::Transport { .. } => None,
            }));
        self.answers += calls
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Reply(_)))
            .count();
        let throttled = calls
            .iter()
            .any(|c| matches!(&c.outcome, Outcome::Reply(r) if r.status == 429));
        if throttled && !expects_throttle {
            // Still throttled after the retries, or not retried at all (a
            // write without a clientToken): nothing was learnt about the rule.
            judged.failures = vec![super::Failure::new(
                Some(step.index),
                FailureKind::Inconclusive,
                if retry {
                    format!(
                        "throttled (429) after {THROTTLE_RETRIES} retries with the same request: inconclusive"
                    )
                } else {
                    "throttled (429), and the request carries no clientToken to retry it with safely: inconclusive".to_owned()
                },
            )];
        }
        self.failures.extend(judged.failures);
        self.take_notes(operation, judged.notes);
        self.count_wire(judged.wire);
        self.capture(step, &calls);
        self.watch_runs(operation, &calls);
        let triggers = &self.triggers;
        let own = |name: &str| triggers.contains_key(name);
        let entry = record_call(step, shown, &calls, &mut self.normaliser, &own);
        self.transcript.push(entry);
        sent
    }

    /// Takes the step's captures from the first answer.
    fn capture(&mut self, step: &Step, calls: &[Call]) {
        let Some(Outcome::Reply(first)) = calls.first().map(|c| &c.outcome) else {
            if let Some(name) = step.capture.keys().next() {
                self.fail(
                    Some(step.index),
                    FailureKind::Expectation,
                    format!("capture `{name}`: no answer to capture from"),
                );
                self.stopped = Some(format!(
                    "capture `{name}` of step {} failed, and later steps use it",
                    step.index
                ));
            }
            return;
        };
        for (name, path) in &step.capture {
            match first.json.as_ref().and_then(|j| get_path(j, path)) {
                Some(v) => {
                    // A run the scenario found and named is one it knows of.
                    if let Some(id) = v.as_str() {
                        self.started.insert(id.to_owned());
                    }
                    self.bindings.values.insert(name.clone(), v.clone());
                }
                None => {
                    self.fail(
                        Some(step.index),
                        FailureKind::Expectation,
                        format!("capture `{name}`: the answer has no `{path}`"),
                    );
                    self.stopped = Some(format!(
                        "capture `{name}` of step {} failed, and later steps use it",
                        step.index
                    ));
                }
            }
        }
    }

    /// Sends the request `n` times at once; answers the calls and how many
    /// throttled answers were retried.
    async fn send_many(
        &mut self,
        operation: Operation,
        body: &str,
        n: u32,
        retry: bool,
    ) -> (Vec<Call>, u32) {
        let mut set = tokio::task::JoinSet::new();
        for i in 0..n.max(1) {
            let endpoint = self.target.endpoint.clone();
            let body = Bytes::from(body.to_owned());
            set.spawn(async move { (i, call(endpoint, operation, body, retry).await) });
        }
        let mut calls = Vec::with_capacity(n as usize);
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok(pair) => calls.push(pair),
                Err(e) => calls.push((
                    u32::MAX,
                    (no_answer(TransportKind::Closed, e.to_string()), 0),
                )),
            }
        }
        calls.sort_by_key(|(i, _)| *i);
        self.latencies
            .extend(calls.iter().map(|(_, (c, _))| c.latency));
        let retried = calls.iter().map(|(_, (_, r))| r).sum();
        (calls.into_iter().map(|(_, (c, _))| c).collect(), retried)
    }
}

/// One call whose client error (a bad URL, a signing failure) counts as no
/// answer. With `retry_throttles`, a 429 is retried after an exponential
/// backoff with jitter, up to [`THROTTLE_RETRIES`] times; the number of
/// retries comes back with the call.
async fn call(
    endpoint: Endpoint,
    operation: Operation,
    body: Bytes,
    retry_throttles: bool,
) -> (Call, u32) {
    let mut retries = 0;
    loop {
        let c = endpoint
            .call(operation, body.clone())
            .await
            .unwrap_or_else(|e| no_answer(TransportKind::Connect, e.to_string()));
        let throttled = matches!(&c.outcome, Outcome::Reply(r) if r.status == 429);
        if !(throttled && retry_throttles && retries < THROTTLE_RETRIES) {
            return (c, retries);
        }
        tokio::time::sleep(crate::fixtures::backoff(retries)).await;
        retries += 1;
    }
}

/// Throttled calls are retried this many times at most.
pub(super) const THROTTLE_RETRIES: u32 = 10;

fn no_answer(kind: TransportKind, message: String) -> Call {
    Call {
        outcome: Outcome::Transport { kind, message },
        latency: Duration::ZERO,
    }
}
