//! Helpers shared by the integration tests: a JSON-in, reply-out client,
//! targets, and a changing proxy in front of the emulator.

pub mod forwarder;
pub mod fuzz_cases;
pub mod proxy;
pub mod sdk;

use std::time::Duration;

use appflow_harness::appflow::{Operation, TriggerType};
use appflow_harness::client::{CallOutcome, Endpoint, Reply};
use appflow_harness::fixtures::create_flow_body;
use serde_json::Value;

pub struct Api {
    pub endpoint: Endpoint,
}

impl Api {
    pub fn new(url: &str) -> Self {
        Self {
            endpoint: Endpoint::new(url, Duration::from_secs(10), None).expect("endpoint"),
        }
    }

    pub async fn raw(&self, path: &str, body: &str) -> Reply {
        match self
            .endpoint
            .call_path(path, body.to_owned().into())
            .await
            .expect("call")
            .outcome
        {
            CallOutcome::Reply(r) => r,
            CallOutcome::Transport { message, .. } => panic!("no reply from {path}: {message}"),
        }
    }

    pub async fn call(&self, operation: &str, body: Value) -> Reply {
        let op = Operation::from_name(operation).expect("an AppFlow operation");
        self.raw(op.path(), &body.to_string()).await
    }

    pub async fn control(&self, path: &str, body: Value) -> Value {
        let r = self
            .raw(&format!("/_harness/{path}"), &body.to_string())
            .await;
        assert_eq!(r.status, 200, "{path}: {}", r.body_text());
        r.json.expect("json")
    }

    pub async fn counters(&self) -> Value {
        self.endpoint
            .get_json("/_harness/counters")
            .await
            .expect("counters")
    }

    pub async fn create(&self, name: &str, trigger: TriggerType) -> Reply {
        let r = self
            .call("CreateFlow", create_flow_body(name, trigger))
            .await;
        assert_eq!(r.status, 200, "create {name}: {}", r.body_text());
        r
    }

    pub async fn start(&self, flow: &str, token: Option<&str>) -> Reply {
        let mut body = serde_json::json!({ "flowName": flow });
        if let Some(t) = token {
            body["clientToken"] = Value::String(t.to_owned());
        }
        self.call("StartFlow", body).await
    }
}

/// The reply's status and error type, for compact assertions.
pub fn outcome(r: &Reply) -> (u16, Option<&str>) {
    (r.status, r.error_type.as_deref())
}

pub fn field<'a>(r: &'a Reply, key: &str) -> Option<&'a Value> {
    r.json.as_ref().and_then(|j| j.get(key))
}

/// A target at `url`, resolved as `check --target URL` resolves it.
pub async fn url_target(url: &str, timeout: Duration) -> appflow_harness::endpoint::Target {
    use appflow_harness::endpoint::{Environment, TargetChoice, TargetOptions, resolve};
    let mut options = TargetOptions::new(TargetChoice::Url(url.to_owned()));
    options.timeout = timeout;
    resolve(options, &Environment::default())
        .await
        .expect("target")
}

/// The embedded emulator as a target, with `config`.
pub async fn embedded_target(
    config: appflow_harness::emulator::Config,
) -> appflow_harness::endpoint::Target {
    use appflow_harness::endpoint::{Environment, TargetChoice, TargetOptions, resolve};
    let mut options = TargetOptions::new(TargetChoice::Embedded);
    options.emulator = config;
    resolve(options, &Environment::default())
        .await
        .expect("embedded target")
}

/// The exit code the binary would give a command's result.
pub fn exit_code(
    result: &Result<appflow_harness::commands::Outcome, appflow_harness::commands::CommandError>,
) -> i32 {
    match result {
        Ok(o) => o.exit_code(),
        Err(e) => e.exit_code(),
    }
}

/// The parts of JSON Schema the reports' schemas use: type, required,
/// enum, const, properties, items, local $ref.
pub fn conforms(
    v: &serde_json::Value,
    schema: &serde_json::Value,
    root: &serde_json::Value,
    at: &str,
    errors: &mut Vec<String>,
) {
    use serde_json::Value;
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let target = r
            .strip_prefix("#")
            .and_then(|p| root.pointer(p))
            .unwrap_or(&Value::Null);
        return conforms(v, target, root, at, errors);
    }
    if let Some(c) = schema.get("const")
        && c != v
    {
        errors.push(format!("{at}: {v} is not {c}"));
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(v)
    {
        errors.push(format!("{at}: {v} is none of {options:?}"));
    }
    let ty_ok = match schema.get("type").and_then(Value::as_str) {
        Some("object") => v.is_object(),
        Some("array") => v.is_array(),
        Some("string") => v.is_string(),
        Some("integer") => v.is_u64() || v.is_i64(),
        Some("number") => v.is_number(),
        _ => true,
    };
    if !ty_ok {
        errors.push(format!("{at}: {v} is not of type {}", schema["type"]));
    }
    for r in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = r.as_str().unwrap_or_default();
        if v.get(key).is_none() {
            errors.push(format!("{at}: `{key}` is required"));
        }
    }
    if let (Some(props), Some(obj)) = (
        schema.get("properties").and_then(Value::as_object),
        v.as_object(),
    ) {
        for (k, sub) in props {
            if let Some(x) = obj.get(k) {
                conforms(x, sub, root, &format!("{at}.{k}"), errors);
            }
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), v.as_array()) {
        for (i, x) in list.iter().enumerate() {
            conforms(x, items, root, &format!("{at}.{i}"), errors);
        }
    }
}

/// `appflow-harness serve --port 0 ARGS` as a process; answers it and the
/// URL it says it listens on.
pub fn spawn_serve(args: &[&str]) -> (std::process::Child, String) {
    let (serve, banner) = spawn_serve_banner(args);
    let url = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("a URL")
        .to_owned();
    (serve, url)
}

/// `appflow-harness serve --port 0 ARGS` as a process; answers it and the
/// first line it printed (its banner: where it listens, with what profile).
pub fn spawn_serve_banner(args: &[&str]) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_appflow-harness"))
        .args(["serve", "--port", "0"])
        .args(args)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("serve");
    let mut line = String::new();
    BufReader::new(serve.stderr.take().expect("stderr"))
        .read_line(&mut line)
        .expect("serve says where it listens");
    (serve, line)
}

/// `appflow-harness ARGS` run in-process as a user would, with `env` as the
/// process environment: the exit code, and what it printed (stdout, then
/// stderr, then the final error line `main` would print).
pub async fn run_cli(args: &[&str], env: &appflow_harness::endpoint::Environment) -> (i32, String) {
    use clap::Parser;
    let argv = std::iter::once("appflow-harness").chain(args.iter().copied());
    let cli = appflow_harness::cli::Cli::try_parse_from(argv).expect("args");
    let (mut out, mut log) = (Vec::new(), Vec::new());
    let mut console = appflow_harness::commands::Console {
        out: &mut out,
        log: &mut log,
    };
    let result = appflow_harness::cli::run_with(cli, env, &mut console).await;
    let mut text = String::from_utf8_lossy(&out).into_owned();
    text.push_str(&String::from_utf8_lossy(&log));
    if let Err(e) = &result {
        text.push_str(&e.message());
    }
    (exit_code(&result), text)
}

/// Serves `app` on a loopback port of its own (127.0.0.1:0) for the rest
/// of the test; answers its URL (`http://127.0.0.1:PORT`).
pub async fn serve_app(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}
