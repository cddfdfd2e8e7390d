//! The worlds a target may be in after the answers so far: each a state
//! with the profiles that lead to it. Judging an answer keeps the worlds
//! that admit it (narrowing the profiles); a burst of calls at once is
//! judged against every order of its calls (linearisability).

use super::call::{Invocation, Observed};
use super::expect::{Admission, Fit};
use super::profile::ProfileSet;
use super::rules::{Branch, branches};
use super::state::{ModelState, Phase};
use crate::appflow::ExecutionStatus;

/// More worlds than this are merged no further: a sequence that branches
/// this much is cut short as undecidable.
pub const MAX_WORLDS: usize = 256;

/// The worlds still possible.
#[derive(Debug, Clone)]
pub struct Worlds {
    /// (state, profiles) pairs, merged by state.
    pub worlds: Vec<(ModelState, ProfileSet)>,
}

/// One admitted answer of a call, over all worlds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    /// The admitted answer.
    pub expect: Admission,
    /// The APPFLOW.md rule ids that decide it.
    pub rules: Vec<&'static str>,
    /// The profiles it belongs to.
    pub profiles: ProfileSet,
}

/// How an answer was judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judgement {
    /// Some world admits it; the worlds moved on.
    /// Some world admits it; the worlds moved on (`rules` decided it).
    Admitted {
        /// The rule ids of the branches that admitted it.
        rules: Vec<&'static str>,
    },
    /// A read lacks a run the model knows: read again, within a bound (L2).
    Lagging,
    /// No world admits it.
    Refused,
}

impl Default for Worlds {
    fn default() -> Self {
        Self::new()
    }
}

impl Worlds {
    /// The start of a sequence: nothing exists, every profile is possible.
    pub fn new() -> Self {
        Self {
            worlds: vec![(ModelState::default(), ProfileSet::ALL)],
        }
    }

    /// The profiles still consistent with every answer.
    pub fn profiles(&self) -> ProfileSet {
        self.worlds
            .iter()
            .fold(ProfileSet::NONE, |a, (_, p)| a.or(*p))
    }

    /// The worlds whose profiles are among `profiles` (each narrowed to them).
    pub fn within(&self, profiles: ProfileSet) -> Worlds {
        Worlds {
            worlds: self
                .worlds
                .iter()
                .map(|(s, p)| (s.clone(), p.and(profiles)))
                .filter(|(_, p)| !p.is_empty())
                .collect(),
        }
    }

    /// The trigger type of the live flow `name`, when every world agrees.
    pub fn trigger_of(&self, name: &str) -> Option<crate::appflow::TriggerType> {
        let mut triggers = self
            .worlds
            .iter()
            .map(|(s, _)| s.flows.get(name).map(|f| f.trigger));
        let first = triggers.next()??;
        triggers.all(|t| t == Some(first)).then_some(first)
    }

    /// Every answer the contract admits for `call` now, merged by answer.
    pub fn admitted(&self, call: &Invocation) -> Vec<Admitted> {
        let mut out: Vec<Admitted> = Vec::new();
        for (s, p) in &self.worlds {
            for b in branches(s, *p, call) {
                if b.profiles.is_empty() {
                    continue;
                }
                match out.iter_mut().find(|a| a.expect == b.expect) {
                    Some(a) => {
                        a.profiles = a.profiles.or(b.profiles);
                        for r in b.rules {
                            if !a.rules.contains(&r) {
                                a.rules.push(r);
                            }
                        }
                    }
                    None => out.push(Admitted {
                        expect: b.expect,
                        rules: b.rules,
                        profiles: b.profiles,
                    }),
                }
            }
        }
        out
    }

    /// Moves on after `call` got no answer (its answer lost, as the
    /// test-control API was asked to): it happened or it did not, in every
    /// way the contract admits; later answers narrow (a run it made has no
    /// executionId until a replay of its token or a read tells it).
    pub fn lost(&mut self, call: &Invocation) -> Judgement {
        let mut next = Vec::new();
        let mut rules = Vec::new();
        for (s, p) in &self.worlds {
            merge(&mut next, (s.clone(), *p));
            for b in branches(s, *p, call) {
                if b.profiles.is_empty() {
                    continue;
                }
                for r in &b.rules {
                    if !rules.contains(r) {
                        rules.push(*r);
                    }
                }
                merge(&mut next, (b.next, b.profiles));
            }
        }
        self.worlds = next;
        Judgement::Admitted { rules }
    }

    /// Whether every world knows the account's quotas (Q1-Q3): without a
    /// quota step, a 402 is the account's own limit and is not judged.
    pub fn quotas_known(&self) -> bool {
        self.worlds.iter().all(|(s, _)| s.quotas.known)
    }

    /// Judges the answer `o` to `call`; on `Admitted`, the worlds move on.
    pub fn judge(&mut self, call: &Invocation, o: &Observed) -> Judgement {
        let (next, rules, lagging) = step(&self.worlds, call, o);
        if next.is_empty() {
            return if lagging {
                Judgement::Lagging
            } else {
                Judgement::Refused
            };
        }
        self.worlds = next;
        Judgement::Admitted { rules }
    }

    /// Judges the answers to calls sent at once: admitted when some order
    /// of the calls explains every answer (T5, C1 under bursts).
    pub fn judge_burst(&mut self, calls: &[Invocation], answers: &[Observed]) -> Judgement {
        let mut all: Vec<(ModelState, ProfileSet)> = Vec::new();
        let mut rules = Vec::new();
        for order in permutations(calls.len()) {
            let mut worlds = self.worlds.clone();
            for &i in &order {
                let (next, r, _) = step(&worlds, &calls[i], &answers[i]);
                worlds = next;
                for x in r {
                    if !rules.contains(&x) {
                        rules.push(x);
                    }
                }
                if worlds.is_empty() {
                    break;
                }
            }
            for w in worlds {
                merge(&mut all, w);
            }
        }
        if all.is_empty() {
            return Judgement::Refused;
        }
        // Calls at once with one operation: T5 when they are StartFlows
        // (a race of different writes is decided by their own rules).
        if calls
            .iter()
            .all(|c| matches!(c, Invocation::StartFlow { .. }))
        {
            rules.push("T5");
        }
        self.worlds = all;
        Judgement::Admitted { rules }
    }
}

/// The worlds after `o`, the rules of the branches that admitted it, and
/// whether some branch found it lagging.
fn step(
    worlds: &[(ModelState, ProfileSet)],
    call: &Invocation,
    o: &Observed,
) -> (Vec<(ModelState, ProfileSet)>, Vec<&'static str>, bool) {
    let mut next = Vec::new();
    let mut rules = Vec::new();
    let mut lagging = false;
    for (s, p) in worlds {
        for b in branches(s, *p, call) {
            if b.profiles.is_empty() {
                continue;
            }
            match b.expect.fit(o, s) {
                Fit::Yes => {
                    for r in &b.rules {
                        if !rules.contains(r) {
                            rules.push(*r);
                        }
                    }
                    let profiles = b.profiles;
                    merge(&mut next, (after(b, call, o), profiles));
                }
                Fit::Lagging => lagging = true,
                Fit::No => {}
            }
        }
    }
    (next, rules, lagging)
}

/// A branch's state, with what the answer told: a new run's executionId,
/// the statuses a read showed.
fn after(b: Branch, call: &Invocation, o: &Observed) -> ModelState {
    let mut next = b.next;
    if let (Some((name, i)), Some(id)) = (&b.new_run, &o.execution_id) {
        if let Some(f) = next.flows.get_mut(name) {
            f.runs[*i].id = id.clone();
        }
        next.execution_ids.insert(id.clone());
    }
    if let (Invocation::Records { name, .. }, Some(runs), 200) = (call, &o.runs, o.status)
        && let Some(f) = next.flows.get_mut(name)
    {
        // One run whose answer was lost and one listed run nobody answered:
        // that is its id (with more of either, which is which stays open).
        let unknown: Vec<usize> = (0..f.runs.len())
            .filter(|i| f.runs[*i].id.is_empty())
            .collect();
        let extra: Vec<&String> = runs
            .iter()
            .map(|x| &x.id)
            .filter(|id| !f.runs.iter().any(|r| r.id == **id))
            .collect();
        let mut adopted = None;
        if let ([i], [id]) = (unknown.as_slice(), extra.as_slice()) {
            f.runs[*i].id = (*id).clone();
            adopted = Some((*id).clone());
        }
        for r in &mut f.runs {
            let seen = runs
                .iter()
                .find(|x| x.id == r.id)
                .and_then(|x| x.status.as_deref());
            if r.phase == Phase::Running && seen == Some(ExecutionStatus::Successful.as_str()) {
                r.phase = Phase::Finished;
            }
        }
        if let Some(id) = adopted {
            next.execution_ids.insert(id);
        }
    }
    next
}

fn merge(into: &mut Vec<(ModelState, ProfileSet)>, w: (ModelState, ProfileSet)) {
    if let Some((_, p)) = into.iter_mut().find(|(s, _)| *s == w.0) {
        *p = p.or(w.1);
    } else if into.len() < MAX_WORLDS {
        into.push(w);
    }
}

/// Every order of `0..n` (n is a burst's size, at most a handful).
pub fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for rest in permutations(n - 1) {
        for at in 0..=rest.len() {
            let mut p = rest.clone();
            p.insert(at, n - 1);
            out.push(p);
        }
    }
    out
}
