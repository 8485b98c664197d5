//! How far ahead and how close to arrival a vendor takes bookings.
use super::Invalid;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// The span of arrivals a vendor accepts, measured from the moment of booking.
///
/// Days ahead are 24-hour periods from now, not calendar dates: with 365 days, an arrival exactly
/// 365 × 24 hours away is accepted and one a second later is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BookingWindow {
    max_days_ahead: u16,
    min_notice_minutes: u32,
}

impl BookingWindow {
    pub const MAX_DAYS_AHEAD: u16 = 730;
    pub const MAX_NOTICE_MINUTES: u32 = 30 * 24 * 60;

    /// The error names the field it is about.
    pub fn new(max_days_ahead: i64, min_notice_minutes: i64) -> Result<Self, Invalid> {
        let max_days_ahead = u16::try_from(max_days_ahead)
            .ok()
            .filter(|days| (1..=Self::MAX_DAYS_AHEAD).contains(days))
            .ok_or_else(|| {
                Invalid::new(format!(
                    "max_days_ahead must be between 1 and {}",
                    Self::MAX_DAYS_AHEAD
                ))
            })?;
        let min_notice_minutes = u32::try_from(min_notice_minutes)
            .ok()
            .filter(|minutes| *minutes <= Self::MAX_NOTICE_MINUTES)
            .ok_or_else(|| {
                Invalid::new(format!(
                    "min_notice_minutes must be between 0 and {} (30 days)",
                    Self::MAX_NOTICE_MINUTES
                ))
            })?;
        Ok(Self {
            max_days_ahead,
            min_notice_minutes,
        })
    }

    pub fn max_days_ahead(&self) -> u16 {
        self.max_days_ahead
    }

    pub fn min_notice_minutes(&self) -> u32 {
        self.min_notice_minutes
    }

    /// Whether a booking made `now` may arrive at `arrival`; the error is about the arrival field
    /// (check-in date or seating start).
    pub fn check(&self, now: DateTime<Utc>, arrival: DateTime<Utc>) -> Result<(), Invalid> {
        let notice = arrival - now;
        if notice < TimeDelta::zero() {
            return Err(Invalid::new("is in the past"));
        }
        if notice < TimeDelta::minutes(self.min_notice_minutes.into()) {
            return Err(Invalid::new(format!(
                "must be at least {} minutes from now",
                self.min_notice_minutes
            )));
        }
        if notice > TimeDelta::days(self.max_days_ahead.into()) {
            return Err(Invalid::new(format!(
                "must be at most {} days from now",
                self.max_days_ahead
            )));
        }
        Ok(())
    }
}

impl Default for BookingWindow {
    fn default() -> Self {
        Self {
            max_days_ahead: 365,
            min_notice_minutes: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(raw: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(raw).unwrap().to_utc()
    }

    const NOW: &str = "2026-06-01T12:00:00Z";

    #[test]
    fn by_default_anything_from_now_to_a_year_ahead_is_accepted() {
        let window = BookingWindow::default();
        let now = utc(NOW);

        assert_eq!(window.check(now, now), Ok(()));
        assert_eq!(window.check(now, now + TimeDelta::days(365)), Ok(()));
        assert_eq!(
            window.check(now, now + TimeDelta::days(365) + TimeDelta::seconds(1)),
            Err(Invalid::new("must be at most 365 days from now"))
        );
    }

    #[test]
    fn an_arrival_in_the_past_is_rejected() {
        let now = utc(NOW);

        assert_eq!(
            BookingWindow::default().check(now, now - TimeDelta::seconds(1)),
            Err(Invalid::new("is in the past"))
        );
    }

    #[test]
    fn an_arrival_needs_the_minimum_notice_and_no_more() {
        let window = BookingWindow::new(30, 120).unwrap();
        let now = utc(NOW);

        assert_eq!(window.check(now, now + TimeDelta::minutes(120)), Ok(()));
        assert_eq!(
            window.check(now, now + TimeDelta::minutes(120) - TimeDelta::seconds(1)),
            Err(Invalid::new("must be at least 120 minutes from now"))
        );
        assert_eq!(
            window.check(now, now - TimeDelta::minutes(5)),
            Err(Invalid::new("is in the past"))
        );
        assert_eq!(window.check(now, now + TimeDelta::days(30)), Ok(()));
        assert!(
            window
                .check(now, now + TimeDelta::days(30) + TimeDelta::seconds(1))
                .is_err()
        );
    }

    #[test]
    fn window_settings_are_bounded() {
        assert!(BookingWindow::new(1, 0).is_ok());
        assert!(BookingWindow::new(730, 43_200).is_ok());
        assert!(
            BookingWindow::new(0, 0)
                .unwrap_err()
                .0
                .starts_with("max_days_ahead")
        );
        assert!(BookingWindow::new(731, 0).is_err());
        assert!(
            BookingWindow::new(365, -1)
                .unwrap_err()
                .0
                .starts_with("min_notice_minutes")
        );
        assert!(BookingWindow::new(365, 43_201).is_err());
    }

    #[test]
    fn missing_window_settings_read_back_as_the_defaults() {
        let window: BookingWindow =
            serde_json::from_value(serde_json::json!({"min_notice_minutes": 60})).unwrap();

        assert_eq!(window, BookingWindow::new(365, 60).unwrap());
    }
}
