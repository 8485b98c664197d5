//! Business time: the real time plus an offset that only the local gateway moves, so end-to-end
//! tests can live through days. In AWS the offset is never set and `now()` is the real time.
//! Wall-clock needs (signature freshness, measuring durations) keep `Utc::now()` / `Instant`.
use chrono::{DateTime, Duration, Utc};
use std::sync::atomic::{AtomicI64, Ordering};

static OFFSET_MILLIS: AtomicI64 = AtomicI64::new(0);

/// The current business time.
pub fn now() -> DateTime<Utc> {
    let real = Utc::now();
    real.checked_add_signed(offset()).unwrap_or(real)
}

/// How far business time is ahead of the real time.
pub fn offset() -> Duration {
    Duration::milliseconds(OFFSET_MILLIS.load(Ordering::Relaxed))
}

/// Sets the offset of business time from the real time (absolute, not added to the current one).
/// Local only: called by the local gateway's `POST /_local/clock`, never by a deployed function.
pub fn set_offset(offset: Duration) {
    OFFSET_MILLIS.store(offset.num_milliseconds(), Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    // The only test touching the process-global offset, so parallel tests are not disturbed.
    #[test]
    fn now_follows_the_offset_and_setting_it_is_absolute() {
        assert_eq!(offset(), Duration::zero());
        let before = Utc::now();
        assert!(now() >= before);

        set_offset(Duration::days(1));
        set_offset(Duration::days(2));
        assert_eq!(offset(), Duration::days(2));
        let moved = now();
        assert!(moved >= before + Duration::days(2));
        assert!(moved <= Utc::now() + Duration::days(2));

        set_offset(Duration::zero());
        assert_eq!(offset(), Duration::zero());
        assert!(now() <= Utc::now());
    }
}
