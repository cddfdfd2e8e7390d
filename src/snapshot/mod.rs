//! Reference recordings: one normalised transcript per scenario, in insta's
//! `.snap` format (so the same files serve `cargo test`'s insta assertions
//! and the CLI, which writes `.snap.new` for `cargo insta review`), one
//! directory per reference (`snapshots/embedded/`, `snapshots/aws/` ...),
//! each file with its [`Provenance`] in the header. Recordings of different
//! targets never overwrite each other.

mod provenance;
/// The transformers, as snapshot comparisons use them.
pub use crate::transform;

use std::path::{Path, PathBuf};

use serde_json::Value;

pub use crate::scenario::digest as provenance_digest;
pub use provenance::Provenance;

/// `dir/<scenario>.snap`.
pub fn path_for(dir: &Path, scenario: &str) -> PathBuf {
    dir.join(format!("{scenario}.snap"))
}

/// A stored recording: its provenance (when the header has one) and contents.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Where, when and how it was recorded; `None` when the header has no
    /// `info`.
    pub provenance: Option<Provenance>,
    /// The normalised transcript after the header, trimmed.
    pub contents: String,
}

/// The recording at `path`, if it exists.
pub fn read(path: &Path) -> std::io::Result<Option<Stored>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(Stored {
            provenance: provenance::of(&text),
            contents: contents_of(&text).to_owned(),
        })),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn contents_of(text: &str) -> &str {
    let Some(rest) = text.strip_prefix("---\n") else {
        return text.trim();
    };
    match rest.find("\n---\n") {
        Some(end) => rest[end + 5..].trim(),
        None => text.trim(),
    }
}

/// A whole `.snap` file: insta's header with the provenance as `info`.
pub fn render(source: &str, description: &str, provenance: &Provenance, contents: &str) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    format!(
        "---\nsource: {}\ndescription: {}\nexpression: transcript\ninfo:\n{}---\n{}\n",
        q(source),
        q(description),
        provenance.yaml("  "),
        contents.trim_end()
    )
}

/// Writes `path` (with `update`) or `path.new` beside it; answers what was written.
pub fn write(path: &Path, text: &str, update: bool) -> std::io::Result<PathBuf> {
    let target = if update {
        path.to_path_buf()
    } else {
        path.with_extension("snap.new")
    };
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&target, text)?;
    Ok(target)
}

/// Removes the JSON paths (`steps.*.response.body.flowStatus`; `*` is any
/// list item or member) whose differences are allowed.
pub fn strip_paths(v: &mut Value, paths: &[String]) {
    for p in paths {
        let parts: Vec<&str> = p.split('.').collect();
        strip(v, &parts);
    }
}

fn strip(v: &mut Value, parts: &[&str]) {
    let Some((first, rest)) = parts.split_first() else {
        return;
    };
    match v {
        Value::Object(m) => {
            if rest.is_empty() {
                if *first == "*" {
                    m.clear();
                } else {
                    m.remove(*first);
                }
            } else if *first == "*" {
                m.values_mut().for_each(|x| strip(x, rest));
            } else if let Some(x) = m.get_mut(*first) {
                strip(x, rest);
            }
        }
        Value::Array(a) => {
            if *first == "*" {
                a.iter_mut().for_each(|x| strip(x, rest));
            } else if let Some(x) = first.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                strip(x, rest);
            }
        }
        _ => {}
    }
}

/// A unified diff of two texts, for reports.
pub fn diff(expected: &str, actual: &str) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .header("snapshot", "actual")
        .to_string()
}

/// The file that holds the transformers of a snapshot directory.
pub const FILE: &str = "transformers.yaml";

/// The built-in set, used when the snapshot directory has no transformers
/// file (owned by [`crate::transform`], which parses it).
pub use crate::transform::DEFAULTS;

/// The transformers of the snapshot directory `dir`: its `transformers.yaml`,
/// else the built-in set.
pub fn load_transformers(dir: &Path) -> Result<Vec<transform::Transformer>, String> {
    let path = dir.join(FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => DEFAULTS.to_owned(),
        Err(e) => return Err(format!("failed to read {}: {e}", path.display())),
    };
    transform::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn contents_round_trip_through_the_insta_format() {
        let p = Provenance {
            target: "embedded".into(),
            endpoint_host: "127.0.0.1".into(),
            region: "us-east-1".into(),
            recorded: "2026-11-25".into(),
            harness_version: "0.1.0".into(),
            scenario_digest: "sha256:00".into(),
            profile: Some(serde_json::json!({"activeStart": "conflict"})),
            skipped_steps: vec![3],
            request_ids: vec![],
            verified_against_aws: false,
        };
        let text = render("scenarios/a.yaml", "says \"hi\"", &p, "{\n  \"a\": 1\n}\n");
        assert!(text.starts_with("---\nsource: \"scenarios/a.yaml\"\n"));
        assert_eq!(contents_of(&text), "{\n  \"a\": 1\n}");
        assert_eq!(provenance::of(&text), Some(p), "the provenance reads back");
    }

    #[test]
    fn allowed_paths_are_stripped_with_wildcards() {
        let mut v = json!({"steps": [{"response": {"body": {"a": 1, "b": 2}}}, {"response": {"body": {"a": 3}}}]});
        strip_paths(&mut v, &["steps.*.response.body.a".into()]);
        assert_eq!(
            v,
            json!({"steps": [{"response": {"body": {"b": 2}}}, {"response": {"body": {}}}]})
        );
    }
}
