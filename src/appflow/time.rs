//! Time on the wire (W4: epoch seconds) and the civil dates reports carry.

use std::time::{SystemTime, UNIX_EPOCH};

/// Epoch milliseconds, the emulator's unit of time; the wire shows epoch seconds.
pub type Millis = u64;

/// Epoch milliseconds as the wire's epoch seconds (W4), fraction kept: 1500 ms
/// is 1.5.
pub fn epoch_seconds(ms: Millis) -> f64 {
    ms as f64 / 1000.0
}

/// (year, month 1-12, day 1-31) of an epoch-millisecond time, proleptic
/// Gregorian (Howard Hinnant's civil_from_days).
pub fn civil_date(ms: Millis) -> (i64, u32, u32) {
    let z = (ms / 86_400_000) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// `YYYY-MM-DD` of `now` (reports and recordings carry it).
pub fn today(now: SystemTime) -> String {
    let ms = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let (y, m, d) = civil_date(ms);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_of_known_days() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(951_782_400_000), (2000, 2, 29));
        assert_eq!(
            today(UNIX_EPOCH + std::time::Duration::from_secs(1_795_000_000)),
            "2026-11-18"
        );
    }
}
