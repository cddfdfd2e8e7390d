//! Which rules of APPFLOW.md the scenarios cover, by the ids they declare
//! (`covers: [T1, T5]`); rules on input need both sides, a rejection and an
//! accepted boundary.

use super::{ContractTag, Scenario};

/// Rules on input: covered only when some scenario expects the input
/// refused (400) and some expects it accepted (200).
pub const INPUT_RULES: [&str; 2] = ["V1", "V2"];

/// One rule and the scenarios that cover it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleCoverage {
    /// The APPFLOW.md rule id (`T1`).
    pub id: String,
    /// (scenario name, its contract tag)
    pub scenarios: Vec<(String, Option<ContractTag>)>,
    /// For input rules: what is missing (`no accepted boundary`), else `None`.
    pub missing_side: Option<&'static str>,
}

impl RuleCoverage {
    /// Whether some scenario covers the rule and, for an input rule (V1, V2),
    /// both a refusal and an accepted boundary are expected.
    pub fn covered(&self) -> bool {
        !self.scenarios.is_empty() && self.missing_side.is_none()
    }
}

/// The coverage of every id in `ids` by `scenarios`.
pub fn coverage(scenarios: &[Scenario], ids: &[&str]) -> Vec<RuleCoverage> {
    ids.iter()
        .map(|id| {
            let covering: Vec<&Scenario> = scenarios
                .iter()
                .filter(|s| s.covers.iter().any(|c| c == id))
                .collect();
            let expects = |status: u16| {
                covering
                    .iter()
                    .flat_map(|s| &s.steps)
                    .any(|st| st.expect.status.as_deref() == Some(&[status][..]))
            };
            let missing_side = if !INPUT_RULES.contains(id) || covering.is_empty() {
                None
            } else if !expects(400) {
                Some("no scenario expects the input refused (400)")
            } else if !expects(200) {
                Some("no scenario expects an accepted boundary (200)")
            } else {
                None
            };
            RuleCoverage {
                id: (*id).to_owned(),
                scenarios: covering
                    .iter()
                    .map(|s| (s.name.clone(), s.contract))
                    .collect(),
                missing_side,
            }
        })
        .collect()
}

/// The table `check --list-coverage` prints.
pub fn render(
    table: &[RuleCoverage],
    w: &mut (impl std::io::Write + ?Sized),
) -> std::io::Result<()> {
    for r in table {
        let list = r
            .scenarios
            .iter()
            .map(|(name, tag)| match tag {
                Some(t) => format!("{name} ({})", t.as_str()),
                None => name.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let mark = match (r.covered(), r.missing_side) {
            (true, _) => "ok ",
            (false, Some(_)) => "HALF",
            (false, None) => "NONE",
        };
        write!(
            w,
            "{mark:4} {:4} {}",
            r.id,
            if list.is_empty() { "-" } else { &list }
        )?;
        if let Some(why) = r.missing_side {
            write!(w, "  [{why}]")?;
        }
        writeln!(w)?;
    }
    let covered = table.iter().filter(|r| r.covered()).count();
    writeln!(w, "{covered} of {} rule ids covered", table.len())
}
