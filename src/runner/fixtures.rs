//! A scenario's fixtures: real names for its flows and tokens, the flows
//! created before the steps, and the clean-up after them.

use serde_json::Value;

use super::FailureKind;
use super::scenario_run::Run;
use crate::scenario::Action;
use crate::scenario::plan::random_seed;
use crate::scenario::template::names;

impl Run<'_> {
    /// Real names for the scenario's flows and tokens: unique per run, so a
    /// scenario can be re-run at once against a service whose tokens live 8 hours.
    pub(super) fn bind(&mut self, index: usize, run_id: &str) {
        for (alias, flow) in &self.scenario.flows {
            let real = match &flow.name {
                None => crate::names::scenario_flow(run_id, index, alias),
                Some(shape) => shape.make(&random_seed()),
            };
            self.bindings
                .values
                .insert(format!("flow.{alias}"), Value::String(real.clone()));
            self.normaliser.name(&real, format!("<flow:{alias}>"));
            self.triggers.insert(real, flow.trigger);
        }
        let mut tokens = Vec::new();
        for step in &self.scenario.steps {
            match &step.action {
                Action::Call { body, .. } => collect_names(body, &mut tokens),
                Action::Raw { body, .. } => {
                    collect_names(&Value::String(body.clone()), &mut tokens)
                }
                _ => {}
            }
            if let Some(b) = &step.expect.body {
                collect_names(b, &mut tokens);
            }
        }
        for name in tokens {
            if let Some(t) = name.strip_prefix("token.")
                && !self.bindings.values.contains_key(&name)
            {
                let real = match self.scenario.tokens.get(t) {
                    None => crate::names::scenario_token(),
                    Some(shape) => shape.make(&random_seed()),
                };
                self.normaliser.name(&real, format!("<token:{t}>"));
                self.bindings.values.insert(name, Value::String(real));
            }
        }
        self.bindings
            .values
            .insert("region".into(), Value::String(self.target.region.clone()));
    }

    /// Creates the scenario's flows; false (with the failure recorded) when
    /// one could not be created.
    pub(super) async fn setup(&mut self) -> bool {
        for (alias, flow) in &self.scenario.flows {
            let real = self
                .bindings
                .values
                .get(&format!("flow.{alias}"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if !flow.exists {
                // A step creates it; the clean-up deletes it all the same.
                self.created.push(real);
                continue;
            }
            let mut body = self.target.fixtures.body(&real, flow.trigger);
            if let (Some(Value::Object(over)), Value::Object(b)) = (&flow.create, &mut body) {
                for (k, v) in over {
                    b.insert(k.clone(), self.bindings.render(v));
                }
            }
            match crate::fixtures::create_flow(&self.target.endpoint, &body).await {
                Ok(latency) => {
                    self.latencies.push(latency);
                    self.created.push(real);
                }
                Err(e) => {
                    self.fail(
                        None,
                        FailureKind::Setup,
                        format!("CreateFlow for flow `{alias}` {e}"),
                    );
                    return false;
                }
            }
        }
        true
    }

    /// Deletes the flows whatever happened, and undoes target-wide changes.
    pub(super) async fn cleanup(&mut self) {
        self.undo_control().await;
        for name in std::mem::take(&mut self.created) {
            // A scheduled or event flow is stopped first: on AWS an active
            // one keeps running (and costing) until it is.
            if self
                .triggers
                .get(&name)
                .is_some_and(|t| *t != crate::appflow::TriggerType::OnDemand)
            {
                crate::fixtures::stop_flow(&self.target.endpoint, &name).await;
            }
            crate::fixtures::delete_flow(&self.target.endpoint, &name).await;
        }
        self.restore_config().await;
    }
}

fn collect_names(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            if let Ok(ns) = names(s) {
                out.extend(ns.into_iter().map(str::to_owned));
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_names(x, out)),
        Value::Object(m) => m.values().for_each(|x| collect_names(x, out)),
        _ => {}
    }
}
