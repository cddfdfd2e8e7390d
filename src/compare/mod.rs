//! Comparing two targets (`appflow-harness compare`): the same scenarios
//! played on both in one run (fresh names and tokens on each), their
//! normalised transcripts diffed step by step and path by path, and every
//! difference classified ([`classify`]).

pub mod classify;
pub mod field;
pub mod group;
pub mod reference;
pub mod room;

use serde::Serialize;

pub use classify::{Class, Entry, ScenarioParity, Side};
pub use group::Behaviour;

/// One side of a comparison, as the report names it.
#[derive(Debug, Clone, Serialize)]
pub struct SideInfo {
    /// What the user said (`embedded:active-start=idempotent`, a URL, `aws`).
    pub spec: String,
    /// What kind of endpoint the side was: embedded, url or aws.
    pub kind: crate::endpoint::TargetKind,
    /// The base URL its calls went to.
    pub endpoint: String,
    /// The region its ARNs and signatures used.
    pub region: String,
    /// Scenarios that passed on this side.
    pub passed: usize,
    /// Scenarios that failed on this side.
    pub failed: usize,
    /// Scenarios skipped on this side (an ability it lacks).
    pub skipped: usize,
}

impl SideInfo {
    /// The side the user named `spec`, from its run's summary.
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

impl Comparison {
    /// What a reader sees first: the target's verdict when it failed any
    /// scenario (a field parity says nothing about an endpoint that fails,
    /// since failing steps still answer fields), else the field parity;
    /// `–` where no field was compared.
    pub fn headline(&self) -> String {
        let t = &self.totals;
        let parity = if t.compared_fields == 0 {
            "–".to_owned()
        } else {
            format!("{:.1}%", t.parity_score * 100.0)
        };
        let played = self.target.passed + self.target.failed;
        if self.target.failed > 0 || self.target.passed == 0 {
            format!(
                "the target failed {} of {played} scenarios ({} passed): parity {parity} of compared answer fields is not the verdict",
                self.target.failed, self.target.passed
            )
        } else {
            format!("parity {parity} of compared answer fields")
        }
    }
}

/// The counts over every scenario of a comparison.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ComparisonTotals {
    /// Scenarios played on both sides.
    pub scenarios: usize,
    /// Failures of an expectation or the contract, on either side.
    pub violations: usize,
    /// Behaviours (see [`Behaviour`]) in which the endpoints differ where
    /// neither breaks a rule: each counts once however many fields and steps
    /// it changes.
    pub gaps: usize,
    /// The answer fields (one per step and path) those behaviours change.
    pub gap_fields: usize,
    /// Answer fields that differ only as the contract allows (W2, W5, S2,
    /// S3, L2): counted as equal in the parity.
    pub allowed: usize,
    /// Differences at a scenario's `known-differences` paths for the target's
    /// kind.
    pub known: usize,
    /// Steps skipped on one side (no test-control API), so not compared.
    pub not_compared: usize,
    /// Answer fields compared over all steps compared (per step, the larger
    /// side's leaf count).
    pub compared_fields: usize,
    /// Of those, the fields equal on both sides.
    pub equal_fields: usize,
    /// The share of compared answer fields that are equal (0 to 1).
    pub parity_score: f64,
}

/// The whole comparison: data that the renderers only render.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// [`SCHEMA`]: the version of this JSON shape (docs/compare.schema.json).
    pub schema: &'static str,
    /// The side compared against (`--baseline`).
    pub baseline: SideInfo,
    /// The side under test (`--target`).
    pub target: SideInfo,
    /// Each scenario played on both sides, in scenario order.
    pub scenarios: Vec<ScenarioParity>,
    /// The gaps as behaviours, in the order they first show.
    pub gap_behaviours: Vec<Behaviour>,
    /// The counts and the parity score over all scenarios.
    pub totals: ComparisonTotals,
}

/// The `schema` of a compare report.
pub const SCHEMA: &str = "appflow-harness/compare-report/v2";

impl Comparison {
    /// The comparison of `scenarios` with its totals summed; the parity score
    /// is equal over compared fields (0 when nothing was compared).
    pub fn new(baseline: SideInfo, target: SideInfo, scenarios: Vec<ScenarioParity>) -> Self {
        let mut t = ComparisonTotals {
            scenarios: scenarios.len(),
            ..ComparisonTotals::default()
        };
        for s in &scenarios {
            t.violations += s.count(Class::Violation);
            t.gap_fields += s.count(Class::Gap);
            t.allowed += s.count(Class::Allowed);
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
        let gap_behaviours = group::behaviours(&scenarios);
        t.gaps = gap_behaviours.len();
        Self {
            schema: SCHEMA,
            baseline,
            target,
            scenarios,
            gap_behaviours,
            totals: t,
        }
    }
}
