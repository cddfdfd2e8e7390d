//! Tests of [`super`].

use super::*;

fn runs(starts: &[Millis], run_time: Millis) -> VecDeque<Execution> {
    (starts.iter().enumerate())
        .map(|(i, &t)| Execution::new(Uuid::new_v4(), i as u64, t, t + run_time))
        .collect()
}

#[test]
fn retention_keeps_the_newest_the_unfinished_and_the_replayable() {
    let rule = Retention {
        keep: 2,
        token_ttl_ms: 100,
        cancel_time_ms: 10,
    };
    let mut r = runs(&[0, 1, 2, 3, 4], 5);
    assert_eq!(rule.evict(&mut r, 50), 0, "every token still replayable");
    assert_eq!(rule.evict(&mut r, 101), 2, "runs 0 and 1: tokens expired");
    assert_eq!(r.front().map(|e| e.started_at), Some(2));
    assert_eq!(rule.evict(&mut r, 1_000), 1, "down to the newest two");
    assert_eq!(r.len(), 2);
    assert_eq!(rule.evict(&mut r, 10_000), 0, "never below keep");

    // An unfinished run at the front holds the rest back.
    let mut r = runs(&[0, 1, 2, 3], 5);
    r[0] = Execution::new(Uuid::new_v4(), 0, 0, 5_000);
    assert_eq!(rule.evict(&mut r, 1_000), 0, "run 0 is InProgress");
    // A canceled run goes once Canceled, not while CancelStarted.
    r[0].cancel(995);
    assert_eq!(rule.evict(&mut r, 1_000), 0, "CancelStarted until 1005");
    assert_eq!(rule.evict(&mut r, 1_005), 2);

    let all = Retention { keep: 0, ..rule };
    let mut r = runs(&[0, 1, 2, 3], 5);
    assert_eq!(all.evict(&mut r, 10_000), 0, "keep 0 keeps every run");
}

#[test]
fn removing_a_flow_ends_its_tokens_only() {
    let mut state = State::default();
    let call = |flow: &str| StoredCall {
        input: serde_json::json!({ "flowName": flow }),
        output: Value::Null,
        at: 0,
    };
    for flow in ["a", "b"] {
        state.flows.insert(
            Arc::from(flow),
            Flow {
                name: Arc::from(flow),
                arn: Arc::from(flow),
                trigger: TriggerType::OnDemand,
                status: FlowStatus::Active,
                definition: Definition {
                    description: None,
                    kms_arn: None,
                    trigger_config: Value::Null,
                    source_flow_config: Value::Null,
                    destination_flow_config_list: Value::Null,
                    tasks: Value::Null,
                    tags: None,
                    metadata_catalog_config: None,
                },
                created_at: 0,
                updated_at: 0,
                executions: VecDeque::new(),
            },
        );
        state.create_tokens.insert(format!("c-{flow}"), call(flow));
        state.update_tokens.insert(format!("u-{flow}"), call(flow));
    }
    assert!(state.remove_flow("a"));
    assert!(!state.remove_flow("a"), "already gone");
    let mut left: Vec<&String> = state
        .create_tokens
        .keys()
        .chain(state.update_tokens.keys())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["c-b", "u-b"],
        "T14: a's CreateFlow/UpdateFlow tokens ended"
    );
}

#[test]
fn month_index_counts_calendar_months() {
    assert_eq!(month_index(0), 0);
    // 2026-11-25 and 2026-11-30T23:59:59 are the same month; 2026-12-01 is the next.
    let nov25 = 1_795_564_800_000;
    let dec1 = 1_796_083_200_000;
    assert_eq!(month_index(nov25), (2026 - 1970) * 12 + 10);
    assert_eq!(month_index(dec1 - 1), month_index(nov25));
    assert_eq!(month_index(dec1), month_index(nov25) + 1);
}
