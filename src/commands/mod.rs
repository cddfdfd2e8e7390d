//! The commands, one module each. Each takes a plain options struct (built
//! by [`crate::cli`] or by a test), writes to the [`Console`] it is given,
//! and returns a typed [`Outcome`] or [`CommandError`]; only `main.rs`
//! prints the final word and turns them into exit codes
//! ([`crate::exit_codes::of`]).

pub mod check;
pub mod compare;
pub mod load;
pub mod serve;

use std::io::Write;

/// How a command that ran to its end judged what it saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything ran and passed.
    Passed,
    /// Checks ran and at least one failed.
    Failed,
}

impl Outcome {
    pub fn from_passed(passed: bool) -> Self {
        if passed { Self::Passed } else { Self::Failed }
    }
}

/// Why a command could not run to its end.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The command line (or an option's value) was wrong.
    #[error("{0}")]
    Usage(String),
    /// A scenario or configuration file is invalid; nothing was run.
    #[error("{}", .0.join("\n"))]
    InvalidInput(Vec<String>),
    /// The target could not be started or reached.
    #[error("{0}")]
    TargetUnreachable(String),
    /// The harness itself failed (e.g. a report could not be written).
    #[error("{0}")]
    Internal(String),
}

impl From<crate::target::TargetError> for CommandError {
    fn from(e: crate::target::TargetError) -> Self {
        if e.is_usage() {
            Self::Usage(e.to_string())
        } else {
            Self::TargetUnreachable(e.to_string())
        }
    }
}

/// Where a command writes: `out` for results (reports, scenario lines),
/// `log` for progress and notes (stderr in the binary). Write errors on
/// either are not fatal to a run; a report file that cannot be written is.
pub struct Console<'a> {
    pub out: &'a mut (dyn Write + Send),
    pub log: &'a mut (dyn Write + Send),
}

impl Console<'_> {
    /// A progress line; a closed stderr must not stop a run.
    pub fn note(&mut self, line: std::fmt::Arguments<'_>) {
        let _ = writeln!(self.log, "{line}");
    }
}

/// Writes a report file through `render`, cleaned by `redactor` (secrets
/// redacted, control characters escaped); a failure names the file.
pub(crate) fn write_file(
    path: &std::path::Path,
    what: &str,
    redactor: &crate::redact::Redactor,
    render: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>,
) -> Result<(), CommandError> {
    let mut bytes = Vec::new();
    render(&mut bytes)
        .and_then(|()| {
            let text = redactor.clean(&String::from_utf8_lossy(&bytes));
            std::fs::write(path, text)
        })
        .map_err(|e| {
            CommandError::Internal(format!(
                "failed to write the {what} report {}: {e}",
                path.display()
            ))
        })
}
