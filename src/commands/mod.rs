//! The commands, one module each. Each takes a plain options struct (built
//! by the command line, `cli`, or by a test), writes to the [`Console`] it is given,
//! and returns a typed [`Outcome`] or [`CommandError`]; only `main.rs`
//! prints the final word and turns them into exit codes
//! ([`Outcome::exit_code`], [`CommandError::exit_code`]).

pub mod check;
mod check_plan;
pub mod cleanup;
pub mod compare;
pub mod doctor;
pub mod explore;
#[cfg(feature = "load")]
pub mod load;
pub mod output_paths;
pub mod record;
pub mod serve;

use std::io::Write;

/// How a command that ran to its end judged what it saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything ran and passed.
    Passed,
    /// Checks ran and at least one failed.
    Failed,
    /// Nothing failed, but some checks could not be judged (throttled,
    /// unanswered, even after replays): not everything was verified.
    Inconclusive,
    /// Stopped by Ctrl-C (or SIGTERM): what ran was cleaned up and reported.
    Interrupted,
    /// Nothing failed, but the target refused to create the fixture flows
    /// of some scenario, which never started: not a pass.
    SetupRefused,
}

impl Outcome {
    /// `Passed` when `passed`, else `Failed`.
    pub fn from_passed(passed: bool) -> Self {
        if passed { Self::Passed } else { Self::Failed }
    }

    /// The outcome of a run of scenarios: failed if any failed, else
    /// inconclusive if any could not be judged, else passed.
    pub fn of_summary(summary: &crate::runner::Summary) -> Self {
        if summary.setup_refused() {
            Self::SetupRefused
        } else if summary.inconclusive() {
            Self::Inconclusive
        } else {
            Self::from_passed(summary.passed())
        }
    }

    /// The process exit status for this outcome ([`crate::exit_codes`]).
    pub fn exit_code(&self) -> i32 {
        use crate::exit_codes::{FAILURES, INCONCLUSIVE, INTERRUPTED, OK, SETUP_REFUSED};
        match self {
            Self::SetupRefused => SETUP_REFUSED,
            Self::Passed => OK,
            Self::Failed => FAILURES,
            Self::Inconclusive => INCONCLUSIVE,
            Self::Interrupted => INTERRUPTED,
        }
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
    /// The target could not be resolved, started, reached or signed for;
    /// the [`crate::endpoint::TargetError`] is kept whole (its own source
    /// included), and the exit code follows what it says (a bad URL or
    /// refused credentials are the user's words, exit 2; a bad fixture
    /// configuration exit 3; nothing answering exit 4).
    #[error(transparent)]
    Target(#[from] crate::endpoint::TargetError),
    /// A file or stream the harness writes or reads could not be; the I/O
    /// error is kept as the source (exit code as [`CommandError::Internal`]).
    #[error("{context}")]
    Io {
        /// What the harness was doing ("failed to write report.html").
        context: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl CommandError {
    /// An [`CommandError::Io`] maker for `map_err`: `context` says what was
    /// being done.
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| Self::Io { context, source }
    }

    /// The message with its whole cause chain (`context: cause: cause`), as
    /// `main` prints it.
    pub fn message(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        text
    }
}

impl CommandError {
    /// The process exit status for this error ([`crate::exit_codes`]).
    pub fn exit_code(&self) -> i32 {
        use crate::exit_codes::{INTERNAL, INVALID_INPUT, TARGET_UNREACHABLE, USAGE};
        match self {
            Self::Usage(_) => USAGE,
            Self::InvalidInput(_) => INVALID_INPUT,
            Self::TargetUnreachable(_) => TARGET_UNREACHABLE,
            Self::Internal(_) | Self::Io { .. } => INTERNAL,
            Self::Target(e) => {
                use crate::client::ClientError;
                use crate::endpoint::TargetError;
                match e {
                    TargetError::Config(_) => INVALID_INPUT,
                    TargetError::Client(ClientError::Build(_)) => INTERNAL,
                    e if e.is_usage() => USAGE,
                    _ => TARGET_UNREACHABLE,
                }
            }
        }
    }
}

/// Where a command writes: `out` for results (reports, scenario lines),
/// `log` for progress and notes (stderr in the binary). Write errors on
/// either are not fatal to a run; a report file that cannot be written is.
pub struct Console<'a> {
    /// Results: reports and a line per scenario (stdout in the binary).
    pub out: &'a mut (dyn Write + Send),
    /// Progress and notes (stderr in the binary); write errors here are
    /// ignored.
    pub log: &'a mut (dyn Write + Send),
}

impl Console<'_> {
    /// A progress line; a closed stderr must not stop a run.
    pub fn note(&mut self, line: std::fmt::Arguments<'_>) {
        let _ = writeln!(self.log, "{line}");
    }

    /// The `pacing:` line when throttling answers (429, W7) lowered the
    /// shared send rate of a run: how many, and the rate it ended at.
    pub fn note_pacing(&mut self, pace: &crate::client::pace::AdaptiveRate) {
        if pace.throttles() > 0 {
            self.note(format_args!(
                "pacing: {} throttling answer(s) lowered the send rate of the whole run; it ended at {:.1} requests/s",
                pace.throttles(),
                pace.rate().unwrap_or(0.0)
            ));
        }
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
        .map_err(CommandError::io(format!(
            "failed to write the {what} report {}",
            path.display()
        )))
}

/// Watches for Ctrl-C and SIGTERM: the first sets `flag` (the command stops
/// issuing work, cleans up and reports), the second notifies
/// [`forced_stop`], which `cli::run` races the command against, so the
/// process ends in `main` without waiting for clean-up (exit 130).
pub fn watch_signals(
    flag: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        for n in 0.. {
            let signalled = async {
                #[cfg(unix)]
                {
                    use tokio::signal::unix::{SignalKind, signal};
                    match signal(SignalKind::terminate()) {
                        Ok(mut term) => tokio::select! {
                            _ = tokio::signal::ctrl_c() => {},
                            _ = term.recv() => {},
                        },
                        Err(_) => {
                            let _ = tokio::signal::ctrl_c().await;
                        }
                    }
                }
                #[cfg(not(unix))]
                {
                    let _ = tokio::signal::ctrl_c().await;
                }
            };
            signalled.await;
            if n == 0 {
                flag.store(true, std::sync::atomic::Ordering::Relaxed);
                eprintln!(
                    "interrupted: no new step is sent; cleaning up and writing the reports (again to exit at once)"
                );
            } else {
                // Library code does not end the process: `cli::run` races the
                // command against this and returns `Interrupted` to `main`.
                FORCED_STOP.notify_one();
            }
        }
    })
}

/// Notified on a second Ctrl-C / SIGTERM (a permit is kept if nobody waits yet).
static FORCED_STOP: std::sync::LazyLock<tokio::sync::Notify> =
    std::sync::LazyLock::new(tokio::sync::Notify::new);

/// Resolves when a second signal asks to stop at once, without cleaning up
/// (see [`watch_signals`]); `cli::run` returns [`Outcome::Interrupted`] then.
pub async fn forced_stop() {
    FORCED_STOP.notified().await;
}

/// The scenarios at `paths` (default `scenarios/`), those whose name
/// contains `filter`; invalid files, or none at all, are a refusal.
pub(crate) fn load_scenarios(
    paths: &[std::path::PathBuf],
    filter: Option<&str>,
) -> Result<Vec<crate::scenario::Scenario>, CommandError> {
    let paths = if paths.is_empty() {
        vec!["scenarios".into()]
    } else {
        paths.to_vec()
    };
    let mut scenarios = crate::scenario::load(&paths).map_err(|errors| {
        let mut lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        let files: std::collections::BTreeSet<&str> =
            errors.iter().map(|e| e.path.as_str()).collect();
        lines.push(format!(
            "{} in {} invalid; nothing was run",
            plural(errors.len(), "mistake"),
            plural(files.len(), "scenario file")
        ));
        CommandError::InvalidInput(lines)
    })?;
    let found = scenarios.len();
    if let Some(f) = filter {
        scenarios.retain(|s| s.name.contains(f));
    }
    if scenarios.is_empty() {
        let looked = paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        // A filter that matches nothing is the command line's fault (usage);
        // a folder without scenarios is the input's.
        return Err(match filter {
            Some(f) if found > 0 => CommandError::Usage(format!(
                "no scenario to run: --filter `{f}` matches none of the {} in {looked} (it keeps those whose file name contains it)",
                plural(found, "scenario")
            )),
            _ => CommandError::InvalidInput(vec![format!(
                "no scenario to run (no *.yaml file in {looked})"
            )]),
        });
    }
    Ok(scenarios)
}

/// `1 scenario`, `2 scenarios`: a count with its noun (English plural in `s`).
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_io_error_keeps_its_source_and_prints_its_chain() {
        let e = CommandError::io("failed to write r.html")(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "permission denied",
        ));
        assert!(
            std::error::Error::source(&e).is_some(),
            "the I/O error is the source, as nextest's errors keep theirs"
        );
        assert_eq!(e.message(), "failed to write r.html: permission denied");
        assert_eq!(e.exit_code(), crate::exit_codes::INTERNAL);
    }

    #[test]
    fn a_target_error_is_kept_whole_and_decides_the_exit_code() {
        use crate::client::ClientError;
        use crate::endpoint::TargetError;
        let bad_url: CommandError = TargetError::Client(ClientError::BadUrl {
            url: "ftp://x".into(),
            reason: "the scheme must be http or https".into(),
        })
        .into();
        assert!(
            matches!(
                &bad_url,
                CommandError::Target(TargetError::Client(ClientError::BadUrl { .. }))
            ),
            "the typed error is kept, not a string: {bad_url:?}"
        );
        assert_eq!(bad_url.exit_code(), crate::exit_codes::USAGE);
        assert!(bad_url.message().contains("ftp://x"));
        let dead: CommandError =
            TargetError::Unreachable("http://127.0.0.1:9".into(), "refused".into()).into();
        assert_eq!(dead.exit_code(), crate::exit_codes::TARGET_UNREACHABLE);
        let config: CommandError = TargetError::Config("bad yaml".into()).into();
        assert_eq!(config.exit_code(), crate::exit_codes::INVALID_INPUT);
    }
}
