use pki_types::UnixTime;
use std::fmt::Debug;

/// The clock that certificate validity and ticket ages are checked with.
/// The default is the system clock; a test supplies a fixed one.
pub trait TimeSource: Send + Sync + Debug {
    /// The time now.
    fn now(&self) -> UnixTime;

    /// The time now in milliseconds since 1970, for ticket ages (RFC 8446
    /// §4.2.11.1 counts them in milliseconds). The default has the
    /// resolution of [`TimeSource::now`].
    fn now_ms(&self) -> u64 {
        self.now().as_secs().saturating_mul(1000)
    }
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl TimeSource for SystemClock {
    fn now(&self) -> UnixTime {
        UnixTime::now()
    }

    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    }
}

/// Formats seconds since 1970 as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn format_unix_time(secs: u64) -> String {
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(format_unix_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_unix_time(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_unix_time(1_795_361_492), "2026-11-22 15:31:32 UTC");
    }
}
