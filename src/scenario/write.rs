//! Writing a scenario file: the stage-one structs ([`super::file`])
//! serialized to YAML, so the reader and the writer are one type and what
//! is written reads back as the same value (`parse(write(x)) == x`, a
//! property test below). A header of comment lines goes first (how to
//! replay the file); comments are the only text not in the structs.

use serde_saphyr::{Location, Spanned};

use super::file::{ScenarioFile, StepFile};

/// Serializing a scenario file failed (a value YAML cannot hold).
#[derive(Debug, thiserror::Error)]
#[error("failed to write the scenario file: {0}")]
pub struct WriteError(#[source] serde_saphyr::SerializeError);

/// A step as the file holds it (no location: it was not read from a file).
pub fn step(s: StepFile) -> Spanned<StepFile> {
    Spanned::new(s, Location::UNKNOWN, Location::UNKNOWN)
}

/// The file's YAML text: each of `header` as a `# ` comment line (a line
/// break inside one starts another comment line), then the file.
/// Errors: [`WriteError`] when a value cannot be written as YAML.
pub fn write(file: &ScenarioFile, header: &[String]) -> Result<String, WriteError> {
    let mut out = String::new();
    for h in header {
        for line in h.lines() {
            out.push_str("# ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str(&serde_saphyr::to_string(file).map_err(WriteError)?);
    Ok(out)
}

/// Reads a file's text into the stage-one structs (serde only; stage two,
/// [`super::parse`], validates it with located errors).
/// Errors: the YAML parser's message.
pub fn read(text: &str) -> Result<ScenarioFile, String> {
    serde_saphyr::from_str(text).map_err(|e| e.to_string())
}

#[cfg(test)]
#[path = "write_tests.rs"]
mod tests;
