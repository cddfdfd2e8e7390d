//! Comparing a scenario's transcript with its reference recording. Against
//! a recording of the same kind of target the comparison is strict (a
//! difference fails, and the new transcript is written as `.snap.new` for
//! review); against one of another kind it is a parity comparison (the
//! differences are reported, the contract and expectations decide). With
//! `--record` the transcript becomes the recording.

use serde_json::Value;

use super::{Failure, FailureKind, Options, SnapshotMode, Snapshots};
use crate::appflow::TargetKind;
use crate::diff::{Difference, leaves};
use crate::endpoint::Target;
use crate::scenario::Scenario;
use crate::snapshot::{self, Provenance, transform};

/// What was compared with what, for the report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReferenceUse {
    /// The reference's name (its directory under the snapshot root).
    pub name: String,
    /// strict, parity or record.
    pub mode: SnapshotMode,
    /// The kind of target the recording was made on, if one was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded_on: Option<String>,
    /// When the recording was made (YYYY-MM-DD, from its provenance), if one was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recorded: Option<String>,
}

/// Where, when and how a transcript was recorded: what its reference
/// file's [`Provenance`] is made of.
pub struct ReferenceRecording<'a> {
    /// The scenario the transcript is of (its file's path, description and digest).
    pub scenario: &'a Scenario,
    /// The target it was recorded on (its kind, host and region).
    pub target: &'a Target,
    /// The recording's date, `YYYY-MM-DD`.
    pub today: &'a str,
    /// The target's behaviour profile, where it has the control API.
    pub profile: Option<Value>,
    /// The 1-based steps not played on the target.
    pub skipped: Vec<usize>,
    /// The answers' `x-amzn-RequestId`s (kept only for a recording made on AWS).
    pub request_ids: &'a [String],
}

/// The reference file (insta's `.snap` format, [`snapshot::render`]) of
/// `transcript`: its [`Provenance`] in the header, then the transcript.
pub fn reference_file(r: &ReferenceRecording<'_>, transcript: &Value) -> String {
    let contents = serde_json::to_string_pretty(transcript).unwrap_or_default();
    let aws = r.target.kind == TargetKind::Aws;
    let provenance = Provenance {
        target: r.target.kind.as_str().into(),
        endpoint_host: reqwest::Url::parse(r.target.endpoint.base_url())
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default(),
        region: r.target.region.clone(),
        recorded: r.today.to_owned(),
        harness_version: env!("CARGO_PKG_VERSION").into(),
        scenario_digest: r.scenario.digest.clone(),
        profile: r.profile.clone(),
        verified_against_aws: aws && r.skipped.is_empty(),
        skipped_steps: r.skipped.clone(),
        request_ids: if aws {
            r.request_ids.to_vec()
        } else {
            Vec::new()
        },
    };
    snapshot::render(
        &r.scenario.path.display().to_string(),
        &r.scenario.description,
        &provenance,
        &contents,
    )
}

/// Writes `transcript` as the recording of its scenario in reference
/// `reference` under the snapshot root `root` (`root/reference/<scenario
/// name>.snap`, as `check --record` writes it), replacing one there;
/// answers the path written.
///
/// # Errors
/// The directory or the file cannot be written.
pub fn write_reference(
    root: &std::path::Path,
    reference: &str,
    r: &ReferenceRecording<'_>,
    transcript: &Value,
) -> std::io::Result<std::path::PathBuf> {
    let path = snapshot::path_for(&root.join(reference), &r.scenario.name);
    snapshot::write(&path, &reference_file(r, transcript), true)
}

/// What a scenario's played transcript is held against its reference with.
pub(super) struct Played<'a> {
    pub scenario: &'a Scenario,
    pub target: &'a Target,
    /// The steps not played (their reference entries stand in).
    pub skipped: Vec<usize>,
    /// The answers' request ids (kept in a recording made on AWS).
    pub request_ids: &'a [String],
}

/// What holding a transcript against its reference found.
pub(super) struct SnapshotVerdict {
    pub used: ReferenceUse,
    /// Parity differences (reported, not failures).
    pub parity: Vec<Difference>,
    /// The file written (`.snap.new` or a recording), if any.
    pub written: Option<String>,
    pub failures: Vec<Failure>,
    pub notes: Vec<String>,
}

/// Compares (or records) the transcript of `played`.
pub(super) fn check_snapshot(
    played: &Played<'_>,
    snapshots: &Snapshots,
    transcript: &Value,
    options: &Options,
) -> SnapshotVerdict {
    let mut c = Checker {
        played,
        failures: Vec::new(),
        notes: Vec::new(),
    };
    let (used, parity, written) = c.check(snapshots, transcript, options);
    SnapshotVerdict {
        used,
        parity,
        written,
        failures: c.failures,
        notes: c.notes,
    }
}

/// The comparison under way: what it has found so far.
struct Checker<'a> {
    played: &'a Played<'a>,
    failures: Vec<Failure>,
    notes: Vec<String>,
}

impl Checker<'_> {
    fn fail(&mut self, step: Option<usize>, kind: FailureKind, message: String) {
        self.failures.push(Failure::new(step, kind, message));
    }

    fn note(&mut self, text: String) {
        self.notes.push(text);
    }

    fn check(
        &mut self,
        snapshots: &Snapshots,
        transcript: &Value,
        options: &Options,
    ) -> (ReferenceUse, Vec<Difference>, Option<String>) {
        let dir = snapshots.root.join(&snapshots.reference);
        let path = snapshot::path_for(&dir, &self.played.scenario.name);
        let file = self.render_recording(transcript, options);
        let mut used = ReferenceUse {
            name: snapshots.reference.clone(),
            mode: snapshots.mode,
            recorded_on: None,
            recorded: None,
        };
        if snapshots.mode == SnapshotMode::Record {
            return (used, Vec::new(), self.write_snapshot(&path, &file, true));
        }
        let stored = match snapshot::read(&path) {
            Ok(s) => s,
            Err(e) => {
                self.fail(
                    None,
                    FailureKind::Snapshot,
                    format!("failed to read {}: {e}", path.display()),
                );
                return (used, Vec::new(), None);
            }
        };
        let kind = self.played.target.kind.as_str();
        let Some(stored) = stored else {
            // A scenario without a recording (a user's own, new one) is
            // judged by its expectations and the contract: a missing
            // recording is a note with the command that makes one, and
            // nothing is written. Only an explicit `--snapshots strict`
            // asks for a recording and fails without one.
            if snapshots.mode != SnapshotMode::Strict {
                used.mode = SnapshotMode::Parity;
                self.note(format!(
                    "no recording of this scenario in reference `{}` ({}): judged by its expectations and the contract only; `appflow-harness check FILE --record` makes one",
                    snapshots.reference,
                    path.display()
                ));
                return (used, Vec::new(), None);
            }
            self.fail(None, FailureKind::Snapshot, format!("no snapshot at {}; review the new one with `cargo insta review` or rerun with --record", path.display()));
            return (used, Vec::new(), self.write_snapshot(&path, &file, false));
        };
        used.recorded_on = stored.provenance.as_ref().map(|p| p.target.clone());
        used.recorded = stored.provenance.as_ref().map(|p| p.recorded.clone());
        used.mode = match snapshots.mode {
            SnapshotMode::Auto if used.recorded_on.as_deref().is_none_or(|k| k == kind) => {
                SnapshotMode::Strict
            }
            SnapshotMode::Auto => SnapshotMode::Parity,
            other => other,
        };
        let (want, got) = self.comparable(&stored.contents, transcript, &snapshots.transformers);
        // W8: an absent list or map and an empty one are no difference.
        let empty = |v: &Option<Value>| match v {
            None | Some(Value::Null) => true,
            Some(Value::Array(a)) => a.is_empty(),
            Some(Value::Object(m)) => m.is_empty(),
            _ => false,
        };
        let differences: Vec<Difference> = leaves(&want, &got)
            .into_iter()
            .filter(|d| !(empty(&d.left) && empty(&d.right)))
            .collect();
        if differences.is_empty() {
            return (used, Vec::new(), None);
        }
        if used.mode == SnapshotMode::Parity {
            return (used, differences, None);
        }
        let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
        self.fail(
            None,
            FailureKind::Snapshot,
            format!(
                "the transcript differs from {}:\n{}",
                path.display(),
                snapshot::diff(&pretty(&want), &pretty(&got))
            ),
        );
        (used, Vec::new(), self.write_snapshot(&path, &file, false))
    }

    fn render_recording(&self, transcript: &Value, options: &Options) -> String {
        let recorded = ReferenceRecording {
            scenario: self.played.scenario,
            target: self.played.target,
            today: &options.today,
            profile: options.profile.clone(),
            skipped: self.played.skipped.clone(),
            request_ids: self.played.request_ids,
        };
        reference_file(&recorded, transcript)
    }

    fn write_snapshot(
        &mut self,
        path: &std::path::Path,
        file: &str,
        replace: bool,
    ) -> Option<String> {
        match snapshot::write(path, file, replace) {
            Ok(p) => Some(p.display().to_string()),
            Err(e) => {
                self.fail(
                    None,
                    FailureKind::Snapshot,
                    format!("failed to write a snapshot beside {}: {e}", path.display()),
                );
                None
            }
        }
    }

    /// Both sides as compared: skipped steps taken from the reference, known
    /// differences for this kind of target removed, transformers applied.
    fn comparable(
        &self,
        old: &str,
        transcript: &Value,
        transformers: &[transform::Transformer],
    ) -> (Value, Value) {
        let mut want: Value = serde_json::from_str(old).unwrap_or(Value::String(old.to_owned()));
        let mut got = transcript.clone();
        if let (Some(w), Some(g)) = (
            want.get("steps").and_then(Value::as_array).cloned(),
            got.get_mut("steps").and_then(Value::as_array_mut),
        ) {
            for (i, step) in g.iter_mut().enumerate() {
                if step.get("skipped") == Some(&Value::Bool(true))
                    && let Some(old_step) = w.get(i)
                {
                    *step = old_step.clone();
                }
            }
        }
        let (scenario, target) = (self.played.scenario, self.played.target);
        if let Some(paths) = scenario.known_differences.get(&target.kind) {
            snapshot::strip_paths(&mut want, paths);
            snapshot::strip_paths(&mut got, paths);
        }
        for t in [transformers, &scenario.transform[..]] {
            transform::apply(&mut want, t);
            transform::apply(&mut got, t);
        }
        (want, got)
    }
}
