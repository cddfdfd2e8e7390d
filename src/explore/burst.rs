//! A burst with several tokens (or none) written as a scenario file's
//! concurrent step: `concurrent: N`, `each:` with a clientToken per copy,
//! and expectations that hold in every order of the calls the contract
//! allows (per answer the admitted outcomes as `one-of`, and the counts of
//! statuses and distinct executionIds every order agrees on).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::file_expect::StepLines;
use super::file_expect::of_expects;
use super::file_templates::{UNCAPTURED, known, run_id};
use super::generate::Move;
use super::play::Played;
use crate::appflow::Operation;
use crate::model::{
    Admission, Exec, Invocation, ModelState, OkBody, ProfileSet, Worlds, branches, permutations,
};
use crate::scenario::file::{ExpectFile, StepFile};

/// More answer vectors than this: the step's answers get no expectation
/// beyond the contract (the file still replays the calls at once).
const MAX_OUTCOMES: usize = 4096;

/// Every vector of answers (index for index with `calls`) that some order
/// of the calls admits from `worlds`; `None` when there are too many.
pub(super) fn outcomes(worlds: &Worlds, calls: &[Invocation]) -> Option<Vec<Vec<Admission>>> {
    outcomes_after(worlds, calls).map(|v| v.into_iter().map(|(a, _)| a).collect())
}

/// As [`outcomes`], each vector with the states its orders end in (what
/// the steps after the calls meet).
pub(super) fn outcomes_after(
    worlds: &Worlds,
    calls: &[Invocation],
) -> Option<Vec<(Vec<Admission>, Vec<ModelState>)>> {
    let mut vectors: Vec<(Vec<Admission>, Vec<ModelState>)> = Vec::new();
    for order in permutations(calls.len()) {
        // (state, profiles, answers so far by call index)
        let mut paths = vec![];
        for (s, p) in &worlds.worlds {
            paths.push((s.clone(), *p, vec![None; calls.len()]));
        }
        for &i in &order {
            let mut next = Vec::new();
            for (s, p, answers) in &paths {
                for b in branches(s, *p, &calls[i]) {
                    if b.profiles.is_empty() {
                        continue;
                    }
                    let mut a: Vec<Option<Admission>> = answers.clone();
                    a[i] = Some(b.expect);
                    next.push((b.next, b.profiles, a));
                }
            }
            if next.len() > MAX_OUTCOMES {
                return None;
            }
            paths = next;
        }
        for (state, _, answers) in paths {
            let v: Vec<Admission> = answers.into_iter().flatten().collect();
            match vectors.iter_mut().find(|(seen, _)| *seen == v) {
                Some((_, states)) if !states.contains(&state) => states.push(state),
                Some(_) => {}
                None => vectors.push((v, vec![state])),
            }
        }
    }
    Some(vectors)
}

/// The status an answer has, if one.
fn status_of(e: &Admission) -> Option<u16> {
    match e {
        Admission::Ok(_) => Some(200),
        Admission::Error(k) => Some(k.status()),
        Admission::TooLarge => Some(413),
        Admission::Any | Admission::AnyError => None,
    }
}

/// The `expect:` of the concurrent step: what every answer meets (one
/// alternative per admitted status), and the counts all orders agree on.
pub(super) fn expectation(vectors: &[Vec<Admission>], step: &Move, runs: &[String]) -> ExpectFile {
    let all: Vec<&Admission> = vectors.iter().flatten().collect();
    if all.is_empty() || all.iter().any(|e| status_of(e).is_none()) {
        return ExpectFile::default();
    }
    let mut out = alternatives(&all, step, runs);
    let mut by_status: BTreeMap<u16, Vec<&Admission>> = BTreeMap::new();
    for e in &all {
        if let Some(s) = status_of(e) {
            by_status.entry(s).or_default().push(e);
        }
    }
    let mut counts = BTreeMap::new();
    for s in by_status.keys() {
        let seen: BTreeSet<usize> = vectors
            .iter()
            .map(|v| v.iter().filter(|e| status_of(e) == Some(*s)).count())
            .collect();
        if let [n] = seen.into_iter().collect::<Vec<_>>()[..] {
            counts.insert(*s, n);
        }
    }
    if by_status.len() > 1 {
        out.status_count = counts;
    }
    if let Some(n) = distinct_ids(vectors) {
        out.distinct.insert("executionId".into(), n);
    }
    // The statuses call by call that some order allows: stronger than the
    // counts (two calls with one token answer alike, T5).
    let orders: BTreeSet<Vec<u16>> = vectors
        .iter()
        .map(|v| v.iter().filter_map(status_of).collect::<Vec<u16>>())
        .collect();
    if by_status.len() > 1 {
        out.statuses_in_order = orders.into_iter().collect();
    }
    out
}

/// What every one of `answers` meets: one alternative per status (any
/// error, where the model admits any, is one alternative), as `one-of`
/// when there are several; empty when an answer is undecided (`Any`).
fn alternatives(answers: &[&Admission], step: &Move, runs: &[String]) -> ExpectFile {
    if answers.is_empty() || answers.iter().any(|e| **e == Admission::Any) {
        return ExpectFile::default();
    }
    let mut by_status: BTreeMap<Option<u16>, Vec<&Admission>> = BTreeMap::new();
    for e in answers {
        let group = by_status.entry(status_of(e)).or_default();
        if !group.contains(e) {
            group.push(e);
        }
    }
    let mut out: Vec<ExpectFile> = by_status
        .values()
        .map(|group| of_expects(group, step, runs))
        .collect();
    match out.len() {
        1 => out.pop().unwrap_or_default(),
        _ => ExpectFile {
            one_of: out,
            ..ExpectFile::default()
        },
    }
}

/// The `expect:` of call `k` of calls sent at once (a race of different
/// writes, each its own step): every answer some order of the calls
/// admits it, from `vectors` ([`outcomes`]), one alternative per status.
pub(super) fn per_call(
    vectors: &[Vec<Admission>],
    k: usize,
    step: &Move,
    runs: &[String],
) -> ExpectFile {
    let answers: Vec<&Admission> = vectors.iter().filter_map(|v| v.get(k)).collect();
    alternatives(&answers, step, runs)
}

/// Whether `e` admits an answer of `status` (any error admits every 4xx).
pub(super) fn admits_status(e: &Admission, status: u16) -> bool {
    match (e, status_of(e)) {
        (Admission::Any, _) => true,
        (Admission::AnyError, _) => (400..500).contains(&status),
        (_, s) => s == Some(status),
    }
}

/// How many distinct executionId values (absent counted as one) every
/// order's answers carry, when the model decides it: each new run one,
/// no replay of an earlier run.
fn distinct_ids(vectors: &[Vec<Admission>]) -> Option<usize> {
    let mut seen = BTreeSet::new();
    for v in vectors {
        let mut new = 0;
        let mut absent = false;
        for e in v {
            match e {
                Admission::Ok(OkBody::Start {
                    exec: Exec::New, ..
                }) => new += 1,
                Admission::Ok(OkBody::Start {
                    exec: Exec::Same(_),
                    ..
                })
                | Admission::Any
                | Admission::AnyError => return None,
                _ => absent = true,
            }
        }
        seen.insert(new + usize::from(absent));
    }
    (seen.len() == 1).then(|| seen.into_iter().next().unwrap_or(0))
}

/// A burst with several tokens or none as a concurrent step: the request
/// with a clientToken per copy moved to `each:`, `concurrent: N`, and the
/// expectations every order allows (from `p.before`, the worlds before it).
/// Each copy's answer is captured when every order makes it a new run
/// (copy k sends its own token, so its run is its own in any order), or
/// every order that answers the statuses the copies answered does. Where
/// orders answer different statuses, `order` is set to the statuses the
/// copies answered: the steps after it are played only when the copies
/// answer them again (`when: statuses-in-order`), since what follows
/// depends on which copy won. The others are kept uncaptured.
pub(super) fn step_file(
    p: &Played,
    reqs: &[(Operation, Value)],
    lines: &StepLines,
    runs: &mut Vec<String>,
    settled: ProfileSet,
    order: &mut Option<Vec<u16>>,
) -> Option<StepFile> {
    let (_, first) = reqs.first()?;
    let mut body = first.clone();
    if let Some(m) = body.as_object_mut() {
        m.remove("clientToken");
    }
    let mut out = StepFile {
        start_flow: Some(body),
        concurrent: u32::try_from(reqs.len()).ok(),
        ..StepFile::default()
    };
    let tokens: Vec<Value> = reqs
        .iter()
        .map(|(_, b)| b.get("clientToken").cloned().unwrap_or(Value::Null))
        .collect();
    if tokens.iter().any(|t| !t.is_null()) {
        out.each.insert("clientToken".into(), tokens);
    }
    lines.apply(&mut out);
    // The orders the profiles the target settled on allow: the file's
    // expectations follow them (as its header says), so a copy that is a
    // new run only under one candidate (C2 accept) is captured where the
    // target showed that candidate.
    let vectors = p
        .before
        .as_ref()
        .map(|w| w.within(settled))
        .and_then(|w| outcomes(&w, &p.calls));
    let e = vectors
        .as_ref()
        .map(|v| expectation(v, &p.step, runs))
        .unwrap_or_default();
    if e != ExpectFile::default() {
        out.expect = Some(e);
    }
    // Copy k's run is named (`[k].executionId`) when every order makes it
    // a new run: a later replay of its token must answer that run (T1);
    // or every order with the statuses the copies answered does.
    let new_in = |vs: &[&Vec<Admission>], k: usize| {
        !vs.is_empty()
            && vs.iter().all(|answers| {
                matches!(
                    answers.get(k),
                    Some(Admission::Ok(OkBody::Start {
                        exec: Exec::New,
                        ..
                    }))
                )
            })
    };
    let all: Vec<&Vec<Admission>> = vectors.iter().flatten().collect();
    let answered: Vec<u16> = p.observed.iter().map(|o| o.status).collect();
    // Where orders answer different statuses, what follows depends on
    // the order the target took: the steps after hold for that one.
    if out
        .expect
        .as_ref()
        .is_some_and(|e| e.statuses_in_order.len() > 1)
    {
        *order = Some(answered.clone());
    }
    let alike: Vec<&Vec<Admission>> = all
        .iter()
        .copied()
        .filter(|v| {
            v.iter()
                .map(|e| status_of(e).unwrap_or(0))
                .collect::<Vec<u16>>()
                == answered
        })
        .collect();
    for (k, id) in p.observed.iter().map(run_id).enumerate() {
        let Some(id) = id.filter(|id| !known(runs, id)) else {
            continue;
        };
        if new_in(&all, k) || new_in(&alike, k) {
            runs.push(id);
            let path = if k == 0 {
                "executionId".to_owned()
            } else {
                format!("[{}].executionId", k + 1)
            };
            out.capture.insert(format!("r{}", runs.len() - 1), path);
        } else {
            runs.push(format!("{UNCAPTURED}{id}"));
        }
    }
    Some(out)
}

#[cfg(test)]
#[path = "burst_tests.rs"]
mod tests;
