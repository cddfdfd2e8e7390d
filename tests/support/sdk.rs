//! The official AWS SDK for Rust's AppFlow client, as an application
//! configures it against a local endpoint, and the S3-to-S3 CreateFlow the
//! SDK tests send (the emulator tests and `record`'s application share it).

use aws_sdk_appflow::Client;
use aws_sdk_appflow::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_appflow::operation::create_flow::builders::CreateFlowFluentBuilder;
use aws_sdk_appflow::types::{
    ConnectorOperator, ConnectorType, DestinationConnectorProperties, DestinationFlowConfig,
    S3ConnectorOperator, S3DestinationProperties, S3SourceProperties, ScheduledTriggerProperties,
    SourceConnectorProperties, SourceFlowConfig, Task, TaskType, TriggerConfig, TriggerProperties,
    TriggerType,
};

/// A client for `url` in us-east-1 signing with `credentials`.
pub fn client(url: &str, credentials: Credentials) -> Client {
    let conf = aws_sdk_appflow::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(credentials)
        .endpoint_url(url)
        .build();
    Client::from_conf(conf)
}

/// A CreateFlow of `name` with `trigger` (hourly when scheduled), from S3
/// bucket `src` to S3 bucket `dst`, ready to send.
pub fn create_flow(c: &Client, name: &str, trigger: TriggerType) -> CreateFlowFluentBuilder {
    let mut tc = TriggerConfig::builder().trigger_type(trigger.clone());
    if trigger == TriggerType::Scheduled {
        tc = tc.trigger_properties(
            TriggerProperties::builder()
                .scheduled(
                    ScheduledTriggerProperties::builder()
                        .schedule_expression("rate(1hours)")
                        .build()
                        .expect("schedule"),
                )
                .build(),
        );
    }
    let source = SourceConnectorProperties::builder()
        .s3(S3SourceProperties::builder()
            .bucket_name("src")
            .build()
            .expect("s3"))
        .build();
    let dest = DestinationConnectorProperties::builder()
        .s3(S3DestinationProperties::builder()
            .bucket_name("dst")
            .build()
            .expect("s3"))
        .build();
    c.create_flow()
        .flow_name(name)
        .trigger_config(tc.build().expect("trigger"))
        .source_flow_config(
            SourceFlowConfig::builder()
                .connector_type(ConnectorType::S3)
                .source_connector_properties(source)
                .build()
                .expect("source"),
        )
        .destination_flow_config_list(
            DestinationFlowConfig::builder()
                .connector_type(ConnectorType::S3)
                .destination_connector_properties(dest)
                .build()
                .expect("destination"),
        )
        .tasks(
            Task::builder()
                .source_fields("id")
                .connector_operator(
                    ConnectorOperator::builder()
                        .s3(S3ConnectorOperator::Projection)
                        .build(),
                )
                .task_type(TaskType::Filter)
                .build()
                .expect("task"),
        )
}
