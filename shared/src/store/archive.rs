//! Archived bookings: the full record as a JSON object in S3, and a compact entry per booking in
//! the archive table that the history lists read beside the bookings table.
//!
//! A booking moves out in two steps. The record is written first (an idempotent overwrite of the
//! same key); then one transaction lists the entry (unless it is listed already) and deletes the
//! live booking (unless it changed since it was read). So a booking is always listed exactly
//! once, live or archived; a crash between the steps leaves it live, and a re-run finishes.
use super::bookings::{BOOKING_SK, BookingLists, BookingOwner, BookingPage, BookingQuery};
use super::bookings::{ListError, booking_key};
use super::dynamo::{DynamoStore, Item, Outcome, from_item, n, s, unexplained};
use super::history::{SortedSource, SourcePage, Window, merged_page};
use crate::config::{self, ConfigError};
use crate::domain::booking::{Booking, BookingStatus, BookingTime, Channel};
use crate::domain::ids::{BookingId, ResourceId, UserId, VendorId};
use crate::domain::money::Money;
use crate::domain::party::PartySize;
use crate::domain::vendor::TimeZone;
use anyhow::Context;
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use std::future::Future;

/// What the lists show of an archived booking, named as in the booking; where its full record
/// is (`record_key`, never shown) and when it was archived.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArchiveEntry {
    pub id: BookingId,
    pub vendor_id: VendorId,
    pub resource_id: ResourceId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest_id: Option<UserId>,
    pub channel: Channel,
    pub status: BookingStatus,
    pub time: BookingTime,
    pub time_zone: TimeZone,
    pub party_size: PartySize,
    pub units: u32,
    pub arrival_at: DateTime<Utc>,
    /// The quoted price of the whole booking.
    pub total: Money,
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: DateTime<Utc>,
    /// Written into the item by the store, never shown.
    #[serde(default, skip_serializing)]
    pub record_key: String,
}

impl ArchiveEntry {
    pub fn of(booking: &Booking, record_key: String, archived_at: DateTime<Utc>) -> Self {
        Self {
            id: booking.id,
            vendor_id: booking.vendor_id,
            resource_id: booking.resource_id,
            guest_id: booking.guest_id,
            channel: booking.channel,
            status: booking.status,
            time: booking.time,
            time_zone: booking.time_zone,
            party_size: booking.party_size,
            units: booking.units,
            arrival_at: booking.arrival_at,
            total: booking.quote.total,
            version: booking.version,
            created_at: booking.created_at,
            updated_at: booking.updated_at,
            archived_at,
            record_key,
        }
    }
}

/// A booking on a list: live, or archived (then only its entry).
#[derive(Debug, Clone, PartialEq)]
pub enum Listed {
    Live(Box<Booking>),
    Archived(ArchiveEntry),
}

impl Listed {
    pub fn id(&self) -> BookingId {
        match self {
            Self::Live(booking) => booking.id,
            Self::Archived(entry) => entry.id,
        }
    }
}

/// How a list position writes its instant (whole seconds, so every position has the same length).
pub(super) const POSITION_TIME: &str = "%Y-%m-%dT%H:%M:%SZ";

/// The sort key of both tables' list indexes.
pub(super) fn list_position(arrival_at: DateTime<Utc>, id: BookingId) -> String {
    format!("{}#{id}", arrival_at.format(POSITION_TIME))
}

/// The arrival and booking of `key`, if it is a list position exactly as `list_position`
/// writes it.
pub(super) fn parse_list_position(key: &str) -> Option<(DateTime<Utc>, BookingId)> {
    let (at, id) = key.split_once('#')?;
    let at = NaiveDateTime::parse_from_str(at, POSITION_TIME)
        .ok()?
        .and_utc();
    let id = BookingId::parse(id).ok()?;
    (list_position(at, id) == key).then_some((at, id))
}

/// What became of a move's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveOutcome {
    /// Listed in the archive and gone from the bookings table, by this call.
    Moved,
    /// Listed in the archive already (another run got there first).
    AlreadyArchived,
    /// The live booking changed (or went) since it was read: nothing happened.
    Changed,
}

/// The archive's index: which bookings are archived, and the step that moves one out.
pub trait ArchiveIndex: Send + Sync {
    fn archived(
        &self,
        id: BookingId,
    ) -> impl Future<Output = anyhow::Result<Option<ArchiveEntry>>> + Send;

    /// Lists `entry` and deletes the live `booking` (as read, at its version), both or neither.
    fn move_out(
        &self,
        booking: &Booking,
        entry: &ArchiveEntry,
    ) -> impl Future<Output = anyhow::Result<MoveOutcome>> + Send;
}

/// Where archived bookings' full records are kept.
pub trait ArchiveRecords: Send + Sync {
    /// Writes (or overwrites with the same) record at `key`.
    fn put_record(
        &self,
        key: &str,
        booking: &Booking,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    fn record(&self, key: &str) -> impl Future<Output = anyhow::Result<Option<Booking>>> + Send;

    /// Deletes the record at `key` (done already if there is none).
    fn delete_record(&self, key: &str) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// The archive table beside the bookings table (the move spans both).
#[derive(Debug, Clone)]
pub struct DynamoArchive {
    store: DynamoStore,
    table: String,
}

impl DynamoArchive {
    pub fn new(store: DynamoStore, table: String) -> Self {
        Self { store, table }
    }

    /// `BOOKING_ARCHIVE_TABLE`.
    pub fn from_env(store: &DynamoStore) -> Result<Self, ConfigError> {
        Ok(Self::new(
            store.clone(),
            config::required("BOOKING_ARCHIVE_TABLE")?,
        ))
    }

    fn entry_item(entry: &ArchiveEntry) -> anyhow::Result<Item> {
        let mut item: Item = serde_dynamo::to_item(entry).context("serialising an entry")?;
        item.insert("pk".into(), s(booking_key(entry.id)));
        item.insert("record_key".into(), s(entry.record_key.clone()));
        let position = list_position(entry.arrival_at, entry.id);
        if let Some(guest) = entry.guest_id {
            let (_, pk, sk, key) = BookingOwner::Guest(guest).index();
            item.insert(pk.into(), s(key));
            item.insert(sk.into(), s(position.clone()));
        }
        let (_, pk, sk, key) = BookingOwner::Vendor(entry.vendor_id).index();
        item.insert(pk.into(), s(key));
        item.insert(sk.into(), s(position));
        Ok(item)
    }
}

impl ArchiveIndex for DynamoArchive {
    async fn archived(&self, id: BookingId) -> anyhow::Result<Option<ArchiveEntry>> {
        let output = self
            .store
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(booking_key(id)))
            .consistent_read(true)
            .send()
            .await
            .context("GetItem archive entry")?;
        output.item.map(from_item).transpose()
    }

    async fn move_out(
        &self,
        booking: &Booking,
        entry: &ArchiveEntry,
    ) -> anyhow::Result<MoveOutcome> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(Self::entry_item(entry)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .context("building the entry put")?;
        let delete = Delete::builder()
            .table_name(&self.store.tables.bookings)
            .key("pk", s(booking_key(booking.id)))
            .key("sk", s(BOOKING_SK))
            .condition_expression("version = :version")
            .expression_attribute_values(":version", n(booking.version))
            .build()
            .context("building the booking delete")?;
        let outcome = self
            .store
            .transact(vec![
                TransactWriteItem::builder().put(put).build(),
                TransactWriteItem::builder().delete(delete).build(),
            ])
            .await?;
        match outcome {
            Outcome::Committed => Ok(MoveOutcome::Moved),
            _ if outcome.failed(0) => Ok(MoveOutcome::AlreadyArchived),
            _ if outcome.failed(1) => Ok(MoveOutcome::Changed),
            Outcome::Cancelled(codes) => Err(unexplained("archiving a booking", &codes).into()),
        }
    }
}

/// Reads a window of an owner's list index in `table`: the items that pass the status filter,
/// and the sort key DynamoDB stopped at, if it stopped early.
async fn read_window(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    owner: BookingOwner,
    window: &Window,
) -> anyhow::Result<(Vec<Item>, Option<String>)> {
    let (index, pk_name, sk_name, pk) = owner.index();
    let mut request = client
        .query()
        .table_name(table)
        .index_name(index)
        .key_condition_expression("#pk = :pk AND #sk BETWEEN :lower AND :upper")
        .expression_attribute_names("#pk", pk_name)
        .expression_attribute_names("#sk", sk_name)
        .expression_attribute_values(":pk", s(pk))
        .expression_attribute_values(":lower", s(window.lower.clone()))
        .expression_attribute_values(":upper", s(window.upper.clone()))
        .limit(window.limit);
    if !window.statuses.is_empty() {
        let names: Vec<String> = (0..window.statuses.len())
            .map(|i| format!(":s{i}"))
            .collect();
        request = request
            .filter_expression(format!("#status IN ({})", names.join(", ")))
            .expression_attribute_names("#status", "status");
        for (name, status) in names.iter().zip(&window.statuses) {
            request = request.expression_attribute_values(name, s(status.as_str()));
        }
    }
    let output = request
        .send()
        .await
        .with_context(|| format!("Query {table} {index}"))?;
    let examined_to = output
        .last_evaluated_key
        .as_ref()
        .and_then(|key| key.get(sk_name))
        .and_then(|v| v.as_s().ok())
        .cloned();
    Ok((output.items.unwrap_or_default(), examined_to))
}

/// One table's side of an owner's list: its list index, read a window at a time, each item
/// decoded into what the list shows.
struct TableSide<'a> {
    client: &'a aws_sdk_dynamodb::Client,
    table: &'a str,
    owner: BookingOwner,
    decode: fn(Item) -> anyhow::Result<(String, Listed)>,
}

impl SortedSource for TableSide<'_> {
    type Item = Listed;

    async fn read(&self, window: &Window) -> anyhow::Result<SourcePage<Listed>> {
        let (items, examined_to) = read_window(self.client, self.table, self.owner, window).await?;
        let items = items
            .into_iter()
            .map(self.decode)
            .collect::<anyhow::Result<_>>()?;
        Ok(SourcePage { items, examined_to })
    }
}

fn live_item(item: Item) -> anyhow::Result<(String, Listed)> {
    let booking = super::booking_item::decode(item)?;
    Ok((
        list_position(booking.arrival_at, booking.id),
        Listed::Live(Box::new(booking)),
    ))
}

fn archived_item(item: Item) -> anyhow::Result<(String, Listed)> {
    let entry: ArchiveEntry = from_item(item)?;
    Ok((
        list_position(entry.arrival_at, entry.id),
        Listed::Archived(entry),
    ))
}

impl BookingLists for DynamoArchive {
    async fn list_bookings(
        &self,
        owner: BookingOwner,
        query: &BookingQuery,
    ) -> Result<BookingPage<Listed>, ListError> {
        let live = TableSide {
            client: &self.store.client,
            table: &self.store.tables.bookings,
            owner,
            decode: live_item,
        };
        let archived = TableSide {
            client: &self.store.client,
            table: &self.table,
            owner,
            decode: archived_item,
        };
        merged_page(owner, query, &live, &archived).await
    }
}

/// The archive bucket.
#[derive(Debug, Clone)]
pub struct S3Records {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3Records {
    pub fn new(client: aws_sdk_s3::Client, bucket: String) -> Self {
        Self { client, bucket }
    }

    /// `ARCHIVE_BUCKET`. Against a local emulator (an endpoint set in the environment) buckets
    /// are addressed by path, since `<bucket>.127.0.0.1` resolves nowhere.
    pub fn from_env(sdk: &crate::aws::SdkConfig) -> Result<Self, ConfigError> {
        let local = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
            .iter()
            .any(|name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty()));
        let config = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(local)
            .build();
        Ok(Self::new(
            aws_sdk_s3::Client::from_conf(config),
            config::required("ARCHIVE_BUCKET")?,
        ))
    }
}

impl ArchiveRecords for S3Records {
    async fn put_record(&self, key: &str, booking: &Booking) -> anyhow::Result<()> {
        // One object per line, as Athena's JSON readers take it.
        let mut line = serde_json::to_vec(booking).context("serialising the record")?;
        line.push(b'\n');
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/json")
            .body(line.into())
            .send()
            .await
            .context("PutObject archive record")?;
        Ok(())
    }

    async fn record(&self, key: &str) -> anyhow::Result<Option<Booking>> {
        let output = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(output) => output,
            Err(err) => {
                let err = err.into_service_error();
                if err.is_no_such_key() {
                    return Ok(None);
                }
                return Err(anyhow::Error::new(err).context("GetObject archive record"));
            }
        };
        let bytes = output
            .body
            .collect()
            .await
            .context("reading an archive record")?
            .into_bytes();
        Ok(Some(
            serde_json::from_slice(&bytes).context("parsing an archive record")?,
        ))
    }

    async fn delete_record(&self, key: &str) -> anyhow::Result<()> {
        // S3 answers a delete of a missing key with success.
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .context("DeleteObject archive record")?;
        Ok(())
    }
}
