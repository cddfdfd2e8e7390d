//! What a scenario observes beside its checks: notes (W5 members, runs it
//! did not start), wire rules broken (counted, not repeated per step), and
//! the runs it started.

use serde_json::Value;

use super::scenario_run::Run;
use super::{FailureKind, WireCount};
use crate::appflow::Operation;
use crate::client::{Call, Outcome};
use crate::contract::{Note, Violation};

impl Run<'_> {
    /// A note of the scenario's own (not from an answer).
    pub(super) fn note(&mut self, text: String) {
        self.notes.entry(text.clone()).or_insert(text);
    }

    /// Keeps each note once per operation and member path (list indices folded).
    pub(super) fn take_notes(&mut self, operation: Operation, notes: Vec<Note>) {
        for n in notes {
            let at: Vec<&str> =
                n.at.split('.')
                    .map(|p| if p.parse::<usize>().is_ok() { "*" } else { p })
                    .collect();
            let key = format!("{operation} {}", at.join("."));
            let text = format!("{key}: {}", crate::safe_text::escape_control(&n.text));
            self.notes.entry(key).or_insert(text);
        }
    }

    pub(super) fn count_wire(&mut self, wire: Vec<Violation>) {
        for v in wire {
            *self.wire.entry((v.at, v.rule, v.id)).or_default() += 1;
        }
    }

    /// Remembers the runs this scenario started, and notes runs on its own
    /// flows that it did not start (another client, or another scenario).
    pub(super) fn watch_runs(&mut self, operation: Operation, calls: &[Call]) {
        for c in calls {
            let Outcome::Reply(r) = &c.outcome else {
                continue;
            };
            let Some(body) = r.json.as_ref().filter(|_| r.status == 200) else {
                continue;
            };
            match operation {
                Operation::StartFlow => {
                    if let Some(id) = body.get("executionId").and_then(Value::as_str) {
                        self.started.insert(id.to_owned());
                    }
                }
                Operation::DescribeFlowExecutionRecords => {
                    let records = body.get("flowExecutions").and_then(Value::as_array);
                    for id in records
                        .into_iter()
                        .flatten()
                        .filter_map(|r| r.get("executionId").and_then(Value::as_str))
                    {
                        if !self.started.contains(id) {
                            let shown = crate::safe_text::escape_control(id);
                            self.notes.entry(format!("foreign {id}")).or_insert(format!(
                                "foreign activity: run {shown} on this scenario's flow was not started by it (another client or a retry?)"
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// One failure per wire rule broken, with its count.
    pub(super) fn wire_failures(&mut self) -> Vec<WireCount> {
        let answers = self.answers;
        let counts: Vec<WireCount> = std::mem::take(&mut self.wire)
            .into_iter()
            .map(|((at, rule, id), count)| WireCount {
                at,
                rule,
                id,
                count,
            })
            .collect();
        for w in &counts {
            self.fail(
                None,
                FailureKind::Wire,
                format!(
                    "{}: {} ({}), on {} of {answers} answers",
                    w.at, w.rule, w.id, w.count
                ),
            );
        }
        counts
    }
}
