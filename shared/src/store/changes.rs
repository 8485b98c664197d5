//! Reads a DynamoDB stream record of our tables back into the fact it means. The store owns the
//! item layout, so it is the one place that knows a `BOOKING` item from a vendor's `PROFILE`, a
//! `RESOURCE#` item, its `RATING`, a `UNIT#` or a `BLOCK#`; billing documents, channel accounts,
//! allotments and waitlist entries are read by their own modules. Every mapping reads a record's
//! images through `StreamImage` (the stream's counterpart of `store::attr`).
use super::{bookings::BOOKING_SK, keys};
use crate::ari_push::allotted::AllotmentFact;
use crate::channels::events::ChannelFact;
use crate::domain::booking::Booking;
use crate::domain::resource::Resource;
use crate::domain::review::Rating;
use crate::domain::unit::{Block, Unit};
use crate::domain::vendor::Vendor;
use crate::events::{
    Event, EventEntry, block_event, booking_event, rating_event, resource_event, unit_event,
    vendor_event,
};
use crate::waitlist::WaitlistFact;
use anyhow::Context;
use aws_lambda_events::dynamodb::{EventRecord, StreamRecord};
use serde::de::DeserializeOwned;
use serde_dynamo::{AttributeValue, Item};
use std::str::FromStr;

/// One side of a stream record (its old or new image, or its keys), read attribute by attribute:
/// what each mapping of a record to its fact reads the item through. A missing attribute, or
/// one of another type, reads as `None`.
#[derive(Debug, Clone, Copy)]
pub struct StreamImage<'a>(pub &'a Item);

impl<'a> StreamImage<'a> {
    /// The side an insert (old) or a delete (new) does not have.
    pub fn is_empty(self) -> bool {
        self.0.is_empty()
    }

    pub fn has(self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    pub fn text(self, name: &str) -> Option<&'a str> {
        match self.0.get(name)? {
            AttributeValue::S(text) => Some(text),
            _ => None,
        }
    }

    pub fn number<T: FromStr>(self, name: &str) -> Option<T> {
        match self.0.get(name)? {
            AttributeValue::N(number) => number.parse().ok(),
            _ => None,
        }
    }

    /// The item as `T`, the way it was written with `serde_dynamo`; `None` for an empty image.
    pub fn item<T: DeserializeOwned>(self) -> anyhow::Result<Option<T>> {
        if self.is_empty() {
            return Ok(None);
        }
        Ok(Some(serde_dynamo::from_item(self.0.clone())?))
    }
}

/// The record's old and new image, each read by `read`.
fn both<T>(
    change: &StreamRecord,
    read: impl Fn(StreamImage<'_>) -> anyhow::Result<Option<T>>,
) -> anyhow::Result<(Option<T>, Option<T>)> {
    Ok((
        read(StreamImage(&change.old_image)).context("reading the old image")?,
        read(StreamImage(&change.new_image)).context("reading the new image")?,
    ))
}

/// The tables whose streams are published, by their physical names.
#[derive(Debug, Clone)]
pub struct StreamTables {
    pub bookings: String,
    pub vendors: String,
    /// Invoices and credit notes (`BILLING_TABLE`), when the publisher reads its stream too.
    pub billing: Option<String>,
    /// Channel accounts (`ACCOUNTS_TABLE`), when the publisher reads its stream too.
    pub accounts: Option<String>,
    /// Waitlist entries (`INVENTORY_TABLE`), when the publisher reads its stream too.
    pub inventory: Option<String>,
}

/// A fact published from its entry alone: a billing document, a channel account's or a
/// waitlist entry's change, none of them a booking's or vendor's `Event`.
#[derive(Debug, Clone)]
pub struct EntryFact {
    pub event_id: String,
    /// What the fact is about (a booking, a channel, an entry), for the logs.
    pub aggregate_id: String,
    pub version: u64,
    pub entry: EventEntry,
}

impl StreamTables {
    pub fn from_env() -> Result<Self, crate::config::ConfigError> {
        let optional = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|name| !name.trim().is_empty())
        };
        Ok(Self {
            bookings: crate::config::required("BOOKINGS_TABLE")?,
            vendors: crate::config::required("VENDORS_TABLE")?,
            billing: optional("BILLING_TABLE"),
            accounts: optional("ACCOUNTS_TABLE"),
            inventory: optional("INVENTORY_TABLE"),
        })
    }

    /// Whether the record is of a table whose facts are published from their entry alone
    /// (`entry_fact`): billing, accounts or inventory.
    pub fn is_entry_table(&self, record: &EventRecord) -> bool {
        let table = table_of(record);
        table.is_some()
            && [&self.billing, &self.accounts, &self.inventory]
                .iter()
                .any(|name| name.as_deref() == table)
    }

    /// The fact of a billing, accounts or inventory record: `None` for the items and changes
    /// consumers don't hear about (bookkeeping, counters, sign-ins, deletes by TTL).
    pub fn entry_fact(&self, record: &EventRecord) -> anyhow::Result<Option<EntryFact>> {
        let table = table_of(record).context("the record names no table")?;
        let sort_key = sort_key(record).context("the record has no sort key")?;
        let change = &record.change;
        if self.billing.as_deref() == Some(table) {
            let Some(fact) = crate::billing::events::BillingFact::of_item(
                sort_key,
                StreamImage(&change.new_image),
            )?
            else {
                return Ok(None);
            };
            return Ok(Some(EntryFact {
                event_id: fact.event_id().to_owned(),
                aggregate_id: fact.booking_id().to_string(),
                version: 0,
                entry: fact.entry().context("serialising the event")?,
            }));
        }
        let partition = partition_key(record).context("the record has no partition key")?;
        if self.accounts.as_deref() == Some(table) {
            let (old, new) = both(change, |image| {
                crate::channels::stream_account(partition, sort_key, image)
            })?;
            let Some((detail_type, fact)) = ChannelFact::change(old.as_ref(), new.as_ref()) else {
                return Ok(None);
            };
            return Ok(Some(EntryFact {
                event_id: fact.event_id.clone(),
                aggregate_id: fact.client_id.to_string(),
                version: fact.version,
                entry: fact.entry(detail_type).context("serialising the event")?,
            }));
        }
        if self.inventory.as_deref() == Some(table) {
            if partition.starts_with("CHAN#") {
                let Some(fact) = AllotmentFact::change(
                    partition,
                    sort_key,
                    &change.old_image,
                    &change.new_image,
                    change.sequence_number.as_deref().unwrap_or_default(),
                    change.approximate_creation_date_time,
                ) else {
                    return Ok(None);
                };
                return Ok(Some(EntryFact {
                    event_id: fact.event_id.clone(),
                    aggregate_id: fact.event_id.clone(),
                    version: 0,
                    entry: fact.entry().context("serialising the event")?,
                }));
            }
            let (old, new) = both(change, |image| {
                crate::waitlist::stream_entry(partition, sort_key, image)
            })?;
            // TTL's deletes are the service's own; a guest's leaving is a delete by the caller.
            let removed_at = match &record.user_identity {
                Some(identity) if identity.principal_id == "dynamodb.amazonaws.com" => None,
                _ => Some(change.approximate_creation_date_time),
            };
            let Some((detail_type, fact)) =
                WaitlistFact::change(old.as_ref(), new.as_ref(), removed_at)
            else {
                return Ok(None);
            };
            return Ok(Some(EntryFact {
                event_id: fact.event_id.clone(),
                aggregate_id: fact.entry_id.to_string(),
                version: fact.version,
                entry: fact.entry(detail_type).context("serialising the event")?,
            }));
        }
        anyhow::bail!("records of table {table} are not published from their entry")
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
            let (old, new) = both(change, |image| -> anyhow::Result<Option<Booking>> {
                if image.is_empty() {
                    return Ok(None);
                }
                super::booking_item::decode(image.0.clone()).map(Some)
            })?;
            return Ok(booking_event(old.as_ref(), new.as_ref()).map(Event::from));
        }
        if table == self.vendors {
            if sort_key == keys::PROFILE {
                let (old, new) = both(change, |image| image.item::<Vendor>())?;
                return Ok(vendor_event(old.as_ref(), new.as_ref()).map(Event::from));
            }
            if sort_key.starts_with(keys::RESOURCE_PREFIX) {
                let (old, new) = both(change, |image| image.item::<Resource>())?;
                return Ok(resource_event(old.as_ref(), new.as_ref()).map(Event::from));
            }
            if sort_key == keys::RATING {
                let (old, new) = both(change, |image| image.item::<Rating>())?;
                return Ok(rating_event(old.as_ref(), new.as_ref()).map(Event::from));
            }
            if sort_key.starts_with(super::units::UNIT_PREFIX) {
                let (old, new) = both(change, |image| image.item::<Unit>())?;
                return Ok(unit_event(old.as_ref(), new.as_ref()).map(Event::from));
            }
            if sort_key.starts_with(super::units::BLOCK_PREFIX) {
                let (old, new) = both(change, |image| image.item::<Block>())?;
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

fn partition_key(record: &EventRecord) -> Option<&str> {
    StreamImage(&record.change.keys).text("pk")
}

fn sort_key(record: &EventRecord) -> Option<&str> {
    StreamImage(&record.change.keys).text("sk")
}
