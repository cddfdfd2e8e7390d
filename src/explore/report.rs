//! What an exploration found, as data (the [`Exploration`]); its
//! renderings (terminal, JSON, JUnit) live with every other report in
//! `report` (the one home of every rendering).

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::play::Sequence;
use super::{Budget, Stopped, Tally};
use crate::model::{Dimension, Invocation};

/// One [chosen] rule in the target's fingerprint.
#[derive(Debug, Clone, Serialize)]
pub struct Fingerprint {
    /// The APPFLOW.md rule id.
    pub rule: &'static str,
    /// The dimension of the profiles.
    pub dimension: Dimension,
    /// The candidates every judged sequence stayed consistent with (all of
    /// them when the rule was never exercised; none when sequences disagreed).
    pub candidates: Vec<&'static str>,
    /// Whether some sequence settled the rule.
    pub exercised: bool,
    /// The `serve` flag that behaves like the target, when settled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serve_flag: Option<String>,
}

/// A sequence with an answer outside the admitted set, shrunk.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The shrunk sequence, as last played.
    pub sequence: Sequence,
    /// Seconds from the start until the first failing sequence.
    pub found_after_secs: f64,
    /// Steps of the first failing sequence, before shrinking.
    pub original_steps: usize,
    /// Sequences played while shrinking.
    pub shrink_runs: usize,
    /// Where the scenario file was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// The saved file played again by `check` against the target where it
    /// was found, as a user's replay would (absent without `--save`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replays: Option<Replays>,
}

/// How the saved file's replays ended (see [`Finding::replays`]), counted
/// by `check`'s verdict on each; they sum to the number played.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Replays {
    /// Failed at the failing step: the file reproduces the finding.
    pub reproduced: u32,
    /// Failed, but at another step (or in set-up).
    pub failed_elsewhere: u32,
    /// Passed: the finding did not show (an order of calls at once the
    /// replay did not meet, or timing).
    pub passed: u32,
    /// Neither passed nor failed (inconclusive or skipped).
    pub undecided: u32,
}

impl Replays {
    /// Replays played.
    pub fn played(&self) -> u32 {
        self.reproduced + self.failed_elsewhere + self.passed + self.undecided
    }
}

/// The `schema` member of explore's JSON report (docs/explore.schema.json),
/// as check's and compare's reports carry theirs.
pub const JSON_SCHEMA: &str = "appflow-harness/explore-report/v1";

/// An exploration's result.
#[derive(Debug, Clone, Serialize)]
pub struct Exploration {
    /// The generator's seed.
    pub seed: u64,
    /// Sequences asked for at most (`null`: no bound, the time decides).
    pub cases: Option<u32>,
    /// The time budget, in seconds (generation; shrinking may add to it).
    pub time_budget_secs: f64,
    /// Why generation stopped.
    pub stopped: Stopped,
    /// Steps per sequence at most.
    pub max_steps: usize,
    /// Wall-clock seconds, shrinking included.
    pub elapsed_secs: f64,
    /// Sequences played (shrinking attempts not included).
    pub sequences: usize,
    /// Sequences judged and passed.
    pub passed: usize,
    /// Sequences judged and failed (0 or 1: the first failure is shrunk).
    /// `passed + failed + unjudged.len() == sequences`.
    pub failed: usize,
    /// Sequences that could not be judged, with why (never passed).
    pub unjudged: Vec<String>,
    /// Sequences generated after the time budget ran out, not played (0 or 1).
    pub not_run: usize,
    /// AppFlow and test-control calls sent, shrinking included.
    pub calls: usize,
    /// The shrunk failing sequence, if any.
    pub finding: Option<Finding>,
    /// Per [chosen] rule, the candidates the target stayed consistent with.
    pub fingerprint: Vec<Fingerprint>,
    /// proptest's own error, when it stopped for another reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Exploration {
    /// Sequences judged (passed or failed).
    pub fn judged(&self) -> usize {
        self.passed + self.failed
    }

    /// Passed: something was judged, nothing failed, no rule switched
    /// candidates between sequences.
    pub fn passed(&self) -> bool {
        self.finding.is_none()
            && self.error.is_none()
            && self.passed > 0
            && self.fingerprint.iter().all(|f| !f.candidates.is_empty())
    }
}

pub(super) fn summarise(
    budget: Budget,
    elapsed: Duration,
    failed: Option<String>,
    t: Tally,
) -> Exploration {
    let fingerprint = Dimension::ALL
        .into_iter()
        .map(|d| {
            let mut candidates = d.candidates().to_vec();
            let mut exercised = false;
            for p in &t.fingerprints {
                let c = p.candidates(d);
                exercised |= c.len() == 1;
                candidates.retain(|x| c.contains(x));
            }
            let serve_flag = match (d.flag(), candidates.as_slice()) {
                (Some(flag), [one]) if exercised => Some(format!("{flag} {one}")),
                _ => None,
            };
            Fingerprint {
                rule: d.rule(),
                dimension: d,
                candidates,
                exercised,
                serve_flag,
            }
        })
        .collect();
    let finding = t.last_failure.map(|sequence| Finding {
        sequence,
        found_after_secs: t.first_failure_at.unwrap_or_default().as_secs_f64(),
        original_steps: t.first_failure_steps,
        shrink_runs: t.shrink_runs,
        file: None,
        replays: None,
    });
    let error = failed.filter(|_| finding.is_none());
    let stopped = match (&finding, &error) {
        (Some(_), _) => Stopped::Finding,
        (None, Some(_)) => Stopped::Error,
        (None, None) if t.timed_out => Stopped::Time,
        (None, None) => Stopped::Cases,
    };
    Exploration {
        seed: budget.seed,
        cases: budget.case_limit(),
        time_budget_secs: budget.time.as_secs_f64(),
        stopped,
        max_steps: budget.steps,
        elapsed_secs: elapsed.as_secs_f64(),
        sequences: t.sequences,
        passed: t.passed,
        failed: t.failed,
        unjudged: t.unjudged,
        not_run: t.not_run,
        calls: t.calls,
        finding,
        fingerprint,
        error,
    }
}

/// A call in a few words: `StartFlow ah-x1-s0 token ah-3f..`.
pub fn describe(call: &Invocation) -> String {
    let short = |t: &Option<String>| match t {
        None => "no token".to_owned(),
        Some(t) if t.len() > 24 => format!("token {:?}..({} chars)", &t[..16], t.len()),
        Some(t) => format!("token {t:?}"),
    };
    let name = |n: &str| {
        if n.len() > 40 {
            format!("{:?}..({} chars)", &n[..24], n.len())
        } else {
            format!("{n:?}")
        }
    };
    match call {
        Invocation::CreateFlow {
            name: n,
            trigger,
            token,
            variant,
        } => {
            format!(
                "CreateFlow {} {trigger} input#{variant} {}",
                name(n),
                short(token)
            )
        }
        Invocation::UpdateFlow {
            name: n,
            token,
            variant,
            ..
        } => {
            format!("UpdateFlow {} input#{variant} {}", name(n), short(token))
        }
        Invocation::StartFlow { name: n, token } => {
            format!("StartFlow {} {}", name(n), short(token))
        }
        Invocation::StopFlow { name: n } => format!("StopFlow {}", name(n)),
        Invocation::DeleteFlow { name: n, force } => {
            format!("DeleteFlow {} force={force}", name(n))
        }
        Invocation::DescribeFlow { name: n } => format!("DescribeFlow {}", name(n)),
        Invocation::ListFlows { page } => format!("ListFlows (pages of {page})"),
        Invocation::Records { name: n, page } => {
            format!("DescribeFlowExecutionRecords {} (pages of {page})", name(n))
        }
        Invocation::Cancel {
            name: n,
            execution_id,
        } => {
            format!("CancelFlowExecutions {} [{execution_id}]", name(n))
        }
        Invocation::AdvanceClock { secs } => format!("advance the clock {}h", secs / 3600),
        Invocation::Wait { secs } => format!("wait {secs}s"),
        Invocation::LargeStart {
            name: n,
            token,
            bytes,
        } => format!(
            "StartFlow {} {} padded to {bytes} bytes",
            name(n),
            short(token)
        ),
        Invocation::SetQuotas {
            flows,
            runs,
            concurrent,
        } => format!(
            "set the quotas: room for {flows} more flows, {runs} runs this month, {concurrent} more concurrent runs"
        ),
    }
}
