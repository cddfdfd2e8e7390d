//! `appflow-harness doctor`: what a target resolves to (kind, endpoint,
//! region, where the credentials come from and the access key id's last 4
//! characters, abilities), one read-only call, and one fixture flow created
//! and deleted, each with what to fix when it fails.

use bytes::Bytes;
use serde_json::json;

use super::{CommandError, Console, Outcome};
use crate::appflow::{Operation, TriggerType};
use crate::client::{CallOutcome, Reply, RetryPolicy};
use crate::endpoint::{self, Environment, TargetError, TargetOptions};

/// What to set when `--target aws` (or `--sign`) finds no credentials.
const NO_CREDENTIALS_FIXES: [&str; 3] = [
    "keys: export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones)",
    "a profile: --profile NAME or AWS_PROFILE=NAME, from ~/.aws/config and ~/.aws/credentials (`aws configure`, or `aws sso login --profile NAME` for SSO)",
    "then run doctor again; nothing was sent",
];

/// What to do about a failed answer.
fn hint(r: &Reply, signed: bool) -> &'static str {
    let message = r.message().unwrap_or("").to_ascii_lowercase();
    match (r.status, r.error_type.as_deref()) {
        (300..=399, _) => {
            "point --target or --endpoint-url at the endpoint itself: the harness, like the SDKs, follows no redirect"
        }
        // Nothing was signed: the target wants signatures.
        (403, _) if !signed => {
            "the target wants signed requests and these were not signed: add --sign (with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set), or use --target aws"
        }
        (403, Some("AccessDeniedException")) => {
            "the identity lacks AppFlow permissions: grant appflow:ListFlows, CreateFlow, DescribeFlow, UpdateFlow, DeleteFlow, StartFlow, StopFlow, DescribeFlowExecutionRecords and CancelFlowExecutions (README: Running against real AWS)"
        }
        (403, _) => {
            "the signature or credentials were refused: check the profile, the keys and the clock"
        }
        (400, _) if message.contains("bucket") || message.contains("s3") => {
            "AppFlow cannot use the fixture buckets: set source_bucket and destination_bucket (appflow-harness.yaml or --var) to buckets of yours with the bucket policy in README"
        }
        (402, _) => {
            "a quota is reached: delete leftover flows (appflow-harness cleanup --yes) or ask for more"
        }
        (404, Some("UnknownOperationException")) => {
            "the endpoint is not AppFlow: check --target and --endpoint-url"
        }
        (429, _) => "throttled: try again later, or lower --max-rps",
        _ => "see the answer above",
    }
}

/// Runs `doctor` on the endpoint `options` resolve to: prints its kind, base URL,
/// region, where the credentials come from (and the access key id's last 4
/// characters, never a secret), its abilities; then one ListFlows read and one
/// on-demand fixture flow created and deleted, each failure with what to fix.
/// Returns [`Outcome::Failed`] when the read or the fixture failed, else
/// [`Outcome::Passed`]. Errors: those of resolving the target (see `check`'s
/// [`run`](super::check::run)), and [`CommandError::Usage`] when the read cannot
/// be sent (the request cannot be signed).
// Long on purpose: the diagnosis as the user reads it: resolve, one read, one fixture flow, each with what to fix.
pub async fn run(
    options: TargetOptions,
    env: &Environment,
    console: &mut Console<'_>,
) -> Result<Outcome, CommandError> {
    let say = |console: &mut Console<'_>, line: String| {
        let _ = writeln!(console.out, "{line}");
    };
    let t = match endpoint::resolve(options.clone(), env).await {
        Ok(t) => t,
        Err(
            e @ (TargetError::Credentials(_)
            | TargetError::NoCredentials(_)
            | TargetError::NoSdkChain),
        ) => {
            // No credentials is a diagnosis too: where the target is, and
            // what to set, before the error itself.
            let dry = super::check_plan::DryTarget::of(options, env).await?;
            say(
                console,
                format!("target:      {} ({})", dry.url, dry.kind.as_str()),
            );
            say(console, format!("region:      {}", dry.region));
            say(console, "credentials: FAILED: none found".into());
            for fix in NO_CREDENTIALS_FIXES {
                say(console, format!("             fix: {fix}"));
            }
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    say(
        console,
        format!(
            "target:      {} ({})",
            t.endpoint.base_url(),
            t.kind.as_str()
        ),
    );
    say(console, format!("region:      {}", t.region));
    match &t.signer {
        Some(s) => say(
            console,
            format!(
                "credentials: {} (access key id ending in {})",
                s.source(),
                s.key_hint()
            ),
        ),
        None => say(
            console,
            "credentials: none (requests are not signed)".into(),
        ),
    }
    // Nothing answering is the whole diagnosis: said at once, exit 4, as
    // every command says it (the abilities of a target that does not
    // answer are unknown, and the read and fixture below would only retry).
    if let Err(e @ crate::endpoint::TargetError::Unreachable(..)) = t.probe().await {
        say(console, format!("reach:       FAILED: {e}"));
        say(
            console,
            "             fix: start the endpoint, or check --target (scheme, host, port)".into(),
        );
        return Err(e.into());
    }
    say(
        console,
        format!(
            "abilities:   test-control API {}, event source {}",
            if t.abilities.control { "yes" } else { "no" },
            if t.abilities.event_source {
                "yes"
            } else {
                "no (set event_connector_profile)"
            }
        ),
    );
    let mut healthy = true;
    // One read.
    match t
        .endpoint
        .call_with(
            &RetryPolicy::standard(),
            Operation::ListFlows,
            Bytes::from_static(b"{\"maxResults\":1}"),
        )
        .await
        .map(|r| r.call)
    {
        Ok(c) => match c.outcome {
            CallOutcome::Reply(r) if r.status == 200 => {
                say(console, "read:        ok (ListFlows)".into())
            }
            CallOutcome::Reply(r) => {
                healthy = false;
                let answered = r.redirect().unwrap_or_else(|| {
                    format!(
                        "{} {}: {}",
                        r.status,
                        r.error_type.as_deref().unwrap_or(""),
                        r.body_text()
                    )
                });
                say(
                    console,
                    format!("read:        FAILED: ListFlows answered {answered}"),
                );
                say(
                    console,
                    format!("             fix: {}", hint(&r, t.signer.is_some())),
                );
            }
            CallOutcome::Transport { message, .. } => {
                healthy = false;
                say(
                    console,
                    format!("read:        FAILED: no answer: {message}"),
                );
                say(
                    console,
                    "             fix: check the endpoint and the network".into(),
                );
            }
        },
        Err(e) => return Err(CommandError::Usage(e.to_string())),
    }
    // One fixture flow, created and deleted.
    let name = crate::names::doctor_flow();
    match crate::fixtures::create_flow(&t.endpoint, &t.fixtures.body(&name, TriggerType::OnDemand))
        .await
    {
        Ok(_) => {
            let deleted = t
                .endpoint
                .call_with(
                    &RetryPolicy::standard(),
                    Operation::DeleteFlow,
                    Bytes::from(json!({"flowName": name, "forceDelete": true}).to_string()),
                )
                .await;
            match deleted.map(|r| r.call.outcome) {
                Ok(CallOutcome::Reply(r)) if r.status == 200 => {
                    say(
                        console,
                        format!("fixture:     ok (created and deleted {name})"),
                    );
                }
                Ok(CallOutcome::Reply(r)) => {
                    healthy = false;
                    say(
                        console,
                        format!(
                            "fixture:     created {name}, but DeleteFlow answered {} {}",
                            r.status,
                            r.body_text()
                        ),
                    );
                    say(
                        console,
                        format!(
                            "             fix: {}; then appflow-harness cleanup --yes",
                            hint(&r, t.signer.is_some())
                        ),
                    );
                }
                _ => {
                    healthy = false;
                    say(
                        console,
                        format!(
                            "fixture:     created {name}, but DeleteFlow got no answer: run appflow-harness cleanup --yes"
                        ),
                    );
                }
            }
        }
        Err(e) => {
            healthy = false;
            // The flow may exist though its answer was lost: deleted all
            // the same (a 404 here is the usual answer, and fine).
            crate::fixtures::delete_flow(&t.endpoint, &name).await;
            say(console, format!("fixture:     FAILED: CreateFlow {e}"));
            let fix = if e.contains("AccessDenied") {
                "grant the identity appflow:CreateFlow and the rest (README: Running against real AWS)"
            } else if e.to_ascii_lowercase().contains("bucket") {
                "set source_bucket and destination_bucket to buckets of yours (appflow-harness.yaml or --var), with the bucket policy in README"
            } else {
                "see the answer above"
            };
            say(console, format!("             fix: {fix}"));
        }
    }
    Ok(Outcome::from_passed(healthy))
}
