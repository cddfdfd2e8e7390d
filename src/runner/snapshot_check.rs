//! Comparing a scenario's transcript with its stored snapshot, and writing
//! the new one (`.snap.new` for review, or the `.snap` with `--update`).

use serde_json::Value;

use super::scenario_run::Run;
use super::{FailureKind, Options};
use crate::snapshot;
use crate::target::TargetKind;

impl Run<'_> {
    pub(super) fn check_snapshot(
        &mut self,
        dir: &std::path::Path,
        transcript: &Value,
        options: &Options,
    ) -> Option<String> {
        let path = snapshot::path_for(dir, &self.scenario.name);
        let contents = serde_json::to_string_pretty(transcript).unwrap_or_default();
        let recorded = snapshot::Recorded {
            target: self.target.kind.as_str().into(),
            region: self.target.region.clone(),
            recorded: options.today.clone(),
            verified_against_aws: self.target.kind == TargetKind::Aws,
        };
        let file = snapshot::render(
            &self.scenario.path.display().to_string(),
            &self.scenario.description,
            &recorded,
            &contents,
        );
        let old = match snapshot::read(&path) {
            Ok(old) => old,
            Err(e) => {
                self.fail(
                    None,
                    FailureKind::Snapshot,
                    format!("failed to read {}: {e}", path.display()),
                );
                return None;
            }
        };
        let differs = match &old {
            None => true,
            Some(old) => {
                let (want, got) = self.comparable(old, transcript);
                if want == got {
                    false
                } else {
                    if !options.update {
                        self.fail(
                            None,
                            FailureKind::Snapshot,
                            format!(
                                "the transcript differs from {}:\n{}",
                                path.display(),
                                snapshot::diff(&want, &got)
                            ),
                        );
                    }
                    true
                }
            }
        };
        if !differs {
            return None;
        }
        if old.is_none() && !options.update {
            self.fail(None, FailureKind::Snapshot, format!("no snapshot at {}; review the new one with `cargo insta review` or rerun with --update", path.display()));
        }
        match snapshot::write(&path, &file, options.update) {
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

    /// Both sides as compared: skipped steps taken from the snapshot, known
    /// differences for this kind of target removed.
    fn comparable(&self, old: &str, transcript: &Value) -> (String, String) {
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
        if let Some(paths) = self.scenario.known_differences.get(&self.target.kind) {
            snapshot::strip_paths(&mut want, paths);
            snapshot::strip_paths(&mut got, paths);
        }
        let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
        (pretty(&want), pretty(&got))
    }
}
