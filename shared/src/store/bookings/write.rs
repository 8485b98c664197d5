//! The booking item, and one booking's transaction with its counters, units and guards.
use super::{
    BOOKING_SK, BookingChanges, BookingWriteError, CounterChange, booking_key, counter_key,
};
use crate::domain::booking::Booking;
use crate::domain::calendar::Bucket;
use crate::domain::ids::BookingId;
use crate::store::dynamo::{DynamoStore, Item, Outcome, n, s, unexplained};
use crate::store::shards::ShardPin;
use crate::store::units::{OccupancyChange, housekeeping_update, occupancy_write};
use anyhow::Context;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use sha2::Digest;

/// The booking item, indexed for its guest's list (gsi1) and its vendor's list (gsi2), both in
/// order of arrival.
pub(super) fn booking_item(booking: &Booking) -> anyhow::Result<Item> {
    let mut item: Item = crate::store::booking_item::encode(booking)?;
    item.insert("pk".into(), s(booking_key(booking.id)));
    item.insert("sk".into(), s(BOOKING_SK));
    // The archive's entries sort the same way, so the history lists merge both.
    let order = crate::store::archive::list_position(booking.arrival_at, booking.id);
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

pub(super) fn changed_key(at: chrono::DateTime<chrono::Utc>, id: BookingId) -> String {
    format!("{}#{id}", changed_key_time(at))
}

pub(super) fn changed_key_time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Partitions of each of gsi3's lists (pending payments, archivable bookings).
pub(super) const SWEEP_SHARDS: u8 = 8;

pub(super) fn shard_of(id: BookingId) -> u8 {
    let digest = sha2::Sha256::digest(id.to_string().as_bytes());
    digest[0] % SWEEP_SHARDS
}

pub(super) fn payments_pending_key(shard: u8) -> String {
    format!("PAYMENT_PENDING#{shard}")
}

pub(super) fn archivable_key(shard: u8) -> String {
    format!("ARCHIVABLE#{shard}")
}

/// `None` when the change can't succeed at all (more units than the limit): sold out at once.
/// A sharded type's change goes to `shard`.
pub(in crate::store) fn counter_update(
    table: &str,
    change: &CounterChange,
    shard: u8,
) -> anyhow::Result<Option<TransactWriteItem>> {
    if change.delta > 0 && i64::from(change.limit) < change.delta {
        return Ok(None);
    }
    if let Some(sharding) = change.sharding {
        return crate::store::shards::shard_update(table, change, sharding, shard, None).map(Some);
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
    pub(in crate::store) async fn write_booking(
        &self,
        booking_write: TransactWriteItem,
        changes: &BookingChanges,
        booking_refused: BookingWriteError,
    ) -> Result<(), BookingWriteError> {
        self.write_guarded(booking_write, changes, booking_refused, Guards::default())
            .await
    }

    /// `write_booking` with `extra` items last (a channel's, `allotments`) and sharded takes
    /// `pinned` to a shard under a cap: one of these that fails is reported as `ChannelChanged`.
    pub(in crate::store) async fn write_with(
        &self,
        booking_write: TransactWriteItem,
        changes: &BookingChanges,
        booking_refused: BookingWriteError,
        extra: Vec<TransactWriteItem>,
        pinned: Vec<ShardPin>,
    ) -> Result<(), BookingWriteError> {
        let guards = Guards {
            channel: extra,
            pinned,
            ..Guards::default()
        };
        self.write_guarded(booking_write, changes, booking_refused, guards)
            .await
    }

    /// `write_booking` with checks of other items in the same transaction, after the rest. A
    /// take refused by a shard is settled (`settle_shard`) and the write tried again, a bounded
    /// number of times.
    pub(super) async fn write_guarded(
        &self,
        booking_write: TransactWriteItem,
        changes: &BookingChanges,
        booking_refused: BookingWriteError,
        guards: Guards,
    ) -> Result<(), BookingWriteError> {
        let mut shards: Vec<u8> = changes
            .counters
            .iter()
            .enumerate()
            .map(|(i, c)| match guards.pin(i) {
                Some(pin) => pin.shard,
                None => c
                    .sharding
                    .map_or(0, |sh| crate::store::shards::any_shard(sh.shards)),
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
        Err(anyhow::Error::new(crate::store::Contended)
            .context("sharded counters")
            .into())
    }

    /// What a take refused by one of a bucket's shards does next, from the shards read now: a
    /// shard with room, after a rebalance if the shards need one, or sold out if the bucket has
    /// less room than asked for.
    async fn settle_shard(&self, change: &CounterChange) -> Result<Settled, BookingWriteError> {
        use crate::store::shards::{Decision, decide};
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
                        Some(crate::store::shards::Rebalanced(rooms)) => {
                            // The split puts a take's units whole on shard 0 if it can.
                            return Ok(match rooms.first() {
                                Some(room) if *room >= change.delta => Settled::Take(0),
                                _ => Settled::SoldOut,
                            });
                        }
                        // Another writer changed a shard meanwhile: read again.
                        None => crate::store::jittered_pause(attempt).await,
                    }
                }
            }
        }
        Err(anyhow::Error::new(crate::store::Contended)
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
        for (i, (change, shard)) in changes.counters.iter().zip(shards).enumerate() {
            let update = match (guards.pin(i), change.sharding) {
                (Some(pin), Some(sharding)) => Some(crate::store::shards::shard_update(
                    &self.tables.inventory,
                    change,
                    sharding,
                    pin.shard,
                    Some(pin.max_sold),
                )?),
                _ => counter_update(&self.tables.inventory, change, *shard)?,
            };
            match update {
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
        // A pinned take's shard refused: it or another shard sold meanwhile, read them again.
        let pinned_refused = guards.pinned.iter().any(|p| outcome.failed(p.index + 1));
        if pinned_refused
            || (channel_from..channel_from + guards.channel.len()).any(|i| outcome.failed(i))
        {
            return Ok(Attempt::Done(Err(anyhow::Error::new(
                crate::store::allotments::ChannelChanged,
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
        let refused = BookingWriteError::unit_taken(&taken)
            .unwrap_or_else(|| unexplained("a booking write", codes).into());
        Ok(Attempt::Done(Err(refused)))
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
pub(super) struct Guards {
    /// The type is still at the version the write was worked out from.
    pub(super) type_version: Option<TransactWriteItem>,
    /// No archived booking has the id.
    pub(super) not_archived: Option<TransactWriteItem>,
    /// A channel booking's channel and protection items (`allotments`), last: one that fails
    /// changed since it was read (`ChannelChanged`).
    pub(super) channel: Vec<TransactWriteItem>,
    /// Sharded takes under a cap, each on the shard planned for it.
    pub(super) pinned: Vec<ShardPin>,
}

impl Guards {
    fn pin(&self, index: usize) -> Option<&ShardPin> {
        self.pinned.iter().find(|p| p.index == index)
    }
}

pub(super) fn new_booking_put(table: &str, booking: &Booking) -> anyhow::Result<TransactWriteItem> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(booking_item(booking)?))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .context("building the booking put")?;
    Ok(TransactWriteItem::builder().put(put).build())
}
