//! `with-previous:` groups: a step sent at the same moment as the step
//! before it (a write racing another). What may join a group is checked
//! here, where a file is read; the runner sends a group at once.

use super::file::StepFile;
use super::step_parts::{ActionFile, s_actions};

/// What a step is, as far as a `with-previous` step after it cares.
#[derive(Debug, Clone, Copy)]
pub(super) struct Joinable {
    /// It calls an operation (a JSON or raw body), not the test-control API.
    call: bool,
    /// It sends copies (`concurrent:` above 1).
    copies: bool,
}

impl Joinable {
    /// What `s` offers the step after it.
    pub(super) fn of(s: &StepFile) -> Self {
        Self {
            call: is_call(s),
            copies: s.concurrent.is_some_and(|n| n > 1),
        }
    }
}

fn is_call(s: &StepFile) -> bool {
    let actions = s_actions(s);
    !actions.is_empty()
        && actions
            .iter()
            .all(|(_, a)| matches!(a, ActionFile::Op(..) | ActionFile::Raw(..)))
}

/// A `with-previous` that cannot be played: the key to point at, what is
/// wrong and a hint.
pub(super) struct GroupError {
    /// The text the error points at in the step.
    pub needle: &'static str,
    /// What is wrong, a lowercase fragment.
    pub message: String,
    /// What to do about it.
    pub hint: &'static str,
}

/// Checks `s`'s `with-previous:` against the step before it (`None`: `s`
/// is the first step). Errors: the first step, `concurrent:` on either
/// step, a test-control step on either side, `when:` on the joining step.
pub(super) fn check(s: &StepFile, previous: Option<Joinable>) -> Result<(), GroupError> {
    if !s.with_previous {
        return Ok(());
    }
    let err = |needle, message: &str, hint| {
        Err(GroupError {
            needle,
            message: format!("with-previous: {message}"),
            hint,
        })
    };
    let Some(previous) = previous else {
        return err(
            "with-previous",
            "the first step has no step before it to be sent with",
            "remove it, or move the step after the one it is sent with",
        );
    };
    if s.concurrent.is_some() || previous.copies {
        return err(
            "concurrent",
            "a step sent with the one before it cannot also send copies (`concurrent:`)",
            "use `concurrent:` with `each:` for copies of one request, `with-previous` for different requests",
        );
    }
    if !is_call(s) || !previous.call {
        return err(
            "with-previous",
            "only calls are sent at once; this step or the one before it is a test-control step",
            "put the control step before the group",
        );
    }
    if s.when.is_some() {
        return err(
            "when",
            "a step sent with the one before it is played with it, so it takes no `when:`",
            "put `when:` on the group's first step: it decides for the whole group",
        );
    }
    Ok(())
}
