//! `check --dry-run`: what a run would create, start and skip on a target,
//! with nothing sent and, against AWS, no credentials needed.

use super::{CommandError, Console};
use crate::endpoint::{self, Environment, TargetChoice, TargetKind, TargetOptions};

/// What a dry run needs to know of its target: no signer, no client.
pub(super) struct DryTarget {
    pub kind: TargetKind,
    pub url: String,
    pub region: String,
    /// Whether steps that need the test-control API would run.
    pub control: bool,
}

impl DryTarget {
    /// The target `options` names; AWS's endpoint and region are worked
    /// out as a run would, without asking for credentials.
    pub async fn of(options: TargetOptions, env: &Environment) -> Result<Self, CommandError> {
        if options.choice != TargetChoice::Aws {
            let t = endpoint::resolve(options, env).await?;
            return Ok(Self {
                kind: t.kind,
                url: t.endpoint.base_url().to_owned(),
                region: t.region.clone(),
                control: t.abilities.control,
            });
        }
        crate::fixtures::FixtureVars::load(options.config_file.as_deref(), &options.vars)
            .map_err(|m| CommandError::InvalidInput(vec![m]))?;
        let profile = env.profile_name(options.profile.as_deref());
        let region = match options.region.clone().or_else(|| env.region.clone()) {
            Some(r) => r,
            None => env
                .profile_region(&profile)
                .await
                .unwrap_or_else(|| endpoint::DEFAULT_REGION.to_owned()),
        };
        let url = options
            .endpoint_url
            .clone()
            .or_else(|| env.endpoint_url.clone())
            .unwrap_or_else(|| endpoint::aws_endpoint(&region));
        Ok(Self {
            kind: TargetKind::Aws,
            url,
            region,
            control: false,
        })
    }
}

/// `--dry-run`: what a run would create and start on `target`, and what it
/// would skip; nothing is sent to the target.
pub(super) fn plan(
    scenarios: &[crate::scenario::Scenario],
    target: &DryTarget,
    console: &mut Console<'_>,
) {
    use crate::appflow::{Operation, TriggerType};
    use crate::scenario::Action;
    let (mut flows, mut starts, mut runs, mut skipped) = (0, 0u64, 0u64, 0);
    let _ = writeln!(
        console.out,
        "dry run against {} ({}, {}): nothing is sent",
        target.url,
        target.kind.as_str(),
        target.region
    );
    for s in scenarios {
        let on_demand: Vec<String> = s
            .flows
            .iter()
            .filter(|(_, f)| f.trigger == TriggerType::OnDemand)
            .map(|(a, _)| format!("{{{{flow.{a}}}}}"))
            .collect();
        let mut s_starts = 0u64;
        let mut s_runs = 0u64;
        let mut s_skipped = 0;
        for st in &s.steps {
            if st.depends_on_control() && !target.control {
                s_skipped += 1;
                continue;
            }
            if let Action::Call {
                operation: Operation::StartFlow,
                body,
            } = &st.action
            {
                s_starts += u64::from(st.concurrent);
                let name = body
                    .get("flowName")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("");
                if on_demand.iter().any(|f| f == name) {
                    // Concurrent starts with one token make one run.
                    s_runs += if body.get("clientToken").is_some() {
                        1
                    } else {
                        u64::from(st.concurrent)
                    };
                }
            }
        }
        let triggers: Vec<String> = s
            .flows
            .iter()
            .map(|(a, f)| format!("{a}: {}", f.trigger))
            .collect();
        let _ = writeln!(
            console.out,
            "  {}: {} flow(s) [{}], {} step(s), {} StartFlow call(s), up to {} on-demand run(s){}",
            s.name,
            s.flows.len(),
            triggers.join(", "),
            s.steps.len(),
            s_starts,
            s_runs,
            if s_skipped > 0 {
                format!(", {s_skipped} step(s) skipped (no test-control API)")
            } else {
                String::new()
            }
        );
        flows += s.flows.len();
        starts += s_starts;
        runs += s_runs;
        skipped += s_skipped;
    }
    let _ = writeln!(
        console.out,
        "total: {}, {flows} flows created and deleted, {starts} StartFlow calls, up to {runs} flow runs (AppFlow charges per flow run: about ${:.3} at $0.001 a run, plus data processing), {skipped} steps skipped",
        super::plural(scenarios.len(), "scenario"),
        runs as f64 * 0.001
    );
}
