//! A cancel names one run of its own flow (one of several running there
//! after bursts under C2 accept), and its saved file names that same run
//! by its capture, so the file cancels what explore cancelled.

use appflow_harness::appflow::TriggerType::OnDemand;
use appflow_harness::explore::scenario_file::{FoundBy, write};
use appflow_harness::explore::{Ending, Move, TokenArg, Variant};
use appflow_harness::model::Invocation;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_names_one_of_its_own_flows_running_runs_and_its_file_names_the_same() {
    let (target, player) = super::embedded_player().await;
    let poll = appflow_harness::model::L2_LAG;
    let create = |slot| Move::Create {
        slot,
        trigger: OnDemand,
        token: TokenArg::None,
        variant: 0,
    };
    let start = |slot, k| Move::Start {
        slot,
        name: Variant::Plain,
        token: TokenArg::Pool(k, Variant::Plain),
    };
    // Runs in answer order: s0's, then s1's two. Run 1 of s1 is its
    // second; run 1 of the whole sequence would be s1's first. The settle
    // ends s1's first run, so the second is a new run under either C2
    // candidate and the file captures it.
    let steps = vec![
        create(0),
        create(1),
        start(0, 0),
        start(1, 1),
        Move::Settle { slot: 1 },
        start(1, 2),
        Move::Cancel {
            slot: 1,
            run: Some(1),
        },
    ];
    let seq = player.play(&steps, None).await;
    assert_eq!(
        seq.ending,
        Ending::Passed,
        "the emulator's answers are admitted"
    );
    let run_of = |i: usize| seq.steps[i].observed[0].execution_id.clone();
    let Some(Invocation::Cancel { execution_id, .. }) = seq.steps[6].calls.first() else {
        panic!("step 7 is a cancel");
    };
    assert_eq!(
        Some(execution_id.clone()),
        run_of(5),
        "the cancel names the second run of its own flow (s1), not the sequence's second run"
    );
    let from = FoundBy {
        seed: 0,
        target: "the embedded emulator",
        original_steps: steps.len(),
        poll,
    };
    let text = write(&seq, &target.fixtures, &from).expect("written");
    assert!(
        text.contains("- \"{{r2}}\""),
        "the file cancels the run it captured third (s1's second, r2), as explore did:\n{text}"
    );
}
