//! A scenario's fixtures: real names for its flows and tokens (a value,
//! [`Fixtures`]), the flows created before the steps, and the clean-up
//! after them.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

use super::{Failure, FailureKind};
use crate::appflow::TriggerType;
use crate::endpoint::Target;
use crate::normalise::Normaliser;
use crate::scenario::plan::random_seed;
use crate::scenario::template::{Bindings, RUNS, names, split};
use crate::scenario::{Action, Scenario, Step};

/// The names one attempt at a scenario plays with.
pub(super) struct Fixtures {
    pub bindings: Bindings,
    pub normaliser: Normaliser,
    /// real flow name -> trigger
    pub triggers: HashMap<String, TriggerType>,
    /// Flows created (or to be created by a step) and not yet deleted.
    pub created: Vec<String>,
}

impl Fixtures {
    /// Real names for the scenario's flows and tokens: unique per run and
    /// per attempt (a replay starts with fresh flows and tokens), so a
    /// scenario can be re-run at once against a service whose tokens live 8 hours.
    pub fn bind(s: &Scenario, region: &str, index: usize, attempt: u32, run_id: &str) -> Self {
        let mut f = Self {
            bindings: Bindings::default(),
            normaliser: Normaliser::new(),
            triggers: HashMap::new(),
            created: Vec::new(),
        };
        let again = if attempt == 0 {
            String::new()
        } else {
            format!("r{attempt}")
        };
        for (alias, flow) in &s.flows {
            let real = match &flow.name {
                None => crate::names::scenario_flow(run_id, index, &again, alias),
                Some(shape) => shape.make(&random_seed()),
            };
            f.bindings
                .values
                .insert(format!("flow.{alias}"), Value::String(real.clone()));
            f.normaliser.name(&real, format!("<flow:{alias}>"));
            f.triggers.insert(real, flow.trigger);
        }
        let tokens = s.steps.iter().flat_map(step_names);
        for name in tokens {
            if let Some(t) = name.strip_prefix("token.")
                && !f.bindings.values.contains_key(&name)
            {
                let real = match s.tokens.get(t) {
                    None => crate::names::scenario_token(),
                    Some(shape) => shape.make(&random_seed()),
                };
                f.normaliser.name(&real, format!("<token:{t}>"));
                f.bindings.values.insert(name, Value::String(real));
            }
        }
        f.bindings
            .values
            .insert("region".into(), Value::String(region.to_owned()));
        f.bindings
            .values
            .insert(RUNS.into(), Value::Array(Vec::new()));
        f
    }

    /// Adds `ids` (runs a step was answered, or captured) to `{{runs}}`.
    pub fn seen_runs(&mut self, ids: impl IntoIterator<Item = String>) {
        let Some(Value::Array(runs)) = self.bindings.values.get_mut(RUNS) else {
            return;
        };
        for id in ids {
            let id = Value::String(id);
            if !runs.contains(&id) {
                runs.push(id);
            }
        }
    }

    /// The real name of flow `alias`.
    fn flow(&self, alias: &str) -> String {
        self.bindings
            .values
            .get(&format!("flow.{alias}"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    /// Creates the scenario's flows; their latencies, or the failure of the
    /// first that could not be created. The first flowArn a created flow
    /// names becomes the run's account (`account`, O1) if none is yet, so
    /// that the steps' ARNs are judged against the account of the flows the
    /// run made, not against whichever answer of a parallel scenario came
    /// first (a DescribeFlow naming another account would have been it).
    pub async fn setup(
        &mut self,
        s: &Scenario,
        target: &Target,
        account: &std::sync::Mutex<Option<String>>,
    ) -> Result<Vec<Duration>, Failure> {
        let mut latencies = Vec::new();
        for (alias, flow) in &s.flows {
            let real = self.flow(alias);
            if !flow.exists {
                // A step creates it; the clean-up deletes it all the same.
                self.created.push(real);
                continue;
            }
            let mut body = target.fixtures.body(&real, flow.trigger);
            if let (Some(Value::Object(over)), Value::Object(b)) = (&flow.create, &mut body) {
                for (k, v) in over {
                    b.insert(k.clone(), self.bindings.render(v));
                }
            }
            // Recorded before it is sent: a CreateFlow whose answer is
            // lost may have made the flow, and clean-up must delete it.
            self.created.push(real);
            match crate::fixtures::create_flow(&target.endpoint, &body).await {
                Ok(created) => {
                    latencies.push(created.latency);
                    // Only the account is taken here: what the ARN breaks
                    // is the steps' to report, not set-up's.
                    if let Some(arn) = created.flow_arn {
                        crate::contract::adopt_account(&arn, account);
                    }
                }
                Err(e) => {
                    // A 4xx (not a throttle) is the target refusing the
                    // fixture as configured: the scenario never starts.
                    let refused = e.starts_with("answered 4") && !e.starts_with("answered 429");
                    let kind = if refused {
                        FailureKind::SetupRefused
                    } else {
                        FailureKind::Setup
                    };
                    return Err(Failure::new(
                        None,
                        kind,
                        format!("CreateFlow for flow `{alias}` {e}"),
                    ));
                }
            }
        }
        Ok(latencies)
    }

    /// Deletes the flows whatever happened (a scheduled or event flow is
    /// stopped first: on AWS an active one keeps running, and costing).
    pub async fn cleanup(&mut self, target: &Target) {
        for name in std::mem::take(&mut self.created) {
            if self
                .triggers
                .get(&name)
                .is_some_and(|t| *t != TriggerType::OnDemand)
            {
                crate::fixtures::stop_flow(&target.endpoint, &name).await;
            }
            crate::fixtures::delete_flow(&target.endpoint, &name).await;
        }
    }
}

/// The template names a step's request, `each:` values and expected body
/// use (a filtered name, `token.a|upper`, as its base `token.a`).
pub(super) fn step_names(step: &Step) -> Vec<String> {
    let mut out = Vec::new();
    match &step.action {
        Action::Call { body, .. } => collect_names(body, &mut out),
        Action::Raw { body, .. } => collect_names(&Value::String(body.clone()), &mut out),
        _ => {}
    }
    if let Some(b) = &step.expect.body {
        collect_names(b, &mut out);
    }
    for v in step.each.values().flatten() {
        collect_names(v, &mut out);
    }
    out
}

fn collect_names(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            if let Ok(ns) = names(s) {
                // A filtered name (`token.a|upper`) reads its base's value.
                out.extend(
                    ns.into_iter()
                        .filter_map(|n| split(n).ok())
                        .map(|(base, _)| base.to_owned()),
                );
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_names(x, out)),
        Value::Object(m) => m.values().for_each(|x| collect_names(x, out)),
        _ => {}
    }
}
