//! The `svix-timestamp` header: strict parsing and the replay window.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::WebhookError;

/// How far a delivery's timestamp may be from the verifier's clock, either way: 5 minutes,
/// as in every Svix and Standard Webhooks library.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// Parses decimal Unix seconds: ASCII digits only, no sign, fraction, exponent or trailing
/// text, and no overflow.
pub(crate) fn parse_seconds(value: &str) -> Result<i64, WebhookError> {
    if value.is_empty() {
        return Err(WebhookError::InvalidTimestamp);
    }
    value.bytes().try_fold(0i64, |seconds, byte| {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return Err(WebhookError::InvalidTimestamp);
        }
        seconds
            .checked_mul(10)
            .and_then(|s| s.checked_add(i64::from(digit)))
            .ok_or(WebhookError::InvalidTimestamp)
    })
}

/// Checks `timestamp` against `now`, both in Unix seconds. Exactly `tolerance` away is accepted.
pub(crate) fn check_window(
    timestamp: i64,
    now: i64,
    tolerance: Duration,
) -> Result<(), WebhookError> {
    let tolerance = i128::from(tolerance.as_secs());
    let age = i128::from(now) - i128::from(timestamp);
    if age > tolerance {
        Err(WebhookError::TimestampTooOld { timestamp, now })
    } else if -age > tolerance {
        Err(WebhookError::TimestampTooNew { timestamp, now })
    } else {
        Ok(())
    }
}

/// Whole Unix seconds of `time` (negative before 1970), saturating.
pub(crate) fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// Formats seconds in decimal into `buf` (20 bytes hold any `i64`), returning the text.
pub(crate) fn format_seconds(seconds: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut n = seconds.unsigned_abs();
    let mut start = buf.len();
    loop {
        start -= 1;
        // `n % 10` is below 10, so the cast cannot truncate.
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if seconds < 0 {
        start -= 1;
        buf[start] = b'-';
    }
    &buf[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_parsing() {
        assert_eq!(parse_seconds("1716883200"), Ok(1_716_883_200));
        assert_eq!(parse_seconds("0"), Ok(0));
        for bad in [
            "",
            "-1",
            "+1",
            "1.5",
            "1e9",
            "1716883200abc",
            " 1",
            "99999999999999999999",
        ] {
            assert_eq!(
                parse_seconds(bad),
                Err(WebhookError::InvalidTimestamp),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn formats_like_display() {
        let mut buf = [0; 20];
        for n in [0, 7, 10, 1_716_883_200, i64::MAX, -1, i64::MIN] {
            assert_eq!(format_seconds(n, &mut buf), n.to_string().as_bytes());
        }
    }

    #[test]
    fn window_edges() {
        let t = DEFAULT_TOLERANCE;
        assert!(check_window(1000, 1300, t).is_ok());
        assert!(check_window(1300, 1000, t).is_ok());
        assert!(matches!(
            check_window(1000, 1301, t),
            Err(WebhookError::TimestampTooOld { .. })
        ));
        assert!(matches!(
            check_window(1301, 1000, t),
            Err(WebhookError::TimestampTooNew { .. })
        ));
        assert!(check_window(i64::MAX, i64::MIN, Duration::MAX).is_ok());
    }
}
