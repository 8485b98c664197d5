//! The waitlist in the inventory table (TTL on `expires_at`; its stream carries the entries'
//! changes to the outbox publisher, `stream_entry`):
//! - `WAITLIST#<vendor>#<type>` / `ENTRY#<entry id>`: the entry (`entry`, its JSON; `status`,
//!   `version`); ids are UUID v7, so a Query of the type's partition reads them in the order
//!   guests joined, never a scan;
//! - `WAITGUEST#<guest>` / `ENTRY#<entry id>`: the guest's index of it (`vendor_id`,
//!   `resource_id`), written and deleted with it;
//! - `WAITOFFER#<booking>` / `OFFER`: the entry an offer's booking was made for, written with the
//!   mark that made the entry `offered`.
//!
//! Each expires a day after the entry's arrival.
use super::{Entry, EntryId, EntryStatus, OfferRef, WaitlistStore};
use crate::config::{self, ConfigError};
use crate::domain::ids::{BookingId, ResourceId, UserId, VendorId};
use crate::store::StreamImage;
use crate::store::attr::{Item, n, optional_text, s, text};
use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use std::collections::HashMap;

const OFFER_SK: &str = "OFFER";
/// Attempts at a transaction DynamoDB cancelled for a reason that passes (a concurrent
/// transaction on the same entry, throttling), not for one of our conditions.
const TRANSIENT_ATTEMPTS: u32 = 8;

#[derive(Debug, Clone)]
pub struct DynamoWaitlist {
    client: Client,
    table: String,
}

fn type_partition(vendor: VendorId, resource: ResourceId) -> String {
    format!("WAITLIST#{vendor}#{resource}")
}

fn guest_partition(guest: UserId) -> String {
    format!("WAITGUEST#{guest}")
}

fn offer_partition(booking: BookingId) -> String {
    format!("WAITOFFER#{booking}")
}

fn entry_key(id: EntryId) -> String {
    format!("ENTRY#{id}")
}

fn status_name(status: EntryStatus) -> anyhow::Result<String> {
    match serde_json::to_value(status)? {
        serde_json::Value::String(name) => Ok(name),
        other => anyhow::bail!("an entry status serialised as {other}"),
    }
}

fn decode(item: &Item) -> anyhow::Result<Entry> {
    serde_json::from_str(text(item, "a waitlist entry", "entry")?)
        .context("reading a waitlist entry")
}

/// The entry a stream image of the inventory table holds: `None` for an empty image (the side
/// of an insert or a delete that has none) and for every item that is not an entry.
pub fn stream_entry(pk: &str, sk: &str, image: StreamImage<'_>) -> anyhow::Result<Option<Entry>> {
    if image.is_empty() || !pk.starts_with("WAITLIST#") || !sk.starts_with("ENTRY#") {
        return Ok(None);
    }
    let json = image
        .text("entry")
        .context("a waitlist entry's image has no entry")?;
    serde_json::from_str(json)
        .map(Some)
        .context("reading a waitlist entry")
}

impl DynamoWaitlist {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    pub fn from_env(sdk: &crate::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(
            Client::new(sdk),
            config::required("INVENTORY_TABLE")?,
        ))
    }

    fn entry_put(&self, entry: &Entry, condition: &str) -> anyhow::Result<TransactWriteItem> {
        let item = HashMap::from([
            (
                "pk".to_owned(),
                s(type_partition(entry.vendor_id, entry.resource_id)),
            ),
            ("sk".to_owned(), s(entry_key(entry.id))),
            ("entry".to_owned(), s(serde_json::to_string(entry)?)),
            ("status".to_owned(), s(status_name(entry.status)?)),
            ("version".to_owned(), n(entry.version)),
            ("expires_at".to_owned(), n(entry.delete_after().timestamp())),
        ]);
        let mut put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition);
        if entry.version > 1 && condition.contains(":expected") {
            put = put.expression_attribute_values(":expected", n(entry.version - 1));
        }
        Ok(TransactWriteItem::builder()
            .put(put.build().context("building a waitlist put")?)
            .build())
    }

    fn index_put(&self, pk: String, sk: &str, entry: &Entry) -> anyhow::Result<TransactWriteItem> {
        let item = HashMap::from([
            ("pk".to_owned(), s(pk)),
            ("sk".to_owned(), s(sk)),
            ("vendor_id".to_owned(), s(entry.vendor_id.to_string())),
            ("resource_id".to_owned(), s(entry.resource_id.to_string())),
            ("entry_id".to_owned(), s(entry.id.to_string())),
            ("expires_at".to_owned(), n(entry.delete_after().timestamp())),
        ]);
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .build()
            .context("building a waitlist index put")?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Runs the transaction; `false` when one of its conditions failed.
    async fn transact(&self, items: Vec<TransactWriteItem>) -> anyhow::Result<bool> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(true),
                Err(err) => err.into_service_error(),
            };
            if let TransactWriteItemsError::TransactionCanceledException(cancelled) = &err {
                let reasons: Vec<Option<&str>> = cancelled
                    .cancellation_reasons()
                    .iter()
                    .map(|r| r.code())
                    .collect();
                if reasons.contains(&Some("ConditionalCheckFailed")) {
                    return Ok(false);
                }
                if attempt < TRANSIENT_ATTEMPTS {
                    let backoff = 10 * 2u64.pow(attempt.min(6)) + rand::random::<u64>() % 20;
                    tokio::time::sleep(std::time::Duration::from_millis(backoff)).await;
                    continue;
                }
            }
            return Err(anyhow::Error::new(err).context("TransactWriteItems waitlist"));
        }
    }

    async fn query(
        &self,
        pk: String,
        filter_waiting: bool,
        limit: usize,
    ) -> anyhow::Result<Vec<Item>> {
        let mut found = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :entry)")
                .expression_attribute_values(":pk", s(&pk))
                .expression_attribute_values(":entry", s("ENTRY#"))
                .consistent_read(true)
                .set_exclusive_start_key(start.take());
            if filter_waiting {
                query = query
                    .filter_expression("#status = :waiting")
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":waiting", s(status_name(EntryStatus::Waiting)?));
            }
            let output = query.send().await.context("Query waitlist")?;
            found.extend(output.items.unwrap_or_default());
            if found.len() >= limit {
                found.truncate(limit);
                return Ok(found);
            }
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(found),
            }
        }
    }
}

impl WaitlistStore for DynamoWaitlist {
    async fn insert(&self, entry: &Entry) -> anyhow::Result<bool> {
        self.transact(vec![
            self.entry_put(entry, "attribute_not_exists(pk)")?,
            self.index_put(guest_partition(entry.guest_id), &entry_key(entry.id), entry)?,
        ])
        .await
    }

    async fn update(&self, entry: &Entry) -> anyhow::Result<bool> {
        let mut items = vec![self.entry_put(entry, "version = :expected")?];
        if entry.status == EntryStatus::Offered
            && let Some(booking) = entry.booking_id
        {
            items.push(self.index_put(offer_partition(booking), OFFER_SK, entry)?);
        }
        self.transact(items).await
    }

    async fn remove(&self, entry: &Entry) -> anyhow::Result<bool> {
        let delete = |pk: String, condition: Option<&str>| -> anyhow::Result<TransactWriteItem> {
            let mut delete = Delete::builder()
                .table_name(&self.table)
                .key("pk", s(pk))
                .key("sk", s(entry_key(entry.id)));
            if let Some(condition) = condition {
                delete = delete
                    .condition_expression(condition)
                    .expression_attribute_values(":expected", n(entry.version));
            }
            Ok(TransactWriteItem::builder()
                .delete(delete.build().context("building a waitlist delete")?)
                .build())
        };
        self.transact(vec![
            delete(
                type_partition(entry.vendor_id, entry.resource_id),
                Some("version = :expected"),
            )?,
            delete(guest_partition(entry.guest_id), None)?,
        ])
        .await
    }

    async fn entry(
        &self,
        vendor: VendorId,
        resource: ResourceId,
        id: EntryId,
    ) -> anyhow::Result<Option<Entry>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(type_partition(vendor, resource)))
            .key("sk", s(entry_key(id)))
            .consistent_read(true)
            .send()
            .await
            .context("GetItem waitlist entry")?;
        output.item.as_ref().map(decode).transpose()
    }

    async fn of_type(
        &self,
        vendor: VendorId,
        resource: ResourceId,
        waiting_only: bool,
        limit: usize,
    ) -> anyhow::Result<Vec<Entry>> {
        self.query(type_partition(vendor, resource), waiting_only, limit)
            .await?
            .iter()
            .map(decode)
            .collect()
    }

    async fn of_guest(&self, guest: UserId) -> anyhow::Result<Vec<Entry>> {
        let index = self
            .query(
                guest_partition(guest),
                false,
                super::MAX_ENTRIES_PER_GUEST * 5,
            )
            .await?;
        let mut found = Vec::with_capacity(index.len());
        for item in &index {
            let vendor = VendorId::parse(text(item, "a guest's waitlist index", "vendor_id")?)
                .map_err(|e| anyhow::anyhow!("a guest's waitlist index: {}", e.0))?;
            let resource =
                ResourceId::parse(text(item, "a guest's waitlist index", "resource_id")?)
                    .map_err(|e| anyhow::anyhow!("a guest's waitlist index: {}", e.0))?;
            let Some(id) = optional_text(item, "entry_id").and_then(|id| EntryId::parse(id).ok())
            else {
                continue;
            };
            // An index whose entry is gone (deleted by TTL first) is left to its own TTL.
            if let Some(entry) = self.entry(vendor, resource, id).await? {
                found.push(entry);
            }
        }
        Ok(found)
    }

    async fn offer_of(&self, booking: BookingId) -> anyhow::Result<Option<OfferRef>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(offer_partition(booking)))
            .key("sk", s(OFFER_SK))
            .consistent_read(true)
            .send()
            .await
            .context("GetItem waitlist offer")?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        let read = |name: &str| -> anyhow::Result<&str> { text(&item, "a waitlist offer", name) };
        let invalid = |e: crate::domain::Invalid| anyhow::anyhow!("a waitlist offer: {}", e.0);
        Ok(Some(OfferRef {
            vendor_id: VendorId::parse(read("vendor_id")?).map_err(invalid)?,
            resource_id: ResourceId::parse(read("resource_id")?).map_err(invalid)?,
            entry_id: EntryId::parse(read("entry_id")?).map_err(invalid)?,
        }))
    }
}
