//! The application under recording: written with the official AWS SDK for
//! Rust, unchanged but for its endpoint, with credentials of its own.

use aws_sdk_appflow::Client;
use aws_sdk_appflow::config::Credentials;
use aws_sdk_appflow::error::ProvideErrorMetadata;
use aws_sdk_appflow::types::TriggerType;

/// The application's own credentials: the emulator would refuse them.
pub const APP_KEY: &str = "AKIDAPPLICATIONXYZ";
pub const APP_SECRET: &str = "application-secret-9876";
pub const APP_SESSION: &str = "application-session-token-5555";

fn client(url: &str) -> Client {
    crate::support::sdk::client(
        url,
        Credentials::new(APP_KEY, APP_SECRET, Some(APP_SESSION.into()), None, "app"),
    )
}

async fn create(c: &Client, name: &str, trigger: TriggerType) -> String {
    let r = crate::support::sdk::create_flow(c, name, trigger)
        .send()
        .await;
    match r {
        Ok(o) => format!("CreateFlow {:?}", o.flow_status()),
        Err(e) => format!("CreateFlow error {:?}", e.code()),
    }
}

/// The application: a token replay, a scheduled-flow conflict (C1), a token
/// reused on another scheduled flow (T2), a stop, a read of runs and a delete. Answers what
/// it saw, executionIds as their order of first appearance.
pub async fn application(url: &str, run: &str) -> Vec<String> {
    let c = client(url);
    let (a, s, s2) = (
        format!("app-{run}-a"),
        format!("app-{run}-s"),
        format!("app-{run}-s2"),
    );
    let mut seen = vec![
        create(&c, &a, TriggerType::Ondemand).await,
        create(&c, &s, TriggerType::Scheduled).await,
        create(&c, &s2, TriggerType::Scheduled).await,
    ];
    let mut ids: Vec<String> = Vec::new();
    let (tk, tks) = (format!("tok-{run}-1"), format!("tok-{run}-s"));
    for (flow, token) in [
        (&a, &tk),
        (&a, &tk),
        (&s, &tks),
        (&s, &format!("tok-{run}-new")),
        (&s2, &tks),
    ] {
        let r = c
            .start_flow()
            .flow_name(flow)
            .client_token(token)
            .send()
            .await;
        seen.push(match r {
            Ok(o) => {
                let id = o.execution_id().map(|id| {
                    if !ids.iter().any(|x| x == id) {
                        ids.push(id.to_owned());
                    }
                    ids.iter().position(|x| x == id).unwrap_or_default()
                });
                format!("StartFlow {:?} run {id:?}", o.flow_status())
            }
            Err(e) => format!("StartFlow error {:?}", e.code()),
        });
    }
    seen.push(match c.stop_flow().flow_name(&s).send().await {
        Ok(o) => format!("StopFlow {:?}", o.flow_status()),
        Err(e) => format!("StopFlow error {:?}", e.code()),
    });
    seen.push(
        match c
            .describe_flow_execution_records()
            .flow_name(&a)
            .send()
            .await
        {
            Ok(o) => format!("Records {} run(s)", o.flow_executions().len()),
            Err(e) => format!("Records error {:?}", e.code()),
        },
    );
    seen.push(
        match c
            .delete_flow()
            .flow_name(&a)
            .force_delete(true)
            .send()
            .await
        {
            Ok(_) => "DeleteFlow ok".to_owned(),
            Err(e) => format!("DeleteFlow error {:?}", e.code()),
        },
    );
    seen
}
