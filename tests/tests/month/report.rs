//! The report against the ledger: each figure as the README states it, by day, week and
//! month, in JSON and CSV, and the month's invoices numbered without a gap.
use crate::DAYS;
use crate::ledger::{Counts, Days, half_up, total};
use crate::setup::{Month, Shop, date};
use chrono::{Datelike, Duration, NaiveDate};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// `n / d` with one decimal, rounded half up, as the report states; `None` for nothing to divide.
fn tenths(n: i64, d: i64) -> Value {
    if d == 0 {
        return Value::Null;
    }
    let t = half_up(n * 10, d);
    json!(format!("{}.{}", t / 10, t % 10))
}

fn money(minor: i64) -> Value {
    json!({"amount_minor": minor, "currency": "EUR"})
}

/// The report's named figures for days adding up to `sum`, computed as the README states them.
fn figures(kind: &str, sum: &Counts, capacity_days: i64) -> serde_json::Map<String, Value> {
    let get = |field: &str| sum.get(field).copied().unwrap_or(0);
    let mut out = serde_json::Map::new();
    let (bookings, stays) = (get("bookings"), get("stays"));
    out.insert("capacity".into(), json!(capacity_days));
    if kind == "hotel" {
        let (nights, net) = (get("room_nights"), get("rev_net"));
        out.insert("room_nights".into(), json!(nights));
        out.insert(
            "occupancy_percent".into(),
            tenths(nights * 100, capacity_days),
        );
        out.insert("room_revenue_net".into(), money(net));
        out.insert("room_revenue_vat".into(), money(get("rev_vat")));
        out.insert("city_tax".into(), money(get("city_tax")));
        out.insert(
            "adr".into(),
            money(if nights == 0 { 0 } else { half_up(net, nights) }),
        );
        out.insert("revpar".into(), money(half_up(net, capacity_days)));
        out.insert(
            "average_length_of_stay_nights".into(),
            tenths(get("stay_nights"), stays),
        );
    } else {
        out.insert("covers".into(), json!(get("covers")));
        out.insert("seatings".into(), json!(get("seatings")));
        let slots: serde_json::Map<String, Value> = sum
            .iter()
            .filter_map(|(field, covers)| {
                let hhmm = field.strip_prefix("slot_")?;
                Some((
                    format!("{}:{}", &hhmm[..2], &hhmm[2..]),
                    json!({"covers": covers, "seat_occupancy_percent": tenths(covers * 100, capacity_days)}),
                ))
            })
            .collect();
        out.insert("slots".into(), Value::Object(slots));
    }
    out.insert("bookings".into(), json!(bookings));
    out.insert("cancellations".into(), json!(get("cancellations")));
    out.insert(
        "cancellation_rate_percent".into(),
        tenths(get("cancellations") * 100, bookings),
    );
    out.insert("cancellation_fees".into(), money(get("cancel_fees")));
    out.insert("no_shows".into(), json!(get("no_shows")));
    out.insert(
        "no_show_rate_percent".into(),
        tenths(get("no_shows") * 100, bookings),
    );
    out.insert("no_show_fees".into(), money(get("no_show_fees")));
    out.insert(
        "average_lead_time_days".into(),
        tenths(get("lead_days"), stays),
    );
    for channel in ["online", "walk_in", "phone", "front_desk"] {
        out.insert(
            format!("{channel}_bookings"),
            json!(get(&format!("ch_{channel}_bookings"))),
        );
        if kind == "hotel" {
            out.insert(
                format!("{channel}_room_nights"),
                json!(get(&format!("ch_{channel}_nights"))),
            );
            out.insert(
                format!("{channel}_revenue_net"),
                money(get(&format!("ch_{channel}_rev_net"))),
            );
        }
    }
    out
}

/// The periods of `[from, to]` by `granularity`, clipped to it, as the README describes them.
fn periods(from: NaiveDate, to: NaiveDate, granularity: &str) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let mut start = from;
    while start <= to {
        let end = match granularity {
            "day" => start,
            "week" => start + Duration::days(6 - i64::from(start.weekday().num_days_from_monday())),
            _ => {
                let next = if start.month() == 12 {
                    NaiveDate::from_ymd_opt(start.year() + 1, 1, 1)
                } else {
                    NaiveDate::from_ymd_opt(start.year(), start.month() + 1, 1)
                };
                next.expect("a month") - Duration::days(1)
            }
        }
        .min(to);
        out.push((start, end));
        start = end + Duration::days(1);
    }
    out
}

fn within(days: &Days, start: NaiveDate, end: NaiveDate) -> Counts {
    let mut slice = days.clone();
    slice.retain(|d, _| *d >= start && *d <= end);
    total(&slice)
}

impl Month {
    /// The report by `granularity` agrees with the ledger, period by period and in its totals;
    /// the CSV's rows add up to the same totals.
    async fn check_report(&mut self, shop: &Shop, granularity: &str) {
        let (from, to) = (self.day0, self.day(DAYS + 5));
        let token = self.staff(shop, true).await;
        let query = format!(
            "/vendor/{}/reports?from={from}&to={to}&granularity={granularity}",
            shop.vendor
        );
        let report = self.send(Method::GET, &query, &token, None).await;
        let got = report["periods"].as_array().expect("periods");
        let expected = periods(from, to, granularity);
        assert_eq!(got.len(), expected.len(), "{granularity}: {report:#}");
        for (period, (start, end)) in got.iter().zip(&expected) {
            assert_eq!(
                (date(&period["start"]), date(&period["end"])),
                (*start, *end)
            );
            let days = (*end - *start).num_days() + 1;
            let want = figures(
                shop.kind,
                &within(&shop.ledger.counts, *start, *end),
                shop.capacity * days,
            );
            for (name, value) in &want {
                assert_eq!(
                    &period[name], value,
                    "{} {granularity} {start}: {name} in {period:#}",
                    shop.kind
                );
            }
            let closed =
                (0..days).all(|i| shop.ledger.closed.contains(&(*start + Duration::days(i))));
            assert_eq!(period["closed"], closed, "{start}: {period:#}");
            let adjustments = within(&shop.ledger.adjustments, *start, *end);
            let counts: Counts = serde_json::from_value(period["adjustments"]["counts"].clone())
                .expect("adjustment counts");
            assert_eq!(
                counts
                    .into_iter()
                    .filter(|(_, v)| *v != 0)
                    .collect::<Counts>(),
                adjustments,
                "{start}: {period:#}"
            );
            let for_days: BTreeSet<NaiveDate> = shop
                .ledger
                .adjusts
                .range(*start..=*end)
                .flat_map(|(_, days)| days.iter().copied())
                .collect();
            let said: BTreeSet<NaiveDate> = period["adjustments"]["for_days"]
                .as_array()
                .expect("for_days")
                .iter()
                .map(date)
                .collect();
            assert_eq!(said, for_days, "{start}: {period:#}");
        }
        let days = (to - from).num_days() + 1;
        let totals = figures(shop.kind, &total(&shop.ledger.counts), shop.capacity * days);
        for (name, value) in &totals {
            assert_eq!(
                &report["totals"][name], value,
                "{} {granularity} totals: {name}",
                shop.kind
            );
        }

        let csv = self
            .api
            .send_with(
                Method::GET,
                &query,
                Some(&token),
                None,
                &[("accept", "text/csv")],
            )
            .await;
        assert_eq!(csv.status, StatusCode::OK, "{csv:#?}");
        let text = reqwest::Client::new()
            .get(format!("{}{query}", self.api.base))
            .bearer_auth(&token)
            .header("accept", "text/csv")
            .send()
            .await
            .expect("the gateway answers")
            .text()
            .await
            .expect("a CSV body");
        let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
        assert_eq!(rows.len(), 1 + expected.len(), "{text}");
        for (name, value) in &totals {
            let Some(column) = rows[0].iter().position(|h| h == name) else {
                continue;
            };
            let minor = |cell: &str| -> i64 {
                match value {
                    Value::Object(_) => {
                        let (units, cents) = cell.split_once('.').expect("money in major units");
                        let sign = if units.starts_with('-') { -1 } else { 1 };
                        units.parse::<i64>().expect("units") * 100
                            + sign * cents.parse::<i64>().expect("cents")
                    }
                    _ => cell.parse().expect("a count"),
                }
            };
            match value {
                Value::Number(n) => {
                    let sum: i64 = rows[1..].iter().map(|r| minor(r[column])).sum();
                    assert_eq!(Some(sum), n.as_i64(), "CSV {granularity} {name}: {text}");
                }
                Value::Object(m) if !matches!(name.as_str(), "adr" | "revpar") => {
                    let sum: i64 = rows[1..].iter().map(|r| minor(r[column])).sum();
                    assert_eq!(
                        json!(sum),
                        m["amount_minor"],
                        "CSV {granularity} {name}: {text}"
                    );
                }
                _ => {}
            }
        }
    }

    /// Every figure agrees with the test's own count, and the invoices are numbered 1..N.
    pub(crate) async fn check_month(&mut self, shop: &Shop) {
        self.caught_up(shop).await;
        // The ledger against the bookings themselves: what the days hold after every
        // correction is what the bookings add up to now.
        let mut all = Days::new();
        for booking in &shop.bookings {
            for (day, counts) in booking.contribution() {
                for (field, value) in counts {
                    *all.entry(day).or_default().entry(field).or_default() += value;
                }
            }
        }
        let mut corrected = total(&shop.ledger.counts);
        for (field, value) in total(&shop.ledger.adjustments) {
            *corrected.entry(field).or_default() += value;
        }
        corrected.retain(|_, v| *v != 0);
        assert_eq!(
            corrected,
            total(&all),
            "{}: counts plus adjustments",
            shop.kind
        );
        // Closed days kept what they were closed with.
        let (counts, _, _) = self.projection(shop).await;
        for (day, closed) in &shop.closed_with {
            assert_eq!(
                counts.get(day).cloned().unwrap_or_default(),
                *closed,
                "{} {day} changed after its close",
                shop.kind
            );
        }
        for granularity in ["day", "week", "month"] {
            self.check_report(shop, granularity).await;
        }
        if shop.kind == "hotel" {
            // Every stay sold was checked out by the month's end: what the invoices billed is
            // the revenue the days hold, corrections included.
            let get = |field: &str| corrected.get(field).copied().unwrap_or(0);
            assert_eq!(
                shop.invoiced,
                (get("rev_net"), get("rev_vat"), get("city_tax")),
                "invoiced against the days"
            );
        }
        let mut numbers = shop.numbers.clone();
        numbers.sort_unstable();
        let n = numbers.len() as u64;
        assert!(n > 0);
        assert_eq!(
            numbers,
            (1..=n).collect::<Vec<_>>(),
            "{} invoice numbers",
            shop.kind
        );
    }
}
