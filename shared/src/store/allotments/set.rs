//! Setting a channel's allotment or the app's protection, and releasing allotments when due.
use super::items::{
    CHANNEL_ATTEMPTS, NightKey, chan_pk, channel_sk, marker_delete, marker_pk, marker_put,
    marker_sk, parse_marker, protect_check, protect_sk, write,
};
use super::{AllotmentError, AllotmentNight, AllotmentRelease, AllotmentStore, ChannelChanged};
use crate::channels::ChannelId;
use crate::channels::allotment::{Allotment, ChannelNight, Nights};
use crate::domain::calendar::Bucket;
use crate::domain::ids::{ResourceId, VendorId};
use crate::domain::resource::Resource;
use crate::store::bookings::{BookingChanges, BookingWriteError, CounterChange};
use crate::store::dynamo::{DynamoStore, Outcome, n, s};
use anyhow::Context;
use aws_sdk_dynamodb::types::{AttributeValue, Update};
use chrono::NaiveDate;

impl AllotmentStore for DynamoStore {
    async fn set_allotment(
        &self,
        resource: &Resource,
        channel: ChannelId,
        date: NaiveDate,
        allotment: Allotment,
        today: NaiveDate,
    ) -> Result<(), AllotmentError> {
        let key = NightKey {
            vendor: resource.vendor_id,
            resource: resource.id,
            bucket: Bucket::Night(date),
        };
        let table = &self.tables.inventory;
        let units = i64::from(allotment.units);
        for attempt in 0..CHANNEL_ATTEMPTS {
            let (night, protect) = self.read_night(key, channel).await?;
            if night.due(today) || (units == 0 && night.unreleased().is_some()) {
                self.release_night(key, channel, &night).await?;
                continue;
            }
            if units == 0 {
                return Ok(());
            }
            if units < night.sold {
                return Err(AllotmentError::BelowSold {
                    night: date,
                    sold: night.sold,
                });
            }
            let release_on = allotment.release_on(date);
            if release_on <= today {
                return Err(AllotmentError::ReleasePassed { night: date });
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
            let mut extra = vec![marker_put(table, key, channel, release_on)?];
            if let Some(on) = night
                .release_on
                .filter(|on| *on != release_on && old.is_some())
            {
                extra.push(marker_delete(table, key, channel, on)?);
            }
            let mut counters = Vec::new();
            if delta != 0 {
                let limit = resource.sellable_limit();
                let change = CounterChange {
                    vendor: key.vendor,
                    resource: key.resource,
                    bucket: key.bucket,
                    delta,
                    limit: limit.saturating_sub(protect),
                    sharding: None,
                };
                counters = CounterChange::of_type(vec![change], resource);
                if delta > 0 {
                    extra.push(protect_check(table, key, protect)?);
                }
            }
            let changes = BookingChanges::from(counters);
            let channel_write = write(update.build().context("building an allotment")?);
            match self
                .write_with(channel_write, &changes, BookingWriteError::Stale, extra)
                .await
            {
                Ok(()) => return Ok(()),
                Err(BookingWriteError::Stale) => crate::store::jittered_pause(attempt).await,
                Err(BookingWriteError::Unexpected(err)) if err.is::<ChannelChanged>() => {
                    crate::store::jittered_pause(attempt).await;
                }
                Err(BookingWriteError::SoldOut(_)) => {
                    let sold = self.shards_sold(&changes.counters[0]).await?;
                    let limit = i64::from(resource.sellable_limit().saturating_sub(protect));
                    let free = u32::try_from((limit - sold).max(0)).unwrap_or(0);
                    return Err(AllotmentError::SoldOut { night: date, free });
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
        let Some(allot) = night.unreleased() else {
            return Ok(false);
        };
        let table = &self.tables.inventory;
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
        let unsold = allot - night.sold;
        if unsold > 0 {
            let release = CounterChange {
                vendor: key.vendor,
                resource: key.resource,
                bucket: key.bucket,
                delta: -unsold,
                limit: 0,
                sharding: None,
            };
            if let Some(item) = crate::store::bookings::counter_update(table, &release, 0)? {
                items.push(item);
            }
        }
        if let Some(on) = night.release_on {
            items.push(marker_delete(table, key, channel, on)?);
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
