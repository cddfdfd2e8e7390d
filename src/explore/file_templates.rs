//! The sequence's names, tokens and runs as a scenario file's templates
//! (`{{flow.s0}}`, `{{token.t2}}`, `{{r0}}`): the [`Namer`] the saved
//! file's requests are made with.

use std::cell::RefCell;

use super::generate::Variant;
use super::names::Namer;
use crate::model::Observed;

/// Names and tokens as a scenario file's templates.
#[derive(Default)]
pub(super) struct Templates {
    /// The flow names the sequence was played with, up to the slot number
    /// (`ah-x<sequence>-s`): a model's name becomes `{{flow.s<slot>}}`.
    pub(super) played_prefix: String,
    /// The runs answered before the step being written (see [`UNCAPTURED`]).
    pub(super) runs: RefCell<Vec<String>>,
    /// The executionId the played step named (a cancel's), if any.
    pub(super) played_run: RefCell<Option<String>>,
}

impl Templates {
    /// Ready to write played step `p`: the runs answered before it, and
    /// the run it named (a cancel's, as the play chose it).
    pub(super) fn before(&self, p: &super::play::Played, runs: &[String]) {
        self.runs.replace(runs.to_vec());
        self.played_run.replace(match p.calls.first() {
            Some(crate::model::Invocation::Cancel { execution_id, .. }) => {
                Some(execution_id.clone())
            }
            _ => None,
        });
    }
}

impl Namer for Templates {
    // A near miss is its base's template with a filter (`|upper`,
    // `|length:N`): the runner makes it from the same value, as explore did.
    // Spaces at either end stay literal text (written as a raw body).
    fn name(&self, slot: u8, v: Variant) -> String {
        near_miss(&format!("flow.s{slot}"), v)
    }

    fn token(&self, k: u8, v: Variant) -> String {
        near_miss(&format!("token.t{k}"), v)
    }

    /// The run the played step named (`played_run`: the play chose it),
    /// as its capture; a run no step captured cannot be named, so it
    /// becomes an id no run has (the file's expectation is then the
    /// model's weaker one).
    fn run(&self, _: u8, _: Option<usize>) -> String {
        let runs = self.runs.borrow();
        let played = self.played_run.borrow();
        match played
            .as_ref()
            .and_then(|id| runs.iter().position(|r| r == id))
        {
            Some(k) => format!("{{{{r{k}}}}}"),
            None => "ah-norun-scenario".into(),
        }
    }
}

/// The template of `name` (`token.t2`) as the near miss `v` of it.
fn near_miss(name: &str, v: Variant) -> String {
    match v {
        Variant::Plain => format!("{{{{{name}}}}}"),
        Variant::Lead => format!(" {{{{{name}}}}}"),
        Variant::Trail => format!("{{{{{name}}}}} "),
        Variant::Upper => format!("{{{{{name}|upper}}}}"),
        Variant::Len(n) => format!("{{{{{name}|length:{n}}}}}"),
    }
}

/// Marks a run no step captures in the list of runs (its place counts, as
/// in the order runs were answered, but no template names it).
pub(super) const UNCAPTURED: char = '\u{1}';

/// Whether `id` is in `runs`, captured or not.
pub(super) fn known(runs: &[String], id: &str) -> bool {
    (runs.iter()).any(|r| r == id || r.strip_prefix(UNCAPTURED) == Some(id))
}

/// The executionId of a 200.
pub(super) fn run_id(o: &Observed) -> Option<String> {
    o.execution_id.clone().filter(|_| o.status == 200)
}
