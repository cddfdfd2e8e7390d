//! Playing one generated sequence against a target: each step made
//! concrete, sent, read, and judged by the model; bursts sent at once; a
//! read that lacks a new run polled within a bound (L2); the sequence's
//! flows deleted after it, whatever happened.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub use super::control::{operation_of, slot_of};
use super::generate::{LARGE_BODY, Move, SLOTS, slot_trigger};
use super::names::{Concrete, Namer, model_call, requests};
use super::observe::{Read, Unjudged, read, read_with};
pub use super::pauses::Pauses;
pub use super::played::{AdmittedView, Ending, Played, Sequence};
use crate::appflow::TriggerType;
use crate::client::Endpoint;
use crate::fixtures::FixtureVars;
use crate::model::{Invocation, Judgement, Observed, ProfileSet, Worlds};

/// How a sequence is played.
#[derive(Debug, Clone)]
pub struct Player {
    /// The target.
    pub endpoint: Endpoint,
    /// What the fixture flows are made of.
    pub fixtures: Arc<FixtureVars>,
    /// The target has the test-control API (clock moves are played).
    pub control: bool,
    /// Event flows can be made (else their creates are skipped).
    pub event_source: bool,
    /// How long a read may lack a new run (L2).
    pub poll: Duration,
    /// The real time a [`Move::Pause`] lets pass, and how much of the time
    /// budget pauses may take in all.
    pub pauses: Arc<Pauses>,
    /// Rule ids of known deviations: a failing answer where one of them
    /// decided an admitted answer ends its sequence as not judged (counted
    /// and reported), not as a finding; so does an admitted answer one of
    /// them decided (what follows depends on it).
    pub tolerate: Vec<String>,
}

impl Player {
    /// Plays `steps` with fresh names and tokens; `seen` counts the steps
    /// played (proptest-state-machine drops unplayed ones when shrinking).
    pub async fn play(&self, steps: &[Move], seen: Option<&Arc<AtomicUsize>>) -> Sequence {
        let mut names = Concrete::fresh();
        let mut worlds = Worlds::new();
        let mut out = Sequence {
            names: names.sequence.clone(),
            steps: Vec::new(),
            ending: Ending::Passed,
            profiles: ProfileSet::ALL,
            calls: 0,
        };
        for (i, step) in steps.iter().enumerate() {
            if let Some(s) = seen {
                s.fetch_add(1, Ordering::SeqCst);
            }
            // The live flow's trigger where the model knows it, else the
            // slot's last create (UpdateFlow keeps a flow's trigger type).
            let slot = slot_of(step);
            let trigger = worlds
                .trigger_of(&names.name(slot, super::generate::Variant::Plain))
                .or_else(|| slot_trigger(&steps[..i], slot))
                .unwrap_or(TriggerType::OnDemand);
            let mut played = Played::new(i + 1, step.clone(), trigger);
            let result = self
                .play_step(
                    step,
                    trigger,
                    &mut names,
                    &mut worlds,
                    &mut played,
                    &mut out.calls,
                )
                .await;
            out.steps.push(played);
            match result {
                Ok(true) => {}
                Ok(false) => {
                    if let Some(last) = out.steps.last_mut() {
                        last.failed = true;
                    }
                    out.ending = Ending::Failed;
                    break;
                }
                Err(Unjudged(why)) => {
                    out.ending = Ending::Unjudged(format!("step {}: {why}", i + 1));
                    break;
                }
            }
        }
        out.profiles = worlds.profiles();
        super::control::restore(&self.endpoint, names.saved_config.take()).await;
        self.clean_up(steps, &names, &mut out.calls).await;
        out
    }

    /// Plays one step; `Ok(false)` when an answer is outside the admitted set.
    // Long on purpose: one match over the generated steps, each sent and observed the same way.
    async fn play_step(
        &self,
        step: &Move,
        trigger: TriggerType,
        names: &mut Concrete,
        worlds: &mut Worlds,
        played: &mut Played,
        calls: &mut usize,
    ) -> Result<bool, Unjudged> {
        if super::control::created_trigger(step) == Some(TriggerType::Event) && !self.event_source {
            played.skipped = Some("no event source on this target".into());
            return Ok(true);
        }
        let control = matches!(step, Move::Clock | Move::Quota { .. } | Move::Lost { .. });
        if control && !self.control {
            played.skipped = Some("no test-control API".into());
            return Ok(true);
        }
        if *step == Move::Pause {
            if !self.pauses.take() {
                played.skipped = Some("the pauses' share of the time budget is spent".into());
                return Ok(true);
            }
            tokio::time::sleep(self.pauses.each).await;
            // Whole seconds, rounded up: the saved file waits at least as long.
            let call = Invocation::Wait {
                secs: self.pauses.each.as_millis().div_ceil(1000) as u64,
            };
            worlds.judge(&call, &Observed::default());
            played.calls.push(call);
            return Ok(true);
        }
        if let Move::Settle { slot } = step
            && self.control
        {
            *calls += 1;
            let name = names.name(*slot, super::generate::Variant::Plain);
            super::control::finish_runs(&self.endpoint, &name).await;
        }
        if let Move::Clock | Move::Quota { .. } = step {
            *calls += 1;
            let call = if *step == Move::Clock {
                super::control::advance_clock(&self.endpoint).await?
            } else {
                let flows = worlds.worlds.first().map_or(0, |(s, _)| s.flows.len());
                let runs = names.runs.len() + played.index;
                let (call, file) = super::control::set_quotas(
                    &self.endpoint,
                    step,
                    &mut names.saved_config,
                    flows,
                    runs,
                )
                .await?;
                played.control = Some(file);
                call
            };
            worlds.judge(&call, &Observed::default());
            played.calls.push(call);
            return Ok(true);
        }
        if let Move::Lost { after, .. } = step {
            *calls += 1;
            played.control = Some(super::control::drop_next_start(&self.endpoint, *after).await?);
        }
        let reqs = requests(step, names, &self.fixtures, trigger);
        let model: Vec<Invocation> = reqs
            .iter()
            .map(|(op, body)| model_call(step, *op, body, trigger))
            .collect();
        played.admitted = views(worlds, &model[0]);
        played.calls = model.clone();
        let flow_trigger = Some(trigger);
        let verdict = if reqs.len() == 1 {
            let (op, body) = &reqs[0];
            let started = Instant::now();
            let pad = matches!(step, Move::Large { .. }).then_some(LARGE_BODY);
            let lossy = matches!(step, Move::Lost { .. });
            let settling = matches!(step, Move::Settle { .. });
            loop {
                let got = read_with(&self.endpoint, *op, body, flow_trigger, pad, lossy).await?;
                let Some(r) = got else {
                    *calls += 1;
                    played.observed.push(Observed::default());
                    played
                        .bodies
                        .push("(no answer: dropped, as the step asked)".into());
                    break worlds.lost(&model[0]);
                };
                if lossy {
                    // Answered after all: the fault must not meet a later call.
                    self.endpoint.delete("/_harness/faults").await;
                }
                *calls += r.calls;
                let v = worlds.judge(&model[0], &r.observed);
                let lagging = v == Judgement::Lagging && started.elapsed() < self.poll;
                // A settle reads on while a run is in progress (its
                // admitted reads moved the worlds on: each is a real one).
                // Its polling shares the time budget's allowance for
                // waits with the pauses.
                let unsettled = settling
                    && matches!(v, Judgement::Admitted { .. })
                    && in_progress(&r.observed)
                    && started.elapsed() < super::settle_bound(self.poll)
                    && self.pauses.take_for(SETTLE_POLL);
                if unsettled {
                    tokio::time::sleep(SETTLE_POLL).await;
                    continue;
                }
                if !lagging || r.observed.status != 200 {
                    record(played, r);
                    break v;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        } else {
            let sends = reqs
                .iter()
                .map(|(op, body)| read(&self.endpoint, *op, body, flow_trigger));
            let reads = futures_util::future::join_all(sends).await;
            let mut answers = Vec::new();
            for r in reads {
                let r = r?;
                *calls += r.calls;
                answers.push(r.observed.clone());
                record(played, r);
            }
            played.before = Some(worlds.clone());
            worlds.judge_burst(&model, &answers)
        };
        for o in &played.observed {
            if let Some(id) = &o.execution_id
                && o.status == 200
                && !names.runs.contains(id)
            {
                names.runs.push(id.clone());
                names.run_slots.push(slot_of(step));
            }
        }
        match verdict {
            Judgement::Admitted { rules } => {
                played.rules = rules;
                // A tolerated rule that decided a call (not a deletion):
                // what follows depends on it, so the sequence stops here.
                let decided = !matches!(step, Move::Delete { .. });
                if let Some(rule) = self
                    .tolerate
                    .iter()
                    .find(|t| decided && played.rules.contains(&t.as_str()))
                {
                    return Err(Unjudged(format!(
                        "step {} relies on {rule}, a tolerated deviation; not judged further",
                        played.index
                    )));
                }
                // A wire or shape rule `--tolerate`d does not fail the
                // step, so what lies past a known deviation is still judged.
                let clean = played
                    .violations
                    .iter()
                    .all(|v| self.tolerate.iter().any(|t| rule_of(v) == t));
                played.wire_only = !clean;
                Ok(clean)
            }
            Judgement::Lagging | Judgement::Refused => {
                if !worlds.quotas_known() && played.observed.iter().any(|o| o.status == 402) {
                    return Err(Unjudged(format!(
                        "step {}: 402, a quota of the account (Q1-Q3), whose limits are unknown without a quota step",
                        played.index
                    )));
                }
                let known = self.tolerate.iter().find(|t| {
                    played
                        .admitted
                        .iter()
                        .any(|a| a.rules.contains(&t.as_str()))
                });
                match known {
                    Some(rule) => Err(Unjudged(format!(
                        "a known deviation from {rule} (tolerated): {} answered {}",
                        played
                            .calls
                            .first()
                            .map(super::report::describe)
                            .unwrap_or_default(),
                        played
                            .observed
                            .first()
                            .map(|o| format!("{} {}", o.status, o.error.as_deref().unwrap_or("")))
                            .unwrap_or_default()
                    ))),
                    None => Ok(false),
                }
            }
        }
    }

    /// Deletes the sequence's flows (scheduled and event flows stopped first).
    async fn clean_up(&self, steps: &[Move], names: &Concrete, calls: &mut usize) {
        for slot in 0..SLOTS {
            let Some(trigger) = slot_trigger(steps, slot) else {
                continue;
            };
            let name = names.name(slot, super::generate::Variant::Plain);
            if trigger != TriggerType::OnDemand {
                crate::fixtures::stop_flow(&self.endpoint, &name).await;
                *calls += 1;
            }
            crate::fixtures::delete_flow(&self.endpoint, &name).await;
            *calls += 1;
        }
    }
}

/// What the contract admits for `call` in `worlds`, as reports show it.
fn views(worlds: &Worlds, call: &Invocation) -> Vec<AdmittedView> {
    worlds
        .admitted(call)
        .into_iter()
        .map(|a| AdmittedView {
            answer: a.expect.to_string(),
            rules: a.rules.clone(),
            profiles: a.profiles.to_string(),
            admitted: a,
        })
        .collect()
}

/// The rule id a violation line starts with (`W3: ...`).
fn rule_of(violation: &str) -> &str {
    violation.split(':').next().unwrap_or_default().trim()
}

/// How long a settle waits between two reads of records.
const SETTLE_POLL: Duration = Duration::from_millis(200);

/// Whether a records read lists a run still in progress (L2). A run
/// being canceled has ended as far as a settle goes: S3 lets it show
/// CancelStarted for as long as the target likes.
pub(super) fn in_progress(o: &Observed) -> bool {
    o.runs.as_ref().is_some_and(|runs| {
        runs.iter()
            .any(|r| matches!(r.status.as_deref(), Some("InProgress") | None))
    })
}

fn record(played: &mut Played, r: Read) {
    played.observed.push(r.observed);
    played.bodies.push(r.body);
    played.violations.extend(r.violations);
}
