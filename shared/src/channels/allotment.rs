//! Allotments (issue 22 item 2): units of a room type a channel may sell per night, returned to
//! the general pool `release_days` before the night, and units held back for our own app that no
//! channel may take. The rules here decide; `store::allotments` writes.
use crate::domain::{FieldErrors, Invalid};
use chrono::{Duration, NaiveDate};

/// The most nights a protection request or a listing covers (an allotment request covers fewer:
/// `max_nights_per_request`).
pub const MAX_ALLOTMENT_NIGHTS: i64 = 366;
/// The longest release period, in days before the night.
pub const MAX_RELEASE_DAYS: u32 = 365;

/// DynamoDB's most items in one transaction.
const TRANSACTION_ITEMS: usize = 100;

/// Items one night of a write costs beyond an unsharded type's single counter: a take under a
/// protection checks each other shard of a sharded type in the same transaction.
fn other_shards(shards: u8) -> usize {
    usize::from(shards.max(1)) - 1
}

/// The most nights one allotment request sets in its one transaction: each night writes the
/// channel item, its release marker (and deletes the old one), the type's counter and checks
/// the protection, and a sharded type's other shards: 20 nights for a type kept in one item,
/// 12 with 4 shards, 5 with 16.
pub fn max_nights_per_request(shards: u8) -> usize {
    TRANSACTION_ITEMS / (5 + other_shards(shards))
}

/// The longest stay a channel books or moves a booking to: a modify moving every night to new
/// ones writes the booking, then per old night the channel item and the counter, and per new
/// night the channel item, the counter, the protection check and a sharded type's other
/// shards. 19 nights for a type kept in one item, 12 with 4 shards, 4 with 16. A commit is held
/// to it too, so a channel never makes a booking it could not move.
pub fn max_channel_nights(shards: u8) -> usize {
    (TRANSACTION_ITEMS - 1) / (2 + 3 + other_shards(shards))
}

/// Whether a channel's modify moving `old` nights to `new` nights of a type with `shards`
/// fits one transaction at worst (no night shared, all from the general pool, protected). Moves
/// within one type always do when both stays are at most `max_channel_nights`; a move to a type
/// with more shards may not.
pub fn channel_move_fits(old: usize, new: usize, shards: u8) -> bool {
    1 + 2 * old + (3 + other_shards(shards)) * new <= TRANSACTION_ITEMS
}

/// The nights from `from` to `to`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nights {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Nights {
    /// Errors name `from` and `to` after `prefix`: `/` in a body, nothing in a query.
    pub fn parse(
        errors: &mut FieldErrors,
        prefix: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Option<Self> {
        let (from_name, to_name) = (format!("{prefix}from"), format!("{prefix}to"));
        let mut date = |name: &str, raw: Option<&str>| match raw {
            None => {
                errors.push(name, "is required");
                None
            }
            Some(raw) => NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
                .map_err(|_| errors.push(name, "must be a date such as 2027-03-01"))
                .ok(),
        };
        let (from, to) = (date(&from_name, from), date(&to_name, to));
        let (from, to) = (from?, to?);
        let nights = (to - from).num_days() + 1;
        if nights < 1 {
            errors.push(&to_name, "must not be before from");
            return None;
        }
        if nights > MAX_ALLOTMENT_NIGHTS {
            errors.push(
                &to_name,
                format!("must be at most {MAX_ALLOTMENT_NIGHTS} nights from from (both included)"),
            );
            return None;
        }
        Some(Self { from, to })
    }

    pub fn iter(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let to = self.to;
        self.from.iter_days().take_while(move |d| *d <= to)
    }
}

/// Units a channel may sell on a night, released `release_days` before it. Zero units removes
/// the allotment (its unsold units return to the general pool at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allotment {
    pub units: u32,
    pub release_days: u32,
}

impl Allotment {
    /// `limit` is the type's sellable limit: no channel is allotted more than the type has.
    /// Errors go to `errors` under `/units` and `/release_days`.
    pub fn new(
        errors: &mut FieldErrors,
        units: Option<i64>,
        release_days: Option<i64>,
        limit: u32,
    ) -> Option<Self> {
        let units = errors.require("/units", units, |u| {
            u32::try_from(u)
                .ok()
                .filter(|u| *u <= limit)
                .ok_or_else(|| Invalid::new(format!("must be between 0 and {limit}")))
        });
        let release_days = errors.require("/release_days", release_days, |d| {
            u32::try_from(d)
                .ok()
                .filter(|d| *d <= MAX_RELEASE_DAYS)
                .ok_or_else(|| Invalid::new(format!("must be between 0 and {MAX_RELEASE_DAYS}")))
        });
        Some(Self {
            units: units?,
            release_days: release_days?,
        })
    }

    /// The vendor-local date from which the night's unsold units are back in the general pool.
    pub fn release_on(&self, night: NaiveDate) -> NaiveDate {
        night - Duration::days(i64::from(self.release_days))
    }
}

/// Units of a type held back for our own app on a night.
pub fn protection(units: i64, limit: u32) -> Result<u32, Invalid> {
    u32::try_from(units)
        .ok()
        .filter(|u| *u <= limit)
        .ok_or_else(|| Invalid::new(format!("must be between 0 and {limit}")))
}

/// A channel's night item as read: what it sold that night, its allotment if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChannelNight {
    pub sold: i64,
    pub allot: Option<i64>,
    pub release_on: Option<NaiveDate>,
    pub released: bool,
}

impl ChannelNight {
    /// The allotment still holding its units out of the general pool, if any.
    pub fn unreleased(&self) -> Option<i64> {
        self.allot.filter(|_| !self.released)
    }

    /// Whether the allotment should have been released by `today` (vendor-local).
    pub fn due(&self, today: NaiveDate) -> bool {
        self.unreleased().is_some() && self.release_on.is_some_and(|on| on <= today)
    }

    /// What the channel may still sell that night: the rest of its allotment, or else the
    /// general free units less those protected for our app.
    pub fn free(&self, general_free: u32, protect: u32) -> u32 {
        match self.unreleased() {
            Some(allot) => u32::try_from((allot - self.sold).max(0)).unwrap_or(0),
            None => general_free.saturating_sub(protect),
        }
    }
}

/// How a channel booking's change of `delta` units on a night is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NightPlan {
    /// Within the unreleased allotment `allot`: the channel item only.
    Allotted { allot: i64 },
    /// The general pool: the channel item and the type counter, a take's limit lowered by
    /// `protect`.
    General { protect: u32 },
    /// The channel's allotment has too few units left.
    SoldOut,
}

/// Decides a channel booking's change of `delta` on a night whose channel item reads `night`.
pub fn plan(night: &ChannelNight, protect: u32, delta: i64) -> NightPlan {
    match night.unreleased() {
        Some(allot) if delta > 0 && night.sold + delta > allot => NightPlan::SoldOut,
        Some(allot) => NightPlan::Allotted { allot },
        None => NightPlan::General { protect },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(raw: &str) -> NaiveDate {
        NaiveDate::parse_from_str(raw, "%Y-%m-%d").unwrap()
    }

    fn named(errors: FieldErrors) -> Vec<String> {
        errors
            .into_vec()
            .into_iter()
            .map(|e| format!("{:?}", e.location))
            .collect()
    }

    #[test]
    fn an_allotment_is_at_most_the_types_limit_and_names_each_bad_field() {
        let mut errors = FieldErrors::default();
        assert!(Allotment::new(&mut errors, Some(20), Some(365), 20).is_some());
        assert!(Allotment::new(&mut errors, Some(0), Some(0), 20).is_some());
        assert!(errors.is_empty());
        assert!(Allotment::new(&mut errors, Some(21), Some(366), 20).is_none());
        assert_eq!(
            named(errors),
            vec![r#"Pointer("/units")"#, r#"Pointer("/release_days")"#]
        );
        let mut errors = FieldErrors::default();
        assert!(Allotment::new(&mut errors, Some(-1), None, 20).is_none());
        assert_eq!(errors.into_vec().len(), 2);
        assert!(protection(3, 2).is_err());
        assert_eq!(protection(2, 2).ok(), Some(2));
    }

    #[test]
    fn the_release_date_is_the_night_less_the_release_days_in_the_vendors_calendar() {
        let allotment = Allotment::new(&mut FieldErrors::default(), Some(5), Some(7), 20).unwrap();
        assert_eq!(allotment.release_on(date("2027-03-05")), date("2027-02-26"));
        let night = ChannelNight {
            sold: 2,
            allot: Some(5),
            release_on: Some(date("2027-02-26")),
            released: false,
        };
        assert!(!night.due(date("2027-02-25")));
        assert!(night.due(date("2027-02-26")));
        assert!(
            !ChannelNight {
                released: true,
                ..night
            }
            .due(date("2027-02-27"))
        );
    }

    #[test]
    fn a_range_is_both_ends_included_and_at_most_366_nights() {
        let mut errors = FieldErrors::default();
        let nights =
            Nights::parse(&mut errors, "/", Some("2027-01-30"), Some("2027-02-02")).unwrap();
        assert_eq!(nights.iter().count(), 4);
        assert!(Nights::parse(&mut errors, "/", Some("2027-01-01"), Some("2028-01-02")).is_none());
        assert!(Nights::parse(&mut errors, "/", Some("2027-01-02"), Some("2027-01-01")).is_none());
        assert_eq!(
            named(errors),
            vec![r#"Pointer("/to")"#, r#"Pointer("/to")"#]
        );
    }

    #[test]
    fn the_longest_requests_fit_one_transaction_for_every_shard_count() {
        assert_eq!(max_nights_per_request(1), 20);
        assert_eq!(max_nights_per_request(4), 12);
        assert_eq!(max_nights_per_request(16), 5);
        assert_eq!(max_channel_nights(1), 19);
        assert_eq!(max_channel_nights(4), 12);
        assert_eq!(max_channel_nights(16), 4);
        for shards in 1..=16u8 {
            let per_night = 4 + usize::from(shards);
            assert!(max_nights_per_request(shards) * per_night <= 100);
            assert!((max_nights_per_request(shards) + 1) * per_night > 100);
            let moved = |nights: usize| 1 + nights * (2 + 2 + usize::from(shards));
            assert!(moved(max_channel_nights(shards)) <= 100);
            assert!(moved(max_channel_nights(shards) + 1) > 100);
            let most = max_channel_nights(shards);
            assert!(channel_move_fits(most, most, shards));
            assert!(!channel_move_fits(most + 1, most + 1, shards));
        }
        // 19 nights of a type in one item moved to 12 of a type in 4 shards: 1 + 38 + 72 items.
        assert!(!channel_move_fits(19, 12, 4));
        assert!(channel_move_fits(12, 12, 4));
    }

    #[test]
    fn a_channel_sells_its_allotment_then_nothing_and_after_release_the_unprotected_pool() {
        let allotted = ChannelNight {
            sold: 4,
            allot: Some(5),
            release_on: None,
            released: false,
        };
        assert_eq!(plan(&allotted, 2, 1), NightPlan::Allotted { allot: 5 });
        assert_eq!(plan(&allotted, 2, 2), NightPlan::SoldOut);
        assert_eq!(plan(&allotted, 2, -1), NightPlan::Allotted { allot: 5 });
        assert_eq!(allotted.free(10, 2), 1);
        let released = ChannelNight {
            released: true,
            ..allotted
        };
        assert_eq!(plan(&released, 2, 2), NightPlan::General { protect: 2 });
        assert_eq!(released.free(10, 2), 8);
        assert_eq!(ChannelNight::default().free(1, 2), 0);
    }
}
