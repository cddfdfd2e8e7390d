//! The property that matters: every finding's saved file fails `check` on
//! the endpoint where it was found, at the step that failed there, and
//! passes on the embedded emulator. One faulty endpoint per class the
//! saved files used to lose (near-miss tokens and names written as
//! unrelated ones, a run answered inside a burst), each found with a fixed
//! seed (within the default minute, and within 256 sequences, the count
//! the tests run so that a loaded machine finds what an idle one does);
//! the new-vs-earlier-run class (T3); a wire rule tolerated and not; L2's
//! lag.

use std::sync::{Arc, Condvar, Mutex};

use appflow_harness::commands::explore::SAVED_REPLAYS;
use appflow_harness::endpoint::{TargetChoice, TargetOptions};
use appflow_harness::explore::Budget;
use appflow_harness::scenario::write::read;
use serde_json::{Value, json};

use super::{check_file, explore, options, url};
use crate::support::proxy::{self, Answer, Change};

/// tokens: clientTokens compared case-insensitively (`AH-5FA2...` replays
/// the run of `ah-5fa2...`).
#[derive(Clone)]
pub(super) struct CaseInsensitiveTokens;
impl Change for CaseInsensitiveTokens {
    fn request(&self, path: &str, body: &mut Value) {
        if path == "/start-flow"
            && let Some(t) = body["clientToken"].as_str()
        {
            body["clientToken"] = json!(t.to_ascii_lowercase());
        }
    }
}

/// names: flow names compared case-insensitively (`AH-X...` finds `ah-x...`).
#[derive(Clone)]
struct CaseInsensitiveNames;
impl Change for CaseInsensitiveNames {
    fn request(&self, _: &str, body: &mut Value) {
        if let Some(n) = body["flowName"].as_str() {
            body["flowName"] = json!(n.to_ascii_lowercase());
        }
    }
}

/// A run inside a burst: a token whose first StartFlow overlapped one with
/// another token is forgotten, so a later replay of it (sent after
/// its first answer) starts another run (T1).
/// The first call of a token, sent while no other StartFlow is in flight,
/// is held until another StartFlow arrives (at most [`HOLD`]), so a
/// burst's calls overlap at the proxy every time, however loaded the
/// machine; a call alone waits out the bound.
#[derive(Default, Clone)]
struct ForgetsTokensOfBursts(Arc<(Mutex<Bursts>, Condvar)>);

/// How long a token's first StartFlow waits for another StartFlow.
const HOLD: std::time::Duration = std::time::Duration::from_millis(50);
/// How long an overlap waits for a late copy after the last arrival.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(30);

/// Tokens of the StartFlows in flight; of those sent beside another (one
/// entry per request in flight); those whose first run was started so; tokens answered; replays sent
/// and not yet answered.
#[derive(Default)]
struct Bursts {
    in_flight: Vec<String>,
    beside: Vec<String>,
    burst: Vec<String>,
    answered: Vec<String>,
    replays: Vec<String>,
    /// When the last StartFlow arrived.
    last_arrival: Option<std::time::Instant>,
}
impl Change for ForgetsTokensOfBursts {
    fn request(&self, path: &str, body: &mut Value) {
        let Some(t) = body["clientToken"]
            .as_str()
            .filter(|_| path == "/start-flow")
        else {
            return;
        };
        let (lock, arrived) = &*self.0;
        let mut m = lock.lock().unwrap_or_else(|p| p.into_inner());
        let first_use = !m.answered.iter().any(|x| x == t);
        if !first_use {
            // A replay sent alone, after the burst (not a late copy in it).
            if m.in_flight.is_empty() && m.burst.iter().any(|x| x == t) {
                m.replays.push(t.to_owned());
            }
        } else if m.in_flight.iter().any(|x| x != t) {
            // Every first use of the overlap is forgotten, the one in
            // flight as well as this one: whichever order the calls of a
            // burst arrive in, all of its tokens are.
            let others: Vec<String> = m
                .in_flight
                .iter()
                .filter(|x| *x != t && !m.answered.contains(x) && !m.beside.contains(x))
                .cloned()
                .collect();
            m.beside.extend(others);
            m.beside.push(t.to_owned());
        }
        let alone = m.in_flight.is_empty();
        m.in_flight.push(t.to_owned());
        m.last_arrival = Some(std::time::Instant::now());
        arrived.notify_all();
        // Blocking waits (the hook is synchronous), moved off the
        // runtime's workers so that the burst's other calls are still
        // taken while this one waits.
        tokio::task::block_in_place(|| {
            let mut m = m;
            if first_use && alone {
                m = arrived
                    .wait_timeout_while(m, HOLD, |b| b.in_flight.len() < 2)
                    .map_or_else(|p| p.into_inner().0, |(g, _)| g);
            }
            // An overlap is kept in flight until no StartFlow arrived for
            // SETTLE (at most 6 HOLDs): a burst's late copy joins its
            // burst instead of passing for a replay sent after it.
            let deadline = std::time::Instant::now() + HOLD * 6;
            while m.in_flight.len() > 1 {
                let now = std::time::Instant::now();
                let quiet = m.last_arrival.map_or(now, |at| at + SETTLE);
                if now >= quiet || now >= deadline {
                    break;
                }
                m = arrived
                    .wait_timeout(m, quiet.min(deadline) - now)
                    .map_or_else(|p| p.into_inner().0, |(g, _)| g);
            }
        });
    }
    fn answer(&self, path: &str, request: &Value, a: &mut Answer) {
        let Some(t) = request["clientToken"]
            .as_str()
            .filter(|_| path == "/start-flow")
        else {
            return;
        };
        let mut m = self.0.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = m.in_flight.iter().position(|x| x == t) {
            m.in_flight.swap_remove(i);
        }
        let was_beside = match m.beside.iter().position(|x| x == t) {
            Some(i) => {
                m.beside.swap_remove(i);
                true
            }
            None => false,
        };
        // A run started inside a burst: its token is the one forgotten.
        if a.status == 200 && !m.answered.iter().any(|x| x == t) {
            m.answered.push(t.to_owned());
            if was_beside {
                m.burst.push(t.to_owned());
            }
        }
        if let Some(i) = m.replays.iter().position(|x| x == t) {
            m.replays.swap_remove(i);
            if let Some(j) = a.json.as_mut().filter(|j| j.get("executionId").is_some()) {
                j["executionId"] = json!(uuid::Uuid::new_v4().to_string());
            }
        }
    }
    fn lost(&self, path: &str, request: &Value) {
        let Some(t) = request["clientToken"]
            .as_str()
            .filter(|_| path == "/start-flow")
        else {
            return;
        };
        let mut m = self.0.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = m.in_flight.iter().position(|x| x == t) {
            m.in_flight.swap_remove(i);
        }
    }
}

/// Explores the emulator behind `change` with seed `seed` and the default
/// budget: the fault is found; the saved file reads back through the
/// format's one reader, fails `check` on the faulty endpoint at the step
/// that failed there on each of `replays` replays (every fault here is
/// deterministic, races included), and passes on the emulator. Prints the figures of the note;
/// answers the saved file's text.
pub(super) async fn battery(
    class: &str,
    change: impl Change + Clone,
    budget: Budget,
    replays: usize,
) -> String {
    let seed = budget.seed;
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let u = proxy::start(&emulator.url(), change).await;
    let dir = crate::scenarios::tempdir();
    let cases = budget.cases;
    let (s, out) = explore(options(url(&u), budget, Some(&dir))).await;
    let f = s.finding.as_ref().unwrap_or_else(|| {
        panic!("{class}: seed {seed} finds the fault within {cases} sequences:\n{out}")
    });
    let file = f.file.clone().expect("saved");
    assert_eq!(
        f.replays.map(|r| (r.reproduced, r.played())),
        Some((SAVED_REPLAYS, SAVED_REPLAYS)),
        "{class}: explore replays its saved file and says it failed at the failing step every time:\n{out}"
    );
    assert!(
        out.contains("it failed at the failing step every time"),
        "{class}: the report says the file reproduces the finding:\n{out}"
    );
    let text = std::fs::read_to_string(&file).expect("file");
    let saved =
        read(&text).unwrap_or_else(|e| panic!("{class}: the saved file reads: {e}\n{text}"));
    let failing = saved
        .steps
        .iter()
        .filter_map(|s| s.value.name.as_deref())
        .find(|n| n.ends_with("(the failing step)"))
        .unwrap_or_else(|| panic!("{class}: the file names its failing step:\n{text}"))
        .to_owned();
    let mut codes = Vec::new();
    let mut replay = String::new();
    for _ in 0..replays {
        let (code, o) = check_file(url(&u), &file).await;
        codes.push(code);
        replay = o;
    }
    assert_eq!(
        codes,
        vec![1; replays],
        "{class}: the saved file fails on the faulty endpoint on every replay (exit codes: {codes:?}):\n{text}\n{replay}"
    );
    assert!(
        replay.contains(&failing),
        "{class}: the replay fails at the step that failed in explore ({failing}):\n{text}\n{replay}"
    );
    let (code, clean) = check_file(TargetOptions::new(TargetChoice::Embedded), &file).await;
    assert_eq!(
        code, 0,
        "{class}: the saved file passes on the emulator:\n{text}\n{clean}"
    );
    eprintln!("{class}: the saved file:\n{text}");
    eprintln!(
        "BATTERY {class}: seed {seed}: found after {} sequences ({:.1}s), shrunk from {} to {} steps in {} tries; replay on the faulty endpoint: exit {:?}; on the emulator: exit {code}",
        s.sequences,
        f.found_after_secs,
        f.original_steps,
        f.sequence.steps.len(),
        f.shrink_runs,
        codes
    );
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_insensitive_tokens_are_saved_as_a_near_miss_of_the_same_token() {
    battery(
        "near-miss tokens",
        CaseInsensitiveTokens,
        super::fixed(1),
        2,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_insensitive_flow_names_are_saved_as_a_near_miss_of_the_same_name() {
    battery("near-miss names", CaseInsensitiveNames, super::fixed(1), 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_whose_run_was_started_inside_a_burst_is_held_to_that_run_on_replay() {
    // Seed 1 finds this class; 4, 5 and 6 find it through a copy that is
    // a new run only under C2 accept (below); 2 and 3 find nothing in 256
    // sequences. The endpoint holds a token's first call until another
    // arrives, so every replay fails.
    battery(
        "run inside a burst",
        ForgetsTokensOfBursts::default(),
        super::fixed(1),
        2,
    )
    .await;
}

/// A burst copy whose run is new only under C2 accept (under conflict
/// the copy that comes second is refused): the file captures it for the
/// order the copies answered in, and the steps after hold for that order
/// (`when: statuses-in-order`). Its file used to replay green ([0, 0]).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_copy_new_only_under_c2_accept_is_captured_for_the_order_it_answered() {
    let text = battery(
        "run inside a burst, new under C2 accept only",
        ForgetsTokensOfBursts::default(),
        super::fixed(6),
        2,
    )
    .await;
    assert!(
        text.contains("statuses-in-order:") && text.contains("when:"),
        "the steps after the burst hold for the order its copies answered in:\n{text}"
    );
}

/// T3: a token reused on another on-demand flow answering the run it
/// started on the first flow. The old 256-sequence budget never reached
/// it with seed 1; the minute does (seeds 2, 3, 4 within 256 sequences):
/// seed 3 as a single StartFlow reusing the token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_reused_on_another_flow_is_saved_as_a_new_run() {
    battery(
        "new vs earlier run (T3)",
        super::battery_files::AnswersTheEarlierRun::default(),
        super::fixed(3),
        2,
    )
    .await;
}

/// T3 reached through calls at once: seed 1 first finds the reuse in a
/// 12-step sequence with a same-token burst and two races (sequence 71).
/// The fault needs neither, so shrinking turns each race into its one call
/// alone (`race::AloneFirst`) and the saved file is calls one after
/// another. Before, a race stayed in the file now and then (its shrinking
/// kept whichever form the loaded machine reproduced), guarded on the
/// order explore had seen, and a replay in the other order skipped the
/// failing step and passed on the faulty endpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finding_reached_through_races_it_does_not_need_is_saved_as_calls_one_after_another() {
    let text = battery(
        "new vs earlier run reached through a burst and races (T3)",
        super::battery_files::AnswersTheEarlierRun::default(),
        Budget {
            cases: 400,
            ..super::fixed(1)
        },
        2,
    )
    .await;
    let saved = read(&text).expect("the saved file reads");
    let at_once: Vec<_> = saved
        .steps
        .iter()
        .filter(|s| s.value.with_previous || s.value.concurrent.is_some() || s.value.when.is_some())
        .filter_map(|s| s.value.name.clone())
        .collect();
    assert!(
        at_once.is_empty(),
        "a finding that holds without calls at once is saved as calls one after another, \
         so every replay plays its failing step (steps sent at once or guarded on an order: {at_once:?}):\n{text}"
    );
}

/// Wire rules: answers without a request id (W3).
#[derive(Clone)]
pub(super) struct NoRequestIds;
impl Change for NoRequestIds {
    fn answer(&self, path: &str, _: &Value, a: &mut Answer) {
        if !path.starts_with("/_harness") {
            a.headers.remove("x-amzn-requestid");
            a.headers.remove("x-amz-request-id");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tolerated_wire_rule_is_looked_past_and_an_untolerated_one_is_found() {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let u = proxy::start(&emulator.url(), NoRequestIds).await;
    let budget = |cases| Budget {
        seed: 1,
        cases,
        ..super::quick()
    };
    let (s, out) = explore(options(url(&u), budget(5), None)).await;
    assert!(
        s.finding.is_some(),
        "answers without a request id are found (W3):\n{out}"
    );
    assert!(out.contains("W3"), "the report names W3:\n{out}");
    let mut o = options(url(&u), budget(40), None);
    o.tolerate = vec!["W3".into()];
    let (s, out) = explore(o).await;
    assert!(
        s.finding.is_none() && s.passed >= 30,
        "with --tolerate W3 the exploration goes past it and judges the rest:\n{out}"
    );
}

/// L2 lets runs be listed seconds late: explore polls as long as its saved
/// files wait (model::L2_LAG), so an endpoint listing runs 3 s late is no
/// finding (it was, when explore polled 2 s and its files waited 10 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_listed_three_seconds_late_are_no_finding() {
    let emulator = appflow_harness::emulator::Emulator::start_with(
        appflow_harness::emulator::config::Config {
            records_lag_ms: 3000,
            ..Default::default()
        },
    )
    .await
    .expect("emulator");
    let budget = Budget {
        seed: 1,
        cases: 60,
        ..super::quick()
    };
    let target = || url(&emulator.url());
    // Polled shorter than the lag (explore's old 2 s): the reads are reached.
    let mut short = options(target(), budget.clone(), None);
    short.poll = std::time::Duration::from_secs(2);
    let (s, out) = explore(short).await;
    assert!(
        s.finding.is_some(),
        "the sequences read records soon after a start (a 2 s poll misses the runs):\n{out}"
    );
    let (s, out) = explore(options(target(), budget, None)).await;
    assert!(
        s.passed(),
        "runs listed 3 s late are within L2's bound (explore polls model::L2_LAG):\n{out}"
    );
}
