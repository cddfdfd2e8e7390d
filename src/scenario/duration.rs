//! Durations as scenario files and options write them: `250ms`, `30s`, `2m`, `8h`.

use std::time::Duration;

/// "8h", "90s", "250ms", "2m".
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 30s, 250ms, 2m or 8h"))?;
    let ms = match unit {
        "ms" => n,
        "s" => n * 1000,
        "m" => n * 60_000,
        "h" => n * 3_600_000,
        _ => return Err(format!("`{s}` is not a duration like 30s, 250ms, 2m or 8h")),
    };
    Ok(Duration::from_millis(ms))
}

/// `d` as [`parse_duration`] reads it: whole seconds as `30s`, else `250ms`.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_formatted_duration_reads_back_to_the_millisecond() {
        for ms in [0, 250, 1000, 10_000, 90_500] {
            let d = Duration::from_millis(ms);
            assert_eq!(parse_duration(&format_duration(d)), Ok(d), "{ms}ms");
        }
    }

    #[test]
    fn durations_have_one_unit() {
        assert_eq!(parse_duration("8h"), Ok(Duration::from_secs(8 * 3600)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("8").is_err());
        assert!(parse_duration("abc").is_err());
        assert!(parse_duration("1d").is_err());
    }
}
