//! The field rules of the AppFlow service model that the operations share
//! (the flowName / clientToken patterns, page sizes), and the vocabulary
//! they speak, re-exported from [`crate::appflow`].

use super::error::ApiError;

pub use crate::appflow::{
    ExecutionStatus, FlowStatus, Millis, TriggerType, civil_date, epoch_seconds,
};

/// `flowName`: length <= 256, pattern `^[a-zA-Z0-9][\w!@#.-]+$` (so at least 2).
pub fn validate_flow_name(name: &str) -> Result<(), ApiError> {
    let bytes = name.as_bytes();
    let ok = bytes.len() >= 2
        && bytes.len() <= 256
        && bytes[0].is_ascii_alphanumeric()
        && bytes[1..].iter().all(|&b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'!' | b'@' | b'#' | b'.' | b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(ApiError::validation(format!(
            "1 validation error detected: Value '{}' at 'flowName' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [a-zA-Z0-9][\\w!@#.-]+ and have length between 2 and 256",
            truncate(name, 300)
        )))
    }
}

/// `clientToken`: length 1..=256, printable ASCII (space included).
pub fn validate_client_token(token: &str) -> Result<(), ApiError> {
    let bytes = token.as_bytes();
    let ok = !bytes.is_empty()
        && bytes.len() <= 256
        && bytes.iter().all(|&b| (b' '..=b'~').contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ApiError::validation(
            "1 validation error detected: Value at 'clientToken' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [ -~]+ and have length between 1 and 256",
        ))
    }
}

/// `maxResults`: 1..=100, defaulting to 20 \[chosen\].
pub fn max_results(value: Option<i64>) -> Result<usize, ApiError> {
    match value {
        None => Ok(20),
        Some(n @ 1..=100) => Ok(n as usize),
        Some(n) => Err(ApiError::validation(format!(
            "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: \
             Member must have value between 1 and 100"
        ))),
    }
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_name_follows_the_model_pattern() {
        for ok in ["ab", "a1", "Z_!@#.-", &"a".repeat(256)] {
            assert!(validate_flow_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a", "_ab", "-ab", "a b", "a/b", "ä1", &"a".repeat(257)] {
            assert!(validate_flow_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn client_token_is_printable_ascii_of_1_to_256() {
        for ok in [" ", "~", "a b-c", &"x".repeat(256)] {
            assert!(validate_client_token(ok).is_ok(), "{ok:?}");
        }
        for bad in ["", "\t", "é", "a\nb", &"x".repeat(257)] {
            assert!(validate_client_token(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn max_results_defaults_to_20_and_bounds_1_to_100() {
        assert_eq!(max_results(None).ok(), Some(20));
        assert_eq!(max_results(Some(100)).ok(), Some(100));
        assert!(max_results(Some(0)).is_err());
        assert!(max_results(Some(101)).is_err());
    }
}
