//! The official Rust SDK against the emulator: every answer decodes to its
//! typed shape, and every error to its typed variant (never `Unhandled`).

use appflow_harness::emulator::Emulator;
use aws_sdk_appflow::Client;
use aws_sdk_appflow::config::Credentials;
use aws_sdk_appflow::operation::start_flow::StartFlowError;
use aws_sdk_appflow::types::{ExecutionStatus, FlowStatus, TriggerType};

fn client(url: &str) -> Client {
    crate::support::sdk::client(
        url,
        Credentials::new("AKIDTEST", "secret", None, None, "test"),
    )
}

async fn create(client: &Client, name: &str, trigger: TriggerType) -> FlowStatus {
    let out = crate::support::sdk::create_flow(client, name, trigger)
        .send()
        .await
        .expect("create flow");
    assert_eq!(
        out.flow_arn(),
        Some(format!("arn:aws:appflow:us-east-1:000000000000:flow/{name}").as_str())
    );
    out.flow_status().cloned().expect("status")
}

#[tokio::test]
async fn the_official_sdk_decodes_every_answer_and_error() {
    let emu = Emulator::start().await.expect("emulator");
    let c = client(&emu.url());

    assert_eq!(
        create(&c, "od", TriggerType::Ondemand).await,
        FlowStatus::Active
    );
    assert_eq!(
        create(&c, "sc", TriggerType::Scheduled).await,
        FlowStatus::Draft
    );
    assert_eq!(
        create(&c, "ev", TriggerType::Event).await,
        FlowStatus::Draft
    );

    let first = c
        .start_flow()
        .flow_name("od")
        .client_token("tok")
        .send()
        .await
        .expect("start");
    let id = first.execution_id().expect("executionId").to_owned();
    let replay = c
        .start_flow()
        .flow_name("od")
        .client_token("tok")
        .send()
        .await
        .expect("replay");
    assert_eq!(replay.execution_id(), Some(id.as_str()));
    // Without a token the SDK fills in its own UUID: each call is a new run.
    let fresh = c.start_flow().flow_name("od").send().await.expect("start");
    assert_ne!(fresh.execution_id(), Some(id.as_str()));

    let sc = c
        .start_flow()
        .flow_name("sc")
        .send()
        .await
        .expect("activate");
    assert_eq!(sc.flow_status(), Some(&FlowStatus::Active));
    assert_eq!(sc.execution_id(), None);

    let conflict = c
        .start_flow()
        .flow_name("sc")
        .send()
        .await
        .expect_err("already active");
    assert!(
        matches!(
            conflict.into_service_error(),
            StartFlowError::ConflictException(_)
        ),
        "a typed ConflictException"
    );
    let missing = c
        .start_flow()
        .flow_name("nope")
        .send()
        .await
        .expect_err("no such flow");
    let missing = missing.into_service_error();
    assert!(
        matches!(missing, StartFlowError::ResourceNotFoundException(_)),
        "{missing:?}"
    );

    let stop = c
        .stop_flow()
        .flow_name("od")
        .send()
        .await
        .expect_err("on-demand");
    assert!(
        stop.into_service_error()
            .is_unsupported_operation_exception()
    );
    let stopped = c.stop_flow().flow_name("sc").send().await.expect("stop");
    assert_eq!(stopped.flow_status(), Some(&FlowStatus::Suspended));

    let d = c
        .describe_flow()
        .flow_name("od")
        .send()
        .await
        .expect("describe");
    assert_eq!(d.flow_status(), Some(&FlowStatus::Active));
    assert!(d.created_at().is_some());
    assert_eq!(
        d.last_run_execution_details()
            .and_then(|l| l.most_recent_execution_status()),
        Some(&ExecutionStatus::Inprogress)
    );
    let records = c
        .describe_flow_execution_records()
        .flow_name("od")
        .send()
        .await
        .expect("records");
    assert_eq!(records.flow_executions().len(), 2);
    assert_eq!(
        records.flow_executions()[1].execution_id(),
        Some(id.as_str()),
        "newest first"
    );

    let list = c.list_flows().send().await.expect("list");
    assert_eq!(list.flows().len(), 3);
    let quota_free = c
        .cancel_flow_executions()
        .flow_name("od")
        .send()
        .await
        .expect("cancel");
    assert!(quota_free.invalid_executions().is_empty());
    c.delete_flow()
        .flow_name("od")
        .send()
        .await
        .expect("delete");
    let gone = c
        .describe_flow()
        .flow_name("od")
        .send()
        .await
        .expect_err("deleted");
    assert!(gone.into_service_error().is_resource_not_found_exception());
}
