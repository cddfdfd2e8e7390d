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
    pub needle: String,
    /// What is wrong, a lowercase fragment.
    pub message: String,
    /// What to do about it.
    pub hint: &'static str,
}

/// Checks `s`'s `with-previous:` against the step before it (`None`: `s`
/// is the first step) and the captures of the steps of its group before
/// it (`group`). Errors: the first step, `concurrent:` on either step, a
/// test-control step on either side, `when:` on the joining step, a
/// template naming a capture of its own group.
pub(super) fn check(
    s: &StepFile,
    previous: Option<Joinable>,
    group: &[String],
) -> Result<(), GroupError> {
    if !s.with_previous {
        return Ok(());
    }
    let err = |needle: &str, message: &str, hint| {
        Err(GroupError {
            needle: needle.to_owned(),
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
    let written = serde_json::to_value(s).unwrap_or_default();
    let mut texts = Vec::new();
    strings(&written, &mut texts);
    for text in texts {
        for name in super::template::names(text).unwrap_or_default() {
            let (name, _) = super::template::split(name).unwrap_or((name, Vec::new()));
            if group.iter().any(|c| c == name) {
                return err(
                    &format!("{{{{{name}"),
                    "the step uses a capture of a step it is sent with, whose answer is not there when it is sent",
                    "capture it in a step before the group",
                );
            }
        }
    }
    Ok(())
}

/// Every string inside `v`.
fn strings<'v>(v: &'v serde_json::Value, out: &mut Vec<&'v str>) {
    match v {
        serde_json::Value::String(s) => out.push(s),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}
