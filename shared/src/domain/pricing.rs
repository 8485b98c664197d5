//! What a booking costs: a base price per night or seating, overridden on some local dates
//! (seasons, weekends), quoted once at hold time and stored on the booking.
use super::Invalid;
use super::calendar::BookedTime;
use super::money::Money;
use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// A price for the local dates `from..=to`, on every day or only on some weekdays.
///
/// The amount is in minor units of the plan's currency; the plan checks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceRule {
    from: NaiveDate,
    to: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    weekdays: Option<Vec<Weekday>>,
    amount_minor: i64,
}

impl PriceRule {
    /// `weekdays` of `None` means every day; the list is kept Monday first, without repeats.
    pub fn new(
        from: NaiveDate,
        to: NaiveDate,
        weekdays: Option<Vec<Weekday>>,
        amount_minor: i64,
    ) -> Result<Self, Invalid> {
        if to < from {
            return Err(Invalid::new("to must not be before from"));
        }
        let weekdays = match weekdays {
            None => None,
            Some(days) if days.is_empty() => {
                return Err(Invalid::new(
                    "weekdays must name at least one day, or be left out for every day",
                ));
            }
            Some(mut days) => {
                days.sort_by_key(Weekday::num_days_from_monday);
                days.dedup();
                Some(days)
            }
        };
        Ok(Self {
            from,
            to,
            weekdays,
            amount_minor,
        })
    }

    pub fn from(&self) -> NaiveDate {
        self.from
    }

    pub fn to(&self) -> NaiveDate {
        self.to
    }

    pub fn weekdays(&self) -> Option<&[Weekday]> {
        self.weekdays.as_deref()
    }

    pub fn amount_minor(&self) -> i64 {
        self.amount_minor
    }

    pub fn applies_on(&self, date: NaiveDate) -> bool {
        (self.from..=self.to).contains(&date)
            && self
                .weekdays
                .as_ref()
                .is_none_or(|days| days.contains(&date.weekday()))
    }
}

/// A resource type's prices: the base price, and rules that override it on some dates.
///
/// When several rules cover a date, the last one in the list wins, so a vendor puts the general
/// rules first and the exceptions after them (a season, then that season's weekends).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricePlan {
    base: Money,
    #[serde(default)]
    rules: Vec<PriceRule>,
}

impl PricePlan {
    /// Keeps the plan, and so the resource item holding it, small.
    pub const MAX_RULES: usize = 100;

    pub fn new(base: Money, rules: Vec<PriceRule>) -> Result<Self, Invalid> {
        if rules.len() > Self::MAX_RULES {
            return Err(Invalid::new(format!(
                "rules must have at most {} entries",
                Self::MAX_RULES
            )));
        }
        for (index, rule) in rules.iter().enumerate() {
            Money::price(rule.amount_minor, base.currency.code())
                .map_err(|Invalid(reason)| Invalid::new(format!("rules/{index}: {reason}")))?;
        }
        Ok(Self { base, rules })
    }

    /// A plan without rules: every date costs the base price.
    pub fn flat(base: Money) -> Self {
        Self {
            base,
            rules: Vec::new(),
        }
    }

    pub fn base(&self) -> Money {
        self.base
    }

    pub fn rules(&self) -> &[PriceRule] {
        &self.rules
    }

    /// The price of one unit for the night or seating on this local date.
    pub fn price_on(&self, date: NaiveDate) -> Money {
        self.rules
            .iter()
            .rev()
            .find(|rule| rule.applies_on(date))
            .map_or(self.base, |rule| Money {
                amount_minor: rule.amount_minor,
                currency: self.base.currency,
            })
    }

    /// What `units` rooms or tables cost: a stay pays each night, a seating pays once, at the
    /// price of the local date it starts on.
    pub fn quote(&self, booked: &BookedTime, units: u32) -> Result<Quote, QuoteError> {
        let dates: Vec<NaiveDate> = match booked {
            BookedTime::Stay(stay) => stay.dates().collect(),
            BookedTime::Seating(seating) => vec![seating.local_date()],
        };
        let mut lines = Vec::with_capacity(dates.len());
        let mut total: i64 = 0;
        for date in dates {
            let unit_price = self.price_on(date);
            let amount = unit_price
                .amount_minor
                .checked_mul(i64::from(units))
                .ok_or(QuoteError::Overflow)?;
            total = total.checked_add(amount).ok_or(QuoteError::Overflow)?;
            lines.push(QuoteLine {
                date,
                unit_price,
                units,
                amount: Money {
                    amount_minor: amount,
                    currency: self.base.currency,
                },
            });
        }
        Ok(Quote {
            lines,
            total: Money {
                amount_minor: total,
                currency: self.base.currency,
            },
        })
    }
}

/// The price of a booking as quoted at hold time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// One line per night of a stay, or one for a seating.
    pub lines: Vec<QuoteLine>,
    pub total: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteLine {
    /// The local date of the night, or of the seating's start.
    pub date: NaiveDate,
    pub unit_price: Money,
    pub units: u32,
    pub amount: Money,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    #[error("the total is too large to charge")]
    Overflow,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::{Seating, SlotGrid, StayNights};
    use crate::domain::vendor::TimeZone;
    use chrono::NaiveTime;

    fn date(raw: &str) -> NaiveDate {
        NaiveDate::parse_from_str(raw, "%Y-%m-%d").unwrap()
    }

    fn eur(minor: i64) -> Money {
        Money::price(minor, "EUR").unwrap()
    }

    fn stay(check_in: &str, check_out: &str) -> BookedTime {
        BookedTime::Stay(StayNights::new(date(check_in), date(check_out)).unwrap())
    }

    fn weekend() -> Option<Vec<Weekday>> {
        Some(vec![Weekday::Sat, Weekday::Fri])
    }

    /// Summer costs 150, weekends 120 all year, and summer weekends 180.
    fn summer_and_weekends(summer_last: bool) -> PricePlan {
        let weekends =
            PriceRule::new(date("2026-01-01"), date("2026-12-31"), weekend(), 12_000).unwrap();
        let summer = PriceRule::new(date("2026-07-01"), date("2026-08-31"), None, 15_000).unwrap();
        let rules = if summer_last {
            vec![weekends, summer]
        } else {
            vec![summer, weekends]
        };
        PricePlan::new(eur(10_000), rules).unwrap()
    }

    #[test]
    fn a_date_no_rule_covers_costs_the_base_price() {
        let plan = summer_and_weekends(true);

        // A Wednesday in June.
        assert_eq!(plan.price_on(date("2026-06-10")), eur(10_000));
    }

    #[test]
    fn when_rules_overlap_the_last_one_wins() {
        let summer_last = summer_and_weekends(true);
        let weekends_last = summer_and_weekends(false);
        let summer_friday = date("2026-07-03");
        let june_friday = date("2026-06-05");

        assert_eq!(summer_last.price_on(summer_friday), eur(15_000));
        assert_eq!(weekends_last.price_on(summer_friday), eur(12_000));
        assert_eq!(summer_last.price_on(june_friday), eur(12_000));
        assert_eq!(summer_last.price_on(date("2026-07-08")), eur(15_000));
    }

    #[test]
    fn rule_dates_are_inclusive() {
        let plan = summer_and_weekends(true);

        assert_eq!(plan.price_on(date("2026-06-30")), eur(10_000));
        assert_eq!(plan.price_on(date("2026-07-01")), eur(15_000));
        assert_eq!(plan.price_on(date("2026-08-31")), eur(15_000));
        assert_eq!(plan.price_on(date("2026-09-01")), eur(10_000));
    }

    #[test]
    fn a_stay_pays_each_night_at_that_night_s_price_times_the_units() {
        let plan = summer_and_weekends(false);

        // Thursday, Friday, Saturday nights at the start of summer.
        let quote = plan.quote(&stay("2026-07-02", "2026-07-05"), 2).unwrap();

        let per_night: Vec<(NaiveDate, i64, i64)> = quote
            .lines
            .iter()
            .map(|line| {
                (
                    line.date,
                    line.unit_price.amount_minor,
                    line.amount.amount_minor,
                )
            })
            .collect();
        assert_eq!(
            per_night,
            [
                (date("2026-07-02"), 15_000, 30_000),
                (date("2026-07-03"), 12_000, 24_000),
                (date("2026-07-04"), 12_000, 24_000),
            ]
        );
        assert_eq!(quote.total, eur(78_000));
    }

    #[test]
    fn a_seating_pays_once_at_the_price_of_the_date_it_starts() {
        let plan = PricePlan::new(
            eur(2_000),
            vec![PriceRule::new(date("2026-07-04"), date("2026-07-04"), None, 5_000).unwrap()],
        )
        .unwrap();
        let seating = Seating::new(
            SlotGrid::new(30, 90).unwrap(),
            TimeZone::parse("America/New_York").unwrap(),
            date("2026-07-04"),
            NaiveTime::from_hms_opt(23, 30, 0).unwrap(),
        )
        .unwrap();

        let quote = plan.quote(&BookedTime::Seating(seating), 3).unwrap();

        assert_eq!(quote.lines.len(), 1);
        assert_eq!(quote.lines[0].date, date("2026-07-04"));
        assert_eq!(quote.total, eur(15_000));
    }

    #[test]
    fn a_total_too_large_to_represent_is_an_error_not_a_panic() {
        let plan = PricePlan::flat(eur(10_000_000_000));

        let one_night = plan.quote(&stay("2026-07-01", "2026-07-02"), u32::MAX);
        let many_nights = plan.quote(&stay("2026-07-01", "2026-07-31"), 40_000_000);

        assert_eq!(one_night, Err(QuoteError::Overflow));
        assert_eq!(many_nights, Err(QuoteError::Overflow));
    }

    #[test]
    fn rules_need_ordered_dates_some_weekday_and_a_valid_amount() {
        let (jan, feb) = (date("2026-01-01"), date("2026-02-01"));

        assert_eq!(
            PriceRule::new(feb, jan, None, 1).unwrap_err().0,
            "to must not be before from"
        );
        assert!(PriceRule::new(jan, jan, Some(vec![]), 1).is_err());
        let rule = PriceRule::new(
            jan,
            feb,
            Some(vec![Weekday::Sun, Weekday::Sat, Weekday::Sun]),
            1,
        )
        .unwrap();
        assert_eq!(rule.weekdays(), Some(&[Weekday::Sat, Weekday::Sun][..]));

        let negative = PriceRule::new(jan, feb, None, -1).unwrap();
        let error = PricePlan::new(eur(100), vec![rule, negative]).unwrap_err();
        assert!(error.0.starts_with("rules/1: amount_minor"), "{error}");
    }

    #[test]
    fn plans_serialise_with_weekday_names() {
        let plan = summer_and_weekends(true);

        let json = serde_json::to_value(&plan).unwrap();

        assert_eq!(
            json["rules"][0]["weekdays"],
            serde_json::json!(["Fri", "Sat"])
        );
        assert_eq!(json["rules"][1].get("weekdays"), None);
        assert_eq!(serde_json::from_value::<PricePlan>(json).unwrap(), plan);
    }
}
