//! Parsers of flag values that say what was wrong in a user's words (no
//! "invalid digit found in string"), and refuse values that cannot work
//! (`--jobs 0`, `--timeout-secs 0`) before anything runs.

/// A count of at least 1 (`--jobs`).
pub fn at_least_one(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("0 runs nothing; give 1 or more".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{s}` is not a whole number (e.g. 2)")),
    }
}

/// A number of seconds of at least 1 (`--timeout-secs`).
pub fn seconds(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(0) => Err("0 seconds leaves no time for an answer; give 1 or more".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{s}` is not a whole number of seconds (e.g. 10)")),
    }
}

/// A size in bytes of at least 1 (`--max-answer-bytes`).
pub fn bytes(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("0 bytes refuses every answer; give 1 or more".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "`{s}` is not a whole number of bytes (e.g. 4194304)"
        )),
    }
}

/// A rate above 0 (`--max-rps`): requests a second, fractions allowed.
pub fn rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
        Ok(_) => Err("a rate is a number above 0 (e.g. 5 or 0.5)".into()),
        Err(_) => Err(format!("`{s}` is not a number (e.g. 5 or 0.5)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_words_are_refused_in_plain_words() {
        assert_eq!(at_least_one("2"), Ok(2));
        assert!(at_least_one("0").is_err_and(|e| e.contains("give 1 or more")));
        assert!(seconds("0").is_err_and(|e| e.contains("no time")));
        assert!(seconds("ten").is_err_and(|e| e.contains("`ten` is not a whole number")));
        assert!(bytes("-1").is_err_and(|e| !e.contains("digit")));
        assert_eq!(rate("0.5"), Ok(0.5));
        assert!(rate("0").is_err() && rate("NaN").is_err() && rate("fast").is_err());
    }
}
