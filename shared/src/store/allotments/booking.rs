//! A channel booking's write: its nights go to the channel's allotment or, past it, to the
//! general pool less the protected units.
use super::ChannelChanged;
use super::items::{CHANNEL_ATTEMPTS, NightKey, chan_pk, channel_sk, protect_check, write};
use crate::channels::ChannelId;
use crate::channels::allotment::{NightPlan, plan};
use crate::domain::booking::Booking;
use crate::domain::calendar::Bucket;
use crate::store::bookings::{BookingChanges, BookingWriteError, CounterChange};
use crate::store::dynamo::{DynamoStore, n, s};
use crate::store::shards::{CappedTake, ShardPin};
use anyhow::Context;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use std::future::Future;

/// A take or release of `delta` on a channel's night, conditioned on the night as planned.
fn channel_update(
    table: &str,
    key: NightKey,
    channel: ChannelId,
    delta: i64,
    planned: NightPlan,
) -> anyhow::Result<TransactWriteItem> {
    let mut update = Update::builder()
        .table_name(table)
        .key("pk", s(chan_pk(key.vendor, key.resource)))
        .key("sk", s(channel_sk(key.bucket, channel)))
        .update_expression("ADD sold :d")
        .expression_attribute_values(":d", n(delta));
    let room = if delta > 0 {
        "sold <= :max"
    } else {
        "sold >= :q"
    };
    update = match planned {
        NightPlan::Allotted { allot } => update
            .condition_expression(format!(
                "allot = :a AND attribute_not_exists(rel) AND {room}"
            ))
            .expression_attribute_values(":a", n(allot))
            .expression_attribute_values(
                if delta > 0 { ":max" } else { ":q" },
                n(if delta > 0 { allot - delta } else { -delta }),
            ),
        NightPlan::General { .. } if delta > 0 => {
            update.condition_expression("attribute_not_exists(allot) OR attribute_exists(rel)")
        }
        NightPlan::General { .. } => update
            .condition_expression(
                "(attribute_not_exists(allot) OR attribute_exists(rel)) AND sold >= :q",
            )
            .expression_attribute_values(":q", n(-delta)),
        NightPlan::SoldOut => anyhow::bail!("a sold-out night is not written"),
    };
    Ok(write(
        update.build().context("building a channel night update")?,
    ))
}

impl DynamoStore {
    /// A channel booking's write: each night's change goes to the channel's allotment while it
    /// is unreleased (the type counter was taken when it was set), else to the channel item and
    /// the type counter, a take never into the units protected for our app. Due allotments are
    /// released first. `write` sends the booking write with the counters and channel items.
    pub(in crate::store) async fn write_channel<F, Fut>(
        &self,
        booking: &Booking,
        channel: ChannelId,
        changes: &BookingChanges,
        write: F,
    ) -> Result<(), BookingWriteError>
    where
        F: Fn(BookingChanges, Vec<TransactWriteItem>, Vec<ShardPin>) -> Fut,
        Fut: Future<Output = Result<(), BookingWriteError>>,
    {
        let key = |c: &CounterChange| NightKey {
            vendor: c.vendor,
            resource: c.resource,
            bucket: c.bucket,
        };
        let keys: Vec<NightKey> = changes
            .counters
            .iter()
            .filter(|c| matches!(c.bucket, Bucket::Night(_)))
            .map(key)
            .collect();
        if keys.is_empty() {
            // Nothing taken or given back (a confirmation, say): written as any booking is.
            return write(changes.clone(), Vec::new(), Vec::new()).await;
        }
        let today = booking
            .updated_at
            .with_timezone(&booking.time_zone.tz())
            .date_naive();
        let table = &self.tables.inventory;
        'attempts: for attempt in 0..CHANNEL_ATTEMPTS {
            let (nights, protects) = self.read_nights(&keys, channel).await?;
            let mut released = false;
            for (k, night) in &nights {
                if night.due(today) {
                    self.release_night(*k, channel, night).await?;
                    released = true;
                }
            }
            if released {
                continue;
            }
            let mut counters = Vec::new();
            let mut extra = Vec::new();
            let mut pinned = Vec::new();
            let mut sold_out = Vec::new();
            for change in &changes.counters {
                if !matches!(change.bucket, Bucket::Night(_)) {
                    counters.push(*change);
                    continue;
                }
                let k = key(change);
                let night = nights.get(&k).copied().unwrap_or_default();
                let protect = protects.get(&k).copied().unwrap_or(0);
                // A channel booking made before channel items were kept counted none of its
                // units there: they came from the general pool and go back to it.
                if change.delta < 0 && night.sold < -change.delta {
                    counters.push(*change);
                    continue;
                }
                let planned = plan(&night, protect, change.delta);
                match planned {
                    NightPlan::SoldOut => {
                        sold_out.push(change.bucket);
                        continue;
                    }
                    NightPlan::Allotted { .. } => {}
                    NightPlan::General { protect } => {
                        let mut general = *change;
                        if change.delta > 0 {
                            general.limit = change.limit.saturating_sub(protect);
                            extra.push(protect_check(table, k, protect)?);
                            if change.sharding.is_some() && protect > 0 {
                                // A sharded type's take is one shard's: the others are checked
                                // in the transaction, so the sum stays out of the protection.
                                let cap = i64::from(general.limit);
                                match self.plan_capped_take(&general, cap).await? {
                                    CappedTake::Take {
                                        shard,
                                        max_sold,
                                        checks,
                                    } => {
                                        let index = counters.len();
                                        pinned.push(ShardPin {
                                            index,
                                            shard,
                                            max_sold,
                                        });
                                        extra.extend(checks);
                                    }
                                    CappedTake::SoldOut => {
                                        sold_out.push(change.bucket);
                                        continue;
                                    }
                                    CappedTake::Stale => return Err(BookingWriteError::Stale),
                                    CappedTake::ReadAgain => {
                                        crate::store::jittered_pause(attempt).await;
                                        continue 'attempts;
                                    }
                                }
                            }
                        }
                        counters.push(general);
                    }
                }
                extra.push(channel_update(table, k, channel, change.delta, planned)?);
            }
            if !sold_out.is_empty() {
                return Err(BookingWriteError::SoldOut(sold_out));
            }
            let next = BookingChanges {
                counters,
                ..changes.clone()
            };
            let items = 1 + next.items() + extra.len();
            if items > 100 {
                return Err(BookingWriteError::TooLarge(items));
            }
            match write(next, extra, pinned).await {
                Err(BookingWriteError::Unexpected(err)) if err.is::<ChannelChanged>() => {
                    crate::store::jittered_pause(attempt).await;
                }
                other => return other,
            }
        }
        Err(anyhow::Error::new(crate::store::Contended)
            .context("channel allotment items")
            .into())
    }
}
