//! `explore` against the embedded emulator (every profile: nothing found,
//! the fingerprint names the profile), against conforming variants
//! (nothing found), and against endpoints with one fault each that no
//! scenario of the catalogue covers (found with the default budget, shrunk,
//! saved; the file fails `check` there and passes on the emulator).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use appflow_harness::commands::Console;
use appflow_harness::commands::check::{self, CheckOptions};
use appflow_harness::commands::explore::{ExploreOptions, run_summary};
use appflow_harness::endpoint::{Environment, TargetChoice, TargetOptions};
use appflow_harness::explore::{Budget, Summary};
use serde_json::{Value, json};

use crate::support::proxy::{self, Answer, Change};

fn options(target: TargetOptions, budget: Budget, save: Option<&Path>) -> ExploreOptions {
    ExploreOptions {
        target,
        budget,
        poll: Duration::from_secs(2),
        save: save.map(Path::to_path_buf),
        json: None,
        dry_run: false,
        // The emulator keeps CreateFlow tokens after DeleteFlow (see the
        // test below that names it); every other rule is judged.
        tolerate: vec!["T14".into()],
    }
}

async fn explore(o: ExploreOptions) -> (Summary, String) {
    let (mut out, mut log) = (Vec::new(), Vec::new());
    let mut console = Console {
        out: &mut out,
        log: &mut log,
    };
    let summary = run_summary(o, &Environment::default(), &mut console)
        .await
        .expect("explore runs")
        .expect("not a dry run");
    (summary, String::from_utf8_lossy(&out).into_owned())
}

async fn check_file(target: TargetOptions, file: &Path) -> (i32, String) {
    let mut o = CheckOptions::new(target);
    o.scenarios = vec![file.to_path_buf()];
    o.snapshot_root = None;
    let (mut out, mut log) = (Vec::new(), Vec::new());
    let mut console = Console {
        out: &mut out,
        log: &mut log,
    };
    let result = check::run(o, &Environment::default(), &mut console).await;
    (
        crate::support::exit_code(&result),
        String::from_utf8_lossy(&out).into_owned(),
    )
}

fn url(u: &str) -> TargetOptions {
    TargetOptions::new(TargetChoice::Url(u.to_owned()))
}

fn short(seed: u64, cases: u32) -> Budget {
    Budget {
        seed,
        cases,
        ..Budget::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_seed_exploration_of_the_embedded_emulator_finds_nothing_and_names_its_profile() {
    for (flags, expected) in [
        (
            vec![],
            [("C1", "conflict"), ("L5", "suspended"), ("C2", "accept")],
        ),
        (
            vec!["idempotent", "draft", "conflict"],
            [("C1", "idempotent"), ("L5", "draft"), ("C2", "conflict")],
        ),
    ] {
        let mut target = TargetOptions::new(TargetChoice::Embedded);
        if !flags.is_empty() {
            use appflow_harness::emulator::config::{ActiveStart, InProgressStart, StoppedStatus};
            target.emulator.profile.active_start = ActiveStart::Idempotent;
            target.emulator.profile.stopped_status = StoppedStatus::Draft;
            target.emulator.profile.in_progress_start = InProgressStart::Conflict;
        }
        let (s, out) = explore(options(target, short(7, 200), None)).await;
        assert!(
            s.passed(),
            "the emulator must pass its own model ({flags:?}):\n{out}"
        );
        assert!(
            s.sequences >= 100,
            "a few hundred sequences were judged:\n{out}"
        );
        for (rule, candidate) in expected {
            let f = s.fingerprint.iter().find(|f| f.rule == rule).expect("rule");
            assert_eq!(
                f.candidates,
                [candidate],
                "the fingerprint names the profile the emulator runs ({rule}):\n{out}"
            );
        }
        eprintln!(
            "embedded {flags:?}: {} sequences, {} calls in {:.1}s: {:.0} sequences/s, {:.0} calls/s",
            s.sequences,
            s.calls,
            s.elapsed_secs,
            s.sequences as f64 / s.elapsed_secs,
            s.calls as f64 / s.elapsed_secs
        );
    }
}

/// Differs only where the contract leaves room: extra members, `Message`,
/// integer timestamps, empty lists omitted.
struct Conforming;
impl Change for Conforming {
    fn answer(&self, _: &str, _: &Value, a: &mut Answer) {
        fn walk(v: &mut Value) {
            match v {
                Value::Object(m) => {
                    m.retain(|_, x| !matches!(x, Value::Array(a) if a.is_empty()));
                    if let Some(msg) = m.remove("message") {
                        m.insert("Message".into(), msg);
                    }
                    for (k, x) in m.iter_mut() {
                        if k.ends_with("At")
                            && let Some(f) = x.as_f64()
                        {
                            *x = json!(f as i64);
                        }
                        walk(x);
                    }
                }
                Value::Array(a) => a.iter_mut().for_each(walk),
                _ => {}
            }
        }
        if let Some(j) = a.json.as_mut() {
            walk(j);
            if let Some(m) = j.as_object_mut() {
                m.insert("serviceExtension".into(), json!({"added": true}));
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conforming_variant_passes_over_several_seeds() {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let u = proxy::start(&emulator.url(), Conforming).await;
    for seed in [1, 2, 3] {
        let (s, out) = explore(options(url(&u), short(seed, 60), None)).await;
        assert!(s.passed(), "no false alarm (seed {seed}):\n{out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_judges_nothing_fails() {
    // Nothing listens there: the target is unreachable before any sequence.
    let (mut out, mut log) = (Vec::new(), Vec::new());
    let mut console = Console {
        out: &mut out,
        log: &mut log,
    };
    let o = options(url("http://127.0.0.1:9"), short(1, 5), None);
    let r = run_summary(o, &Environment::default(), &mut console).await;
    assert!(
        r.is_err(),
        "an unreachable target is an error, never a pass"
    );
    // Every answer throttled: nothing judged, the run fails.
    struct Throttles;
    impl Change for Throttles {
        fn intercept(&self, path: &str, _: &Value, _: usize) -> Option<Answer> {
            (!path.starts_with("/_harness"))
                .then(|| proxy::error(429, "ThrottlingException", "slow down"))
        }
    }
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let u = proxy::start(&emulator.url(), Throttles).await;
    let mut budget = short(1, 2);
    budget.steps = 2;
    let (s, out) = explore(options(url(&u), budget, None)).await;
    assert!(!s.passed(), "{out}");
    assert_eq!(s.passed, 0, "{out}");
    assert!(
        !s.unjudged.is_empty(),
        "the throttled sequences are counted: {out}"
    );
    assert!(out.contains("FAILED: no sequence was judged"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_keeps_create_flow_tokens_after_delete_flow_which_t14_forbids() {
    // Kept as evidence for the emulator's owner: without `--tolerate T14`,
    // explore finds it (a re-create under the name with the token is 409).
    let dir = crate::scenarios::tempdir();
    let mut o = options(
        TargetOptions::new(TargetChoice::Embedded),
        short(4, 256),
        Some(&dir),
    );
    o.tolerate.clear();
    let (s, out) = explore(o).await;
    let Some(f) = &s.finding else {
        panic!("seed 4 meets the deviation:\n{out}")
    };
    assert!(out.contains("T14"), "{out}");
    let failed = f
        .sequence
        .steps
        .iter()
        .find(|p| p.failed)
        .expect("a failing step");
    assert_eq!(failed.observed[0].status, 409, "{out}");
}

// ---- faults no scenario of the catalogue covers, one per area ----------

/// tokens: clientTokens compared after trimming spaces (` t` replays `t`).
#[derive(Clone)]
struct TrimsTokens;
impl Change for TrimsTokens {
    fn request(&self, path: &str, body: &mut Value) {
        if path == "/start-flow"
            && let Some(t) = body["clientToken"].as_str()
            && !t.trim().is_empty()
        {
            body["clientToken"] = json!(t.trim());
        }
    }
}

/// validation: flowNames trimmed, so a name with a space finds the flow.
#[derive(Clone)]
struct TrimsFlowNames;
impl Change for TrimsFlowNames {
    fn request(&self, _: &str, body: &mut Value) {
        if let Some(n) = body["flowName"].as_str()
            && !n.trim().is_empty()
        {
            body["flowName"] = json!(n.trim());
        }
    }
}

/// lifecycle: DescribeFlow answers the trigger type of the first flow ever
/// made under a name, after a re-create with another.
#[derive(Default, Clone)]
struct FirstTriggerSticks(Arc<Mutex<HashMap<String, Value>>>);
impl Change for FirstTriggerSticks {
    fn request(&self, path: &str, body: &mut Value) {
        if path == "/create-flow"
            && let Some(n) = body["flowName"].as_str()
        {
            let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
            m.entry(n.to_owned())
                .or_insert(body["triggerConfig"]["triggerType"].clone());
        }
    }
    fn answer(&self, path: &str, request: &Value, a: &mut Answer) {
        let m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if path == "/describe-flow"
            && a.status == 200
            && let (Some(first), Some(j)) = (
                request["flowName"].as_str().and_then(|n| m.get(n)),
                a.json.as_mut(),
            )
        {
            j["triggerConfig"]["triggerType"] = first.clone();
        }
    }
}

/// reads: the records of a re-created flow still list the runs of the
/// deleted flow of the same name.
#[derive(Default, Clone)]
struct OldRunsLinger(Arc<Mutex<HashMap<String, Runs>>>);

/// A name's runs: of the flow now, of the flows deleted before it.
type Runs = (Vec<String>, Vec<String>);
impl Change for OldRunsLinger {
    fn answer(&self, path: &str, request: &Value, a: &mut Answer) {
        let Some(name) = request["flowName"].as_str() else {
            return;
        };
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let (current, old) = m.entry(name.to_owned()).or_default();
        match (path, a.status, a.json.as_mut()) {
            ("/create-flow", 200, _) => old.append(current),
            ("/start-flow", 200, Some(j)) => {
                if let Some(id) = j["executionId"].as_str() {
                    current.push(id.to_owned());
                }
            }
            ("/describe-flow-execution-records", 200, Some(j)) => {
                if let Some(list) = j["flowExecutions"].as_array_mut() {
                    for id in old.iter() {
                        list.push(json!({"executionId": id, "executionStatus": "Successful", "startedAt": 1.0, "lastUpdatedAt": 1.0}));
                    }
                }
            }
            _ => {}
        }
    }
}

/// time: a StartFlow token used on another flow stays a conflict on a
/// scheduled/event flow after its 8 hours are over (T2 without T4).
#[derive(Default, Clone)]
struct ForeignTokensNeverExpire(Arc<Mutex<TokensAndTriggers>>);

/// token -> its first flow; flow -> its trigger type.
type TokensAndTriggers = (HashMap<String, String>, HashMap<String, String>);
impl Change for ForeignTokensNeverExpire {
    fn intercept(&self, path: &str, body: &Value, _: usize) -> Option<Answer> {
        let m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let (tokens, triggers) = &*m;
        let name = body["flowName"].as_str()?;
        let first = tokens.get(body["clientToken"].as_str()?)?;
        let scheduled = triggers.get(name).is_some_and(|t| t != "OnDemand");
        (path == "/start-flow" && first != name && scheduled)
            .then(|| proxy::error(409, "ConflictException", "token used on another flow"))
    }
    fn answer(&self, path: &str, request: &Value, a: &mut Answer) {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let (tokens, triggers) = &mut *m;
        let name = request["flowName"].as_str().unwrap_or_default().to_owned();
        match (path, a.status) {
            ("/create-flow", 200) => {
                let t = request["triggerConfig"]["triggerType"]
                    .as_str()
                    .unwrap_or_default();
                triggers.insert(name, t.to_owned());
            }
            ("/start-flow", 200) => {
                if let Some(t) = request["clientToken"].as_str() {
                    tokens.entry(t.to_owned()).or_insert(name);
                }
            }
            ("/delete-flow", 200) => tokens.retain(|_, f| *f != name),
            _ => {}
        }
    }
}

/// Explores the emulator behind `change` with the default budget; the
/// finding's file must fail `check` there and pass on the emulator.
async fn found(area: &str, change: impl Change + Clone, seed: u64) {
    found_at(
        area,
        move |up| {
            let change = change.clone();
            Box::pin(async move { proxy::start(&up, change).await })
        },
        seed,
    )
    .await;
}

type Start = std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send>>;

/// As [`found`], with the faulty endpoint started by `start(upstream)`.
async fn found_at(area: &str, start: impl Fn(String) -> Start, seed: u64) {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let u = start(emulator.url()).await;
    let dir: PathBuf = crate::scenarios::tempdir();
    let budget = Budget {
        seed,
        ..Budget::default()
    };
    let (s, out) = explore(options(url(&u), budget, Some(&dir))).await;
    let f = s
        .finding
        .as_ref()
        .unwrap_or_else(|| panic!("{area}: explore finds the fault:\n{out}"));
    let file = f.file.clone().expect("saved");
    let text = std::fs::read_to_string(&file).expect("file");
    let (code, replay) = check_file(url(&u), &file).await;
    assert_eq!(
        code, 1,
        "{area}: the saved file fails on the faulty endpoint:\n{text}\n{replay}"
    );
    let (code, clean) = check_file(TargetOptions::new(TargetChoice::Embedded), &file).await;
    assert_eq!(
        code, 0,
        "{area}: the saved file passes on the emulator:\n{text}\n{clean}"
    );
    eprintln!(
        "{area}: found after {:.1}s (sequence {} of {}), shrunk from {} to {} steps in {} tries",
        f.found_after_secs,
        s.sequences,
        s.cases,
        f.original_steps,
        f.sequence.steps.len(),
        f.shrink_runs
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_compared_after_trimming_is_found_and_saved() {
    found("tokens", TrimsTokens, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flow_name_trimmed_instead_of_refused_is_found_and_saved() {
    found("validation", TrimsFlowNames, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_re_created_flow_with_the_old_trigger_is_found_and_saved() {
    found("lifecycle", FirstTriggerSticks::default(), 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_runs_in_a_re_created_flow_are_found_and_saved() {
    found("reads", OldRunsLinger::default(), 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_conflict_that_never_expires_is_found_and_saved() {
    found("time", ForeignTokensNeverExpire::default(), 1).await;
}

/// concurrency: StartFlow calls that overlap on one scheduled or event flow
/// (a burst, one token or several) answer 409 to all but the first to
/// arrive, though a replay of the activating token must answer its 200
/// (T5, T11): the activation is not linearisable. A proxy of its own, as
/// the fault needs calls held in flight (30 ms) to overlap.
mod racing {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use axum::body::Bytes;
    use axum::extract::{Request, State};
    use axum::http::{Method, StatusCode};
    use axum::response::Response;
    use serde_json::Value;

    #[derive(Default)]
    struct Shared {
        inflight: Mutex<HashMap<String, usize>>,
        triggers: Mutex<HashMap<String, String>>,
        upstream: String,
        http: reqwest::Client,
    }

    pub async fn start(upstream: &str) -> String {
        let shared = Arc::new(Shared {
            upstream: upstream.to_owned(),
            ..Shared::default()
        });
        let app = axum::Router::new().fallback(handle).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn handle(State(s): State<Arc<Shared>>, request: Request) -> Response {
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let bytes = axum::body::to_bytes(request.into_body(), 8 << 20)
            .await
            .unwrap_or_default();
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let name = body["flowName"].as_str().unwrap_or_default().to_owned();
        if path == "/create-flow" {
            let t = body["triggerConfig"]["triggerType"]
                .as_str()
                .unwrap_or_default();
            lock(&s.triggers).insert(name.clone(), t.to_owned());
        }
        let overlapping = path == "/start-flow" && {
            let mut m = lock(&s.inflight);
            let n = m.entry(name.clone()).or_insert(0);
            *n += 1;
            *n > 1
        };
        if path == "/start-flow" {
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        let url = format!("{}{path}", s.upstream);
        let sent = match method {
            Method::GET => s.http.get(&url),
            Method::DELETE => s.http.delete(&url),
            _ => s
                .http
                .post(&url)
                .header("content-type", "application/json")
                .body(Bytes::clone(&bytes)),
        }
        .send()
        .await;
        if path == "/start-flow"
            && let Some(n) = lock(&s.inflight).get_mut(&name)
        {
            *n -= 1;
        }
        let Ok(r) = sent else {
            return Response::builder()
                .status(502)
                .body(axum::body::Body::empty())
                .expect("response");
        };
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let raw = r.bytes().await.unwrap_or_default();
        let scheduled = lock(&s.triggers)
            .get(&name)
            .is_some_and(|t| t != "OnDemand");
        if overlapping && scheduled && status == 200 {
            return crate::explore::racing::conflict();
        }
        let mut response = Response::new(axum::body::Body::from(raw));
        *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
        for h in ["content-type", "x-amzn-requestid", "x-amzn-errortype"] {
            if let Some(v) = headers.get(h) {
                response.headers_mut().insert(h, v.clone());
            }
        }
        response
    }

    pub fn conflict() -> Response {
        Response::builder()
            .status(409)
            .header("content-type", "application/json")
            .header("x-amzn-requestid", uuid::Uuid::new_v4().to_string())
            .header("x-amzn-errortype", "ConflictException")
            .body(axum::body::Body::from(
                r#"{"message":"the flow is being activated"}"#,
            ))
            .expect("response")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_activation_that_is_not_linearisable_is_found_and_saved() {
    found_at(
        "concurrency",
        |up| Box::pin(async move { racing::start(&up).await }),
        1,
    )
    .await;
}
