//! The booking as stored: the domain's serialised form made compact so that a booking item of a
//! short stay stays under 1 KB, one write unit. The quote names its currency once and writes each
//! line as `[unit price, units, amount]` (its date follows from the stay) or, when it does not,
//! `[date, unit price, units, amount]`; instants are UTC nanoseconds; the request digest is
//! binary; what the keys already hold (the id, the vendor, a guest's own `booked_by`) is not
//! repeated. Readers take both shapes: items written before keep the domain's form.
use crate::domain::booking::Booking;
use anyhow::Context;
use chrono::{DateTime, NaiveDate, SecondsFormat, TimeDelta};
use serde_dynamo::AttributeValue as Value_;
use serde_json::{Map, Value, json};

/// The compact quote's attribute; its presence tells the two shapes apart.
const COMPACT_QUOTE: &str = "q";
/// Instants written as nanoseconds since the epoch.
const INSTANTS: [&str; 4] = ["arrival_at", "hold_expires_at", "created_at", "updated_at"];

/// The item's attributes (no keys) for `booking`.
pub(crate) fn encode<I>(booking: &Booking) -> anyhow::Result<I>
where
    I: From<serde_dynamo::Item>,
{
    let mut value = serde_json::to_value(booking).context("serialising a booking")?;
    let fields = value
        .as_object_mut()
        .context("a booking serialises as a map")?;
    if let Some(quote) = fields.remove("quote") {
        let nights = first_night(&fields["time"]);
        fields.insert(COMPACT_QUOTE.into(), compact(&quote, nights)?);
    }
    // The keys hold these: `BOOKING#<id>`, `VENDOR#<vendor>` (gsi2pk).
    fields.remove("id");
    fields.remove("vendor_id");
    if booking
        .guest_id
        .is_some_and(|guest| booking.booked_by == format!("guest:{guest}"))
    {
        fields.remove("booked_by");
    }
    for name in INSTANTS {
        if let Some(Value::String(raw)) = fields.get(name) {
            let nanos = DateTime::parse_from_rfc3339(raw)
                .ok()
                .and_then(|at| at.timestamp_nanos_opt())
                .with_context(|| format!("{name} as nanoseconds"))?;
            fields.insert(name.into(), json!(nanos));
        }
    }
    let mut item: serde_dynamo::Item = serde_dynamo::to_item(value).context("a booking item")?;
    if let Ok(digest) = hex::decode(&booking.request_hash) {
        item.insert("request_hash".into(), Value_::B(digest));
    } else if !booking.request_hash.is_empty() {
        item.insert(
            "request_hash".into(),
            Value_::S(booking.request_hash.clone()),
        );
    }
    Ok(item.into())
}

/// A stay's first night: quote lines from there on, one a night, need no date of their own.
fn first_night(time: &Value) -> Option<NaiveDate> {
    (time["kind"] == "stay")
        .then(|| time["check_in"].as_str()?.parse().ok())
        .flatten()
}

/// The booking an item holds, in either shape.
pub(crate) fn decode<I>(item: I) -> anyhow::Result<Booking>
where
    I: Into<serde_dynamo::Item>,
{
    let mut item: serde_dynamo::Item = item.into();
    if let Some(Value_::B(digest)) = item.get("request_hash") {
        let digest = hex::encode(digest);
        item.insert("request_hash".into(), Value_::S(digest));
    }
    let from_key = |item: &serde_dynamo::Item, key: &str, prefix: &str| match item.get(key) {
        Some(Value_::S(raw)) => raw.strip_prefix(prefix).map(|id| Value_::S(id.to_owned())),
        _ => None,
    };
    for (field, key, prefix) in [("id", "pk", "BOOKING#"), ("vendor_id", "gsi2pk", "VENDOR#")] {
        if !item.contains_key(field)
            && let Some(id) = from_key(&item, key, prefix)
        {
            item.insert(field.into(), id);
        }
    }
    if !item.contains_key("booked_by")
        && let Some(Value_::S(guest)) = item.get("guest_id")
    {
        let booked_by = Value_::S(format!("guest:{guest}"));
        item.insert("booked_by".into(), booked_by);
    }
    for name in INSTANTS {
        if let Some(Value_::N(raw)) = item.get(name) {
            let nanos: i64 = raw
                .parse()
                .with_context(|| format!("{name} as nanoseconds"))?;
            let at = DateTime::from_timestamp_nanos(nanos);
            let at = Value_::S(at.to_rfc3339_opts(SecondsFormat::AutoSi, true));
            item.insert(name.into(), at);
        }
    }
    let mut value: Value = serde_dynamo::from_item(item).context("reading a booking item")?;
    if let Some(fields) = value.as_object_mut()
        && let Some(compact) = fields.remove(COMPACT_QUOTE)
    {
        let nights = first_night(&fields["time"]);
        fields.insert("quote".into(), expand(&compact, nights)?);
    }
    serde_json::from_value(value).context("reading a booking")
}

/// The date of a stay's `index`th night.
fn night(first: Option<NaiveDate>, index: usize) -> Option<String> {
    let days = TimeDelta::try_days(i64::try_from(index).ok()?)?;
    Some(first?.checked_add_signed(days)?.to_string())
}

fn compact(quote: &Value, first: Option<NaiveDate>) -> anyhow::Result<Value> {
    let currency = quote["total"]["currency"].clone();
    let lines = quote["lines"]
        .as_array()
        .context("a quote has lines")?
        .iter()
        .enumerate()
        .map(|(index, line)| {
            anyhow::ensure!(
                line["unit_price"]["currency"] == currency
                    && line["amount"]["currency"] == currency,
                "a quote line in another currency than its total"
            );
            let (price, units, amount) = (
                &line["unit_price"]["amount_minor"],
                &line["units"],
                &line["amount"]["amount_minor"],
            );
            Ok(match night(first, index) {
                Some(date) if line["date"] == date.as_str() => json!([price, units, amount]),
                _ => json!([line["date"], price, units, amount]),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(json!({"c": currency, "t": quote["total"]["amount_minor"], "l": lines}))
}

fn expand(compact: &Value, first: Option<NaiveDate>) -> anyhow::Result<Value> {
    let currency = &compact["c"];
    let money = |amount: &Value| json!({"amount_minor": amount, "currency": currency});
    let line = |date: Value, unit_price: &Value, units: &Value, amount: &Value| {
        json!({
            "date": date,
            "unit_price": money(unit_price),
            "units": units,
            "amount": money(amount),
        })
    };
    let lines = compact["l"]
        .as_array()
        .context("a compact quote has lines")?
        .iter()
        .enumerate()
        .map(|(index, raw)| match raw.as_array().map(Vec::as_slice) {
            Some([date, unit_price, units, amount]) => {
                Ok(line(date.clone(), unit_price, units, amount))
            }
            Some([unit_price, units, amount]) => {
                let date = night(first, index).context("a quote line's night")?;
                Ok(line(Value::String(date), unit_price, units, amount))
            }
            _ => anyhow::bail!("a compact quote line is not [date,] unit price, units, amount"),
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut quote = Map::new();
    quote.insert("lines".into(), Value::Array(lines));
    quote.insert("total".into(), money(&compact["t"]));
    Ok(Value::Object(quote))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::dynamo::{Item, s};

    /// As the store writes it: with its keys.
    fn stored(booking: &Booking) -> Item {
        let mut item: Item = encode(booking).unwrap();
        item.insert("pk".into(), s(format!("BOOKING#{}", booking.id)));
        item.insert("gsi2pk".into(), s(format!("VENDOR#{}", booking.vendor_id)));
        item
    }

    #[test]
    fn a_booking_reads_back_as_written_and_names_its_currency_once() {
        let booking = crate::events::fixtures::hold();

        let item = stored(&booking);

        assert!(!item.contains_key("quote"));
        let stored = format!("{:?}", item.get(COMPACT_QUOTE).unwrap());
        assert_eq!(stored.matches("EUR").count(), 1, "{stored}");
        assert!(
            !stored.contains("2026-03"),
            "nights follow from the stay: {stored}"
        );
        for repeated in ["id", "vendor_id", "booked_by"] {
            assert!(!item.contains_key(repeated), "{repeated}");
        }
        assert_eq!(decode(item).unwrap(), booking);
    }

    #[test]
    fn quote_lines_off_the_nights_keep_their_dates_and_desk_bookings_their_creator() {
        let mut booking = crate::events::fixtures::hold();
        booking.quote.lines.reverse();
        booking.booked_by = "staff:someone".into();

        let item = stored(&booking);

        assert!(item.contains_key("booked_by"));
        assert_eq!(decode(item).unwrap(), booking);
    }

    #[test]
    fn an_item_written_before_the_compact_form_still_reads() {
        // Not part of the serialised form: the store wrote it beside, as a string.
        let booking = crate::events::fixtures::hold();
        let mut old: Item = serde_dynamo::to_item(&booking).unwrap();
        old.insert("request_hash".into(), s(booking.request_hash.clone()));
        assert!(old.contains_key("quote"));

        assert_eq!(decode(old).unwrap(), booking);
    }
}
