//! Scenario files: the file model (stage one, `file.rs`), its validation
//! (`validate.rs`) into the plan (stage two, `plan.rs`), templates, body
//! matchers, and loading a folder of them.

pub mod coverage;
mod duration;
mod expect_check;
pub mod file;
mod group;
mod locate;
pub mod matcher;
pub mod plan;
mod read;
mod step_parts;
pub use step_parts::capture_copy;
pub mod template;
mod validate;
mod validate_step;
pub mod write;

use std::path::{Path, PathBuf};

pub use duration::{format_duration, parse_duration};
pub use plan::{Action, ContractTag, Expect, FlowPlan, Need, Scenario, ScenarioError, Step, When};
pub use validate::{parse, parse_all};

/// `sha256:<hex>` of a scenario file's text.
pub fn digest(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(text.as_bytes());
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Loads scenario files: each argument is a file or a folder (its `*.yaml`,
/// not descending into `invalid/`). Sorted by path; all errors are returned.
pub fn load(paths: &[PathBuf]) -> Result<Vec<Scenario>, Vec<ScenarioError>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        collect(p, &mut files, &mut errors);
    }
    files.sort();
    files.dedup();
    let mut scenarios = Vec::new();
    for f in files {
        match std::fs::read_to_string(&f) {
            Ok(text) => match parse_all(&f, &text) {
                Ok(s) => scenarios.push(s),
                Err(e) => errors.extend(e),
            },
            Err(e) => errors.push(io_error(&f, &e)),
        }
    }
    if errors.is_empty() {
        Ok(scenarios)
    } else {
        Err(errors)
    }
}

fn collect(p: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<ScenarioError>) {
    if p.is_dir() {
        match std::fs::read_dir(p) {
            Ok(entries) => {
                for e in entries.flatten() {
                    let path = e.path();
                    let is_yaml = path.extension().is_some_and(|x| x == "yaml" || x == "yml");
                    if path.is_file() && is_yaml {
                        files.push(path);
                    }
                }
            }
            Err(e) => errors.push(io_error(p, &e)),
        }
    } else if p.is_file() {
        files.push(p.to_path_buf());
    } else {
        errors.push(io_error(
            p,
            &std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
        ));
    }
}

fn io_error(p: &Path, e: &std::io::Error) -> ScenarioError {
    ScenarioError {
        path: p.display().to_string(),
        line: 0,
        column: 0,
        context: String::new(),
        message: format!("failed to read scenario: {e}"),
        hint: None,
    }
}
