//! The sequence's names, tokens and runs as a scenario file's templates
//! (`{{flow.s0}}`, `{{token.t2}}`, `{{r0}}`): the [`Namer`] the saved
//! file's requests are made with.

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::generate::Variant;
use super::names::Namer;
use super::scenario_file::UNCAPTURED;

/// Names and tokens as a scenario file's templates.
#[derive(Default)]
pub(super) struct Templates {
    /// The flow names the sequence was played with, up to the slot number
    /// (`ah-x<sequence>-s`): a model's name becomes `{{flow.s<slot>}}`.
    pub(super) played_prefix: String,
    /// Flow aliases beyond the slots: alias -> name length (None: default).
    pub(super) flows: RefCell<BTreeMap<String, Option<u16>>>,
    /// Token aliases with a length.
    pub(super) tokens: RefCell<BTreeMap<String, u16>>,
    /// The runs answered before the step being written (see [`UNCAPTURED`]).
    pub(super) runs: RefCell<Vec<String>>,
}

impl Namer for Templates {
    fn name(&self, slot: u8, v: Variant) -> String {
        let base = format!("s{slot}");
        match v {
            Variant::Plain => format!("{{{{flow.{base}}}}}"),
            Variant::Lead => format!(" {{{{flow.{base}}}}}"),
            Variant::Trail => format!("{{{{flow.{base}}}}} "),
            Variant::Upper => {
                self.flows.borrow_mut().insert(format!("{base}u"), None);
                format!("{{{{flow.{base}u}}}}")
            }
            Variant::Len(n) => {
                let alias = format!("{base}_{n}");
                self.flows.borrow_mut().insert(alias.clone(), Some(n));
                format!("{{{{flow.{alias}}}}}")
            }
        }
    }

    fn token(&self, k: u8, v: Variant) -> String {
        let base = format!("t{k}");
        match v {
            Variant::Plain => format!("{{{{token.{base}}}}}"),
            Variant::Lead => format!(" {{{{token.{base}}}}}"),
            Variant::Trail => format!("{{{{token.{base}}}}} "),
            Variant::Upper => format!("{{{{token.{base}u}}}}"),
            Variant::Len(n) => {
                let alias = format!("{base}_{n}");
                self.tokens.borrow_mut().insert(alias.clone(), n);
                format!("{{{{token.{alias}}}}}")
            }
        }
    }

    /// Run `i` modulo the runs answered so far, as the played sequence
    /// chose it; a run no step captured cannot be named, so it becomes an
    /// id no run has (the file's expectation is then the model's weaker one).
    fn run(&self, i: Option<usize>) -> String {
        let runs = self.runs.borrow();
        match i {
            Some(i) if !runs.is_empty() && !runs[i % runs.len()].starts_with(UNCAPTURED) => {
                format!("{{{{r{}}}}}", i % runs.len())
            }
            _ => "ah-norun-scenario".into(),
        }
    }
}
