//! Bookings and the inventory counters they take, always changed together in one transaction.
//!
//! A counter item (`INV#<vendor>#<resource>`, bucket key) holds how many units are `sold`. It is
//! created by the first booking that takes it (ADD on a missing attribute starts at 0), so no
//! calendar has to be pre-filled. Taking units is conditional on `sold <= limit - units`, with the
//! limit computed from the resource's current unit count and overbooking allowance; lowering the
//! unit count while bookings exist is therefore safe: it only stops new holds.
use super::WriteError;
use super::dynamo::{DynamoStore, Item, Outcome, from_item, n, s, to_item, unexplained};
use crate::domain::booking::{Booking, BookingStatus};
use crate::domain::calendar::Bucket;
use crate::domain::ids::{BookingId, ResourceId, VendorId};
use anyhow::Context;
use aws_sdk_dynamodb::types::{KeysAndAttributes, Put, TransactWriteItem, Update};
use sha2::Digest;
use std::collections::HashMap;
use std::future::Future;

/// One counter's change: positive takes units (never past `limit`), negative releases them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CounterChange {
    pub vendor: VendorId,
    pub resource: ResourceId,
    pub bucket: Bucket,
    pub delta: i64,
    pub limit: u32,
}

impl CounterChange {
    /// The net changes that move a booking from `before` (if any) to `after` (if any): a bucket
    /// in both only changes by the difference, since a transaction may touch an item once.
    pub fn between(before: Option<(&Booking, u32)>, after: Option<(&Booking, u32)>) -> Vec<Self> {
        let mut net: Vec<Self> = Vec::new();
        let mut add = |booking: &Booking, limit: u32, sign: i64| {
            for bucket in &booking.buckets {
                let delta = sign * i64::from(booking.units);
                match net
                    .iter_mut()
                    .find(|c| c.resource == booking.resource_id && c.bucket == *bucket)
                {
                    Some(change) => {
                        change.delta += delta;
                        change.limit = change.limit.max(limit);
                    }
                    None => net.push(Self {
                        vendor: booking.vendor_id,
                        resource: booking.resource_id,
                        bucket: *bucket,
                        delta,
                        limit,
                    }),
                }
            }
        };
        if let Some((booking, limit)) = before {
            add(booking, limit, -1);
        }
        if let Some((booking, limit)) = after {
            add(booking, limit, 1);
        }
        net.retain(|c| c.delta != 0);
        net
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BookingWriteError {
    /// A booking with this id exists already (an idempotent retry, or a reused key).
    #[error("the booking exists already")]
    Duplicate,
    /// The booking is no longer in the status and version it was read in.
    #[error("the booking changed since it was read")]
    Stale,
    /// These buckets have fewer units left than asked for.
    #[error("sold out")]
    SoldOut(Vec<Bucket>),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<WriteError> for BookingWriteError {
    fn from(err: WriteError) -> Self {
        Self::Unexpected(err.into())
    }
}

pub trait BookingStore: Send + Sync {
    /// Writes a new booking and takes its units, all or nothing.
    fn insert_booking(
        &self,
        booking: &Booking,
        takes: &[CounterChange],
    ) -> impl Future<Output = Result<(), BookingWriteError>> + Send;

    fn booking(
        &self,
        id: BookingId,
    ) -> impl Future<Output = anyhow::Result<Option<Booking>>> + Send;

    /// Replaces a booking still in `expected` status and version, applying the counter changes
    /// in the same transaction, so a retried release can never release twice.
    fn replace_booking(
        &self,
        booking: &Booking,
        expected: (BookingStatus, u64),
        changes: &[CounterChange],
    ) -> impl Future<Output = Result<(), BookingWriteError>> + Send;

    /// Units sold per bucket (0 for buckets nobody has booked yet).
    fn sold(
        &self,
        vendor: VendorId,
        resource: ResourceId,
        buckets: &[Bucket],
    ) -> impl Future<Output = anyhow::Result<HashMap<Bucket, u32>>> + Send;

    /// Units sold in counters of many vendors and types at once (0 where nobody has booked
    /// yet): what a search checks a whole page with. Stores that can read them in one round
    /// trip do; this default asks `sold` per type.
    fn sold_in(
        &self,
        wanted: &[CounterKey],
    ) -> impl Future<Output = anyhow::Result<HashMap<CounterKey, u32>>> + Send {
        async move {
            let mut grouped: HashMap<(VendorId, ResourceId), Vec<Bucket>> = HashMap::new();
            for key in wanted {
                grouped
                    .entry((key.vendor, key.resource))
                    .or_default()
                    .push(key.bucket);
            }
            let mut sold = HashMap::with_capacity(wanted.len());
            for ((vendor, resource), buckets) in grouped {
                for (bucket, units) in self.sold(vendor, resource, &buckets).await? {
                    sold.insert(
                        CounterKey {
                            vendor,
                            resource,
                            bucket,
                        },
                        units,
                    );
                }
            }
            Ok(sold)
        }
    }
}

/// One inventory counter: a vendor's room or table type in one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CounterKey {
    pub vendor: VendorId,
    pub resource: ResourceId,
    pub bucket: Bucket,
}

pub(super) fn counter_key(vendor: VendorId, resource: ResourceId) -> String {
    format!("INV#{vendor}#{resource}")
}

pub(super) fn booking_key(id: BookingId) -> String {
    format!("BOOKING#{id}")
}

pub(super) const BOOKING_SK: &str = "BOOKING";

/// The booking item, indexed for its guest's list (gsi1) and its vendor's list (gsi2), both in
/// order of arrival.
fn booking_item(booking: &Booking) -> anyhow::Result<Item> {
    let mut item = to_item(booking, booking_key(booking.id), BOOKING_SK)?;
    // Not part of the booking's serialised form (clients never see it), so written by hand.
    item.insert("request_hash".into(), s(booking.request_hash.clone()));
    let order = format!(
        "{}#{}",
        booking.arrival_at.format("%Y-%m-%dT%H:%M:%SZ"),
        booking.id
    );
    if let Some(guest) = booking.guest_id {
        item.insert("gsi1pk".into(), s(format!("GUEST#{guest}")));
        item.insert("gsi1sk".into(), s(order.clone()));
    }
    item.insert("gsi2pk".into(), s(format!("VENDOR#{}", booking.vendor_id)));
    item.insert("gsi2sk".into(), s(order));
    // Sparse: only bookings whose deposit still needs the payment provider are in gsi3, spread
    // over a few partitions, so reconciliation reads exactly those.
    if booking.payment_pending() {
        item.insert(
            "gsi3pk".into(),
            s(payments_pending_key(shard_of(booking.id))),
        );
        item.insert(
            "gsi3sk".into(),
            s(format!(
                "{}#{}",
                booking.updated_at.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
                booking.id
            )),
        );
    }
    Ok(item)
}

/// Partitions of the pending-payments index.
const PAYMENT_SHARDS: u8 = 8;

fn shard_of(id: BookingId) -> u8 {
    let digest = sha2::Sha256::digest(id.to_string().as_bytes());
    digest[0] % PAYMENT_SHARDS
}

fn payments_pending_key(shard: u8) -> String {
    format!("PAYMENT_PENDING#{shard}")
}

/// `None` when the change can't succeed at all (more units than the limit): sold out at once.
fn counter_update(
    table: &str,
    change: &CounterChange,
) -> anyhow::Result<Option<TransactWriteItem>> {
    let mut update = Update::builder()
        .table_name(table)
        .key("pk", s(counter_key(change.vendor, change.resource)))
        .key("sk", s(change.bucket.key()))
        .update_expression("ADD sold :delta")
        .expression_attribute_values(":delta", n(change.delta));
    if change.delta > 0 {
        let Some(max_before) = i64::from(change.limit)
            .checked_sub(change.delta)
            .filter(|m| *m >= 0)
        else {
            return Ok(None);
        };
        update = update
            .condition_expression("attribute_not_exists(sold) OR sold <= :max")
            .expression_attribute_values(":max", n(max_before));
    } else {
        update = update
            .condition_expression("sold >= :release")
            .expression_attribute_values(":release", n(-change.delta));
    }
    Ok(Some(
        TransactWriteItem::builder().update(update.build()?).build(),
    ))
}

impl DynamoStore {
    /// The booking write first, then one update per counter; sold-out buckets are reported
    /// from the cancellation reasons.
    async fn write_booking(
        &self,
        booking_write: TransactWriteItem,
        changes: &[CounterChange],
        booking_refused: BookingWriteError,
    ) -> Result<(), BookingWriteError> {
        let mut items = vec![booking_write];
        let mut impossible = Vec::new();
        for change in changes {
            match counter_update(&self.tables.inventory, change)? {
                Some(item) => items.push(item),
                None => impossible.push(change.bucket),
            }
        }
        if !impossible.is_empty() {
            return Err(BookingWriteError::SoldOut(impossible));
        }
        let outcome = self.transact(items).await?;
        if outcome.failed(0) {
            return Err(booking_refused);
        }
        match &outcome {
            Outcome::Committed => Ok(()),
            Outcome::Cancelled(codes) => {
                let sold_out: Vec<Bucket> = changes
                    .iter()
                    .enumerate()
                    .filter(|(i, c)| c.delta > 0 && outcome.failed(i + 1))
                    .map(|(_, c)| c.bucket)
                    .collect();
                if sold_out.is_empty() {
                    Err(unexplained("a booking write", codes).into())
                } else {
                    Err(BookingWriteError::SoldOut(sold_out))
                }
            }
        }
    }
}

impl BookingStore for DynamoStore {
    async fn insert_booking(
        &self,
        booking: &Booking,
        takes: &[CounterChange],
    ) -> Result<(), BookingWriteError> {
        let put = Put::builder()
            .table_name(&self.tables.bookings)
            .set_item(Some(booking_item(booking)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .context("building the booking put")?;
        let write = TransactWriteItem::builder().put(put).build();
        self.write_booking(write, takes, BookingWriteError::Duplicate)
            .await
    }

    async fn booking(&self, id: BookingId) -> anyhow::Result<Option<Booking>> {
        self.get(&self.tables.bookings, booking_key(id), BOOKING_SK)
            .await
    }

    async fn replace_booking(
        &self,
        booking: &Booking,
        (status, version): (BookingStatus, u64),
        changes: &[CounterChange],
    ) -> Result<(), BookingWriteError> {
        let put = Put::builder()
            .table_name(&self.tables.bookings)
            .set_item(Some(booking_item(booking)?))
            .condition_expression("#status = :status AND version = :version")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":status", s(status.as_str()))
            .expression_attribute_values(":version", n(version))
            .build()
            .context("building the booking put")?;
        let write = TransactWriteItem::builder().put(put).build();
        self.write_booking(write, changes, BookingWriteError::Stale)
            .await
    }

    async fn sold(
        &self,
        vendor: VendorId,
        resource: ResourceId,
        buckets: &[Bucket],
    ) -> anyhow::Result<HashMap<Bucket, u32>> {
        let wanted: Vec<CounterKey> = buckets
            .iter()
            .map(|&bucket| CounterKey {
                vendor,
                resource,
                bucket,
            })
            .collect();
        Ok(self
            .sold_in(&wanted)
            .await?
            .into_iter()
            .map(|(key, units)| (key.bucket, units))
            .collect())
    }

    async fn sold_in(&self, wanted: &[CounterKey]) -> anyhow::Result<HashMap<CounterKey, u32>> {
        let mut sold: HashMap<CounterKey, u32> = wanted.iter().map(|k| (*k, 0)).collect();
        let by_item: HashMap<(String, String), CounterKey> = wanted
            .iter()
            .map(|k| ((counter_key(k.vendor, k.resource), k.bucket.key()), *k))
            .collect();
        let items: Vec<&(String, String)> = by_item.keys().collect();
        // BatchGetItem takes at most 100 keys; the chunks go at once.
        let chunks = items.chunks(100).map(|chunk| self.counters(chunk));
        for found in futures::future::try_join_all(chunks).await? {
            for (pk, counter) in found {
                if let Some(key) = by_item.get(&(pk, counter.sk)) {
                    sold.insert(*key, u32::try_from(counter.sold.max(0)).unwrap_or(u32::MAX));
                }
            }
        }
        Ok(sold)
    }
}

impl DynamoStore {
    /// The counter items that exist among up to 100 keys, asking again for unprocessed keys.
    async fn counters(&self, keys: &[&(String, String)]) -> anyhow::Result<Vec<(String, Counter)>> {
        let keys: Vec<Item> = keys
            .iter()
            .map(|(pk, sk)| {
                HashMap::from([
                    ("pk".to_owned(), s(pk.clone())),
                    ("sk".to_owned(), s(sk.clone())),
                ])
            })
            .collect();
        let mut request = Some(
            KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(true)
                .build()
                .context("building a batch get")?,
        );
        let mut found = Vec::new();
        while let Some(keys) = request.take() {
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.tables.inventory, keys)
                .send()
                .await
                .context("BatchGetItem counters")?;
            for mut item in output
                .responses
                .unwrap_or_default()
                .remove(&self.tables.inventory)
                .unwrap_or_default()
            {
                let pk = match item.remove("pk") {
                    Some(aws_sdk_dynamodb::types::AttributeValue::S(pk)) => pk,
                    _ => continue,
                };
                found.push((pk, from_item::<Counter>(item)?));
            }
            request = output
                .unprocessed_keys
                .and_then(|mut rest| rest.remove(&self.tables.inventory))
                .filter(|rest| !rest.keys().is_empty());
        }
        Ok(found)
    }
}

#[derive(serde::Deserialize)]
struct Counter {
    sk: String,
    #[serde(default)]
    sold: i64,
}

/// Whose bookings to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingOwner {
    Guest(crate::domain::ids::UserId),
    Vendor(VendorId),
}

impl BookingOwner {
    fn index(self) -> (&'static str, &'static str, &'static str, String) {
        match self {
            Self::Guest(id) => ("gsi1", "gsi1pk", "gsi1sk", format!("GUEST#{id}")),
            Self::Vendor(id) => ("gsi2", "gsi2pk", "gsi2sk", format!("VENDOR#{id}")),
        }
    }
}

/// Bookings arriving in `[from, to)`, in order of arrival, optionally only some statuses.
#[derive(Debug, Clone)]
pub struct BookingQuery {
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    pub statuses: Vec<BookingStatus>,
    pub limit: i32,
    /// Where the previous page ended, as returned in `BookingPage::next_cursor`.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone)]
pub struct BookingPage {
    pub items: Vec<Booking>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("the cursor is not one we gave out for this list")]
    BadCursor,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

pub trait BookingLists: Send + Sync {
    fn list_bookings(
        &self,
        owner: BookingOwner,
        query: &BookingQuery,
    ) -> impl Future<Output = Result<BookingPage, ListError>> + Send;
}

fn sort_bound(at: Option<chrono::DateTime<chrono::Utc>>, default: &str) -> String {
    at.map(|at| at.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| default.to_owned())
}

/// A page's last key, as an opaque URL-safe token.
fn encode_cursor(key: &Item) -> Option<String> {
    use base64::Engine;
    let plain: std::collections::BTreeMap<&str, &str> = key
        .iter()
        .filter_map(|(k, v)| v.as_s().ok().map(|v| (k.as_str(), v.as_str())))
        .collect();
    let json = serde_json::to_vec(&plain).ok()?;
    Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json))
}

/// The key a cursor stands for, if it is well formed and belongs to this list: a cursor from
/// someone else's list must not open a window onto it.
/// It must also lie within the range asked for now: DynamoDB refuses a start key outside it.
fn decode_cursor(
    cursor: &str,
    (pk_name, pk): (&str, &str),
    (sk_name, from, to): (&str, &str, &str),
) -> Option<Item> {
    use base64::Engine;
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    let plain: HashMap<String, String> = serde_json::from_slice(&json).ok()?;
    if plain.get(pk_name).map(String::as_str) != Some(pk) || plain.len() != 4 {
        return None;
    }
    let position = plain.get(sk_name)?.as_str();
    if position < from || position > to {
        return None;
    }
    Some(plain.into_iter().map(|(k, v)| (k, s(v))).collect())
}

impl BookingLists for DynamoStore {
    async fn list_bookings(
        &self,
        owner: BookingOwner,
        query: &BookingQuery,
    ) -> Result<BookingPage, ListError> {
        let (index, pk_name, sk_name, pk) = owner.index();
        let (from, to) = (sort_bound(query.from, "0"), sort_bound(query.to, "~"));
        let start = match &query.cursor {
            None => None,
            Some(cursor) => Some(
                decode_cursor(cursor, (pk_name, &pk), (sk_name, &from, &to))
                    .ok_or(ListError::BadCursor)?,
            ),
        };
        let mut request = self
            .client
            .query()
            .table_name(&self.tables.bookings)
            .index_name(index)
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
            .expression_attribute_names("#pk", pk_name)
            .expression_attribute_names("#sk", sk_name)
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":from", s(from))
            // Sort keys are `<arrival>#<id>`, so the bare end instant sorts before any booking
            // arriving at it: the range is half-open.
            .expression_attribute_values(":to", s(to))
            .limit(query.limit)
            .set_exclusive_start_key(start);
        if !query.statuses.is_empty() {
            let names: Vec<String> = (0..query.statuses.len())
                .map(|i| format!(":s{i}"))
                .collect();
            request = request
                .filter_expression(format!("#status IN ({})", names.join(", ")))
                .expression_attribute_names("#status", "status");
            for (name, status) in names.iter().zip(&query.statuses) {
                request = request.expression_attribute_values(name, s(status.as_str()));
            }
        }
        let output = request.send().await.context("Query bookings")?;
        let items = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect::<anyhow::Result<Vec<Booking>>>()?;
        Ok(BookingPage {
            items,
            next_cursor: output.last_evaluated_key.as_ref().and_then(encode_cursor),
        })
    }
}

/// The bookings reconciliation looks at: a deposit still to be paid, voided or refunded.
pub trait PaymentsPending: Send + Sync {
    /// Those unchanged since before `before`, oldest first within each index partition, at most
    /// `limit` in all.
    fn payments_pending(
        &self,
        before: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> impl Future<Output = anyhow::Result<Vec<Booking>>> + Send;
}

impl PaymentsPending for DynamoStore {
    async fn payments_pending(
        &self,
        before: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> anyhow::Result<Vec<Booking>> {
        let before = before.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        let per_shard = limit.div_ceil(usize::from(PAYMENT_SHARDS)).max(1);
        let shards = (0..PAYMENT_SHARDS).map(|shard| self.pending_in(shard, &before, per_shard));
        let mut pending = Vec::new();
        for shard in futures::future::try_join_all(shards).await? {
            pending.extend(shard);
        }
        pending.truncate(limit);
        Ok(pending)
    }
}

impl DynamoStore {
    async fn pending_in(
        &self,
        shard: u8,
        before: &str,
        limit: usize,
    ) -> anyhow::Result<Vec<Booking>> {
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.tables.bookings)
                .index_name("gsi3")
                .key_condition_expression("gsi3pk = :pk AND gsi3sk < :before")
                .expression_attribute_values(":pk", s(payments_pending_key(shard)))
                .expression_attribute_values(":before", s(before))
                .limit(i32::try_from(limit - found.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start)
                .send()
                .await
                .context("Query pending payments")?;
            for item in output.items.unwrap_or_default() {
                found.push(from_item(item)?);
            }
            start = output.last_evaluated_key;
            if start.is_none() || found.len() >= limit {
                return Ok(found);
            }
        }
    }
}
