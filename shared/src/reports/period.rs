//! A vendor's report over a range of business days: the days grouped into periods (day, ISO week,
//! calendar month, clipped to the range), each period's figures, and the same as CSV.
//!
//! Rounding: money averages (ADR, RevPAR) in minor units, half up; percentages, rates and
//! averages of days as strings with one decimal, half up.
use super::{Counts, DayFigures};
use crate::domain::money::Currency;
use crate::domain::resource::Resource;
use crate::domain::vendor::VendorKind;
use chrono::{Datelike, Days, NaiveDate};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// At most this many days in one report.
pub const MAX_DAYS: i64 = 366;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    Day,
    Week,
    Month,
}

impl Granularity {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "day" => Some(Self::Day),
            "week" => Some(Self::Week),
            "month" => Some(Self::Month),
            _ => None,
        }
    }

    fn period_end(self, start: NaiveDate) -> NaiveDate {
        let end = match self {
            Self::Day => Some(start),
            Self::Week => start.checked_add_days(Days::new(
                6 - u64::from(start.weekday().num_days_from_monday()),
            )),
            Self::Month => start
                .with_day(1)
                .and_then(|first| first.checked_add_months(chrono::Months::new(1)))
                .and_then(|next| next.pred_opt()),
        };
        end.unwrap_or(start)
    }
}

/// The periods of `[from, to]`, each clipped to it.
pub fn periods(
    from: NaiveDate,
    to: NaiveDate,
    granularity: Granularity,
) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let mut start = from;
    while start <= to {
        let end = granularity.period_end(start).min(to);
        out.push((start, end));
        match end.succ_opt() {
            Some(next) => start = next,
            None => break,
        }
    }
    out
}

/// Rooms (hotels: the room types' units) or seats (restaurants: tables × seats each) today.
pub fn capacity(resources: &[Resource]) -> u32 {
    resources
        .iter()
        .map(|r| match r.kind {
            crate::domain::resource::ResourceKind::RoomType => r.units.get(),
            crate::domain::resource::ResourceKind::TableType => {
                r.units.get().saturating_mul(u32::from(r.capacity.get()))
            }
        })
        .fold(0, u32::saturating_add)
}

/// One period's days added up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sum {
    pub counts: Counts,
    pub adjustments: Counts,
    pub adjusts: BTreeSet<NaiveDate>,
    /// Capacity × days: the closed days' own, the open ones' today's.
    pub capacity_days: i64,
    pub days: i64,
    pub closed_days: i64,
}

impl Sum {
    fn add(&mut self, day: &DayFigures, current_capacity: u32) {
        for (field, value) in &day.counts {
            *self.counts.entry(field.clone()).or_default() += value;
        }
        for (field, value) in &day.adjustments {
            *self.adjustments.entry(field.clone()).or_default() += value;
        }
        self.adjusts.extend(day.adjusts.iter().copied());
        let capacity = match (day.closed_at, day.capacity) {
            (Some(_), Some(capacity)) => capacity,
            _ => current_capacity,
        };
        self.capacity_days += i64::from(capacity);
        self.days += 1;
        self.closed_days += i64::from(day.is_closed());
    }

    fn merge(&mut self, other: &Sum) {
        for (field, value) in &other.counts {
            *self.counts.entry(field.clone()).or_default() += value;
        }
        for (field, value) in &other.adjustments {
            *self.adjustments.entry(field.clone()).or_default() += value;
        }
        self.adjusts.extend(other.adjusts.iter().copied());
        self.capacity_days += other.capacity_days;
        self.days += other.days;
        self.closed_days += other.closed_days;
    }

    fn get(&self, field: &str) -> i64 {
        self.counts.get(field).copied().unwrap_or(0)
    }
}

/// What the report is about.
#[derive(Debug, Clone, Copy)]
pub struct ReportScope {
    pub kind: VendorKind,
    pub currency: Currency,
    /// Today's capacity, for the days not closed.
    pub capacity: u32,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub granularity: Granularity,
}

/// A report assembled from the stored days (days without an item count as empty, open days).
#[derive(Debug, Clone)]
pub struct Report {
    pub scope: ReportScope,
    pub periods: Vec<(NaiveDate, NaiveDate, Sum)>,
    pub totals: Sum,
}

pub fn assemble(scope: ReportScope, stored: &[DayFigures]) -> Report {
    let by_day: BTreeMap<NaiveDate, &DayFigures> = stored.iter().map(|d| (d.day, d)).collect();
    let mut totals = Sum::default();
    let mut out = Vec::new();
    for (start, end) in periods(scope.from, scope.to, scope.granularity) {
        let mut sum = Sum::default();
        let mut day = start;
        while day <= end {
            let empty = DayFigures::empty(day);
            sum.add(by_day.get(&day).copied().unwrap_or(&empty), scope.capacity);
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        totals.merge(&sum);
        out.push((start, end, sum));
    }
    Report {
        scope,
        periods: out,
        totals,
    }
}

/// `n / d` rounded half up (both non-negative in practice; a negative is mirrored).
fn div_half_up(n: i64, d: i64) -> Option<i64> {
    if d == 0 {
        return None;
    }
    let (n, d) = (i128::from(n), i128::from(d));
    let q = if n >= 0 {
        (2 * n + d) / (2 * d)
    } else {
        -((-2 * n + d) / (2 * d))
    };
    i64::try_from(q).ok()
}

/// `n / d` with one decimal, half up (`"12.5"`); `None` when `d` is 0.
fn one_decimal(n: i64, d: i64) -> Option<String> {
    let tenths = div_half_up(n.saturating_mul(10), d)?;
    let sign = if tenths < 0 { "-" } else { "" };
    let tenths = tenths.abs();
    Some(format!("{sign}{}.{}", tenths / 10, tenths % 10))
}

/// The figures of a sum as named values: integers, money in minor units, decimals as strings.
#[derive(Debug, Clone, PartialEq)]
pub enum Figure {
    Count(i64),
    Money(i64),
    Decimal(Option<String>),
}

/// The figures of one period (or the totals) in a fixed order, the same for JSON and CSV.
pub fn figures(kind: VendorKind, sum: &Sum) -> Vec<(String, Figure)> {
    use Figure::{Count, Decimal, Money};
    let bookings = sum.get("bookings");
    let stays = sum.get("stays");
    let mut out: Vec<(String, Figure)> = Vec::new();
    let mut push = |name: &str, figure: Figure| out.push((name.to_owned(), figure));
    match kind {
        VendorKind::Hotel => {
            let nights = sum.get("room_nights");
            let net = sum.get("rev_net");
            push("capacity", Count(sum.capacity_days));
            push("room_nights", Count(nights));
            push(
                "occupancy_percent",
                Decimal(one_decimal(nights * 100, sum.capacity_days)),
            );
            push("room_revenue_net", Money(net));
            push("room_revenue_vat", Money(sum.get("rev_vat")));
            push("city_tax", Money(sum.get("city_tax")));
            push("adr", Money(div_half_up(net, nights).unwrap_or(0)));
            push(
                "revpar",
                Money(div_half_up(net, sum.capacity_days).unwrap_or(0)),
            );
        }
        VendorKind::Restaurant => {
            push("capacity", Count(sum.capacity_days));
            push("covers", Count(sum.get("covers")));
            push("seatings", Count(sum.get("seatings")));
        }
    }
    push("bookings", Count(bookings));
    push("cancellations", Count(sum.get("cancellations")));
    push(
        "cancellation_rate_percent",
        Decimal(one_decimal(sum.get("cancellations") * 100, bookings)),
    );
    push("cancellation_fees", Money(sum.get("cancel_fees")));
    push("no_shows", Count(sum.get("no_shows")));
    push(
        "no_show_rate_percent",
        Decimal(one_decimal(sum.get("no_shows") * 100, bookings)),
    );
    push("no_show_fees", Money(sum.get("no_show_fees")));
    push(
        "average_lead_time_days",
        Decimal(one_decimal(sum.get("lead_days"), stays)),
    );
    if kind == VendorKind::Hotel {
        push(
            "average_length_of_stay_nights",
            Decimal(one_decimal(sum.get("stay_nights"), stays)),
        );
    }
    for channel in ["online", "walk_in", "phone", "front_desk"] {
        push(
            &format!("{channel}_bookings"),
            Count(sum.get(&format!("ch_{channel}_bookings"))),
        );
        if kind == VendorKind::Hotel {
            push(
                &format!("{channel}_room_nights"),
                Count(sum.get(&format!("ch_{channel}_nights"))),
            );
            push(
                &format!("{channel}_revenue_net"),
                Money(sum.get(&format!("ch_{channel}_rev_net"))),
            );
        }
    }
    out
}

/// Restaurant seat occupancy per slot start (`"19:30"`): covers / (seats × days). A slot whose
/// counter went back to 0 (its seatings were cancelled or never came) is left out, as one never
/// booked is.
fn slots(sum: &Sum) -> BTreeMap<String, Value> {
    sum.counts
        .iter()
        .filter(|(_, covers)| **covers != 0)
        .filter_map(|(field, covers)| {
            let hhmm = field.strip_prefix("slot_")?;
            let label = format!("{}:{}", hhmm.get(..2)?, hhmm.get(2..)?);
            Some((
                label,
                json!({
                    "covers": covers,
                    "seat_occupancy_percent": one_decimal(covers * 100, sum.capacity_days),
                }),
            ))
        })
        .collect()
}

fn money_json(currency: Currency, amount_minor: i64) -> Value {
    json!({"amount_minor": amount_minor, "currency": currency.code()})
}

fn sum_json(scope: &ReportScope, sum: &Sum) -> serde_json::Map<String, Value> {
    let mut map = serde_json::Map::new();
    for (name, figure) in figures(scope.kind, sum) {
        let value = match figure {
            Figure::Count(n) => json!(n),
            Figure::Money(n) => money_json(scope.currency, n),
            Figure::Decimal(d) => json!(d),
        };
        map.insert(name, value);
    }
    if scope.kind == VendorKind::Restaurant {
        map.insert("slots".into(), json!(slots(sum)));
    }
    map.insert(
        "adjustments".into(),
        json!({
            "for_days": sum.adjusts,
            "counts": sum.adjustments,
        }),
    );
    map
}

impl Report {
    pub fn to_json(&self, vendor_id: &str) -> Value {
        let scope = &self.scope;
        let periods: Vec<Value> = self
            .periods
            .iter()
            .map(|(start, end, sum)| {
                let mut map = sum_json(scope, sum);
                map.insert("start".into(), json!(start));
                map.insert("end".into(), json!(end));
                map.insert("closed".into(), json!(sum.closed_days == sum.days));
                Value::Object(map)
            })
            .collect();
        json!({
            "vendor_id": vendor_id,
            "kind": match scope.kind { VendorKind::Hotel => "hotel", VendorKind::Restaurant => "restaurant" },
            "currency": scope.currency.code(),
            "from": scope.from,
            "to": scope.to,
            "granularity": scope.granularity,
            "periods": periods,
            "totals": Value::Object(sum_json(scope, &self.totals)),
        })
    }

    /// One row per period after a header row; money in major units with the currency's
    /// decimals, adjustments as the net change of room revenue or covers they carry.
    pub fn to_csv(&self) -> String {
        let scope = &self.scope;
        let decimals = iso_currency::Currency::from_code(scope.currency.code())
            .and_then(|c| c.exponent())
            .unwrap_or(2);
        let names: Vec<String> = figures(scope.kind, &Sum::default())
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        let mut csv = format!("start,end,closed,{},adjusted_days\n", names.join(","));
        for (start, end, sum) in &self.periods {
            let cells: Vec<String> = figures(scope.kind, sum)
                .into_iter()
                .map(|(_, figure)| match figure {
                    Figure::Count(n) => n.to_string(),
                    Figure::Money(n) => major_units(n, decimals),
                    Figure::Decimal(d) => d.unwrap_or_default(),
                })
                .collect();
            let adjusted: Vec<String> = sum.adjusts.iter().map(|d| d.to_string()).collect();
            csv.push_str(&format!(
                "{start},{end},{},{},{}\n",
                sum.closed_days == sum.days,
                cells.join(","),
                adjusted.join(" ")
            ));
        }
        csv
    }
}

fn major_units(minor: i64, decimals: u16) -> String {
    if decimals == 0 {
        return minor.to_string();
    }
    let scale = 10i64.pow(u32::from(decimals));
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let scale = scale.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        abs / scale,
        abs % scale,
        width = usize::from(decimals)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(raw: &str) -> NaiveDate {
        raw.parse().unwrap()
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first_clipped_to_the_range() {
        assert_eq!(
            periods(d("2026-03-04"), d("2026-03-17"), Granularity::Week),
            [
                (d("2026-03-04"), d("2026-03-08")),
                (d("2026-03-09"), d("2026-03-15")),
                (d("2026-03-16"), d("2026-03-17"))
            ]
        );
        assert_eq!(
            periods(d("2026-01-31"), d("2026-03-02"), Granularity::Month),
            [
                (d("2026-01-31"), d("2026-01-31")),
                (d("2026-02-01"), d("2026-02-28")),
                (d("2026-03-01"), d("2026-03-02"))
            ]
        );
        assert_eq!(
            periods(d("2026-03-04"), d("2026-03-06"), Granularity::Day).len(),
            3
        );
    }

    #[test]
    fn hotel_figures_round_half_up_and_use_the_closed_capacity_of_closed_days() {
        let mut closed = DayFigures::empty(d("2026-03-01"));
        closed.counts = [("room_nights", 3), ("rev_net", 10_001)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        closed.closed_at = Some("2026-03-02T01:00:00Z".parse().unwrap());
        closed.capacity = Some(8);
        let scope = ReportScope {
            kind: VendorKind::Hotel,
            currency: Currency::parse("EUR").unwrap(),
            capacity: 12,
            from: d("2026-03-01"),
            to: d("2026-03-02"),
            granularity: Granularity::Month,
        };

        let report = assemble(scope, &[closed]);

        let json = report.to_json("v");
        let period = &json["periods"][0];
        assert_eq!(period["capacity"], 20);
        assert_eq!(period["occupancy_percent"], "15.0");
        // 10001 / 3 = 3333.67 -> 3334; 10001 / 20 = 500.05 -> 500
        assert_eq!(period["adr"]["amount_minor"], 3_334);
        assert_eq!(period["revpar"]["amount_minor"], 500);
        assert_eq!(period["closed"], false);
        let csv = report.to_csv();
        assert!(csv.starts_with("start,end,closed,capacity,room_nights,occupancy_percent,"));
        assert!(
            csv.contains("2026-03-01,2026-03-02,false,20,3,15.0,100.01,"),
            "{csv}"
        );
    }

    #[test]
    fn a_slot_whose_seatings_all_went_is_not_listed() {
        let mut day = DayFigures::empty(d("2026-03-01"));
        day.counts = [("slot_1930", 0), ("slot_1200", 3)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        let scope = ReportScope {
            kind: VendorKind::Restaurant,
            currency: Currency::parse("EUR").unwrap(),
            capacity: 12,
            from: d("2026-03-01"),
            to: d("2026-03-01"),
            granularity: Granularity::Day,
        };

        let json = assemble(scope, &[day]).to_json("v");

        assert_eq!(
            json["totals"]["slots"],
            json!({"12:00": {"covers": 3, "seat_occupancy_percent": "25.0"}})
        );
    }

    #[test]
    fn major_units_keep_the_currency_s_decimals() {
        assert_eq!(major_units(12_345, 2), "123.45");
        assert_eq!(major_units(-5, 2), "-0.05");
        assert_eq!(major_units(1_234, 0), "1234");
        assert_eq!(major_units(1_234, 3), "1.234");
        assert_eq!(one_decimal(1, 3), Some("0.3".into()));
        assert_eq!(one_decimal(1, 0), None);
        assert_eq!(one_decimal(1, 20), Some("0.1".into()));
    }
}
