//! The generated steps that need the test-control API or a large body:
//! quotas (Q1-Q3, T12), lost answers (T1, T5), body sizes (W6). Endpoints
//! with one fault each in them are found with the default budget and the
//! saved file reproduces it; the embedded emulator passes with these
//! steps in the mix.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use appflow_harness::endpoint::{TargetChoice, TargetOptions};
use appflow_harness::explore::Budget;
use serde_json::{Value, json};

use super::faults::found;
use super::{explore, options};
use crate::support::proxy::{self, Answer, Change};

/// quotas: the runs-this-month quota (Q2) counts a replayed StartFlow
/// (T1: no new run) as a run, so the quota bites too early. The proxy
/// keeps its own count from the limits it sees set, and answers 402 itself
/// where the emulator would start a run.
#[derive(Default, Clone)]
struct ReplaysCountAsRuns(Arc<Mutex<Counted>>);

/// Runs counted (replays too), the limit, on-demand flows, tokens used.
#[derive(Default)]
struct Counted {
    used: u64,
    limit: Option<u64>,
    on_demand: HashSet<String>,
    tokens: HashSet<(String, String)>,
}
impl Change for ReplaysCountAsRuns {
    fn intercept(&self, path: &str, body: &Value, _: usize) -> Option<Answer> {
        let m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let full = m.limit.is_some_and(|limit| m.used >= limit);
        let name = body["flowName"].as_str().unwrap_or_default();
        let replay = key(body).is_some_and(|k| m.tokens.contains(&k));
        // Bad tokens are refused first (V2), as by the emulator.
        let valid = body["clientToken"].as_str().is_none_or(|t| {
            (1..=256).contains(&t.len()) && t.bytes().all(|c| (b' '..=b'~').contains(&c))
        });
        let starts = m.on_demand.contains(name) && valid && !replay;
        (path == "/start-flow" && full && starts).then(|| {
            proxy::error(
                402,
                "ServiceQuotaExceededException",
                "The number of flow runs this month exceeds the quota",
            )
        })
    }
    fn request(&self, path: &str, body: &mut Value) {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if path == "/_harness/config" {
            if let Some(n) = body["maxRunsPerMonth"].as_u64() {
                m.limit = Some(n);
            }
            if let Some(n) = body["runsThisMonth"].as_u64() {
                m.used = n;
            }
        }
    }
    fn answer(&self, path: &str, request: &Value, a: &mut Answer) {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let name = request["flowName"].as_str().unwrap_or_default().to_owned();
        let ran = a
            .json
            .as_ref()
            .is_some_and(|j| j["executionId"].is_string());
        match (path, a.status) {
            ("/create-flow", 200) if request["triggerConfig"]["triggerType"] == "OnDemand" => {
                m.on_demand.insert(name);
            }
            ("/delete-flow", 200) => {
                m.on_demand.remove(&name);
                m.tokens.retain(|(_, f)| *f != name);
            }
            ("/start-flow", 200) if ran => {
                m.used += 1;
                if let Some(k) = key(request) {
                    m.tokens.insert(k);
                }
            }
            _ => {}
        }
    }
}

/// lost answers: a StartFlow whose answer was lost is forgotten with its
/// token: a retry with the token is a new call (a second run; on an active
/// scheduled flow a conflict).
#[derive(Default, Clone)]
struct ForgetsLostTokens(Arc<Mutex<HashSet<(String, String)>>>);
fn key(body: &Value) -> Option<(String, String)> {
    Some((
        body["clientToken"].as_str()?.to_owned(),
        body["flowName"].as_str()?.to_owned(),
    ))
}
impl Change for ForgetsLostTokens {
    fn request(&self, path: &str, body: &mut Value) {
        let lost = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if path == "/start-flow"
            && let Some(k) = key(body)
            && lost.contains(&k)
        {
            body["clientToken"] = json!(k.0.chars().rev().collect::<String>());
        }
    }
    fn lost(&self, path: &str, request: &Value) {
        if path == "/start-flow"
            && let Some(k) = key(request)
        {
            self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(k);
        }
    }
}

/// body sizes: a StartFlow over 1 MiB is refused with 400
/// ValidationException, but the run starts anyway (the body reaches the
/// emulator compacted, and its 200 is replaced).
#[derive(Default, Clone)]
struct RefusesLargeButRuns(Arc<Mutex<HashSet<String>>>);
impl Change for RefusesLargeButRuns {
    fn intercept(&self, path: &str, body: &Value, size: usize) -> Option<Answer> {
        if path == "/start-flow" && size > 1 << 20 {
            let mut large = self.0.lock().unwrap_or_else(|p| p.into_inner());
            large.insert(body.to_string());
        }
        None
    }
    fn compact(&self) -> bool {
        true
    }
    fn answer(&self, path: &str, request: &Value, a: &mut Answer) {
        let mut large = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if path == "/start-flow" && large.remove(&request.to_string()) {
            *a = proxy::error(400, "ValidationException", "Request body too large");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quota_that_counts_replays_as_runs_is_found_and_saved() {
    found("quotas", ReplaysCountAsRuns::default(), 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_a_lost_answer_treated_as_new_is_found_and_saved() {
    found("lost answers", ForgetsLostTokens::default(), 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_body_refused_but_run_anyway_is_found_and_saved() {
    found("body sizes", RefusesLargeButRuns::default(), 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_emulator_passes_quota_lost_answer_and_large_body_steps_over_seeds() {
    for seed in [21, 22, 23] {
        let budget = Budget {
            seed,
            cases: 80,
            ..super::quick()
        };
        let target = TargetOptions::new(TargetChoice::Embedded);
        let (s, out) = explore(options(target, budget, None)).await;
        assert!(
            s.passed() && s.unjudged.is_empty(),
            "the emulator passes its model with quota, lost-answer and large-body steps, none unjudged (seed {seed}):\n{out}"
        );
    }
}

/// Without the test-control API, and a 402 on every third CreateFlow: the
/// account's own quota, which the model cannot know.
#[derive(Default, Clone)]
struct NoControlAndFullAccount(Arc<Mutex<u64>>);
impl Change for NoControlAndFullAccount {
    fn intercept(&self, path: &str, _: &Value, _: usize) -> Option<Answer> {
        if path.starts_with("/_harness") {
            return Some(proxy::error(404, "UnknownOperationException", "no"));
        }
        let mut n = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if path == "/create-flow" {
            *n += 1;
            if (*n).is_multiple_of(3) {
                return Some(proxy::error(
                    402,
                    "ServiceQuotaExceededException",
                    "The number of flows exceeds the quota",
                ));
            }
        }
        None
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_402_where_the_quotas_are_unknown_is_not_judged_and_never_a_finding() {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let u = proxy::start(&emulator.url(), NoControlAndFullAccount::default()).await;
    let budget = Budget {
        seed: 5,
        cases: 60,
        ..super::quick()
    };
    let (s, out) = explore(options(super::url(&u), budget, None)).await;
    assert!(
        s.finding.is_none(),
        "a 402 on an account whose quotas explore does not know is no finding:\n{out}"
    );
    assert!(
        s.unjudged.iter().any(|why| why.contains("402")),
        "the sequences it stopped are counted as not judged, with the reason:\n{out}"
    );
    assert!(s.passed > 0, "the other sequences are judged:\n{out}");
}
