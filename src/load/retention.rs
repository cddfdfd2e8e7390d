//! What the target documents about how long it keeps what a load run
//! reads back: its clientToken lifetime (T4) and its run-record retention.
//! Read from the emulator's configuration document (`GET /_harness/config`:
//! `tokenTtlMs`, `maxRunsPerFlow`) when the target has one; otherwise the
//! contract's 8 hours and no documented run retention, so that a run the
//! reads miss is then lost, never excused as evicted (fail closed).

use serde_json::Value;

/// AWS's clientToken lifetime (T4), when the target documents none.
pub const DEFAULT_TOKEN_TTL_MS: u64 = 8 * 3_600_000;

/// A target's documented lifetimes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// How long a StartFlow clientToken is remembered, in ms (T4).
    pub token_ttl_ms: u64,
    /// Runs kept per flow beyond those younger than the token TTL, when the
    /// target documents it (`Some(0)`: every run is kept).
    pub runs_per_flow: Option<u64>,
    /// Whether the figures come from the target's configuration document.
    pub documented: bool,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            token_ttl_ms: DEFAULT_TOKEN_TTL_MS,
            runs_per_flow: None,
            documented: false,
        }
    }
}

impl Retention {
    /// The retention a configuration document (`/_harness/config`'s JSON)
    /// states; members absent or of another type leave the defaults.
    pub fn of_config(doc: Option<&Value>) -> Self {
        let Some(doc) = doc.filter(|d| d.is_object()) else {
            return Self::default();
        };
        let ttl = doc.get("tokenTtlMs").and_then(Value::as_u64);
        Self {
            token_ttl_ms: ttl.unwrap_or(DEFAULT_TOKEN_TTL_MS),
            runs_per_flow: doc.get("maxRunsPerFlow").and_then(Value::as_u64),
            documented: ttl.is_some(),
        }
    }

    /// Whether the target's documented retention lets it drop a run that
    /// was `age_ms` old with `newer` runs of its flow after it when its flow
    /// was read: older than the token TTL and beyond the newest kept.
    pub fn may_drop(&self, age_ms: u64, newer: u64) -> bool {
        match self.runs_per_flow {
            Some(keep) if self.documented && keep > 0 => {
                age_ms >= self.token_ttl_ms && newer >= keep
            }
            _ => false,
        }
    }

    /// The token TTL for the report: `60 s (the target's configuration
    /// document)` or `8 h (AWS's, the target documents none)`.
    pub fn ttl_text(&self) -> String {
        let ms = self.token_ttl_ms;
        let figure = if ms.is_multiple_of(3_600_000) {
            format!("{} h", ms / 3_600_000)
        } else if ms.is_multiple_of(1_000) {
            format!("{} s", ms / 1_000)
        } else {
            format!("{ms} ms")
        };
        if self.documented {
            format!("{figure} (the target's configuration document)")
        } else {
            format!("{figure} (AWS's; the target documents none)")
        }
    }

    /// The run retention for the report.
    pub fn runs_text(&self) -> String {
        match self.runs_per_flow {
            Some(0) => "every run kept".into(),
            Some(k) if self.documented => format!(
                "the newest {k} runs per flow plus those younger than the token TTL of {}",
                self.ttl_text()
            ),
            _ => "no run retention documented".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_documented_retention_excuses_a_missing_run() {
        let doc = serde_json::json!({"tokenTtlMs": 60_000, "maxRunsPerFlow": 1000});
        let r = Retention::of_config(Some(&doc));
        assert_eq!(r.token_ttl_ms, 60_000);
        assert!(r.may_drop(60_000, 1000), "older than the TTL, beyond 1000");
        assert!(!r.may_drop(59_999, 5000), "younger than the TTL: kept");
        assert!(!r.may_drop(600_000, 999), "among the newest 1000: kept");
        let none = Retention::of_config(None);
        assert_eq!(none.token_ttl_ms, DEFAULT_TOKEN_TTL_MS);
        assert!(!none.may_drop(u64::MAX, u64::MAX), "undocumented: never");
        assert!(none.ttl_text().starts_with("8 h"), "{}", none.ttl_text());
        let every = serde_json::json!({"tokenTtlMs": 1000, "maxRunsPerFlow": 0});
        assert!(!Retention::of_config(Some(&every)).may_drop(u64::MAX, u64::MAX));
    }
}
