//! Bookings and the inventory counters they take, always changed together in one transaction.
//!
//! A counter item (`INV#<vendor>#<resource>`, bucket key) holds how many units are `sold`. It is
//! created by the first booking that takes it (ADD on a missing attribute starts at 0), so no
//! calendar has to be pre-filled. Taking units is conditional on `sold <= limit - units`, with the
//! limit computed from the resource's current unit count and overbooking allowance; lowering the
//! unit count while bookings exist is therefore safe: it only stops new holds. A type with
//! several shards keeps each bucket in several items (`shards.rs`); readers sum them.
use super::WriteError;
use super::dynamo::{DynamoStore, Item, Outcome, from_item, n, s, unexplained};
use super::units::{HousekeepingChange, OccupancyChange, housekeeping_update, occupancy_write};
use crate::domain::booking::{Booking, BookingStatus};
use crate::domain::calendar::Bucket;
use crate::domain::ids::{BookingId, ResourceId, UnitId, VendorId};
use anyhow::Context;
use aws_sdk_dynamodb::types::{ConditionCheck, Put, TransactWriteItem, Update};
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
    /// Set for a type whose buckets are split into shard items (`CounterChange::of_type`).
    pub sharding: Option<super::shards::Sharding>,
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
                        sharding: None,
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

/// Everything besides the booking item that one booking write changes, in the same transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BookingChanges {
    pub counters: Vec<CounterChange>,
    /// Rooms or tables taken or freed, per bucket.
    pub occupancy: Vec<OccupancyChange>,
    /// A unit whose housekeeping status the write sets (a check-out leaves its room dirty).
    pub housekeeping: Option<HousekeepingChange>,
}

impl From<Vec<CounterChange>> for BookingChanges {
    fn from(counters: Vec<CounterChange>) -> Self {
        Self {
            counters,
            ..Self::default()
        }
    }
}

impl BookingChanges {
    /// How many items besides the booking the write touches.
    pub fn items(&self) -> usize {
        self.counters.len() + self.occupancy.len() + usize::from(self.housekeeping.is_some())
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
    /// The unit is already occupied in these buckets (by another booking or a block).
    #[error("the unit is taken")]
    UnitTaken { unit: UnitId, buckets: Vec<Bucket> },
    /// The write would touch more items than one transaction takes (100); nothing was sent.
    #[error("{0} items do not fit one transaction")]
    TooLarge(usize),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<WriteError> for BookingWriteError {
    fn from(err: WriteError) -> Self {
        Self::Unexpected(err.into())
    }
}

/// What a new hold was worked out from, possibly a cached copy: its type at one version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoldBasis {
    pub vendor: VendorId,
    pub resource: ResourceId,
    pub resource_version: u64,
}

pub trait BookingStore: Send + Sync {
    /// Writes a new booking and takes its units, all or nothing.
    fn insert_booking(
        &self,
        booking: &Booking,
        takes: &[CounterChange],
    ) -> impl Future<Output = Result<(), BookingWriteError>> + Send;

    /// `insert_booking` for a hold worked out from `basis`, in the same transaction refused as
    /// `Stale` if the type is no longer at that version (its limit may have dropped), and, where
    /// `checks_archive` says so, as `Duplicate` if the id is archived. This default checks
    /// nothing: for stores whose reads are never stale.
    fn insert_hold(
        &self,
        booking: &Booking,
        takes: &[CounterChange],
        basis: &HoldBasis,
    ) -> impl Future<Output = Result<(), BookingWriteError>> + Send {
        let _ = basis;
        self.insert_booking(booking, takes)
    }

    /// Whether `insert_hold` refuses an archived id itself; if not, the caller reads the archive
    /// first.
    fn checks_archive(&self) -> bool {
        false
    }

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
        changes: &BookingChanges,
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
    let mut item: Item = super::booking_item::encode(booking)?;
    item.insert("pk".into(), s(booking_key(booking.id)));
    item.insert("sk".into(), s(BOOKING_SK));
    // The archive's entries sort the same way, so the history lists merge both.
    let order = super::archive::list_position(booking.arrival_at, booking.id);
    if let Some(guest) = booking.guest_id {
        item.insert("gsi1pk".into(), s(format!("GUEST#{guest}")));
        item.insert("gsi1sk".into(), s(order.clone()));
    }
    item.insert("gsi2pk".into(), s(format!("VENDOR#{}", booking.vendor_id)));
    item.insert("gsi2sk".into(), s(order));
    // Sparse, spread over a few partitions, by last change: bookings whose deposit still needs
    // the payment provider (what reconciliation reads), and ended bookings with nothing left to
    // settle (what the archiver sweeps). A booking is never both.
    let sweep = if booking.payment_pending() {
        Some(payments_pending_key(shard_of(booking.id)))
    } else if booking.status.is_final() {
        Some(archivable_key(shard_of(booking.id)))
    } else {
        None
    };
    if let Some(partition) = sweep {
        item.insert("gsi3pk".into(), s(partition));
        item.insert(
            "gsi3sk".into(),
            s(changed_key(booking.updated_at, booking.id)),
        );
    }
    Ok(item)
}

fn changed_key(at: chrono::DateTime<chrono::Utc>, id: BookingId) -> String {
    format!("{}#{id}", changed_key_time(at))
}

fn changed_key_time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Partitions of each of gsi3's lists (pending payments, archivable bookings).
const SWEEP_SHARDS: u8 = 8;

fn shard_of(id: BookingId) -> u8 {
    let digest = sha2::Sha256::digest(id.to_string().as_bytes());
    digest[0] % SWEEP_SHARDS
}

fn payments_pending_key(shard: u8) -> String {
    format!("PAYMENT_PENDING#{shard}")
}

fn archivable_key(shard: u8) -> String {
    format!("ARCHIVABLE#{shard}")
}

/// `None` when the change can't succeed at all (more units than the limit): sold out at once.
/// A sharded type's change goes to `shard`.
pub(super) fn counter_update(
    table: &str,
    change: &CounterChange,
    shard: u8,
) -> anyhow::Result<Option<TransactWriteItem>> {
    if change.delta > 0 && i64::from(change.limit) < change.delta {
        return Ok(None);
    }
    if let Some(sharding) = change.sharding {
        return super::shards::shard_update(table, change, sharding, shard).map(Some);
    }
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
        // A bucket split into shards (`capv`) is never taken as one item: its sold is a part.
        update = update
            .condition_expression(
                "attribute_not_exists(capv) AND (attribute_not_exists(sold) OR sold <= :max)",
            )
            .expression_attribute_values(":max", n(max_before));
    } else {
        // A release is never refused for a shard's sold (only the bucket's sum means anything);
        // the room it does not return is found and split anew by the next refused take.
        update = update
            .condition_expression("sold >= :release OR attribute_exists(capv)")
            .expression_attribute_values(":release", n(-change.delta));
    }
    Ok(Some(
        TransactWriteItem::builder().update(update.build()?).build(),
    ))
}

impl DynamoStore {
    /// The booking write first, then one update per counter, one write per occupied or freed
    /// unit bucket, and the unit's housekeeping status; sold-out buckets and taken units are
    /// reported from the cancellation reasons.
    pub(super) async fn write_booking(
        &self,
        booking_write: TransactWriteItem,
        changes: &BookingChanges,
        booking_refused: BookingWriteError,
    ) -> Result<(), BookingWriteError> {
        self.write_guarded(booking_write, changes, booking_refused, Guards::default())
            .await
    }

    /// `write_booking` with `extra` items last (a channel's, `allotments`): one that fails is
    /// reported as `ChannelChanged`.
    pub(super) async fn write_with(
        &self,
        booking_write: TransactWriteItem,
        changes: &BookingChanges,
        booking_refused: BookingWriteError,
        extra: Vec<TransactWriteItem>,
    ) -> Result<(), BookingWriteError> {
        let guards = Guards {
            channel: extra,
            ..Guards::default()
        };
        self.write_guarded(booking_write, changes, booking_refused, guards)
            .await
    }

    /// `write_booking` with checks of other items in the same transaction, after the rest. A
    /// take refused by a shard is settled (`settle_shard`) and the write tried again, a bounded
    /// number of times.
    async fn write_guarded(
        &self,
        booking_write: TransactWriteItem,
        changes: &BookingChanges,
        booking_refused: BookingWriteError,
        guards: Guards,
    ) -> Result<(), BookingWriteError> {
        let mut shards: Vec<u8> = changes
            .counters
            .iter()
            .map(|c| {
                c.sharding
                    .map_or(0, |sh| super::shards::any_shard(sh.shards))
            })
            .collect();
        for _ in 0..SHARD_ATTEMPTS {
            let refused = match self
                .write_once(&booking_write, changes, &booking_refused, &guards, &shards)
                .await?
            {
                Attempt::Done(result) => return result,
                Attempt::ShardsRefused(refused) => refused,
            };
            let mut sold_out = Vec::new();
            for i in refused {
                let (Some(change), Some(shard)) = (changes.counters.get(i), shards.get_mut(i))
                else {
                    continue;
                };
                match self.settle_shard(change).await? {
                    Settled::Take(at) => *shard = at,
                    Settled::SoldOut => sold_out.push(change.bucket),
                    Settled::Stale => return Err(BookingWriteError::Stale),
                }
            }
            if !sold_out.is_empty() {
                return Err(BookingWriteError::SoldOut(sold_out));
            }
        }
        tracing::warn!("sharded counters kept refusing and rebalancing");
        Err(anyhow::Error::new(super::Contended)
            .context("sharded counters")
            .into())
    }

    /// What a take refused by one of a bucket's shards does next, from the shards read now: a
    /// shard with room, after a rebalance if the shards need one, or sold out if the bucket has
    /// less room than asked for.
    async fn settle_shard(&self, change: &CounterChange) -> Result<Settled, BookingWriteError> {
        use super::shards::{Decision, decide};
        let Some(sharding) = change.sharding else {
            return Ok(Settled::SoldOut);
        };
        for attempt in 0..SHARD_ATTEMPTS {
            let states = self.read_shards(change, sharding.shards).await?;
            match decide(&states, sharding, change.delta) {
                Decision::Stale => return Ok(Settled::Stale),
                Decision::SoldOut => return Ok(Settled::SoldOut),
                Decision::Take(shard) => return Ok(Settled::Take(shard)),
                Decision::Rebalance => {
                    match self
                        .rebalance(change, sharding, &states, change.delta)
                        .await?
                    {
                        Some(super::shards::Rebalanced(rooms)) => {
                            // The split puts a take's units whole on shard 0 if it can.
                            return Ok(match rooms.first() {
                                Some(room) if *room >= change.delta => Settled::Take(0),
                                _ => Settled::SoldOut,
                            });
                        }
                        // Another writer changed a shard meanwhile: read again.
                        None => super::jittered_pause(attempt).await,
                    }
                }
            }
        }
        Err(anyhow::Error::new(super::Contended)
            .context("rebalancing sharded counters")
            .into())
    }

    /// One try of a booking write, with each sharded counter on the shard given for it.
    async fn write_once(
        &self,
        booking_write: &TransactWriteItem,
        changes: &BookingChanges,
        booking_refused: &BookingWriteError,
        guards: &Guards,
        shards: &[u8],
    ) -> Result<Attempt, BookingWriteError> {
        let refusal = || match booking_refused {
            BookingWriteError::Duplicate => BookingWriteError::Duplicate,
            _ => BookingWriteError::Stale,
        };
        let mut items = vec![booking_write.clone()];
        let mut impossible = Vec::new();
        for (change, shard) in changes.counters.iter().zip(shards) {
            match counter_update(&self.tables.inventory, change, *shard)? {
                Some(item) => items.push(item),
                None => impossible.push(change.bucket),
            }
        }
        if !impossible.is_empty() {
            return Ok(Attempt::Done(Err(BookingWriteError::SoldOut(impossible))));
        }
        let occupancy_from = items.len();
        for change in &changes.occupancy {
            items.push(occupancy_write(&self.tables.inventory, change)?);
        }
        if let Some(change) = &changes.housekeeping {
            items.push(housekeeping_update(&self.tables.vendors, change)?);
        }
        let type_at = guards.type_version.clone().map(|check| {
            items.push(check);
            items.len() - 1
        });
        let archive_at = guards.not_archived.clone().map(|check| {
            items.push(check);
            items.len() - 1
        });
        let channel_from = items.len();
        items.extend(guards.channel.iter().cloned());
        let outcome = self.transact(items).await?;
        // A stale type first: its limit may be what made a counter refuse.
        if type_at.is_some_and(|i| outcome.failed(i)) {
            return Ok(Attempt::Done(Err(BookingWriteError::Stale)));
        }
        if outcome.failed(0) || archive_at.is_some_and(|i| outcome.failed(i)) {
            return Ok(Attempt::Done(Err(refusal())));
        }
        if (channel_from..channel_from + guards.channel.len()).any(|i| outcome.failed(i)) {
            return Ok(Attempt::Done(Err(anyhow::Error::new(
                super::allotments::ChannelChanged,
            )
            .into())));
        }
        let codes = match &outcome {
            Outcome::Committed => return Ok(Attempt::Done(Ok(()))),
            Outcome::Cancelled(codes) => codes,
        };
        let refused: Vec<usize> = changes
            .counters
            .iter()
            .enumerate()
            .filter(|(i, c)| c.delta > 0 && c.sharding.is_some() && outcome.failed(i + 1))
            .map(|(i, _)| i)
            .collect();
        if !refused.is_empty() {
            return Ok(Attempt::ShardsRefused(refused));
        }
        let sold_out: Vec<Bucket> = changes
            .counters
            .iter()
            .enumerate()
            .filter(|(i, c)| c.delta > 0 && outcome.failed(i + 1))
            .map(|(_, c)| c.bucket)
            .collect();
        if !sold_out.is_empty() {
            return Ok(Attempt::Done(Err(BookingWriteError::SoldOut(sold_out))));
        }
        let taken: Vec<&OccupancyChange> = changes
            .occupancy
            .iter()
            .enumerate()
            .filter(|(i, c)| c.take && outcome.failed(occupancy_from + i))
            .map(|(_, c)| c)
            .collect();
        Ok(Attempt::Done(match taken.first() {
            Some(first) => Err(BookingWriteError::UnitTaken {
                unit: first.unit,
                buckets: taken
                    .iter()
                    .filter(|c| c.unit == first.unit)
                    .map(|c| c.bucket)
                    .collect(),
            }),
            None => Err(unexplained("a booking write", codes).into()),
        }))
    }
}

/// How many times a booking write whose sharded take was refused settles it and tries again.
const SHARD_ATTEMPTS: u32 = 8;

enum Attempt {
    Done(Result<(), BookingWriteError>),
    /// These counters (indexes into the changes) are sharded takes their shard refused.
    ShardsRefused(Vec<usize>),
}

enum Settled {
    Take(u8),
    SoldOut,
    Stale,
}

/// Checks of items besides the booking's own, in the booking's transaction.
#[derive(Default, Clone)]
struct Guards {
    /// The type is still at the version the write was worked out from.
    type_version: Option<TransactWriteItem>,
    /// No archived booking has the id.
    not_archived: Option<TransactWriteItem>,
    /// A channel booking's channel and protection items (`allotments`), last: one that fails
    /// changed since it was read (`ChannelChanged`).
    channel: Vec<TransactWriteItem>,
}

fn new_booking_put(table: &str, booking: &Booking) -> anyhow::Result<TransactWriteItem> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(booking_item(booking)?))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .context("building the booking put")?;
    Ok(TransactWriteItem::builder().put(put).build())
}

impl BookingStore for DynamoStore {
    async fn insert_booking(
        &self,
        booking: &Booking,
        takes: &[CounterChange],
    ) -> Result<(), BookingWriteError> {
        let write = new_booking_put(&self.tables.bookings, booking)?;
        let changes = BookingChanges::from(takes.to_vec());
        self.write_booking(write, &changes, BookingWriteError::Duplicate)
            .await
    }

    async fn insert_hold(
        &self,
        booking: &Booking,
        takes: &[CounterChange],
        basis: &HoldBasis,
    ) -> Result<(), BookingWriteError> {
        let type_version = ConditionCheck::builder()
            .table_name(&self.tables.vendors)
            .key("pk", s(super::keys::vendor(basis.vendor)))
            .key("sk", s(super::keys::resource(basis.resource)))
            .condition_expression("version = :version")
            .expression_attribute_values(":version", n(basis.resource_version))
            .build()
            .context("building the type check")?;
        let not_archived = match &self.archive_table {
            Some(table) => Some(
                ConditionCheck::builder()
                    .table_name(table)
                    .key("pk", s(booking_key(booking.id)))
                    .condition_expression("attribute_not_exists(pk)")
                    .build()
                    .context("building the archive check")?,
            ),
            None => None,
        };
        let check = |c: ConditionCheck| TransactWriteItem::builder().condition_check(c).build();
        // A sharded type's shards carry its version themselves: checking the type item would
        // make every hold of the type conflict on it.
        let sharded = !takes.is_empty() && takes.iter().all(|c| c.sharding.is_some());
        let guards = Guards {
            type_version: (!sharded).then(|| check(type_version)),
            not_archived: not_archived.map(check),
            channel: Vec::new(),
        };
        let put = new_booking_put(&self.tables.bookings, booking)?;
        let changes = BookingChanges::from(takes.to_vec());
        if let Some(channel) = super::allotments::channel_of(booking) {
            let (put, guards) = (&put, &guards);
            return self
                .write_channel(booking, channel, &changes, |changes, extra| async move {
                    let guards = Guards {
                        channel: extra,
                        ..guards.clone()
                    };
                    self.write_guarded(put.clone(), &changes, BookingWriteError::Duplicate, guards)
                        .await
                })
                .await;
        }
        self.write_guarded(put, &changes, BookingWriteError::Duplicate, guards)
            .await
    }

    fn checks_archive(&self) -> bool {
        self.archive_table.is_some()
    }

    async fn booking(&self, id: BookingId) -> anyhow::Result<Option<Booking>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.tables.bookings)
            .key("pk", s(booking_key(id)))
            .key("sk", s(BOOKING_SK))
            .consistent_read(true)
            .send()
            .await
            .context("GetItem booking")?;
        output.item.map(super::booking_item::decode).transpose()
    }

    async fn replace_booking(
        &self,
        booking: &Booking,
        (status, version): (BookingStatus, u64),
        changes: &BookingChanges,
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
        if let Some(channel) = super::allotments::channel_of(booking) {
            let write = &write;
            return self
                .write_channel(booking, channel, changes, |changes, extra| async move {
                    self.write_with(write.clone(), &changes, BookingWriteError::Stale, extra)
                        .await
                })
                .await;
        }
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
        let mut sold: HashMap<CounterKey, i64> = wanted.iter().map(|k| (*k, 0)).collect();
        let by_item: HashMap<(String, Bucket), CounterKey> = wanted
            .iter()
            .map(|k| ((counter_key(k.vendor, k.resource), k.bucket), *k))
            .collect();
        let keys: Vec<(String, String)> = by_item
            .keys()
            .map(|(pk, bucket)| (pk.clone(), bucket.key()))
            .collect();
        // Shard 0 (the plain counter item) names how many shards its bucket has; the others
        // are read in a second round, only for buckets that have them.
        let mut more = Vec::new();
        for (pk, counter) in self.counters(&keys).await? {
            if let Some(key) = counter_of(&by_item, &pk, &counter.sk, &mut sold, counter.sold) {
                for shard in 1..counter.nshards.unwrap_or(1) {
                    more.push((pk.clone(), super::shards::shard_sk(key.bucket, shard)));
                }
            }
        }
        for (pk, counter) in self.counters(&more).await? {
            counter_of(&by_item, &pk, &counter.sk, &mut sold, counter.sold);
        }
        Ok(sold
            .into_iter()
            .map(|(key, units)| (key, u32::try_from(units.max(0)).unwrap_or(u32::MAX)))
            .collect())
    }
}

/// Adds a counter item's sold to its bucket's sum, and names the bucket.
fn counter_of(
    by_item: &HashMap<(String, Bucket), CounterKey>,
    pk: &str,
    sk: &str,
    sold: &mut HashMap<CounterKey, i64>,
    units: i64,
) -> Option<CounterKey> {
    let (bucket, _) = super::shards::parse_shard_sk(sk)?;
    let key = by_item.get(&(pk.to_owned(), bucket))?;
    *sold.entry(*key).or_default() += units;
    Some(*key)
}

impl DynamoStore {
    /// The counter items that exist among these keys, read 100 at a time, the chunks at once.
    async fn counters(&self, keys: &[(String, String)]) -> anyhow::Result<Vec<(String, Counter)>> {
        let refs: Vec<&(String, String)> = keys.iter().collect();
        let chunks = refs.chunks(100).map(|chunk| self.counters_in(chunk));
        Ok(futures::future::try_join_all(chunks)
            .await?
            .into_iter()
            .flatten()
            .collect())
    }

    /// The counter items that exist among up to 100 keys.
    async fn counters_in(
        &self,
        keys: &[&(String, String)],
    ) -> anyhow::Result<Vec<(String, Counter)>> {
        let mut found = Vec::new();
        for mut item in self.batch_get(&self.tables.inventory, keys).await? {
            let pk = match item.remove("pk") {
                Some(aws_sdk_dynamodb::types::AttributeValue::S(pk)) => pk,
                _ => continue,
            };
            found.push((pk, from_item::<Counter>(item)?));
        }
        Ok(found)
    }
}

#[derive(serde::Deserialize)]
struct Counter {
    sk: String,
    #[serde(default)]
    sold: i64,
    /// On shard 0 of a sharded bucket: how many shards it has.
    #[serde(default)]
    nshards: Option<u8>,
}

/// Whose bookings to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingOwner {
    Guest(crate::domain::ids::UserId),
    Vendor(VendorId),
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

/// One page of a list, and the cursor of the next (absent on the last page).
#[derive(Debug, Clone)]
pub struct BookingPage<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("the cursor is not one we gave out for this list")]
    BadCursor,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// A guest's or a vendor's bookings, live and archived, as one list.
pub trait BookingLists: Send + Sync {
    fn list_bookings(
        &self,
        owner: BookingOwner,
        query: &BookingQuery,
    ) -> impl Future<Output = Result<BookingPage<super::Listed>, ListError>> + Send;
}

impl BookingOwner {
    /// The index that lists the owner's bookings (the same in the bookings and archive tables):
    /// its name, key attribute names and partition key.
    pub(super) fn index(self) -> (&'static str, &'static str, &'static str, String) {
        let key = super::history::list_key(self);
        match self {
            Self::Guest(_) => ("gsi1", "gsi1pk", "gsi1sk", key),
            Self::Vendor(_) => ("gsi2", "gsi2pk", "gsi2sk", key),
        }
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
        self.swept(payments_pending_key, before, limit).await
    }
}

impl DynamoStore {
    /// Up to `limit` bookings of one of gsi3's sharded lists (`partition` names each shard's
    /// partition) changed before `before`, read from every shard at once.
    async fn swept(
        &self,
        partition: fn(u8) -> String,
        before: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> anyhow::Result<Vec<Booking>> {
        let before = changed_key_time(before);
        let per_shard = limit.div_ceil(usize::from(SWEEP_SHARDS)).max(1);
        let shards =
            (0..SWEEP_SHARDS).map(|shard| self.swept_in(partition(shard), &before, per_shard));
        let mut found = Vec::new();
        for shard in futures::future::try_join_all(shards).await? {
            found.extend(shard);
        }
        found.truncate(limit);
        Ok(found)
    }

    /// Up to `limit` bookings of one gsi3 partition changed before `before`, oldest first. An
    /// item that is not a readable booking is logged (by key) and passed over, so it cannot
    /// stop every later sweep.
    async fn swept_in(
        &self,
        partition: String,
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
                .expression_attribute_values(":pk", s(partition.clone()))
                .expression_attribute_values(":before", s(before))
                .limit(i32::try_from(limit - found.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start)
                .send()
                .await
                .context("Query gsi3")?;
            for item in output.items.unwrap_or_default() {
                let key = item.get("pk").and_then(|v| v.as_s().ok()).cloned();
                match super::booking_item::decode(item) {
                    Ok(booking) => found.push(booking),
                    // Only the key: a deserialisation error may quote the item's values.
                    Err(_) => tracing::error!(
                        key = key.as_deref().unwrap_or("?"),
                        index = %partition,
                        "an unreadable booking item in gsi3 was skipped"
                    ),
                }
            }
            start = output.last_evaluated_key;
            if start.is_none() || found.len() >= limit {
                return Ok(found);
            }
        }
    }
}

/// Ended bookings with nothing left to settle: what the archiver moves out once old enough.
pub trait ArchivableBookings: Send + Sync {
    /// Those unchanged since before `before`, oldest first within each index partition, at most
    /// `limit` in all.
    fn archivable(
        &self,
        before: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> impl Future<Output = anyhow::Result<Vec<Booking>>> + Send;
}

impl ArchivableBookings for DynamoStore {
    async fn archivable(
        &self,
        before: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> anyhow::Result<Vec<Booking>> {
        self.swept(archivable_key, before, limit).await
    }
}
