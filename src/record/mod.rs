//! `record`: a proxy an application points its AppFlow endpoint at. Each
//! call is forwarded through the harness's own client ([`Endpoint`], which
//! signs with the harness's credentials where the target needs SigV4: the
//! application's Authorization and X-Amz-* headers are never forwarded nor
//! kept), its answer returned to the application and judged against the
//! contract as it passes ([`crate::contract::check`]); the recording is
//! then written as a scenario file ([`scenario`]) with the target's
//! fingerprint ([`fingerprint`]).

pub mod fingerprint;
pub mod scenario;
pub mod transcript;

use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use crate::appflow::{Operation, TriggerType};
use crate::client::{CallOutcome, Endpoint};
use crate::reply::Reply;

/// Requests larger than this are refused by the proxy (413) and recorded
/// as refused: AppFlow's own requests are a few kilobytes.
pub const REQUEST_LIMIT: usize = 1 << 20;

/// One call that passed through the proxy: the request as the application
/// sent it (body only: no header of the application is kept) and what the
/// target answered.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The operation the path named.
    pub operation: Operation,
    /// The request body as JSON (`Null` when it was not JSON).
    pub request: Value,
    /// The request body as sent, when it was not JSON (a malformed call is
    /// kept as a `raw:` step, so that the file replays it).
    pub raw: Option<String>,
    /// The target's answer, or why there was none (the application got a 502).
    pub answer: Answered,
}

/// What the target did with a forwarded call.
#[derive(Debug, Clone)]
pub enum Answered {
    /// An answer came, and was returned to the application as it came.
    Reply(Reply),
    /// No answer (connection refused, timeout, too large): the application
    /// got a 502 with an AWS-style error body saying so.
    Transport(String),
}

/// The proxy's shared state: the target's client, the calls so far, and
/// where the contract lines go.
#[derive(Clone)]
pub struct Recorder {
    endpoint: Endpoint,
    calls: Arc<Mutex<Vec<Exchange>>>,
    lines: tokio::sync::mpsc::UnboundedSender<String>,
    done: Arc<tokio::sync::Notify>,
    limit: Option<usize>,
    /// The trigger type of each flow created through the proxy (O3 of
    /// StartFlow's answer depends on it, as in `check`).
    triggers: Arc<Mutex<std::collections::HashMap<String, TriggerType>>>,
    /// The target's region, and the account of the first ARN seen (O1, as `check`).
    arns: Arc<(String, Mutex<Option<String>>)>,
}

impl Recorder {
    /// A recorder forwarding to `endpoint` (in `region`: O1 holds its
    /// answers' ARNs to it); each contract line goes to `lines`; `done` is
    /// notified when `limit` calls were recorded.
    pub fn new(
        endpoint: Endpoint,
        region: &str,
        lines: tokio::sync::mpsc::UnboundedSender<String>,
        done: Arc<tokio::sync::Notify>,
        limit: Option<usize>,
    ) -> Self {
        Self {
            endpoint,
            calls: Arc::new(Mutex::new(Vec::new())),
            lines,
            done,
            limit,
            triggers: Arc::default(),
            arns: Arc::new((region.to_owned(), Mutex::new(None))),
        }
    }

    /// The calls recorded so far, in the order their answers came.
    pub fn calls(&self) -> Vec<Exchange> {
        self.calls
            .lock()
            .map(|c| c.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    /// The proxy: `POST` to an AppFlow route (`/start-flow`) forwarded;
    /// anything else answered 404 UnknownOperationException without
    /// reaching the target.
    pub fn router(self) -> axum::Router {
        axum::Router::new().fallback(forward).with_state(self)
    }

    fn keep(&self, exchange: Exchange) {
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        // Calls past the bound are still forwarded, never recorded.
        if self.limit.is_none_or(|n| calls.len() < n) {
            calls.push(exchange);
            if self.limit.is_some_and(|n| calls.len() >= n) {
                self.done.notify_one();
            }
        }
    }
}

async fn forward(State(r): State<Recorder>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let operation = Operation::ALL.into_iter().find(|o| o.path() == path);
    let (Some(operation), true) = (operation, request.method() == Method::POST) else {
        return error(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            "record forwards POST to the AppFlow routes (/start-flow ...) only",
        );
    };
    // Only the body goes on: the application's headers (its signature,
    // X-Amz-Date, security token) never reach the target nor the file.
    let Ok(body) = axum::body::to_bytes(request.into_body(), REQUEST_LIMIT).await else {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "ValidationException",
            "the request is larger than record forwards",
        );
    };
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let outcome = r.endpoint.call(operation, Bytes::clone(&body)).await;
    let (response, answer) = match outcome {
        Ok(call) => match call.outcome {
            CallOutcome::Reply(reply) => (returned(&reply), Answered::Reply(reply)),
            CallOutcome::Transport { message, .. } => (
                error(
                    StatusCode::BAD_GATEWAY,
                    "InternalServerException",
                    "record: the target did not answer",
                ),
                Answered::Transport(message),
            ),
        },
        Err(e) => (
            error(
                StatusCode::BAD_GATEWAY,
                "InternalServerException",
                "record: the call could not be sent to the target",
            ),
            Answered::Transport(e.to_string()),
        ),
    };
    let number = r.calls.lock().map_or(0, |c| c.len()) + 1;
    let flow = json
        .get("flowName")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let trigger = {
        let mut triggers = r.triggers.lock().unwrap_or_else(|e| e.into_inner());
        if let (Operation::CreateFlow, Some(f), Answered::Reply(reply)) =
            (operation, &flow, &answer)
            && reply.status == 200
            && let Some(t) = json
                .pointer("/triggerConfig/triggerType")
                .and_then(Value::as_str)
                .and_then(|t| t.parse().ok())
        {
            triggers.insert(f.clone(), t);
        }
        flow.and_then(|f| triggers.get(&f).copied())
    };
    let mut lines = judge(number, operation, &answer, trigger);
    if let Answered::Reply(Reply {
        status: 200,
        json: Some(body),
        ..
    }) = &answer
    {
        let (region, account) = &*r.arns;
        lines.extend(
            crate::contract::check_arns(body, region, account)
                .iter()
                .map(|v| line(number, operation, v)),
        );
    }
    for line in lines {
        let _ = r.lines.send(line);
    }
    let raw = json
        .is_null()
        .then(|| String::from_utf8_lossy(&body).into_owned());
    r.keep(Exchange {
        operation,
        request: json,
        raw,
        answer,
    });
    response
}

/// The contract lines of one answer, as `check` words them: `call N
/// (Operation): at: rule (id)`; a transport failure is one line too.
/// `trigger`: that of the flow the request names, where it was created
/// through the proxy (StartFlow's executionId rule, O3).
pub fn judge(
    number: usize,
    operation: Operation,
    answer: &Answered,
    trigger: Option<TriggerType>,
) -> Vec<String> {
    let name = operation.name();
    match answer {
        Answered::Reply(reply) => crate::contract::check(operation, reply, trigger)
            .violations
            .iter()
            .map(|v| line(number, operation, v))
            .collect(),
        Answered::Transport(message) => vec![format!(
            "call {number} ({name}): no answer from the target ({}); the application got 502",
            crate::safe_text::escape_control(message)
        )],
    }
}

/// One broken rule of call `number`, as `check` words it.
fn line(number: usize, operation: Operation, v: &crate::contract::Violation) -> String {
    format!(
        "call {number} ({}): {}: {} ({})",
        operation.name(),
        v.at,
        v.rule,
        v.id
    )
}

/// The target's answer as the application gets it: status, the headers
/// the SDKs read, the body as it came.
fn returned(reply: &Reply) -> Response {
    let mut response = Response::new(Body::from(reply.raw.clone()));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-amzn-errortype", &reply.error_type),
        ("x-amzn-requestid", &reply.request_id),
        ("content-type", &reply.content_type),
    ] {
        if let Some(v) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(name, v);
        }
    }
    response
}

/// An AWS-style error answer of the proxy's own.
fn error(status: StatusCode, kind: &'static str, message: &str) -> Response {
    let mut response = Response::new(Body::from(json!({ "message": message }).to_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("x-amzn-errortype", HeaderValue::from_static(kind));
    headers.insert(
        "x-amzn-requestid",
        HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
            .unwrap_or(HeaderValue::from_static("record")),
    );
    response
}

#[cfg(test)]
mod tests;
