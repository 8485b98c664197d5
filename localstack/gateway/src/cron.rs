//! Daily cron schedules for the scheduler stand-in: `cron(MM HH * * ? *)` in a schedule's time
//! zone (the night audit's), the only recurring kind it runs. Business time may run ahead of the
//! real time (`shared::clock`), so when a schedule was made is read in business time through the
//! offsets the stand-in saw in effect.
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};

/// Every day at a local time of day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Daily {
    pub at: NaiveTime,
    pub zone: chrono_tz::Tz,
}

impl Daily {
    /// `cron(MM HH * * ? *)` (or `*` for the day of week); `None` for any other cron expression.
    pub fn parse(expression: &str, zone: chrono_tz::Tz) -> Option<Self> {
        let fields = expression.strip_prefix("cron(")?.strip_suffix(')')?;
        let fields: Vec<&str> = fields.split_whitespace().collect();
        let [minute, hour, "*", "*", "?" | "*", "*"] = fields.as_slice() else {
            return None;
        };
        let minute: u32 = minute.parse().ok()?;
        let hour: u32 = hour.parse().ok()?;
        Some(Self {
            at: NaiveTime::from_hms_opt(hour, minute, 0)?,
            zone,
        })
    }

    /// The instant of the occurrence on a local date; none on a day the clocks skip that time.
    fn on(&self, day: NaiveDate) -> Option<DateTime<Utc>> {
        self.zone
            .from_local_datetime(&day.and_time(self.at))
            .earliest()
            .map(|at| at.with_timezone(&Utc))
    }

    /// The latest occurrence at or before `now`.
    pub fn latest(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let today = now.with_timezone(&self.zone).date_naive();
        (0..3)
            .filter_map(|back| self.on(today - Duration::days(back)))
            .find(|at| *at <= now)
    }
}

/// The offsets of business time from the real time the stand-in saw, each from a real instant on.
#[derive(Debug, Default)]
pub struct Offsets(Vec<(DateTime<Utc>, Duration)>);

impl Offsets {
    /// Notes the offset in effect at the real instant `real`, if it changed.
    pub fn note(&mut self, real: DateTime<Utc>, offset: Duration) {
        if self.0.last().is_none_or(|(_, last)| *last != offset) {
            self.0.push((real, offset));
        }
    }

    /// The business time of a real instant: the offset then in effect (none before the first seen).
    pub fn business(&self, real: DateTime<Utc>) -> DateTime<Utc> {
        let offset = self
            .0
            .iter()
            .rev()
            .find(|(from, _)| *from <= real)
            .map(|(_, offset)| *offset)
            .unwrap_or_else(Duration::zero);
        real + offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().expect("an RFC 3339 time")
    }

    #[test]
    fn only_daily_cron_expressions_are_read() {
        let berlin = chrono_tz::Europe::Berlin;
        let daily = Daily::parse("cron(15 2 * * ? *)", berlin).unwrap();
        assert_eq!(daily.at, NaiveTime::from_hms_opt(2, 15, 0).unwrap());
        assert!(Daily::parse("cron(0 2 ? * MON *)", berlin).is_none());
        assert!(Daily::parse("cron(0/5 * * * ? *)", berlin).is_none());
        assert!(Daily::parse("cron(0 25 * * ? *)", berlin).is_none());
        assert!(Daily::parse("rate(1 day)", berlin).is_none());
    }

    #[test]
    fn the_latest_occurrence_is_at_the_local_time_in_the_zone() {
        let daily = Daily::parse("cron(0 2 * * ? *)", chrono_tz::Europe::Berlin).unwrap();
        // 02:00 in Berlin is 01:00 UTC in winter, 00:00 UTC in summer.
        assert_eq!(
            daily.latest(utc("2027-03-08T01:00:00Z")),
            Some(utc("2027-03-08T01:00:00Z"))
        );
        assert_eq!(
            daily.latest(utc("2027-03-08T00:59:59Z")),
            Some(utc("2027-03-07T01:00:00Z"))
        );
        assert_eq!(
            daily.latest(utc("2027-07-08T00:30:00Z")),
            Some(utc("2027-07-08T00:00:00Z"))
        );
        // 28 March skips 02:00-03:00: no occurrence that day, the one before stands.
        assert_eq!(
            daily.latest(utc("2027-03-28T12:00:00Z")),
            Some(utc("2027-03-27T01:00:00Z"))
        );
    }

    #[test]
    fn a_real_instant_reads_in_the_business_time_then_in_effect() {
        let mut offsets = Offsets::default();
        assert_eq!(
            offsets.business(utc("2027-01-01T00:00:00Z")),
            utc("2027-01-01T00:00:00Z")
        );
        offsets.note(utc("2027-01-01T10:00:00Z"), Duration::zero());
        offsets.note(utc("2027-01-01T11:00:00Z"), Duration::days(1));
        offsets.note(utc("2027-01-01T11:30:00Z"), Duration::days(1));
        offsets.note(utc("2027-01-01T12:00:00Z"), Duration::days(2));

        assert_eq!(
            offsets.business(utc("2027-01-01T10:30:00Z")),
            utc("2027-01-01T10:30:00Z")
        );
        assert_eq!(
            offsets.business(utc("2027-01-01T11:45:00Z")),
            utc("2027-01-02T11:45:00Z")
        );
        assert_eq!(
            offsets.business(utc("2027-01-01T12:00:00Z")),
            utc("2027-01-03T12:00:00Z")
        );
    }
}
