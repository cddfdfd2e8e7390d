//! Faults the test-control API injects into AppFlow routes: errors, added
//! latency, and connections closed without an answer, before or after the
//! state change, for the next N requests or a fraction of them.

use serde::{Deserialize, Serialize};

/// What an injected fault does to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// 500 InternalServerException.
    Internal,
    /// 429 ThrottlingException.
    Throttle,
    /// The normal answer, `latencyMs` late.
    Latency,
    /// The connection is closed before a complete response.
    Drop,
}

/// Whether the request's work is done before the fault answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultWhen {
    /// The request is not applied ("it never arrived").
    #[default]
    Before,
    /// The request is applied, then its answer is replaced ("the answer was lost").
    After,
}

/// A fault as `/_harness/faults` takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRule {
    /// What the fault does.
    pub kind: FaultKind,
    /// Whether the request is applied before the fault answers; `before` when absent.
    #[serde(default)]
    pub when: FaultWhen,
    /// Only requests to this operation (e.g. `StartFlow`); absent: every operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The next `count` matching requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// This fraction (0..=1) of matching requests, spread evenly and deterministically.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraction: Option<f64>,
    /// `latencyMs`: the delay a `latency` fault adds, in milliseconds (also delays other kinds when set).
    #[serde(default)]
    pub latency_ms: u64,
}

/// The fault chosen for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// What the fault does.
    pub kind: FaultKind,
    /// Whether the request is applied before the fault answers.
    pub when: FaultWhen,
    /// Delay before the answer, in milliseconds (0: none).
    pub latency_ms: u64,
}

/// The faults set through `/_harness/faults`, in the order added, each with how many
/// matching requests it has seen.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Vec<(FaultRule, u64)>,
}

impl Faults {
    /// Adds `rule`.
    ///
    /// # Errors
    /// A message for the control API's 400 if both or neither of `count` and `fraction` are
    /// given, `fraction` is outside 0..=1, or a `latency` fault has no `latencyMs`.
    pub fn add(&mut self, rule: FaultRule) -> Result<(), String> {
        match (rule.count, rule.fraction) {
            (Some(_), Some(_)) => return Err("give either count or fraction, not both".into()),
            (None, None) => return Err("give count (next N requests) or fraction (0..=1)".into()),
            (None, Some(f)) if !(0.0..=1.0).contains(&f) => {
                return Err("fraction must be between 0 and 1".into());
            }
            _ => {}
        }
        if rule.kind == FaultKind::Latency && rule.latency_ms == 0 {
            return Err("a latency fault needs latencyMs".into());
        }
        self.rules.push((rule, 0));
        Ok(())
    }

    /// Removes every fault.
    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// Whether no fault is set (the hot path then skips the faults lock).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules still set, as `/_harness/faults` lists them (spent `count` rules are gone).
    pub fn rules(&self) -> Vec<FaultRule> {
        self.rules.iter().map(|(r, _)| r.clone()).collect()
    }

    /// The fault for the next request to `operation`, if any; spent rules go.
    pub fn take(&mut self, operation: &str) -> Option<Fault> {
        let mut chosen = None;
        for (rule, seen) in &mut self.rules {
            if rule.operation.as_deref().is_some_and(|o| o != operation) {
                continue;
            }
            let hit = match (&mut rule.count, rule.fraction) {
                (Some(n), _) if *n > 0 => {
                    *n -= 1;
                    true
                }
                (Some(_), _) => false,
                (None, Some(f)) => {
                    // The k-th request is hit when floor(k*f) steps up: exact over any run.
                    let k = *seen;
                    *seen += 1;
                    ((k + 1) as f64 * f).floor() > (k as f64 * f).floor()
                }
                (None, None) => false,
            };
            if hit {
                chosen = Some(Fault {
                    kind: rule.kind,
                    when: rule.when,
                    latency_ms: rule.latency_ms,
                });
                break;
            }
        }
        self.rules.retain(|(r, _)| r.count != Some(0));
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(count: Option<u64>, fraction: Option<f64>) -> FaultRule {
        FaultRule {
            kind: FaultKind::Internal,
            when: FaultWhen::Before,
            operation: Some("StartFlow".into()),
            count,
            fraction,
            latency_ms: 0,
        }
    }

    #[test]
    fn count_rules_hit_the_next_n_matching_requests_then_go() {
        let mut f = Faults::default();
        f.add(rule(Some(2), None)).expect("valid");
        assert!(f.take("DescribeFlow").is_none());
        assert!(f.take("StartFlow").is_some());
        assert!(f.take("StartFlow").is_some());
        assert!(f.take("StartFlow").is_none());
        assert!(f.is_empty());
    }

    #[test]
    fn fraction_rules_hit_exactly_that_share() {
        let mut f = Faults::default();
        f.add(rule(None, Some(0.25))).expect("valid");
        let hits = (0..1000).filter(|_| f.take("StartFlow").is_some()).count();
        assert_eq!(hits, 250);
    }

    #[test]
    fn bad_rules_are_refused() {
        let mut f = Faults::default();
        assert!(f.add(rule(None, None)).is_err());
        assert!(f.add(rule(Some(1), Some(0.5))).is_err());
        assert!(f.add(rule(None, Some(1.5))).is_err());
    }
}
