//! The booking as stored: the domain's serialised form, with the quote written compactly (its
//! currency once, each line as `[date, unit price, units, amount]`) so that a booking item stays
//! under 1 KB, one write unit. Readers take both shapes: items written before keep `quote`.
use crate::domain::booking::Booking;
use anyhow::Context;
use serde_json::{Map, Value, json};

/// The compact quote's attribute; its presence tells the two shapes apart.
const COMPACT_QUOTE: &str = "q";

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
        fields.insert(COMPACT_QUOTE.into(), compact(&quote)?);
    }
    let item: serde_dynamo::Item = serde_dynamo::to_item(value).context("a booking item")?;
    Ok(item.into())
}

/// The booking an item holds, in either shape.
pub(crate) fn decode<I>(item: I) -> anyhow::Result<Booking>
where
    I: Into<serde_dynamo::Item>,
{
    let mut value: Value = serde_dynamo::from_item(item).context("reading a booking item")?;
    if let Some(fields) = value.as_object_mut()
        && let Some(compact) = fields.remove(COMPACT_QUOTE)
    {
        fields.insert("quote".into(), expand(&compact)?);
    }
    serde_json::from_value(value).context("reading a booking")
}

fn compact(quote: &Value) -> anyhow::Result<Value> {
    let currency = quote["total"]["currency"].clone();
    let lines = quote["lines"]
        .as_array()
        .context("a quote has lines")?
        .iter()
        .map(|line| {
            anyhow::ensure!(
                line["unit_price"]["currency"] == currency
                    && line["amount"]["currency"] == currency,
                "a quote line in another currency than its total"
            );
            Ok(json!([
                line["date"],
                line["unit_price"]["amount_minor"],
                line["units"],
                line["amount"]["amount_minor"],
            ]))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(json!({"c": currency, "t": quote["total"]["amount_minor"], "l": lines}))
}

fn expand(compact: &Value) -> anyhow::Result<Value> {
    let currency = &compact["c"];
    let money = |amount: &Value| json!({"amount_minor": amount, "currency": currency});
    let lines = compact["l"]
        .as_array()
        .context("a compact quote has lines")?
        .iter()
        .map(|line| match line.as_array().map(Vec::as_slice) {
            Some([date, unit_price, units, amount]) => Ok(json!({
                "date": date,
                "unit_price": money(unit_price),
                "units": units,
                "amount": money(amount),
            })),
            _ => anyhow::bail!("a compact quote line is not [date, unit price, units, amount]"),
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
    use crate::store::dynamo::Item;

    #[test]
    fn a_booking_reads_back_as_written_and_names_its_currency_once() {
        // Not part of the serialised form: the store writes it beside (`request_hash`).
        let booking = Booking {
            request_hash: String::new(),
            ..crate::events::fixtures::hold()
        };

        let item: Item = encode(&booking).unwrap();

        assert!(!item.contains_key("quote"));
        let stored = format!("{:?}", item.get(COMPACT_QUOTE).unwrap());
        assert_eq!(stored.matches("EUR").count(), 1, "{stored}");
        assert_eq!(decode(item).unwrap(), booking);
    }

    #[test]
    fn an_item_written_before_the_compact_quote_still_reads() {
        // Not part of the serialised form: the store writes it beside (`request_hash`).
        let booking = Booking {
            request_hash: String::new(),
            ..crate::events::fixtures::hold()
        };
        let old: Item = serde_dynamo::to_item(&booking).unwrap();
        assert!(old.contains_key("quote"));

        assert_eq!(decode(old).unwrap(), booking);
    }
}
