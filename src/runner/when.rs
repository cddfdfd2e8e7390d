//! Whether a step is played where the contract let the target choose:
//! its `when:` (an earlier step's status, body, or the order its copies
//! answered in), and the captures it uses that were left unbound (a copy
//! that lost its order).

use super::ledger::Ledger;
use super::scenario_run::NOT_APPLICABLE;
use crate::scenario::Step;
use crate::scenario::template::Bindings;

/// Why `step` is not applicable to the outcome the target chose, if it is not.
pub(super) fn reason(ledger: &Ledger, step: &Step, bindings: &Bindings) -> Option<String> {
    let used = super::fixtures::step_names(step);
    if let Some((name, why)) = ledger.unbound.iter().find(|(name, _)| used.contains(name)) {
        return Some(format!(
            "{NOT_APPLICABLE}: `{name}` was not captured ({why}); this step checks the outcome where it was"
        ));
    }
    let when = step.when.as_ref()?;
    if !when.statuses_in_order.is_empty() {
        let got = ledger.copy_statuses.get(&when.step);
        return (got != Some(&when.statuses_in_order)).then(|| {
            format!(
                "{NOT_APPLICABLE}: the copies of step {} answered {}; this step checks the outcome of {}",
                when.step,
                got.map_or_else(|| "nothing".to_owned(), |v| statuses(v)),
                statuses(&when.statuses_in_order)
            )
        });
    }
    match ledger.statuses.get(&when.step) {
        Some(_) if when.body.is_some() => body_differs(ledger, when, bindings),
        Some(got) if when.status.is_empty() || when.status.contains(got) => None,
        Some(got) => Some(format!(
            "{NOT_APPLICABLE}: step {} answered {got}; this step checks the outcome of {}",
            when.step,
            when.status
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(" or ")
        )),
        None => Some(format!(
            "{NOT_APPLICABLE}: step {} got no answer",
            when.step
        )),
    }
}

/// `[200, 409]` as a reason shows it.
fn statuses(v: &[u16]) -> String {
    let v: Vec<String> = v.iter().map(u16::to_string).collect();
    format!("[{}]", v.join(", "))
}

/// Why a step whose `when:` names a body is not played: the earlier
/// step's status or body is another outcome the contract allows.
fn body_differs(
    ledger: &Ledger,
    when: &crate::scenario::When,
    bindings: &Bindings,
) -> Option<String> {
    let got = ledger.statuses.get(&when.step).copied().unwrap_or_default();
    if !when.status.is_empty() && !when.status.contains(&got) {
        return Some(format!(
            "{NOT_APPLICABLE}: step {} answered {got}; this step checks another outcome",
            when.step
        ));
    }
    let want = bindings.render(when.body.as_ref()?);
    let mut misses = Vec::new();
    crate::scenario::matcher::match_value(&want, ledger.bodies.get(&when.step), "", &mut misses);
    let m = misses.first()?;
    let at = if m.path.is_empty() {
        "the body"
    } else {
        m.path.as_str()
    };
    Some(format!(
        "{NOT_APPLICABLE}: step {} answered {at} {}; this step checks the outcome where it is {}",
        when.step, m.actual, m.expected
    ))
}
