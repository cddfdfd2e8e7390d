//! `with-previous: true`: the runner sends a step and the step marked
//! after it at the same moment, and judges each answer by its own step's
//! expectations. Two CreateFlows of one name sent so: exactly one makes
//! the flow, and the proxy in front of the emulator sees them overlap.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::proxy::{self, Answer, Change};

/// How long a CreateFlow waits for a second one to arrive: calls sent one
/// after another wait it out (and do not overlap), calls sent at once end
/// the wait as soon as the second arrives.
const HOLD: Duration = Duration::from_secs(2);

/// CreateFlows in flight and arrived (a count that only grows, so a
/// waiter woken late still sees an arrival that has since been answered),
/// whether each had another in flight beside it, the statuses answered.
#[derive(Default)]
struct Seen {
    in_flight: usize,
    arrived: usize,
    overlapped: Vec<bool>,
    statuses: Vec<u16>,
}

/// Records how CreateFlows arrive: a CreateFlow is held (at most
/// [`HOLD`]) until another is in flight beside it.
#[derive(Default, Clone)]
struct Overlaps(Arc<(Mutex<Seen>, Condvar)>);

impl Overlaps {
    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.0.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Change for Overlaps {
    fn request(&self, path: &str, _: &mut Value) {
        if path != "/create-flow" {
            return;
        }
        let (lock, cv) = &*self.0;
        let until = Instant::now() + HOLD;
        tokio::task::block_in_place(|| {
            let mut m = lock.lock().unwrap_or_else(|p| p.into_inner());
            m.in_flight += 1;
            m.arrived += 1;
            let me = m.arrived;
            // The other is still in flight (held), or arrives while this one is.
            let mut beside = m.in_flight > 1;
            cv.notify_all();
            while !beside && Instant::now() < until {
                let left = until.saturating_duration_since(Instant::now());
                m = cv
                    .wait_timeout(m, left)
                    .map_or_else(|p| p.into_inner().0, |(g, _)| g);
                beside = m.arrived > me;
            }
            m.overlapped.push(beside);
        });
    }
    fn answer(&self, path: &str, _: &Value, a: &mut Answer) {
        if path == "/create-flow" {
            let mut m = self.seen();
            m.in_flight = m.in_flight.saturating_sub(1);
            m.statuses.push(a.status);
        }
    }
}

/// A scenario of two CreateFlows of flow `a`, the second sent with the
/// first, each expecting `expect`; then a DescribeFlow: one flow.
fn two_creates(expect: &str) -> String {
    let create = r#"
      flowName: "{{flow.a}}"
      triggerConfig: { triggerType: OnDemand }
      sourceFlowConfig: { connectorType: S3, sourceConnectorProperties: { S3: { bucketName: appflow-harness-source, bucketPrefix: in } } }
      destinationFlowConfigList: [ { connectorType: S3, destinationConnectorProperties: { S3: { bucketName: appflow-harness-destination, bucketPrefix: out } } } ]
      tasks: [ { sourceFields: [id], connectorOperator: { S3: PROJECTION }, taskType: Filter, taskProperties: {} } ]"#;
    format!(
        "description: two CreateFlows of one name at once\nflows:\n  a: {{ trigger: OnDemand, exists: false }}\nsteps:\n  - name: first create\n    CreateFlow:{create}\n    expect: {expect}\n  - name: second create\n    with-previous: true\n    CreateFlow:{create}\n    expect: {expect}\n  - DescribeFlow: {{ flowName: \"{{{{flow.a}}}}\" }}\n    expect: {{ status: 200, body: {{ flowStatus: Active }} }}\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_with_previous_pair_is_sent_at_once_and_each_answer_is_judged_by_its_own_step() {
    let emulator = appflow_harness::emulator::Emulator::start()
        .await
        .expect("emulator");
    let dir = crate::scenarios::tempdir();
    let file = dir.join("two_creates.yaml");
    // Either call may win: each admits the flow made, or a refusal.
    let either =
        "{ one-of: [ { status: 200, body: { flowStatus: Active } }, { status: [400, 409] } ] }";
    std::fs::write(&file, two_creates(either)).expect("write");
    let seen = Overlaps::default();
    let u = proxy::start(&emulator.url(), seen.clone()).await;
    let (code, out) = crate::explore::check_file(crate::explore::url(&u), &file).await;
    assert_eq!(code, 0, "each answer meets its own step's one-of:\n{out}");
    {
        let m = seen.seen();
        assert_eq!(
            m.overlapped,
            vec![true, true],
            "both CreateFlows were in flight at once (sent one after another, the first would have waited alone):\n{out}"
        );
        let mut statuses = m.statuses.clone();
        statuses.sort_unstable();
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "exactly one CreateFlow of the name makes the flow ({statuses:?}):\n{out}"
        );
    }
    // Each step is judged by its own expectation: both expecting 200, the
    // call that lost the race fails its own step.
    std::fs::write(&file, two_creates("{ status: 200 }")).expect("write");
    let (code, out) = crate::explore::check_file(crate::explore::url(&u), &file).await;
    assert_eq!(
        code, 1,
        "one of the two creates is refused, and its step fails:\n{out}"
    );
    let failed = ["first create", "second create"]
        .iter()
        .filter(|n| {
            out.lines()
                .any(|l| l.contains(&format!("({n}) [expectation] status")))
        })
        .count();
    assert_eq!(failed, 1, "exactly one of the pair's steps fails:\n{out}");
}
