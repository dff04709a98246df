//! Svix's retry schedule.

use std::time::Duration;

/// The delay before each attempt Svix makes: the first at once, then after each failure
/// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h. Eight attempts in all.
pub const RETRY_SCHEDULE: [Duration; 8] = [
    Duration::ZERO,
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 60 * 60),
    Duration::from_secs(5 * 60 * 60),
    Duration::from_secs(10 * 60 * 60),
    Duration::from_secs(10 * 60 * 60),
];

/// How long to wait after the `failed`-th failed scheduled attempt (1-based) before the
/// next one, with every delay multiplied by `time_scale`; `None` when that was the last.
#[must_use]
pub fn delay_after_failure(failed: u32, time_scale: f64) -> Option<Duration> {
    let index = usize::try_from(failed).ok()?;
    RETRY_SCHEDULE
        .get(index)
        .filter(|_| index > 0)
        .map(|delay| delay.mul_f64(time_scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_svix_schedule_and_stops_after_eight_attempts() {
        let minutes = |m: u64| Some(Duration::from_secs(m * 60));
        assert_eq!(delay_after_failure(1, 1.0), Some(Duration::from_secs(5)));
        assert_eq!(delay_after_failure(2, 1.0), minutes(5));
        assert_eq!(delay_after_failure(3, 1.0), minutes(30));
        assert_eq!(delay_after_failure(4, 1.0), minutes(120));
        assert_eq!(delay_after_failure(5, 1.0), minutes(300));
        assert_eq!(delay_after_failure(6, 1.0), minutes(600));
        assert_eq!(delay_after_failure(7, 1.0), minutes(600));
        assert_eq!(delay_after_failure(8, 1.0), None);
        assert_eq!(delay_after_failure(0, 1.0), None);
    }

    #[test]
    fn time_scale_shrinks_every_delay() {
        assert_eq!(
            delay_after_failure(2, 0.001),
            Some(Duration::from_millis(300))
        );
        assert_eq!(delay_after_failure(1, 0.0), Some(Duration::ZERO));
    }
}
