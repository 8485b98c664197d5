//! Rooms and tables, which bucket each is occupied in, and out-of-order blocks.
//!
//! A unit lives beside its vendor (`VENDOR#<vendor>`, `UNIT#<id>`), with a guard item per unit
//! number (`UNITNO#<number>`) so two units of one vendor never share a number. Its type's unit
//! count moves in the same transaction as every unit change that moves it.
//!
//! Occupancy is one item per unit and bucket (`OCC#<vendor>#<unit>`, bucket key) naming its
//! occupant, created only if absent: the counter pattern of the hold, so no room is ever given to
//! two bookings for one night. A block takes the type's counters and the unit's occupancy items
//! in one transaction, so an out-of-order room is never sold.
use super::bookings::{BookingWriteError, CounterChange};
use super::dynamo::{DynamoStore, Item, Outcome, n, put, put_versioned, s, to_item, unexplained};
use super::keys;
use super::{WriteError, bookings};
use crate::domain::calendar::Bucket;
use crate::domain::ids::{BlockId, UnitId, VendorId};
use crate::domain::resource::Resource;
use crate::domain::unit::{Block, Housekeeping, Occupant, Unit};
use anyhow::Context;
use aws_sdk_dynamodb::types::{Delete, KeysAndAttributes, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::future::Future;

/// A unit taken or freed for one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OccupancyChange {
    pub vendor: VendorId,
    pub unit: UnitId,
    pub bucket: Bucket,
    pub occupant: Occupant,
    /// Taken (only if nobody has it) or freed (only if `occupant` has it).
    pub take: bool,
}

/// A unit's housekeeping status set by another write (a check-out leaves its room dirty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HousekeepingChange {
    pub vendor: VendorId,
    pub unit: UnitId,
    pub status: Housekeeping,
    pub at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum UnitWriteError {
    /// Another unit of the vendor has this number.
    #[error("the unit number is taken")]
    NumberTaken,
    /// The unit or its type changed since they were read.
    #[error("the unit or its type changed since they were read")]
    Stale,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<WriteError> for UnitWriteError {
    fn from(err: WriteError) -> Self {
        Self::Unexpected(err.into())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BlockWriteError {
    /// The type has no unit left to take out of sale on these buckets.
    #[error("sold out")]
    SoldOut(Vec<Bucket>),
    /// The unit is occupied on these buckets (a booking, or another block).
    #[error("the unit is occupied")]
    Occupied(Vec<Bucket>),
    /// The block is no longer there (removed already).
    #[error("no such block")]
    Gone,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<WriteError> for BlockWriteError {
    fn from(err: WriteError) -> Self {
        Self::Unexpected(err.into())
    }
}

impl From<BookingWriteError> for BlockWriteError {
    fn from(err: BookingWriteError) -> Self {
        match err {
            BookingWriteError::SoldOut(buckets) => Self::SoldOut(buckets),
            BookingWriteError::UnitTaken { buckets, .. } => Self::Occupied(buckets),
            other => Self::Unexpected(other.into()),
        }
    }
}

pub trait UnitStore: Send + Sync {
    /// Writes a new unit, its number's guard, and its type as `resource` (its count moved in
    /// step) if the type is still at `resource_version`.
    fn create_unit(
        &self,
        unit: &Unit,
        resource: &Resource,
        resource_version: u64,
    ) -> impl Future<Output = Result<(), UnitWriteError>> + Send;

    /// Every unit of the vendor, in no particular order.
    fn units(&self, vendor: VendorId) -> impl Future<Output = anyhow::Result<Vec<Unit>>> + Send;

    fn unit(
        &self,
        vendor: VendorId,
        id: UnitId,
    ) -> impl Future<Output = anyhow::Result<Option<Unit>>> + Send;

    /// Replaces `before` with `unit` if it is still at `before`'s version, moving the number's
    /// guard when the number changes, and writing its type as `resource` (if the type is still
    /// at the version given) when its count moves.
    fn update_unit(
        &self,
        unit: &Unit,
        before: &Unit,
        resource: Option<(&Resource, u64)>,
    ) -> impl Future<Output = Result<(), UnitWriteError>> + Send;

    /// Who occupies each of these unit buckets; free ones are absent.
    fn occupants(
        &self,
        vendor: VendorId,
        wanted: &[(UnitId, Bucket)],
    ) -> impl Future<Output = anyhow::Result<HashMap<(UnitId, Bucket), Occupant>>> + Send;

    /// The occupied buckets of one unit from `from` on, in order.
    fn occupancy(
        &self,
        vendor: VendorId,
        unit: UnitId,
        from: Bucket,
    ) -> impl Future<Output = anyhow::Result<Vec<(Bucket, Occupant)>>> + Send;

    /// Writes a block with its counter takes and unit occupancy, all or nothing.
    fn insert_block(
        &self,
        block: &Block,
        counters: &[CounterChange],
        occupancy: &[OccupancyChange],
    ) -> impl Future<Output = Result<(), BlockWriteError>> + Send;

    /// The unit's blocks, removed ones too, oldest first.
    fn blocks(
        &self,
        vendor: VendorId,
        unit: UnitId,
    ) -> impl Future<Output = anyhow::Result<Vec<Block>>> + Send;

    /// Writes `block` as removed (if it was still in force) with its counter releases and freed
    /// occupancy, all or nothing.
    fn delete_block(
        &self,
        block: &Block,
        counters: &[CounterChange],
        occupancy: &[OccupancyChange],
    ) -> impl Future<Output = Result<(), BlockWriteError>> + Send;
}

pub(super) fn unit_key(id: UnitId) -> String {
    format!("UNIT#{id}")
}

fn number_key(number: &str) -> String {
    format!("UNITNO#{number}")
}

pub(super) const UNIT_PREFIX: &str = "UNIT#";
pub(super) const BLOCK_PREFIX: &str = "BLOCK#";

fn block_key(unit: UnitId, id: BlockId) -> String {
    format!("{BLOCK_PREFIX}{unit}#{id}")
}

fn occupancy_key(vendor: VendorId, unit: UnitId) -> String {
    format!("OCC#{vendor}#{unit}")
}

/// Takes a unit's bucket if nobody has it, or frees it if `occupant` has it.
pub(super) fn occupancy_write(
    table: &str,
    change: &OccupancyChange,
) -> anyhow::Result<TransactWriteItem> {
    let pk = occupancy_key(change.vendor, change.unit);
    let sk = change.bucket.key();
    if change.take {
        let item = Item::from([
            ("pk".to_owned(), s(pk)),
            ("sk".to_owned(), s(sk)),
            ("occupant".to_owned(), s(change.occupant.key())),
            ("expires_at".to_owned(), n(expires_at(change.bucket))),
        ]);
        return put(table, item, "attribute_not_exists(pk)");
    }
    let delete = Delete::builder()
        .table_name(table)
        .key("pk", s(pk))
        .key("sk", s(sk))
        .condition_expression("occupant = :occupant")
        .expression_attribute_values(":occupant", s(change.occupant.key()))
        .build()?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

/// How long after its bucket an occupancy item is kept: long enough for the board, the night
/// audit and a late correction to read it, then DynamoDB's TTL removes it.
const OCCUPANCY_KEPT_DAYS: i64 = 90;

fn expires_at(bucket: Bucket) -> i64 {
    let start = match bucket {
        Bucket::Night(date) => date.and_time(chrono::NaiveTime::MIN).and_utc(),
        Bucket::Slot(start) => start,
    };
    (start + chrono::Duration::days(OCCUPANCY_KEPT_DAYS)).timestamp()
}

pub(super) fn housekeeping_update(
    table: &str,
    change: &HousekeepingChange,
) -> anyhow::Result<TransactWriteItem> {
    let update = Update::builder()
        .table_name(table)
        .key("pk", s(keys::vendor(change.vendor)))
        .key("sk", s(unit_key(change.unit)))
        .update_expression("SET housekeeping = :status, updated_at = :at ADD version :one")
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_values(":status", s(change.status.as_str()))
        .expression_attribute_values(
            ":at",
            s(change
                .at
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
        )
        .expression_attribute_values(":one", n(1))
        .build()?;
    Ok(TransactWriteItem::builder().update(update).build())
}

fn unit_item(unit: &Unit) -> anyhow::Result<Item> {
    let mut item = to_item(unit, keys::vendor(unit.vendor_id), &unit_key(unit.id))?;
    // Never shown, so not serialized with the unit; kept beside it for replays to find.
    if !unit.housekeeping_reports.is_empty() {
        let reports: aws_sdk_dynamodb::types::AttributeValue =
            serde_dynamo::to_attribute_value(&unit.housekeeping_reports)
                .context("serialising a unit's housekeeping reports")?;
        item.insert("housekeeping_reports".into(), reports);
    }
    Ok(item)
}

fn guard_put(table: &str, unit: &Unit) -> anyhow::Result<TransactWriteItem> {
    let item = Item::from([
        ("pk".to_owned(), s(keys::vendor(unit.vendor_id))),
        ("sk".to_owned(), s(number_key(&unit.number.canonical()))),
        ("unit_id".to_owned(), s(unit.id.to_string())),
    ]);
    put(table, item, "attribute_not_exists(pk)")
}

fn guard_delete(table: &str, unit: &Unit) -> anyhow::Result<TransactWriteItem> {
    let delete = Delete::builder()
        .table_name(table)
        .key("pk", s(keys::vendor(unit.vendor_id)))
        .key("sk", s(number_key(&unit.number.canonical())))
        .condition_expression("unit_id = :unit")
        .expression_attribute_values(":unit", s(unit.id.to_string()))
        .build()?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

fn resource_put(
    table: &str,
    resource: &Resource,
    version: u64,
) -> anyhow::Result<TransactWriteItem> {
    let item = to_item(
        resource,
        keys::vendor(resource.vendor_id),
        &keys::resource(resource.id),
    )?;
    put_versioned(table, item, version)
}

impl UnitStore for DynamoStore {
    async fn create_unit(
        &self,
        unit: &Unit,
        resource: &Resource,
        resource_version: u64,
    ) -> Result<(), UnitWriteError> {
        let table = &self.tables.vendors;
        let items = vec![
            put(table, unit_item(unit)?, "attribute_not_exists(pk)")?,
            guard_put(table, unit)?,
            resource_put(table, resource, resource_version)?,
        ];
        let outcome = self.transact(items).await?;
        match outcome {
            Outcome::Committed => Ok(()),
            _ if outcome.failed(1) => Err(UnitWriteError::NumberTaken),
            _ if outcome.failed(2) => Err(UnitWriteError::Stale),
            Outcome::Cancelled(codes) => Err(unexplained("creating a unit", &codes).into()),
        }
    }

    async fn units(&self, vendor: VendorId) -> anyhow::Result<Vec<Unit>> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.vendors)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(keys::vendor(vendor)))
            .expression_attribute_values(":prefix", s(UNIT_PREFIX))
            .consistent_read(true);
        self.query_all(query).await
    }

    async fn unit(&self, vendor: VendorId, id: UnitId) -> anyhow::Result<Option<Unit>> {
        self.get(&self.tables.vendors, keys::vendor(vendor), &unit_key(id))
            .await
    }

    async fn update_unit(
        &self,
        unit: &Unit,
        before: &Unit,
        resource: Option<(&Resource, u64)>,
    ) -> Result<(), UnitWriteError> {
        let table = &self.tables.vendors;
        let mut items = vec![put_versioned(table, unit_item(unit)?, before.version)?];
        let renumbered = unit.number.canonical() != before.number.canonical();
        if renumbered {
            items.push(guard_delete(table, before)?);
            items.push(guard_put(table, unit)?);
        }
        if let Some((resource, version)) = resource {
            items.push(resource_put(table, resource, version)?);
        }
        let outcome = self.transact(items).await?;
        match outcome {
            Outcome::Committed => Ok(()),
            _ if renumbered && outcome.failed(2) => Err(UnitWriteError::NumberTaken),
            Outcome::Cancelled(_) => Err(UnitWriteError::Stale),
        }
    }

    async fn occupants(
        &self,
        vendor: VendorId,
        wanted: &[(UnitId, Bucket)],
    ) -> anyhow::Result<HashMap<(UnitId, Bucket), Occupant>> {
        let by_key: HashMap<(String, String), (UnitId, Bucket)> = wanted
            .iter()
            .map(|&(unit, bucket)| ((occupancy_key(vendor, unit), bucket.key()), (unit, bucket)))
            .collect();
        let keys: Vec<&(String, String)> = by_key.keys().collect();
        let mut found = HashMap::new();
        for chunk in keys.chunks(100) {
            for item in self.batch_get(&self.tables.inventory, chunk).await? {
                let key = (string_of(&item, "pk"), string_of(&item, "sk"));
                let (Some(wanted), Ok(occupant)) = (
                    by_key.get(&key),
                    Occupant::parse_key(&string_of(&item, "occupant")),
                ) else {
                    continue;
                };
                found.insert(*wanted, occupant);
            }
        }
        Ok(found)
    }

    async fn occupancy(
        &self,
        vendor: VendorId,
        unit: UnitId,
        from: Bucket,
    ) -> anyhow::Result<Vec<(Bucket, Occupant)>> {
        // Nights (`N#…`) and slots (`S#…`) sort apart; a unit only ever has one kind.
        let prefix = &from.key()[..2];
        let query = self
            .client
            .query()
            .table_name(&self.tables.inventory)
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :last")
            .expression_attribute_values(":pk", s(occupancy_key(vendor, unit)))
            .expression_attribute_values(":from", s(from.key()))
            .expression_attribute_values(":last", s(format!("{prefix}\u{10FFFF}")))
            .consistent_read(true);
        let rows: Vec<OccupancyRow> = self.query_all(query).await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                Some((
                    Bucket::parse_key(&row.sk).ok()?,
                    Occupant::parse_key(&row.occupant).ok()?,
                ))
            })
            .collect())
    }

    async fn insert_block(
        &self,
        block: &Block,
        counters: &[CounterChange],
        occupancy: &[OccupancyChange],
    ) -> Result<(), BlockWriteError> {
        self.write_block(block, "attribute_not_exists(pk)", counters, occupancy)
            .await
    }

    async fn blocks(&self, vendor: VendorId, unit: UnitId) -> anyhow::Result<Vec<Block>> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.vendors)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(keys::vendor(vendor)))
            .expression_attribute_values(":prefix", s(format!("{BLOCK_PREFIX}{unit}#")))
            .consistent_read(true);
        self.query_all(query).await
    }

    async fn delete_block(
        &self,
        block: &Block,
        counters: &[CounterChange],
        occupancy: &[OccupancyChange],
    ) -> Result<(), BlockWriteError> {
        // Kept as history, marked removed: only a block still in force is removed, once.
        let in_force = "attribute_exists(pk) AND attribute_not_exists(removed_at)";
        match self.write_block(block, in_force, counters, occupancy).await {
            Err(BlockWriteError::Occupied(_)) => Err(BlockWriteError::Gone),
            other => other,
        }
    }
}

#[derive(serde::Deserialize)]
struct OccupancyRow {
    sk: String,
    occupant: String,
}

fn string_of(item: &Item, name: &str) -> String {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

impl DynamoStore {
    /// The block put on `condition`, then its counters and occupancy, in one transaction: the
    /// booking write's shape, with the block in the booking's place.
    async fn write_block(
        &self,
        block: &Block,
        condition: &str,
        counters: &[CounterChange],
        occupancy: &[OccupancyChange],
    ) -> Result<(), BlockWriteError> {
        let item = to_item(
            block,
            keys::vendor(block.vendor_id),
            &block_key(block.unit_id, block.id),
        )?;
        let write = put(&self.tables.vendors, item, condition)?;
        let changes = bookings::BookingChanges {
            counters: counters.to_vec(),
            occupancy: occupancy.to_vec(),
            housekeeping: None,
        };
        match self
            .write_booking(write, &changes, BookingWriteError::Duplicate)
            .await
        {
            Ok(()) => Ok(()),
            Err(BookingWriteError::Duplicate) => Err(BlockWriteError::Gone),
            Err(other) => Err(other.into()),
        }
    }

    /// The items of `table` that exist among up to 100 keys, asking again for unprocessed keys.
    pub(super) async fn batch_get(
        &self,
        table: &str,
        keys: &[&(String, String)],
    ) -> anyhow::Result<Vec<Item>> {
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
                .request_items(table, keys)
                .send()
                .await
                .context("BatchGetItem")?;
            found.extend(
                output
                    .responses
                    .unwrap_or_default()
                    .remove(table)
                    .unwrap_or_default(),
            );
            request = output
                .unprocessed_keys
                .and_then(|mut rest| rest.remove(table))
                .filter(|rest| !rest.keys().is_empty());
        }
        Ok(found)
    }
}
