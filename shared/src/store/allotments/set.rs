//! Setting a channel's allotment or the app's protection, and releasing allotments when due.
use super::items::{
    CHANNEL_ATTEMPTS, NightKey, chan_pk, channel_sk, marker_delete, marker_pk, marker_put,
    marker_sk, parse_marker, protect_check, protect_sk, write,
};
use super::{AllotmentError, AllotmentNight, AllotmentRelease, AllotmentStore, ChannelChanged};
use crate::channels::ChannelId;
use crate::channels::allotment::{Allotment, ChannelNight, Nights, max_nights_per_request};
use crate::domain::calendar::Bucket;
use crate::domain::ids::{ResourceId, VendorId};
use crate::domain::resource::Resource;
use crate::store::bookings::{BookingChanges, BookingWriteError, CounterChange};
use crate::store::dynamo::{DynamoStore, Outcome, n, s};
use crate::store::shards::{CappedTake, ShardPin};
use anyhow::Context;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use chrono::NaiveDate;

impl AllotmentStore for DynamoStore {
    async fn set_allotment(
        &self,
        resource: &Resource,
        channel: ChannelId,
        nights: Nights,
        allotment: Allotment,
        today: NaiveDate,
    ) -> Result<(), AllotmentError> {
        let keys: Vec<NightKey> = nights
            .iter()
            .map(|date| NightKey {
                vendor: resource.vendor_id,
                resource: resource.id,
                bucket: Bucket::Night(date),
            })
            .collect();
        let most = max_nights_per_request(resource.shards.get());
        if keys.len() > most {
            return Err(AllotmentError::TooManyNights { most });
        }
        'attempts: for attempt in 0..CHANNEL_ATTEMPTS {
            let (states, protects) = self.read_nights(&keys, channel).await?;
            let mut released = false;
            for key in &keys {
                let night = states.get(key).copied().unwrap_or_default();
                if night.due(today) {
                    // What the daily release would have done already: its own transaction.
                    self.release_night(*key, channel, &night).await?;
                    released = true;
                }
            }
            if released {
                continue;
            }
            let mut plan = RangeWrite::default();
            for key in &keys {
                let night = states.get(key).copied().unwrap_or_default();
                let protect = protects.get(key).copied().unwrap_or(0);
                match self
                    .plan_night(resource, channel, *key, (night, protect), allotment, today)
                    .await?
                {
                    NightWrite::Nothing => {}
                    NightWrite::Items {
                        items,
                        counter,
                        capped,
                    } => {
                        if let Some(counter) = counter {
                            if let Some((shard, max_sold)) = capped {
                                plan.pinned.push(ShardPin {
                                    index: plan.counters.len(),
                                    shard,
                                    max_sold,
                                });
                            }
                            plan.counters.push((counter, protect));
                        }
                        plan.items.extend(items);
                    }
                    NightWrite::Refused(err) => return Err(err),
                    NightWrite::ReadAgain => {
                        crate::store::jittered_pause(attempt).await;
                        continue 'attempts;
                    }
                }
            }
            let mut items = plan.items.into_iter();
            let Some(first) = items.next() else {
                return Ok(());
            };
            let protects: Vec<u32> = plan.counters.iter().map(|(_, p)| *p).collect();
            let changes = BookingChanges::from(
                plan.counters
                    .into_iter()
                    .map(|(c, _)| c)
                    .collect::<Vec<_>>(),
            );
            match self
                .write_with(
                    first,
                    &changes,
                    BookingWriteError::Stale,
                    items.collect(),
                    plan.pinned,
                )
                .await
            {
                Ok(()) => return Ok(()),
                Err(BookingWriteError::Stale) => crate::store::jittered_pause(attempt).await,
                Err(BookingWriteError::Unexpected(err)) if err.is::<ChannelChanged>() => {
                    crate::store::jittered_pause(attempt).await;
                }
                Err(BookingWriteError::SoldOut(buckets)) => {
                    let first = buckets.first().copied();
                    let found = changes
                        .counters
                        .iter()
                        .zip(&protects)
                        .find(|(c, _)| Some(c.bucket) == first);
                    let (Some((change, protect)), Some(Bucket::Night(night))) = (found, first)
                    else {
                        return Err(anyhow::anyhow!("a refused bucket not in the write").into());
                    };
                    let sold = self.shards_sold(change).await?;
                    let limit = i64::from(resource.sellable_limit().saturating_sub(*protect));
                    let free = u32::try_from((limit - sold).max(0)).unwrap_or(0);
                    return Err(AllotmentError::SoldOut { night, free });
                }
                Err(other) => return Err(anyhow::Error::new(other).into()),
            }
        }
        Err(anyhow::Error::new(crate::store::Contended)
            .context("setting an allotment")
            .into())
    }

    async fn set_protection(
        &self,
        resource: &Resource,
        night: NaiveDate,
        units: u32,
    ) -> anyhow::Result<()> {
        self.client
            .put_item()
            .table_name(&self.tables.inventory)
            .item("pk", s(chan_pk(resource.vendor_id, resource.id)))
            .item("sk", s(protect_sk(Bucket::Night(night))))
            .item("protect", n(units))
            .send()
            .await
            .context("PutItem protection")?;
        Ok(())
    }

    async fn allotments(
        &self,
        vendor: VendorId,
        resource: ResourceId,
        nights: Nights,
    ) -> anyhow::Result<Vec<AllotmentNight>> {
        self.list_allotments(vendor, resource, nights).await
    }
}

/// One request's write: every night's items, the type's counter changes (with each night's
/// protection) and the sharded takes pinned under the protection.
#[derive(Default)]
struct RangeWrite {
    items: Vec<TransactWriteItem>,
    counters: Vec<(CounterChange, u32)>,
    pinned: Vec<ShardPin>,
}

/// What one night of an allotment request writes.
enum NightWrite {
    /// Already as asked (no allotment to remove).
    Nothing,
    /// The channel item and markers; the type's counter change, if any, and for a sharded take
    /// under a protection the shard and the most it may have sold.
    Items {
        items: Vec<TransactWriteItem>,
        counter: Option<CounterChange>,
        capped: Option<(u8, i64)>,
    },
    Refused(AllotmentError),
    /// A sharded counter was split anew: read again.
    ReadAgain,
}

impl DynamoStore {
    /// One night of an allotment request, from the channel item and protection as read.
    async fn plan_night(
        &self,
        resource: &Resource,
        channel: ChannelId,
        key: NightKey,
        (night, protect): (ChannelNight, u32),
        allotment: Allotment,
        today: NaiveDate,
    ) -> anyhow::Result<NightWrite> {
        let table = &self.tables.inventory;
        let Bucket::Night(date) = key.bucket else {
            anyhow::bail!("an allotment is per night");
        };
        let units = i64::from(allotment.units);
        if units == 0 {
            // Removing the allotment releases its unsold units now.
            return Ok(
                match release_items(table, key, channel, &night, Some(resource))? {
                    Some((items, counter)) => NightWrite::Items {
                        items,
                        counter,
                        capped: None,
                    },
                    None => NightWrite::Nothing,
                },
            );
        }
        if units < night.sold {
            return Ok(NightWrite::Refused(AllotmentError::BelowSold {
                night: date,
                sold: night.sold,
            }));
        }
        let release_on = allotment.release_on(date);
        if release_on <= today {
            return Ok(NightWrite::Refused(AllotmentError::ReleasePassed {
                night: date,
            }));
        }
        let old = night.unreleased();
        let delta = units - old.unwrap_or(night.sold);
        let mut update = Update::builder()
            .table_name(table)
            .key("pk", s(chan_pk(key.vendor, key.resource)))
            .key("sk", s(channel_sk(key.bucket, channel)))
            .update_expression(
                "SET allot = :a, release_on = :r, sold = if_not_exists(sold, :zero) REMOVE rel",
            )
            .expression_attribute_values(":a", n(units))
            .expression_attribute_values(":r", s(release_on.format("%Y-%m-%d").to_string()))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":s", n(night.sold));
        let sold_was = if night.sold == 0 {
            "(attribute_not_exists(sold) OR sold = :s)"
        } else {
            "sold = :s"
        };
        update = match old {
            Some(was) => update
                .condition_expression(format!(
                    "allot = :was AND attribute_not_exists(rel) AND {sold_was}"
                ))
                .expression_attribute_values(":was", n(was)),
            None => update.condition_expression(format!(
                "(attribute_not_exists(allot) OR attribute_exists(rel)) AND {sold_was}"
            )),
        };
        let mut items = vec![
            write(update.build().context("building an allotment")?),
            marker_put(table, key, channel, release_on)?,
        ];
        if let Some(on) = night
            .release_on
            .filter(|on| *on != release_on && old.is_some())
        {
            items.push(marker_delete(table, key, channel, on)?);
        }
        if delta == 0 {
            return Ok(NightWrite::Items {
                items,
                counter: None,
                capped: None,
            });
        }
        let limit = resource.sellable_limit().saturating_sub(protect);
        let change = CounterChange {
            vendor: key.vendor,
            resource: key.resource,
            bucket: key.bucket,
            delta,
            limit,
            sharding: None,
        };
        let Some(change) = CounterChange::of_type(vec![change], resource).pop() else {
            anyhow::bail!("a counter change went missing");
        };
        let mut capped = None;
        if delta > 0 {
            items.push(protect_check(table, key, protect)?);
            if change.sharding.is_some() && protect > 0 {
                match self.plan_capped_take(&change, i64::from(limit)).await? {
                    CappedTake::Take {
                        shard,
                        max_sold,
                        checks,
                    } => {
                        capped = Some((shard, max_sold));
                        items.extend(checks);
                    }
                    CappedTake::SoldOut => {
                        let sold = self.shards_sold(&change).await?;
                        let free = u32::try_from((i64::from(limit) - sold).max(0)).unwrap_or(0);
                        return Ok(NightWrite::Refused(AllotmentError::SoldOut {
                            night: date,
                            free,
                        }));
                    }
                    CappedTake::Stale | CappedTake::ReadAgain => return Ok(NightWrite::ReadAgain),
                }
            }
        }
        Ok(NightWrite::Items {
            items,
            counter: Some(change),
            capped,
        })
    }
}

/// The items that move one night's unsold allotment back to the general pool, conditioned on
/// the night as read, and the counter change that returns them (counted in the type's shards
/// when `resource` is known); `None` if it holds no allotment.
fn release_items(
    table: &str,
    key: NightKey,
    channel: ChannelId,
    night: &ChannelNight,
    resource: Option<&Resource>,
) -> anyhow::Result<Option<(Vec<TransactWriteItem>, Option<CounterChange>)>> {
    let Some(allot) = night.unreleased() else {
        return Ok(None);
    };
    let mark = Update::builder()
        .table_name(table)
        .key("pk", s(chan_pk(key.vendor, key.resource)))
        .key("sk", s(channel_sk(key.bucket, channel)))
        .update_expression("SET rel = :t")
        .condition_expression("attribute_not_exists(rel) AND sold = :s AND allot = :a")
        .expression_attribute_values(":t", AttributeValue::Bool(true))
        .expression_attribute_values(":s", n(night.sold))
        .expression_attribute_values(":a", n(allot))
        .build()
        .context("building a release")?;
    let mut items = vec![write(mark)];
    if let Some(on) = night.release_on {
        items.push(marker_delete(table, key, channel, on)?);
    }
    let unsold = allot - night.sold;
    let counter = (unsold > 0).then(|| CounterChange {
        vendor: key.vendor,
        resource: key.resource,
        bucket: key.bucket,
        delta: -unsold,
        limit: 0,
        sharding: None,
    });
    let counter = match (counter, resource) {
        (Some(change), Some(resource)) => CounterChange::of_type(vec![change], resource).pop(),
        (counter, _) => counter,
    };
    Ok(Some((items, counter)))
}

impl AllotmentRelease for DynamoStore {
    async fn release_due(&self, vendor: VendorId, today: NaiveDate) -> anyhow::Result<u32> {
        let next = today.succ_opt().context("no day after today")?;
        let query = self
            .client
            .query()
            .table_name(&self.tables.inventory)
            .key_condition_expression("pk = :pk AND sk < :next")
            .expression_attribute_values(":pk", s(marker_pk(vendor)))
            .expression_attribute_values(":next", s(next.format("%Y-%m-%d").to_string()))
            .consistent_read(true);
        let markers = self.query_items(query).await?;
        let mut released = 0;
        for marker in markers {
            let Some(sk) = marker.get("sk").and_then(|v| v.as_s().ok()) else {
                continue;
            };
            let Some((on, key, channel)) = parse_marker(vendor, sk) else {
                tracing::warn!(%vendor, "an unreadable release marker was skipped");
                continue;
            };
            for attempt in 0..CHANNEL_ATTEMPTS {
                let (night, _) = self.read_night(key, channel).await?;
                if night.unreleased().is_none() || night.release_on != Some(on) {
                    // Released already, or moved to another date by a newer allotment.
                    self.delete_marker(key, channel, on, &night).await?;
                    break;
                }
                if self.release_night(key, channel, &night).await? {
                    released += 1;
                    break;
                }
                crate::store::jittered_pause(attempt).await;
            }
        }
        Ok(released)
    }
}

impl DynamoStore {
    /// Moves the unsold part of one night's allotment back to the general pool, exactly once:
    /// conditioned on the night as read; `false` if it changed meanwhile.
    pub(super) async fn release_night(
        &self,
        key: NightKey,
        channel: ChannelId,
        night: &ChannelNight,
    ) -> anyhow::Result<bool> {
        let table = &self.tables.inventory;
        let Some((mut items, counter)) = release_items(table, key, channel, night, None)? else {
            return Ok(false);
        };
        if let Some(release) = counter
            && let Some(item) = crate::store::bookings::counter_update(table, &release, 0)?
        {
            items.push(item);
        }
        Ok(matches!(self.transact(items).await?, Outcome::Committed))
    }

    pub(super) async fn delete_marker(
        &self,
        key: NightKey,
        channel: ChannelId,
        on: NaiveDate,
        night: &ChannelNight,
    ) -> anyhow::Result<()> {
        if night.unreleased().is_some() && night.release_on == Some(on) {
            return Ok(());
        }
        self.client
            .delete_item()
            .table_name(&self.tables.inventory)
            .key("pk", s(marker_pk(key.vendor)))
            .key("sk", s(marker_sk(on, key.resource, key.bucket, channel)))
            .send()
            .await
            .context("DeleteItem release marker")?;
        Ok(())
    }
}
