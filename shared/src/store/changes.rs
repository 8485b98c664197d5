//! Reads a DynamoDB stream record of our tables back into the fact it means. The store owns the
//! item layout, so it is the one place that knows a `BOOKING` item from a vendor's `PROFILE`, a
//! `RESOURCE#` item, its `RATING`, a `UNIT#` or a `BLOCK#`.
use super::{bookings::BOOKING_SK, keys};
use crate::domain::booking::Booking;
use crate::domain::resource::Resource;
use crate::domain::review::Rating;
use crate::domain::unit::{Block, Unit};
use crate::domain::vendor::Vendor;
use crate::events::{
    Event, block_event, booking_event, rating_event, resource_event, unit_event, vendor_event,
};
use anyhow::Context;
use aws_lambda_events::dynamodb::EventRecord;
use serde::de::DeserializeOwned;

/// The tables whose streams are published, by their physical names.
#[derive(Debug, Clone)]
pub struct StreamTables {
    pub bookings: String,
    pub vendors: String,
    /// Invoices and credit notes (`BILLING_TABLE`), when the publisher reads its stream too.
    pub billing: Option<String>,
}

impl StreamTables {
    pub fn from_env() -> Result<Self, crate::config::ConfigError> {
        Ok(Self {
            bookings: crate::config::required("BOOKINGS_TABLE")?,
            vendors: crate::config::required("VENDORS_TABLE")?,
            billing: std::env::var("BILLING_TABLE")
                .ok()
                .filter(|name| !name.trim().is_empty()),
        })
    }

    /// Whether the record is the billing table's: its documents are published as billing facts.
    pub fn is_billing(&self, record: &EventRecord) -> bool {
        self.billing.is_some() && table_of(record) == self.billing.as_deref()
    }

    /// The billing fact of a billing table record: `None` for its bookkeeping items.
    pub fn billing_fact(
        &self,
        record: &EventRecord,
    ) -> anyhow::Result<Option<crate::billing::events::BillingFact>> {
        let sort_key = sort_key(record).context("the record has no sort key")?;
        crate::billing::events::BillingFact::of_item(&sort_key, &record.change.new_image)
    }

    /// The fact a record means: `None` for writes consumers don't hear about (counters, staff,
    /// bookkeeping-only changes, deletes). An error means the record can't be read, which is a
    /// bug to fix, never a fact to drop.
    pub fn event(&self, record: &EventRecord) -> anyhow::Result<Option<Event>> {
        let table = table_of(record).context("the record names no table")?;
        let sort_key = sort_key(record).context("the record has no sort key")?;
        let change = &record.change;
        if table == self.bookings {
            if sort_key != BOOKING_SK {
                return Ok(None);
            }
            let read =
                |item: &serde_dynamo::Item, which: &str| -> anyhow::Result<Option<Booking>> {
                    if item.is_empty() {
                        return Ok(None);
                    }
                    super::booking_item::decode(item.clone())
                        .map(Some)
                        .with_context(|| format!("reading the {which} image"))
                };
            let (old, new) = (
                read(&change.old_image, "old")?,
                read(&change.new_image, "new")?,
            );
            return Ok(booking_event(old.as_ref(), new.as_ref()).map(Event::from));
        }
        if table == self.vendors {
            if sort_key == keys::PROFILE {
                let (old, new) = images::<Vendor>(&change.old_image, &change.new_image)?;
                return Ok(vendor_event(old.as_ref(), new.as_ref()).map(Event::from));
            }
            if sort_key.starts_with(keys::RESOURCE_PREFIX) {
                let (old, new) = images::<Resource>(&change.old_image, &change.new_image)?;
                return Ok(resource_event(old.as_ref(), new.as_ref()).map(Event::from));
            }
            if sort_key == keys::RATING {
                let (old, new) = images::<Rating>(&change.old_image, &change.new_image)?;
                return Ok(rating_event(old.as_ref(), new.as_ref()).map(Event::from));
            }
            if sort_key.starts_with(super::units::UNIT_PREFIX) {
                let (old, new) = images::<Unit>(&change.old_image, &change.new_image)?;
                return Ok(unit_event(old.as_ref(), new.as_ref()).map(Event::from));
            }
            if sort_key.starts_with(super::units::BLOCK_PREFIX) {
                let (old, new) = images::<Block>(&change.old_image, &change.new_image)?;
                return Ok(block_event(old.as_ref(), new.as_ref()).map(Event::from));
            }
            return Ok(None);
        }
        anyhow::bail!("records of table {table} are not published")
    }
}

/// `arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>` -> `<name>`.
fn table_of(record: &EventRecord) -> Option<&str> {
    let arn = record.event_source_arn.as_deref()?;
    let (_, rest) = arn.split_once(":table/")?;
    rest.split('/').next()
}

fn sort_key(record: &EventRecord) -> Option<String> {
    match record.change.keys.get("sk")? {
        serde_dynamo::AttributeValue::S(sk) => Some(sk.clone()),
        _ => None,
    }
}

fn images<T: DeserializeOwned>(
    old: &serde_dynamo::Item,
    new: &serde_dynamo::Item,
) -> anyhow::Result<(Option<T>, Option<T>)> {
    let read = |item: &serde_dynamo::Item, which: &str| -> anyhow::Result<Option<T>> {
        if item.is_empty() {
            return Ok(None);
        }
        serde_dynamo::from_item(item.clone())
            .map(Some)
            .with_context(|| format!("reading the {which} image"))
    };
    Ok((read(old, "old")?, read(new, "new")?))
}
