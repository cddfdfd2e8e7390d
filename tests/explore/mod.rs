//! `explore` against the embedded emulator (every profile: nothing found,
//! the fingerprint names the profile), against conforming variants
//! (nothing found), and against endpoints with one fault each that no
//! scenario of the catalogue covers (found with the default budget, shrunk,
//! saved; the file fails `check` there and passes on the emulator).

use std::path::Path;

use appflow_harness::commands::Console;
use appflow_harness::commands::check::{self, CheckOptions};
use appflow_harness::commands::explore::{ExploreOptions, run_summary};
use appflow_harness::endpoint::{Environment, TargetChoice, TargetOptions};
use appflow_harness::explore::{Budget, Exploration};
use serde_json::{Value, json};

use crate::support::proxy::{self, Answer, Change};

pub(super) fn options(
    target: TargetOptions,
    budget: Budget,
    save: Option<&Path>,
) -> ExploreOptions {
    ExploreOptions {
        target,
        budget,
        poll: appflow_harness::model::L2_LAG,
        save: save.map(Path::to_path_buf),
        json: None,
        junit: None,
        dry_run: false,
        // The emulator keeps CreateFlow tokens after DeleteFlow (see the
        // test below that names it); every other rule is judged.
        tolerate: Vec::new(),
    }
}

/// A fixed-seed budget bounded by count, not by time (so a loaded machine
/// finds what an idle one does): 256 sequences, the old default, with
/// time enough for them. The battery's notes say how long the default
/// 60 s budget took to find each class.
pub(super) fn fixed(seed: u64) -> Budget {
    Budget {
        seed,
        cases: 256,
        time: std::time::Duration::from_secs(600),
        ..quick()
    }
}

pub(super) async fn explore(o: ExploreOptions) -> (Exploration, String) {
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

pub(crate) async fn check_file(target: TargetOptions, file: &Path) -> (i32, String) {
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

/// An endpoint that throttles every AppFlow call (the control API passes).
pub(super) struct Throttles;
impl Change for Throttles {
    fn intercept(&self, path: &str, _: &Value, _: usize) -> Option<Answer> {
        (!path.starts_with("/_harness"))
            .then(|| proxy::error(429, "ThrottlingException", "slow down"))
    }
}

pub(crate) fn url(u: &str) -> TargetOptions {
    TargetOptions::new(TargetChoice::Url(u.to_owned()))
}

fn short(seed: u64, cases: u32) -> Budget {
    Budget {
        seed,
        cases,
        ..quick()
    }
}

/// The embedded emulator and a player of sequences against it (L2's
/// poll, settles bounded as the CLI bounds them, no pauses, nothing
/// tolerated), for tests that play sequences they write themselves.
pub(super) async fn embedded_player() -> (
    appflow_harness::endpoint::Target,
    appflow_harness::explore::Player,
) {
    let target = appflow_harness::endpoint::resolve(
        TargetOptions::new(TargetChoice::Embedded),
        &Environment::default(),
    )
    .await
    .expect("the embedded emulator");
    let poll = appflow_harness::model::L2_LAG;
    let player = appflow_harness::explore::Player {
        endpoint: target.endpoint.clone(),
        fixtures: target.fixtures.clone(),
        control: target.abilities.control,
        event_source: target.abilities.event_source,
        poll,
        pauses: std::sync::Arc::default(),
        tolerate: Vec::new(),
    };
    (target, player)
}

/// The default budget with short pauses (100 ms): the tests' time goes to
/// sequences; the time class sets its own.
pub(super) fn quick() -> Budget {
    Budget {
        pause: std::time::Duration::from_millis(100),
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

mod battery;
mod battery_files;
mod battery_time;
mod cancels;
mod coalescing;
mod control;
mod faults;
mod race_writes;
mod racing;
mod reports;
mod saved_files;
