//! The test's own count: the bookings as it made them, what each adds to its vendor's days by
//! the README's rules, and the ledger of open days and adjustments to closed ones.
use crate::{CITY_TAX, VAT_BP};
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use std::collections::{BTreeMap, BTreeSet};

pub(crate) type Counts = BTreeMap<String, i64>;
pub(crate) type Days = BTreeMap<NaiveDate, Counts>;

pub(crate) fn half_up(n: i64, d: i64) -> i64 {
    let (n, d) = (i128::from(n), i128::from(d));
    let q = if n >= 0 {
        (2 * n + d) / (2 * d)
    } else {
        -((-2 * n + d) / (2 * d))
    };
    i64::try_from(q).expect("fits")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Room {
    Double,
    Suite,
}

impl Room {
    /// The price of a night, from the rates this test gave the room types.
    fn price(self, night: NaiveDate) -> i64 {
        match self {
            Self::Double if matches!(night.weekday(), Weekday::Sat | Weekday::Sun) => 13_000,
            Self::Double => 10_000,
            Self::Suite => 20_000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Held,
    Confirmed,
    CheckedIn,
    Completed,
    Cancelled,
    NoShow,
}

impl Status {
    pub(crate) fn api(self) -> &'static str {
        match self {
            Self::Held => "HELD",
            Self::Confirmed => "CONFIRMED",
            Self::CheckedIn => "CHECKED_IN",
            Self::Completed => "COMPLETED",
            Self::Cancelled => "CANCELLED",
            Self::NoShow => "NO_SHOW",
        }
    }

    pub(crate) fn sold(self) -> bool {
        matches!(self, Self::Confirmed | Self::CheckedIn | Self::Completed)
    }
}

#[derive(Debug, Clone)]
pub(crate) enum When {
    Stay {
        room: Room,
        nights: Vec<(NaiveDate, i64)>,
    },
    Seating {
        date: NaiveDate,
        time: &'static str,
    },
}

/// A booking as this test knows it from what it did.
#[derive(Debug, Clone)]
pub(crate) struct Booked {
    pub(crate) id: String,
    pub(crate) channel: &'static str,
    pub(crate) created: NaiveDate,
    pub(crate) status: Status,
    pub(crate) confirmed_once: bool,
    pub(crate) when: When,
    pub(crate) party: i64,
    /// The deposit kept when it ended (cancelled late, no-show).
    pub(crate) kept: i64,
}

impl Booked {
    fn arrival(&self) -> NaiveDate {
        match &self.when {
            When::Stay { nights, .. } => nights.first().expect("a night").0,
            When::Seating { date, .. } => *date,
        }
    }

    /// What the booking adds to its vendor's days, by the rules the README states.
    pub(crate) fn contribution(&self) -> Days {
        let mut days = Days::new();
        if !self.confirmed_once {
            return days;
        }
        let mut add = |day: NaiveDate, field: String, value: i64| {
            *days.entry(day).or_default().entry(field).or_default() += value;
        };
        let (c, arrival) = (self.channel, self.arrival());
        let sold = self.status.sold();
        let mut stay_nights = 0;
        match &self.when {
            When::Stay { nights, .. } => {
                stay_nights = nights.len() as i64;
                for (night, price) in nights.iter().filter(|_| sold) {
                    let vat = half_up(price * VAT_BP, 10_000 + VAT_BP);
                    add(*night, "room_nights".into(), 1);
                    add(*night, "rev_net".into(), price - vat);
                    add(*night, "rev_vat".into(), vat);
                    add(*night, "city_tax".into(), CITY_TAX * self.party);
                    add(*night, format!("ch_{c}_nights"), 1);
                    add(*night, format!("ch_{c}_rev_net"), price - vat);
                }
            }
            When::Seating { date, time } if sold => {
                add(*date, "covers".into(), self.party);
                add(*date, "seatings".into(), 1);
                add(*date, format!("slot_{}", time.replace(':', "")), self.party);
            }
            When::Seating { .. } => {}
        }
        add(arrival, "bookings".into(), 1);
        add(arrival, format!("ch_{c}_bookings"), 1);
        match self.status {
            Status::Cancelled => {
                add(arrival, "cancellations".into(), 1);
                add(arrival, "cancel_fees".into(), self.kept);
            }
            Status::NoShow => {
                add(arrival, "no_shows".into(), 1);
                add(arrival, "no_show_fees".into(), self.kept);
            }
            _ => {}
        }
        if sold {
            add(
                arrival,
                "lead_days".into(),
                (arrival - self.created).num_days(),
            );
            add(arrival, "stays".into(), 1);
            add(arrival, "stay_nights".into(), stay_nights);
        }
        days
    }
}

/// What the reports table must hold, day by day: open days take every change, a change to a
/// closed day goes to the first open day as an adjustment.
#[derive(Debug, Default, Clone)]
pub(crate) struct Ledger {
    pub(crate) counts: Days,
    pub(crate) adjustments: Days,
    pub(crate) adjusts: BTreeMap<NaiveDate, BTreeSet<NaiveDate>>,
    pub(crate) closed: BTreeSet<NaiveDate>,
}

impl Ledger {
    fn first_open(&self) -> Option<NaiveDate> {
        self.closed.last().map(|d| *d + Duration::days(1))
    }

    pub(crate) fn apply(&mut self, before: &Days, after: &Days) {
        let mut diff = after.clone();
        for (day, counts) in before {
            for (field, value) in counts {
                *diff
                    .entry(*day)
                    .or_default()
                    .entry(field.clone())
                    .or_default() -= value;
            }
        }
        for (day, counts) in diff {
            for (field, value) in counts.into_iter().filter(|(_, v)| *v != 0) {
                match self.first_open() {
                    Some(open) if self.closed.contains(&day) => {
                        *self
                            .adjustments
                            .entry(open)
                            .or_default()
                            .entry(field)
                            .or_default() += value;
                        self.adjusts.entry(open).or_default().insert(day);
                    }
                    _ => {
                        *self
                            .counts
                            .entry(day)
                            .or_default()
                            .entry(field)
                            .or_default() += value
                    }
                }
            }
        }
        tidy(&mut self.counts);
        tidy(&mut self.adjustments);
    }
}

pub(crate) fn tidy(days: &mut Days) {
    for counts in days.values_mut() {
        counts.retain(|_, v| *v != 0);
    }
    days.retain(|_, c| !c.is_empty());
}

pub(crate) fn total(days: &Days) -> Counts {
    let mut out = Counts::new();
    for counts in days.values() {
        for (field, value) in counts {
            *out.entry(field.clone()).or_default() += value;
        }
    }
    out.retain(|_, v| *v != 0);
    out
}

pub(crate) fn stay(room: Room, from: NaiveDate, nights: i64) -> When {
    When::Stay {
        room,
        nights: (0..nights)
            .map(|i| {
                let night = from + Duration::days(i);
                (night, room.price(night))
            })
            .collect(),
    }
}

pub(crate) fn seating(date: NaiveDate, time: &'static str) -> When {
    When::Seating { date, time }
}
