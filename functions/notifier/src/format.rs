//! Dates, times and money as a language writes them, from a catalog's data: instants in the
//! vendor's time zone, amounts from integer minor units with the currency's ISO exponent.
//!
//! Small on purpose: ICU4X would bring megabytes of data for a few dozen names, and chrono's
//! `unstable-locales` would change chrono's features for the whole workspace.
use crate::templates::{Catalog, fill};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use shared::domain::money::Money;
use shared::domain::vendor::TimeZone;

/// `Friday, 24 December 2026` / `Freitag, 24. Dezember 2026`.
pub fn date(catalog: &Catalog, date: NaiveDate) -> String {
    let calendar = &catalog.calendar;
    let weekday = calendar.weekdays[date.weekday().num_days_from_monday() as usize % 7];
    let month = calendar.months[date.month0() as usize % 12];
    fill(
        calendar.date,
        &[
            ("weekday", weekday),
            ("day", &date.day().to_string()),
            ("month", month),
            ("year", &date.year().to_string()),
        ],
    )
}

/// `Friday, 24 December 2026, 19:30`, read in the vendor's time zone.
pub fn date_time(catalog: &Catalog, at: DateTime<Utc>, zone: TimeZone) -> String {
    let local = at.with_timezone(&zone.tz());
    fill(
        catalog.calendar.date_time,
        &[
            ("date", &date(catalog, local.date_naive())),
            ("time", &local.format("%H:%M").to_string()),
        ],
    )
}

/// The symbol most readers know a currency by; the ISO code for the rest (as CLDR does for
/// most currencies in these languages).
fn symbol(code: &str) -> Option<&'static str> {
    match code {
        "EUR" => Some("€"),
        "USD" => Some("$"),
        "GBP" => Some("£"),
        "JPY" => Some("¥"),
        _ => None,
    }
}

/// How many digits of an amount are minor units: 2 for EUR, 0 for JPY.
fn exponent(code: &str) -> u32 {
    iso_currency::Currency::from_code(code)
        .and_then(|c| c.exponent())
        .map_or(2, u32::from)
}

/// `€1,234.50` / `1.234,50 €` / `¥1,235` / `CHF 12.50`.
pub fn money(catalog: &Catalog, money: Money) -> String {
    let numbers = &catalog.numbers;
    let code = money.currency.code();
    let exponent = exponent(code);
    let minor = money.amount_minor.unsigned_abs();
    let scale = 10u64.pow(exponent);
    let (major, fraction) = (minor / scale, minor % scale);

    let digits = major.to_string();
    let mut grouped = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push_str(numbers.group);
        }
        grouped.push(digit);
    }
    if exponent > 0 {
        grouped.push_str(numbers.decimal);
        grouped.push_str(&format!("{fraction:0width$}", width = exponent as usize));
    }
    if money.amount_minor < 0 {
        grouped.insert(0, '-');
    }
    let (pattern, symbol) = match symbol(code) {
        Some(symbol) => (numbers.money, symbol),
        None => (numbers.money_code, code),
    };
    fill(pattern, &[("amount", &grouped), ("symbol", symbol)])
}

/// `1 guest` / `4 guests`.
pub fn party(catalog: &Catalog, guests: u16) -> String {
    if guests == 1 {
        catalog.phrases.one_guest.to_owned()
    } else {
        fill(catalog.phrases.guests, &[("count", &guests.to_string())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::{DE, EN, FR};

    fn at(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    fn zone(name: &str) -> TimeZone {
        TimeZone::parse(name).unwrap()
    }

    fn amount(minor: i64, code: &str) -> Money {
        Money::price(minor, code).unwrap()
    }

    #[test]
    fn dates_and_times_are_written_per_language_in_the_vendors_zone() {
        // 18:30 UTC is 19:30 in Berlin in winter.
        let evening = at("2026-12-24T18:30:00Z");
        let berlin = zone("Europe/Berlin");

        assert_eq!(
            date_time(&EN, evening, berlin),
            "Thursday, 24 December 2026, 19:30"
        );
        assert_eq!(
            date_time(&DE, evening, berlin),
            "Donnerstag, 24. Dezember 2026, 19:30"
        );
        assert_eq!(
            date_time(&FR, evening, berlin),
            "jeudi 24 décembre 2026 à 19:30"
        );
    }

    #[test]
    fn the_local_date_can_differ_from_the_utc_date() {
        // 23:30 UTC on the 24th is already the 25th in Tokyo and still the 24th in New York.
        let late = at("2026-12-24T23:30:00Z");

        assert_eq!(
            date_time(&EN, late, zone("Asia/Tokyo")),
            "Friday, 25 December 2026, 08:30"
        );
        assert_eq!(
            date_time(&EN, late, zone("America/New_York")),
            "Thursday, 24 December 2026, 18:30"
        );
    }

    #[test]
    fn daylight_saving_time_moves_the_local_hour() {
        let berlin = zone("Europe/Berlin");
        // The clocks went forward at 01:00 UTC on 29 March 2026.
        assert_eq!(
            date_time(&DE, at("2026-03-29T00:30:00Z"), berlin),
            "Sonntag, 29. März 2026, 01:30"
        );
        assert_eq!(
            date_time(&DE, at("2026-03-29T01:30:00Z"), berlin),
            "Sonntag, 29. März 2026, 03:30"
        );
    }

    #[test]
    fn money_uses_the_languages_separators_and_symbol_position() {
        let price = amount(123_450, "EUR");

        assert_eq!(money(&EN, price), "€1,234.50");
        assert_eq!(money(&DE, price), "1.234,50\u{a0}€");
        assert_eq!(money(&FR, price), "1\u{202f}234,50\u{a0}€");
    }

    #[test]
    fn money_follows_the_currencys_exponent() {
        assert_eq!(money(&EN, amount(1_235, "JPY")), "¥1,235");
        assert_eq!(money(&DE, amount(1_235, "JPY")), "1.235\u{a0}¥");
        assert_eq!(money(&EN, amount(1_234_567, "BHD")), "BHD\u{a0}1,234.567");
        assert_eq!(money(&EN, amount(5, "EUR")), "€0.05");
        assert_eq!(money(&EN, amount(0, "EUR")), "€0.00");
        assert_eq!(money(&EN, amount(100_000_000, "USD")), "$1,000,000.00");
    }

    #[test]
    fn a_currency_without_a_symbol_shows_its_code() {
        assert_eq!(money(&EN, amount(1_250, "CHF")), "CHF\u{a0}12.50");
        assert_eq!(money(&DE, amount(1_250, "CHF")), "12,50\u{a0}CHF");
    }

    #[test]
    fn party_sizes_are_singular_or_plural() {
        assert_eq!(party(&EN, 1), "1 guest");
        assert_eq!(party(&EN, 4), "4 guests");
        assert_eq!(party(&DE, 2), "2 Personen");
        assert_eq!(party(&FR, 1), "1 personne");
    }
}
