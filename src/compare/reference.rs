//! A stored reference as `compare`'s baseline (`--baseline
//! reference:NAME`): the recordings of reference `NAME` under the snapshot
//! root (`check --record`'s, or `record`'s transcript of an application's
//! traffic), read through [`crate::snapshot`], stand for a baseline run, so
//! a target is compared with what was recorded without playing the
//! baseline again (on AWS: without creating anything there).

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::appflow::TargetKind;
use crate::runner::{ScenarioResult, Status, Summary, Totals};
use crate::scenario::Scenario;
use crate::snapshot;

/// The spec prefix of a stored baseline: `reference:NAME`.
pub const PREFIX: &str = "reference:";

/// A reference read as a baseline run.
pub struct StoredBaseline {
    /// One result per scenario: `Passed` with the recording as its
    /// transcript, or `Skipped` (no transcript) where the reference has no
    /// recording of it.
    pub summary: Summary,
    /// Why scenarios are not compared, or are compared with a recording of
    /// another version of their file: one line each, for the terminal.
    pub notes: Vec<String>,
}

/// The recordings of reference `name` under `root` for `scenarios`, as a
/// baseline run: the summary's target is the reference's directory, its
/// kind and region those of the first recording's provenance (`url` and
/// empty when none says).
///
/// # Errors
/// A recording cannot be read, or holds no JSON transcript; the reference
/// has no recording of any of `scenarios` (nothing could be compared).
pub fn read(scenarios: &[Scenario], root: &Path, name: &str) -> Result<StoredBaseline, String> {
    let dir = root.join(name);
    let mut results = Vec::new();
    let mut notes = Vec::new();
    let mut first: Option<snapshot::Provenance> = None;
    for s in scenarios {
        let path = snapshot::path_for(&dir, &s.name);
        let stored =
            snapshot::read(&path).map_err(|e| format!("failed to read {}: {e}", path.display()))?;
        let mut r = ScenarioResult::of(s);
        let Some(stored) = stored else {
            notes.push(format!(
                "{}: not compared: reference `{name}` has no recording of it ({})",
                s.name,
                path.display()
            ));
            results.push(r);
            continue;
        };
        let transcript: Value = serde_json::from_str(&stored.contents).map_err(|e| {
            format!(
                "{}: its transcript is not JSON ({e}): not a recording",
                path.display()
            )
        })?;
        if let Some(p) = &stored.provenance {
            if !p.scenario_digest.is_empty() && p.scenario_digest != s.digest {
                notes.push(format!(
                    "{}: recorded from another version of {} (its digest differs): steps may not line up",
                    s.name,
                    s.path.display()
                ));
            }
            first.get_or_insert_with(|| p.clone());
        }
        // The recording stands for a baseline run that was played and
        // judged when it was made; its failures are not kept, so the
        // target's verdict and the differences decide.
        r.status = Status::Passed;
        r.transcript = transcript;
        results.push(r);
    }
    if results.iter().all(|r| r.transcript.is_null()) {
        return Err(format!(
            "reference `{name}` ({}) holds no recording of the selected scenarios: nothing to compare with",
            dir.display()
        ));
    }
    let kind = first
        .as_ref()
        .and_then(|p| TargetKind::ALL.into_iter().find(|k| k.as_str() == p.target))
        .unwrap_or(TargetKind::Url);
    let totals = Totals::of(&results, Duration::ZERO);
    Ok(StoredBaseline {
        summary: Summary {
            target: dir.display().to_string(),
            target_kind: kind,
            region: first.map(|p| p.region).unwrap_or_default(),
            scenarios: results,
            totals,
        },
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(name: &str) -> Scenario {
        let text = "description: d\nsteps:\n- DescribeFlow:\n    flowName: x\n  expect:\n    status: 404\n";
        crate::scenario::parse(Path::new(&format!("{name}.yaml")), text).expect("a scenario")
    }

    fn recorded(dir: &Path, s: &Scenario, digest: &str) {
        let p = snapshot::Provenance {
            target: "aws".into(),
            endpoint_host: "appflow.eu-west-1.amazonaws.com".into(),
            region: "eu-west-1".into(),
            recorded: "2026-12-06".into(),
            harness_version: "0.1.0".into(),
            scenario_digest: digest.into(),
            profile: None,
            skipped_steps: vec![],
            request_ids: vec![],
            verified_against_aws: true,
        };
        let text = snapshot::render("a.yaml", "d", &p, r#"{"steps": [{"step": 1}]}"#);
        snapshot::write(&snapshot::path_for(dir, &s.name), &text, true).expect("written");
    }

    #[test]
    fn a_reference_stands_for_the_baseline_and_what_it_lacks_is_said() {
        let root = std::env::temp_dir().join(format!("ah-ref-{}", uuid::Uuid::new_v4()));
        let (a, b) = (scenario("a"), scenario("b"));
        assert!(
            read(std::slice::from_ref(&a), &root, "aws").is_err(),
            "a reference with no recording of the scenarios compares nothing: an error"
        );
        recorded(&root.join("aws"), &a, "sha256:other");
        let stored = read(&[a, b], &root, "aws").expect("read");
        let s = &stored.summary;
        assert_eq!(
            (s.target_kind, s.region.as_str(), s.scenarios[0].status),
            (TargetKind::Aws, "eu-west-1", Status::Passed),
            "the recording's provenance names the baseline"
        );
        assert_eq!(s.scenarios[0].transcript["steps"][0]["step"], 1);
        assert_eq!(
            (s.scenarios[1].status, s.scenarios[1].transcript.is_null()),
            (Status::Skipped, true),
            "a scenario without a recording is not compared"
        );
        assert!(
            stored
                .notes
                .iter()
                .any(|n| n.starts_with("b: not compared"))
                && stored.notes.iter().any(|n| n.contains("another version")),
            "what is not compared, and a recording of another file version, are said: {:?}",
            stored.notes
        );
        let _ = std::fs::remove_dir_all(&root);
    }
}
