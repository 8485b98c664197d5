//! When a booking takes place: hotel nights and restaurant seatings in the vendor's time zone, the
//! inventory buckets they occupy, and the instant the guest arrives.
use super::Invalid;
use super::vendor::TimeZone;
use chrono::{
    DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone as _, Timelike,
    Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

const NIGHT_PREFIX: &str = "N#";
const SLOT_PREFIX: &str = "S#";
const NIGHT_FORMAT: &str = "%Y-%m-%d";
const SLOT_FORMAT: &str = "%Y-%m-%dT%H:%MZ";
const MINUTES_PER_DAY: u16 = 24 * 60;

/// One unit of sellable time. Inventory is counted per vendor x resource type x bucket.
///
/// Its key (`N#2026-03-28`, `S#2026-03-29T00:30Z`) is stable and, within one kind, sorts in time
/// order, so a range of buckets is a range of keys. It is also how a bucket serialises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bucket {
    /// The hotel night that starts on this local date.
    Night(NaiveDate),
    /// The restaurant slot that starts at this instant (always a whole minute).
    Slot(DateTime<Utc>),
}

impl Bucket {
    pub fn key(&self) -> String {
        match self {
            Self::Night(date) => format!("{NIGHT_PREFIX}{}", date.format(NIGHT_FORMAT)),
            Self::Slot(start) => format!("{SLOT_PREFIX}{}", start.format(SLOT_FORMAT)),
        }
    }

    pub fn parse_key(key: &str) -> Result<Self, Invalid> {
        let parsed = if let Some(date) = key.strip_prefix(NIGHT_PREFIX) {
            NaiveDate::parse_from_str(date, NIGHT_FORMAT)
                .ok()
                .map(Self::Night)
        } else if let Some(start) = key.strip_prefix(SLOT_PREFIX) {
            NaiveDateTime::parse_from_str(start, SLOT_FORMAT)
                .ok()
                .map(|start| Self::Slot(start.and_utc()))
        } else {
            None
        };
        parsed.ok_or_else(|| {
            Invalid::new("must be a bucket key such as N#2026-03-28 or S#2026-03-29T00:30Z")
        })
    }
}

impl fmt::Display for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

impl Serialize for Bucket {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.key())
    }
}

impl<'de> Deserialize<'de> for Bucket {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let key = String::deserialize(deserializer)?;
        Bucket::parse_key(&key).map_err(serde::de::Error::custom)
    }
}

/// The local time from which a hotel's rooms are ready (15:00 unless the hotel says otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckInTime(NaiveTime);

impl CheckInTime {
    // Evaluated by the compiler, so it cannot fail at run time.
    const DEFAULT: NaiveTime = NaiveTime::from_hms_opt(15, 0, 0).expect("15:00"); // allow-panic: const

    /// `HH:MM`, 24-hour clock.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        NaiveTime::parse_from_str(raw.trim(), "%H:%M")
            .map(Self)
            .map_err(|_| Invalid::new("must be a time of day such as 15:00"))
    }

    pub fn time(&self) -> NaiveTime {
        self.0
    }
}

impl Default for CheckInTime {
    fn default() -> Self {
        Self(Self::DEFAULT)
    }
}

impl Serialize for CheckInTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0.format("%H:%M"))
    }
}

impl<'de> Deserialize<'de> for CheckInTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        CheckInTime::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// A hotel stay: the nights are the local dates from check-in up to, not including, check-out.
///
/// Nights are calendar dates, not 24-hour periods, so a night in which the clocks change is still
/// one night.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StayNights {
    check_in: NaiveDate,
    check_out: NaiveDate,
}

impl StayNights {
    pub const MAX_NIGHTS: i64 = 30;

    /// The errors are about `check_out`, measured from `check_in`.
    pub fn new(check_in: NaiveDate, check_out: NaiveDate) -> Result<Self, Invalid> {
        let nights = (check_out - check_in).num_days();
        if nights < 1 {
            return Err(Invalid::new("must be after check_in"));
        }
        if nights > Self::MAX_NIGHTS {
            return Err(Invalid::new(format!(
                "must be at most {} nights after check_in",
                Self::MAX_NIGHTS
            )));
        }
        Ok(Self {
            check_in,
            check_out,
        })
    }

    pub fn check_in(&self) -> NaiveDate {
        self.check_in
    }

    pub fn check_out(&self) -> NaiveDate {
        self.check_out
    }

    pub fn nights(&self) -> u32 {
        u32::try_from((self.check_out - self.check_in).num_days()).unwrap_or(0)
    }

    /// The local date each night starts on, in order.
    pub fn dates(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let check_out = self.check_out;
        self.check_in
            .iter_days()
            .take_while(move |date| *date < check_out)
    }

    pub fn buckets(&self) -> Vec<Bucket> {
        self.dates().map(Bucket::Night).collect()
    }

    /// The check-in date at the hotel's check-in time, in UTC.
    ///
    /// A check-in time the clocks skip that day becomes the moment they jump (02:30 in a gap from
    /// 02:00 to 03:00 is 03:00); one they show twice is its earlier instant.
    pub fn arrival(&self, zone: TimeZone, check_in: CheckInTime) -> Result<DateTime<Utc>, Invalid> {
        first_instant_at_or_after(zone.tz(), self.check_in.and_time(check_in.time()))
            .ok_or_else(|| Invalid::new("the check-in time does not exist on that date"))
    }
}

/// A restaurant's grid of time slots, laid out from local midnight, and how long a seating lasts.
///
/// Slot keys are UTC instants. Where the clocks move by an amount that is not a multiple of
/// `slot_minutes` (a one-hour change with 45-, 90- or 120-minute slots), the slots before and
/// after the change do not line up in UTC; restaurants are rarely open at that hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "SlotGridFields", into = "SlotGridFields")]
pub struct SlotGrid {
    slot_minutes: u16,
    seating_minutes: u16,
}

#[derive(Serialize, Deserialize)]
struct SlotGridFields {
    slot_minutes: i64,
    seating_minutes: i64,
}

impl SlotGrid {
    pub const MIN_SLOT_MINUTES: u16 = 5;
    pub const MAX_SLOT_MINUTES: u16 = 120;
    pub const MAX_SEATING_MINUTES: u16 = 6 * 60;

    /// 30-minute slots, 90-minute seatings.
    pub fn restaurant_default() -> Self {
        Self {
            slot_minutes: 30,
            seating_minutes: 90,
        }
    }

    /// The error names the field it is about.
    pub fn new(slot_minutes: i64, seating_minutes: i64) -> Result<Self, Invalid> {
        let slot = u16::try_from(slot_minutes)
            .ok()
            .filter(|m| {
                (Self::MIN_SLOT_MINUTES..=Self::MAX_SLOT_MINUTES).contains(m)
                    && MINUTES_PER_DAY.is_multiple_of(*m)
            })
            .ok_or_else(|| {
                Invalid::new(format!(
                    "slot_minutes must be between {} and {} and divide a day (1440 minutes), e.g. 15 or 30",
                    Self::MIN_SLOT_MINUTES,
                    Self::MAX_SLOT_MINUTES
                ))
            })?;
        let seating = u16::try_from(seating_minutes)
            .ok()
            .filter(|m| (1..=Self::MAX_SEATING_MINUTES).contains(m) && m.is_multiple_of(slot))
            .ok_or_else(|| {
                Invalid::new(format!(
                    "seating_minutes must be a multiple of slot_minutes ({slot}) of at most {}",
                    Self::MAX_SEATING_MINUTES
                ))
            })?;
        Ok(Self {
            slot_minutes: slot,
            seating_minutes: seating,
        })
    }

    pub fn slot_minutes(&self) -> u16 {
        self.slot_minutes
    }

    pub fn seating_minutes(&self) -> u16 {
        self.seating_minutes
    }

    pub fn slots_per_seating(&self) -> u16 {
        self.seating_minutes / self.slot_minutes
    }
}

impl TryFrom<SlotGridFields> for SlotGrid {
    type Error = Invalid;

    fn try_from(fields: SlotGridFields) -> Result<Self, Invalid> {
        Self::new(fields.slot_minutes, fields.seating_minutes)
    }
}

impl From<SlotGrid> for SlotGridFields {
    fn from(grid: SlotGrid) -> Self {
        Self {
            slot_minutes: grid.slot_minutes.into(),
            seating_minutes: grid.seating_minutes.into(),
        }
    }
}

/// A restaurant seating: it starts on the local grid and holds the table for consecutive slots
/// of real elapsed time, so it may run past midnight or across a clock change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seating {
    local_date: NaiveDate,
    local_time: NaiveTime,
    start: DateTime<Utc>,
    slot_minutes: u16,
    slots: u16,
}

impl Seating {
    /// Starts at `time` on `date`, read in the vendor's zone. The error is about the start time.
    ///
    /// A time the clocks skip (spring forward) is rejected rather than moved, since a guest would
    /// arrive at a table booked for another time. A time the clocks show twice (fall back) is the
    /// earlier of the two instants.
    pub fn new(
        grid: SlotGrid,
        zone: TimeZone,
        date: NaiveDate,
        time: NaiveTime,
    ) -> Result<Self, Invalid> {
        let slot = grid.slot_minutes();
        let minute_of_day = u16::try_from(time.num_seconds_from_midnight() / 60).unwrap_or(0);
        if time.second() != 0 || time.nanosecond() != 0 || !minute_of_day.is_multiple_of(slot) {
            let before = minute_of_day - minute_of_day % slot;
            let after = (before + slot) % MINUTES_PER_DAY;
            return Err(Invalid::new(format!(
                "must be on the restaurant's {slot}-minute grid, e.g. {} or {}",
                clock(before),
                clock(after)
            )));
        }
        let tz = zone.tz();
        let start = match tz.from_local_datetime(&date.and_time(time)) {
            LocalResult::Single(start) | LocalResult::Ambiguous(start, _) => start.to_utc(),
            LocalResult::None => {
                return Err(Invalid::new(format!(
                    "{} does not exist on {date} in {}: the clocks go forward then",
                    time.format("%H:%M"),
                    tz.name()
                )));
            }
        };
        start
            .checked_add_signed(TimeDelta::minutes(grid.seating_minutes().into()))
            .ok_or_else(|| Invalid::new("is too far in the future"))?;
        Ok(Self {
            local_date: date,
            local_time: time,
            start,
            slot_minutes: slot,
            slots: grid.slots_per_seating(),
        })
    }

    /// The local date the seating starts on, which is the date its price is read for.
    pub fn local_date(&self) -> NaiveDate {
        self.local_date
    }

    pub fn local_time(&self) -> NaiveTime {
        self.local_time
    }

    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    pub fn end(&self) -> DateTime<Utc> {
        self.slot_start(self.slots).unwrap_or(self.start)
    }

    pub fn buckets(&self) -> Vec<Bucket> {
        (0..self.slots)
            .filter_map(|n| self.slot_start(n))
            .map(Bucket::Slot)
            .collect()
    }

    fn slot_start(&self, n: u16) -> Option<DateTime<Utc>> {
        let minutes = i64::from(n) * i64::from(self.slot_minutes);
        self.start.checked_add_signed(TimeDelta::minutes(minutes))
    }
}

/// What a booking occupies: the nights of a stay or the slots of a seating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookedTime {
    Stay(StayNights),
    Seating(Seating),
}

impl BookedTime {
    pub fn buckets(&self) -> Vec<Bucket> {
        match self {
            Self::Stay(stay) => stay.buckets(),
            Self::Seating(seating) => seating.buckets(),
        }
    }

    /// When the guest arrives, in UTC. The zone and check-in time are read for stays only: a
    /// seating was placed in its zone when it was made.
    pub fn arrival(&self, zone: TimeZone, check_in: CheckInTime) -> Result<DateTime<Utc>, Invalid> {
        match self {
            Self::Stay(stay) => stay.arrival(zone, check_in),
            Self::Seating(seating) => Ok(seating.start()),
        }
    }
}

/// The first instant at which the local clock reads `local` or later.
fn first_instant_at_or_after(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    // The longest gap on record is Samoa skipping 30 December 2011 entirely.
    const LONGEST_GAP_MINUTES: i64 = 25 * 60;
    (0..=LONGEST_GAP_MINUTES)
        .find_map(|minute| {
            let shifted = local.checked_add_signed(TimeDelta::minutes(minute))?;
            tz.from_local_datetime(&shifted).earliest()
        })
        .map(|instant| instant.to_utc())
}

fn clock(minute_of_day: u16) -> String {
    format!("{:02}:{:02}", minute_of_day / 60, minute_of_day % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(raw: &str) -> NaiveDate {
        NaiveDate::parse_from_str(raw, "%Y-%m-%d").unwrap()
    }

    fn time(raw: &str) -> NaiveTime {
        NaiveTime::parse_from_str(raw, "%H:%M").unwrap()
    }

    fn utc(raw: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(raw).unwrap().to_utc()
    }

    fn zone(name: &str) -> TimeZone {
        TimeZone::parse(name).unwrap()
    }

    fn keys(buckets: &[Bucket]) -> Vec<String> {
        buckets.iter().map(Bucket::key).collect()
    }

    #[test]
    fn a_stay_occupies_each_night_from_check_in_up_to_check_out() {
        let stay = StayNights::new(date("2026-03-28"), date("2026-03-31")).unwrap();

        assert_eq!(stay.nights(), 3);
        assert_eq!(
            keys(&stay.buckets()),
            ["N#2026-03-28", "N#2026-03-29", "N#2026-03-30"]
        );
    }

    #[test]
    fn a_stay_must_last_one_to_thirty_nights() {
        let check_in = date("2026-05-01");

        assert_eq!(
            StayNights::new(check_in, check_in).unwrap_err().0,
            "must be after check_in"
        );
        assert!(StayNights::new(check_in, date("2026-04-30")).is_err());
        assert!(StayNights::new(check_in, date("2026-05-31")).is_ok());
        assert_eq!(
            StayNights::new(check_in, date("2026-06-01")).unwrap_err().0,
            "must be at most 30 nights after check_in"
        );
    }

    #[test]
    fn a_stay_across_the_spring_forward_night_counts_dates_and_arrives_at_local_check_in() {
        let berlin = zone("Europe/Berlin");
        let before = StayNights::new(date("2026-03-28"), date("2026-03-30")).unwrap();
        let after = StayNights::new(date("2026-03-29"), date("2026-03-30")).unwrap();

        assert_eq!(keys(&before.buckets()), ["N#2026-03-28", "N#2026-03-29"]);
        assert_eq!(
            before.arrival(berlin, CheckInTime::default()).unwrap(),
            utc("2026-03-28T14:00:00Z")
        );
        assert_eq!(
            after.arrival(berlin, CheckInTime::default()).unwrap(),
            utc("2026-03-29T13:00:00Z")
        );
    }

    #[test]
    fn a_stay_across_the_fall_back_night_counts_dates_and_arrives_at_local_check_in() {
        let berlin = zone("Europe/Berlin");
        let before = StayNights::new(date("2026-10-24"), date("2026-10-26")).unwrap();
        let after = StayNights::new(date("2026-10-25"), date("2026-10-27")).unwrap();

        assert_eq!(keys(&before.buckets()), ["N#2026-10-24", "N#2026-10-25"]);
        assert_eq!(keys(&after.buckets()), ["N#2026-10-25", "N#2026-10-26"]);
        assert_eq!(
            before.arrival(berlin, CheckInTime::default()).unwrap(),
            utc("2026-10-24T13:00:00Z")
        );
        assert_eq!(
            after.arrival(berlin, CheckInTime::default()).unwrap(),
            utc("2026-10-25T14:00:00Z")
        );
    }

    #[test]
    fn a_check_in_time_the_clocks_skip_becomes_the_moment_they_jump() {
        let stay = StayNights::new(date("2026-03-08"), date("2026-03-09")).unwrap();
        let at_half_past_two = CheckInTime::parse("02:30").unwrap();

        let arrival = stay
            .arrival(zone("America/New_York"), at_half_past_two)
            .unwrap();

        assert_eq!(arrival, utc("2026-03-08T03:00:00-04:00"));
    }

    #[test]
    fn check_in_times_are_hours_and_minutes_defaulting_to_three_pm() {
        assert_eq!(CheckInTime::default().time(), time("15:00"));
        assert_eq!(CheckInTime::parse("14:30").unwrap().time(), time("14:30"));
        assert!(CheckInTime::parse("25:00").is_err());
        assert!(CheckInTime::parse("3pm").is_err());
        let json = serde_json::to_string(&CheckInTime::parse("09:05").unwrap()).unwrap();
        assert_eq!(json, "\"09:05\"");
    }

    #[test]
    fn slot_grids_divide_the_day_and_seatings_are_whole_slots() {
        let grid = SlotGrid::new(30, 90).unwrap();
        assert_eq!(grid.slots_per_seating(), 3);
        assert!(SlotGrid::new(15, 15).is_ok());
        assert!(SlotGrid::new(120, 360).is_ok());

        for bad_slot in [0, 4, 7, 50, 121, 180, -30] {
            let error = SlotGrid::new(bad_slot, 360).unwrap_err();
            assert!(error.0.starts_with("slot_minutes"), "{bad_slot}: {error}");
        }
        for bad_seating in [0, 45, 390, -30] {
            let error = SlotGrid::new(30, bad_seating).unwrap_err();
            assert!(
                error.0.starts_with("seating_minutes"),
                "{bad_seating}: {error}"
            );
        }
    }

    #[test]
    fn slot_grids_are_validated_when_read_back() {
        let json = serde_json::to_value(SlotGrid::new(15, 90).unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"slot_minutes": 15, "seating_minutes": 90})
        );
        assert!(
            serde_json::from_value::<SlotGrid>(
                serde_json::json!({"slot_minutes": 0, "seating_minutes": 90})
            )
            .is_err()
        );
    }

    #[test]
    fn a_seating_spanning_midnight_takes_consecutive_utc_slots() {
        let grid = SlotGrid::new(30, 90).unwrap();

        let seating = Seating::new(
            grid,
            zone("America/New_York"),
            date("2026-01-31"),
            time("23:30"),
        )
        .unwrap();

        assert_eq!(seating.start(), utc("2026-02-01T04:30:00Z"));
        assert_eq!(seating.end(), utc("2026-02-01T06:00:00Z"));
        assert_eq!(seating.local_date(), date("2026-01-31"));
        assert_eq!(
            keys(&seating.buckets()),
            [
                "S#2026-02-01T04:30Z",
                "S#2026-02-01T05:00Z",
                "S#2026-02-01T05:30Z"
            ]
        );
    }

    #[test]
    fn a_seating_in_the_spring_forward_gap_is_rejected() {
        let grid = SlotGrid::new(30, 90).unwrap();

        let error = Seating::new(
            grid,
            zone("America/New_York"),
            date("2026-03-08"),
            time("02:30"),
        )
        .unwrap_err();

        assert_eq!(
            error.0,
            "02:30 does not exist on 2026-03-08 in America/New_York: the clocks go forward then"
        );
    }

    #[test]
    fn a_seating_across_the_spring_forward_gap_is_held_for_real_elapsed_time() {
        let grid = SlotGrid::new(30, 90).unwrap();

        let seating = Seating::new(
            grid,
            zone("America/New_York"),
            date("2026-03-08"),
            time("01:30"),
        )
        .unwrap();

        // 01:30 EST, then 03:00 and 03:30 EDT on the wall clock.
        assert_eq!(
            keys(&seating.buckets()),
            [
                "S#2026-03-08T06:30Z",
                "S#2026-03-08T07:00Z",
                "S#2026-03-08T07:30Z"
            ]
        );
    }

    #[test]
    fn a_seating_in_the_repeated_fall_back_hour_takes_the_earlier_instant() {
        let grid = SlotGrid::new(30, 90).unwrap();

        let seating = Seating::new(
            grid,
            zone("America/New_York"),
            date("2026-11-01"),
            time("01:30"),
        )
        .unwrap();

        // 01:30 EDT (UTC-4), not 01:30 EST (UTC-5); then 01:00 and 01:30 EST on the wall clock.
        assert_eq!(seating.start(), utc("2026-11-01T01:30:00-04:00"));
        assert_eq!(
            keys(&seating.buckets()),
            [
                "S#2026-11-01T05:30Z",
                "S#2026-11-01T06:00Z",
                "S#2026-11-01T06:30Z"
            ]
        );
        assert_eq!(seating.end() - seating.start(), TimeDelta::minutes(90));
    }

    #[test]
    fn a_seating_off_the_grid_is_rejected_with_the_nearest_grid_times() {
        let grid = SlotGrid::new(30, 90).unwrap();
        let berlin = zone("Europe/Berlin");
        let day = date("2026-06-12");

        let error = Seating::new(grid, berlin, day, time("19:15")).unwrap_err();
        assert_eq!(
            error.0,
            "must be on the restaurant's 30-minute grid, e.g. 19:00 or 19:30"
        );
        let late = Seating::new(grid, berlin, day, time("23:45")).unwrap_err();
        assert!(late.0.ends_with("e.g. 23:30 or 00:00"), "{late}");
        let with_seconds = NaiveTime::from_hms_opt(19, 0, 30).unwrap();
        assert!(Seating::new(grid, berlin, day, with_seconds).is_err());
    }

    #[test]
    fn a_seating_arrives_at_its_start_whatever_the_check_in_time() {
        let grid = SlotGrid::new(15, 60).unwrap();
        let tokyo = zone("Asia/Tokyo");
        let seating = Seating::new(grid, tokyo, date("2026-07-01"), time("18:45")).unwrap();

        let arrival = BookedTime::Seating(seating)
            .arrival(tokyo, CheckInTime::default())
            .unwrap();

        assert_eq!(arrival, utc("2026-07-01T09:45:00Z"));
        assert_eq!(BookedTime::Seating(seating).buckets().len(), 4);
    }

    #[test]
    fn bucket_keys_read_back_as_the_same_bucket() {
        let night = Bucket::Night(date("2026-03-28"));
        let slot = Bucket::Slot(utc("2026-03-29T00:30:00Z"));

        assert_eq!(Bucket::parse_key("N#2026-03-28").unwrap(), night);
        assert_eq!(Bucket::parse_key("S#2026-03-29T00:30Z").unwrap(), slot);
        assert_eq!(
            serde_json::to_string(&slot).unwrap(),
            "\"S#2026-03-29T00:30Z\""
        );
        assert_eq!(
            serde_json::from_str::<Bucket>("\"N#2026-03-28\"").unwrap(),
            night
        );
        for bad in [
            "2026-03-28",
            "N#2026-02-30",
            "S#2026-03-29T00:30",
            "X#2026-03-28",
        ] {
            assert!(Bucket::parse_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bucket_keys_sort_in_time_order() {
        let slots = [
            utc("2026-03-29T09:30:00Z"),
            utc("2026-03-29T10:00:00Z"),
            utc("2026-03-30T00:00:00Z"),
        ];
        let mut slot_keys: Vec<String> = slots.map(|s| Bucket::Slot(s).key()).to_vec();
        slot_keys.reverse();
        slot_keys.sort();

        assert_eq!(slot_keys, slots.map(|s| Bucket::Slot(s).key()).to_vec(),);
    }
}
