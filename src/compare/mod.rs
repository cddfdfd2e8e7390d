//! Comparing two targets (`appflow-harness compare`): the same scenarios
//! played on both in one run (fresh names and tokens on each), their
//! normalised transcripts diffed step by step and path by path, and every
//! difference classified ([`classify`]).

pub mod classify;

use serde::Serialize;

pub use classify::{Class, Entry, ScenarioParity, Side};

/// One side of a comparison, as the report names it.
#[derive(Debug, Clone, Serialize)]
pub struct SideInfo {
    /// What the user said (`embedded:active-start=idempotent`, a URL, `aws`).
    pub spec: String,
    pub kind: crate::endpoint::TargetKind,
    pub endpoint: String,
    pub region: String,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl SideInfo {
    pub fn of(spec: &str, s: &crate::runner::Summary) -> Self {
        Self {
            spec: spec.to_owned(),
            kind: s.target_kind,
            endpoint: s.target.clone(),
            region: s.region.clone(),
            passed: s.totals.passed,
            failed: s.totals.failed,
            skipped: s.totals.skipped,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub scenarios: usize,
    /// Failures of an expectation or the contract, on either side.
    pub violations: usize,
    pub gaps: usize,
    pub known: usize,
    pub not_compared: usize,
    pub compared_fields: usize,
    pub equal_fields: usize,
    /// The share of compared answer fields that are equal (0 to 1).
    pub parity_score: f64,
}

/// The whole comparison: data that the renderers only render.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub schema: &'static str,
    pub baseline: SideInfo,
    pub target: SideInfo,
    pub scenarios: Vec<ScenarioParity>,
    pub totals: Totals,
}

/// (operation, transcript path) and the (scenario, step) places of its gaps.
pub type GapGroup = ((String, String), Vec<(String, usize)>);

pub const SCHEMA: &str = "appflow-harness/compare-report/v1";

impl Comparison {
    pub fn new(baseline: SideInfo, target: SideInfo, scenarios: Vec<ScenarioParity>) -> Self {
        let mut t = Totals {
            scenarios: scenarios.len(),
            ..Totals::default()
        };
        for s in &scenarios {
            t.violations += s.count(Class::Violation);
            t.gaps += s.count(Class::Gap);
            t.known += s.count(Class::Known);
            t.not_compared += s.count(Class::NotCompared);
            t.compared_fields += s.compared_fields;
            t.equal_fields += s.equal_fields;
        }
        t.parity_score = if t.compared_fields == 0 {
            0.0
        } else {
            t.equal_fields as f64 / t.compared_fields as f64
        };
        Self {
            schema: SCHEMA,
            baseline,
            target,
            scenarios,
            totals: t,
        }
    }

    /// The gaps grouped by operation and transcript path (steps folded):
    /// (operation, path) -> the (scenario, step) where each occurs.
    pub fn gaps_by_path(&self) -> Vec<GapGroup> {
        let mut out: Vec<GapGroup> = Vec::new();
        for s in &self.scenarios {
            for e in s.entries.iter().filter(|e| e.class == Class::Gap) {
                let key = (
                    e.operation.clone().unwrap_or_default(),
                    e.path.clone().unwrap_or_default(),
                );
                let at = (s.name.clone(), e.step.unwrap_or_default());
                match out.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, list)) => list.push(at),
                    None => out.push((key, vec![at])),
                }
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}
