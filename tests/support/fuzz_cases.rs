//! Generators and checks shared by the property tests (bounded, in CI) and
//! the long fuzz run (`examples/fuzz.rs`, `benches/fuzz.sh`).

use proptest::prelude::*;
use serde_json::{Value, json};

pub const ROUTES: [&str; 10] = [
    "/start-flow",
    "/stop-flow",
    "/create-flow",
    "/describe-flow",
    "/delete-flow",
    "/list-flows",
    "/update-flow",
    "/describe-flow-execution-records",
    "/cancel-flow-executions",
    "/no-such-operation",
];

pub fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "[ -~]{0,12}".prop_map(Value::String),
        any::<String>().prop_map(Value::String),
        Just(json!("od")),
        Just(json!("sc")),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A request body: well-formed requests with odd members, or raw bytes.
pub fn body() -> impl Strategy<Value = Vec<u8>> {
    let member = prop_oneof![
        Just("flowName"),
        Just("clientToken"),
        Just("maxResults"),
        Just("nextToken"),
        Just("executionIds"),
        Just("forceDelete"),
        Just("triggerConfig"),
        Just("sourceFlowConfig"),
        Just("destinationFlowConfigList"),
        Just("tasks"),
    ];
    prop_oneof![
        prop::collection::vec((member, json_value()), 0..6).prop_map(|kv| {
            let m: serde_json::Map<String, Value> =
                kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            Value::Object(m).to_string().into_bytes()
        }),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..64),
    ]
}

/// An emulator answer is well formed: no 5xx, a JSON object, and on errors
/// an `x-amzn-ErrorType` and a `message`.
pub fn well_formed(status: u16, error_type: Option<&str>, bytes: &[u8]) -> Result<(), String> {
    if status >= 500 {
        return Err(format!("status {status}"));
    }
    let parsed: Value = serde_json::from_slice(bytes).map_err(|e| format!("not json: {e}"))?;
    if !parsed.is_object() {
        return Err("not a JSON object".into());
    }
    if status >= 400 {
        let name = error_type.ok_or("an error without x-amzn-ErrorType")?;
        if !name.ends_with("Exception") {
            return Err(format!("error type {name}"));
        }
        if parsed.get("message").and_then(Value::as_str).is_none() {
            return Err("an error without message".into());
        }
    } else if status != 200 {
        return Err(format!("status {status}"));
    }
    Ok(())
}

/// Scenario file text: a catalogue file cut, spliced and garbled.
pub fn scenario_text(seeds: Vec<String>) -> impl Strategy<Value = String> {
    let n = seeds.len().max(1);
    (
        0..n,
        prop::collection::vec(
            (any::<prop::sample::Index>(), 0u8..5, "[ -~\\n]{0,8}"),
            0..6,
        ),
    )
        .prop_map(move |(i, edits)| {
            let mut lines: Vec<String> = seeds
                .get(i)
                .map(|s| s.lines().map(str::to_owned).collect())
                .unwrap_or_default();
            for (at, op, text) in edits {
                if lines.is_empty() {
                    lines.push(text);
                    continue;
                }
                let k = at.index(lines.len());
                match op {
                    0 => {
                        lines.remove(k);
                    }
                    1 => {
                        let dup = lines[k].clone();
                        lines.insert(k, dup);
                    }
                    2 => lines[k].push_str(&text),
                    3 => lines[k] = text,
                    _ => {
                        let cut = lines[k].len() / 2;
                        let cut = (0..=cut)
                            .rev()
                            .find(|c| lines[k].is_char_boundary(*c))
                            .unwrap_or(0);
                        lines[k].truncate(cut);
                    }
                }
            }
            lines.join("\n")
        })
}

/// The catalogue's files, as seeds for [`scenario_text`].
pub fn catalogue_texts() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "yaml"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    out.sort();
    out
}

/// An emulator state with an on-demand flow `od` and a scheduled flow `sc`,
/// which the generated requests name; `config` sets its quotas.
pub fn seeded(config: appflow_harness::emulator::Config) -> appflow_harness::emulator::Handle {
    use appflow_harness::appflow::TriggerType;
    let handle = appflow_harness::emulator::Handle::new(config);
    for (name, trigger) in [
        ("od", TriggerType::OnDemand),
        ("sc", TriggerType::Scheduled),
    ] {
        let body = appflow_harness::fixtures::create_flow_body(name, trigger);
        if let Ok(op) = serde_json::from_value::<appflow_harness::emulator::ops::CreateFlow>(body) {
            let _ =
                appflow_harness::emulator::ops::OperationRequest::apply(op, &mut handle.lock(), 0);
        }
    }
    assert_eq!(handle.lock().flows.len(), 2, "both fixture flows exist");
    handle
}

/// Sends one request through the emulator's router in-process; answers the
/// status, the error type and the body, or why the exchange is not an AWS
/// one (no `x-amzn-RequestId`, a body that never completed).
pub async fn send(
    app: axum::Router,
    method: &str,
    route: &str,
    ctype: &str,
    body: Vec<u8>,
) -> Result<(u16, Option<String>, Vec<u8>), String> {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = axum::http::Request::builder()
        .method(method)
        .uri(route)
        .header(axum::http::header::CONTENT_TYPE, ctype)
        .body(axum::body::Body::from(body))
        .map_err(|e| e.to_string())?;
    let resp = app.oneshot(req).await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let etype = resp
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if !resp.headers().contains_key("x-amzn-requestid") {
        return Err("no x-amzn-RequestId".to_owned());
    }
    let bytes = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("the body did not complete: {e}"))?
        .to_bytes();
    Ok((status, etype, bytes.to_vec()))
}
