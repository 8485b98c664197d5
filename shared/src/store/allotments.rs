//! Allotments in the inventory table (rules in `channels::allotment`). Per type and night, with T
//! the type counter's sold: T = general sales + unreleased allotments + what channels sold of
//! released ones. Items:
//! - `CHAN#<vendor>#<type>` / `<night>#<channel>`: `sold` (always kept for a channel's bookings),
//!   `allot`, `release_on` (vendor-local date) and `rel` once released;
//! - `CHAN#<vendor>#<type>` / `<night>#app`: `protect`, units no channel may take;
//! - `ALLOTREL#<vendor>` / `<release_on>#<type>#<night>#<channel>`: what the release finds due.
//!
//! Only the channel path reads these: our app's holds write exactly what they wrote before.
use super::bookings::{BookingChanges, BookingWriteError, CounterChange};
use super::dynamo::{DynamoStore, Item, Outcome, n, s};
use crate::channels::ChannelId;
use crate::channels::allotment::{Allotment, ChannelNight, NightPlan, Nights, plan};
use crate::domain::booking::Booking;
use crate::domain::calendar::Bucket;
use crate::domain::ids::{ResourceId, VendorId};
use crate::domain::resource::Resource;
use anyhow::Context;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, TransactWriteItem, Update,
};
use chrono::NaiveDate;
use std::collections::HashMap;
use std::future::Future;

/// How often the channel path reads its items again after one changed under it.
const CHANNEL_ATTEMPTS: u32 = 8;
const APP: &str = "app";

fn chan_pk(vendor: VendorId, resource: ResourceId) -> String {
    format!("CHAN#{vendor}#{resource}")
}

fn channel_sk(bucket: Bucket, channel: ChannelId) -> String {
    format!("{}#{channel}", bucket.key())
}

fn protect_sk(bucket: Bucket) -> String {
    format!("{}#{APP}", bucket.key())
}

fn marker_pk(vendor: VendorId) -> String {
    format!("ALLOTREL#{vendor}")
}

fn marker_sk(on: NaiveDate, resource: ResourceId, bucket: Bucket, channel: ChannelId) -> String {
    format!(
        "{}#{resource}#{}#{channel}",
        on.format("%Y-%m-%d"),
        bucket.key()
    )
}

/// The channel that made a booking, read from its creator (`channels::import::booked_by`).
pub(super) fn channel_of(booking: &Booking) -> Option<ChannelId> {
    let raw = booking.booked_by.strip_prefix("channel:")?;
    ChannelId::parse(raw).ok()
}

/// One channel's night, or the app's protection, as listed for the vendor's manager.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChannelNightView {
    pub channel_id: ChannelId,
    pub sold: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allot: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_on: Option<NaiveDate>,
    pub released: bool,
}

/// A night of a type: each channel's item and the units protected for our app.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AllotmentNight {
    pub date: NaiveDate,
    pub protect: u32,
    pub channels: Vec<ChannelNightView>,
}

#[derive(Debug, thiserror::Error)]
pub enum AllotmentError {
    /// The channel sold more than the allotment asked for that night.
    #[error("the channel has sold {sold} units on {night}")]
    BelowSold { night: NaiveDate, sold: i64 },
    /// The type has fewer free units than the allotment needs that night.
    #[error("only {free} units are free on {night}")]
    SoldOut { night: NaiveDate, free: u32 },
    /// The night's release date is today or past: nothing would be held back.
    #[error("the release date of {night} has passed")]
    ReleasePassed { night: NaiveDate },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Allotments and protection of a vendor's room types, for its manager and the release job.
pub trait AllotmentStore: Send + Sync {
    /// Sets `channel`'s allotment of `resource` on `night` (zero removes it, releasing it now);
    /// `today` is the vendor's date.
    fn set_allotment(
        &self,
        resource: &Resource,
        channel: ChannelId,
        night: NaiveDate,
        allotment: Allotment,
        today: NaiveDate,
    ) -> impl Future<Output = Result<(), AllotmentError>> + Send;

    fn set_protection(
        &self,
        resource: &Resource,
        night: NaiveDate,
        units: u32,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Every channel item and protection of `resource` in `nights`, night by night.
    fn allotments(
        &self,
        vendor: VendorId,
        resource: ResourceId,
        nights: Nights,
    ) -> impl Future<Output = anyhow::Result<Vec<AllotmentNight>>> + Send;
}

/// The daily release: what the night audit calls per vendor.
pub trait AllotmentRelease: Send + Sync {
    /// Releases every allotment of `vendor` whose release date is `today` or earlier; returns
    /// how many nights it released.
    fn release_due(
        &self,
        vendor: VendorId,
        today: NaiveDate,
    ) -> impl Future<Output = anyhow::Result<u32>> + Send;
}

/// A failed condition on a channel or protection item: the channel path reads them again.
#[derive(Debug, thiserror::Error)]
#[error("a channel or protection item changed since it was read")]
pub(super) struct ChannelChanged;

/// The key of a channel's night.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct NightKey {
    vendor: VendorId,
    resource: ResourceId,
    bucket: Bucket,
}

fn night_state(item: &Item) -> ChannelNight {
    let number = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<i64>().ok())
    };
    ChannelNight {
        sold: number("sold").unwrap_or(0),
        allot: number("allot"),
        release_on: item
            .get("release_on")
            .and_then(|v| v.as_s().ok())
            .and_then(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok()),
        released: item.contains_key("rel"),
    }
}

fn protect_of(item: &Item) -> u32 {
    item.get("protect")
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(0)
}

fn write(update: Update) -> TransactWriteItem {
    TransactWriteItem::builder().update(update).build()
}

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

/// The night still protects exactly `protect` units for our app.
fn protect_check(table: &str, key: NightKey, protect: u32) -> anyhow::Result<TransactWriteItem> {
    let check = ConditionCheck::builder()
        .table_name(table)
        .key("pk", s(chan_pk(key.vendor, key.resource)))
        .key("sk", s(protect_sk(key.bucket)));
    let check = if protect == 0 {
        check
            .condition_expression("attribute_not_exists(protect) OR protect = :p")
            .expression_attribute_values(":p", n(0))
    } else {
        check
            .condition_expression("protect = :p")
            .expression_attribute_values(":p", n(protect))
    };
    Ok(TransactWriteItem::builder()
        .condition_check(check.build().context("building a protection check")?)
        .build())
}

impl DynamoStore {
    /// The channel's items and the protection of these nights, consistently read.
    async fn read_nights(
        &self,
        keys: &[NightKey],
        channel: ChannelId,
    ) -> anyhow::Result<(HashMap<NightKey, ChannelNight>, HashMap<NightKey, u32>)> {
        let wanted: Vec<(String, String)> = keys
            .iter()
            .flat_map(|k| {
                let pk = chan_pk(k.vendor, k.resource);
                [
                    (pk.clone(), channel_sk(k.bucket, channel)),
                    (pk, protect_sk(k.bucket)),
                ]
            })
            .collect();
        let (mut nights, mut protects) = (HashMap::new(), HashMap::new());
        let refs: Vec<&(String, String)> = wanted.iter().collect();
        for chunk in refs.chunks(100) {
            for item in self.batch_get(&self.tables.inventory, chunk).await? {
                let (Some(pk), Some(sk)) = (
                    item.get("pk").and_then(|v| v.as_s().ok()),
                    item.get("sk").and_then(|v| v.as_s().ok()),
                ) else {
                    continue;
                };
                for key in keys {
                    if *pk != chan_pk(key.vendor, key.resource) {
                        continue;
                    }
                    if *sk == channel_sk(key.bucket, channel) {
                        nights.insert(*key, night_state(&item));
                    } else if *sk == protect_sk(key.bucket) {
                        protects.insert(*key, protect_of(&item));
                    }
                }
            }
        }
        Ok((nights, protects))
    }

    /// A channel booking's write: each night's change goes to the channel's allotment while it
    /// is unreleased (the type counter was taken when it was set), else to the channel item and
    /// the type counter, a take never into the units protected for our app. Due allotments are
    /// released first. `write` sends the booking write with the counters and channel items.
    pub(super) async fn write_channel<F, Fut>(
        &self,
        booking: &Booking,
        channel: ChannelId,
        changes: &BookingChanges,
        write: F,
    ) -> Result<(), BookingWriteError>
    where
        F: Fn(BookingChanges, Vec<TransactWriteItem>) -> Fut,
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
            return write(changes.clone(), Vec::new()).await;
        }
        let today = booking
            .updated_at
            .with_timezone(&booking.time_zone.tz())
            .date_naive();
        let table = &self.tables.inventory;
        for attempt in 0..CHANNEL_ATTEMPTS {
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
                                // A sharded type's take is one shard's: the protection is
                                // checked against the bucket's sum as read just before.
                                let sold = self.shards_sold(change).await?;
                                if sold + change.delta > i64::from(general.limit) {
                                    sold_out.push(change.bucket);
                                    continue;
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
            match write(next, extra).await {
                Err(BookingWriteError::Unexpected(err)) if err.is::<ChannelChanged>() => {
                    super::jittered_pause(attempt).await;
                }
                other => return other,
            }
        }
        Err(anyhow::Error::new(super::Contended)
            .context("channel allotment items")
            .into())
    }

    async fn shards_sold(&self, change: &CounterChange) -> anyhow::Result<i64> {
        let shards = change.sharding.map_or(1, |s| s.shards);
        Ok(self
            .read_shards(change, shards)
            .await?
            .iter()
            .flatten()
            .map(|s| s.sold)
            .sum())
    }

    /// Moves the unsold part of one night's allotment back to the general pool, exactly once:
    /// conditioned on the night as read; `false` if it changed meanwhile.
    async fn release_night(
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
            if let Some(item) = super::bookings::counter_update(table, &release, 0)? {
                items.push(item);
            }
        }
        if let Some(on) = night.release_on {
            items.push(marker_delete(table, key, channel, on)?);
        }
        Ok(matches!(self.transact(items).await?, Outcome::Committed))
    }

    async fn read_night(
        &self,
        key: NightKey,
        channel: ChannelId,
    ) -> anyhow::Result<(ChannelNight, u32)> {
        let (nights, protects) = self.read_nights(&[key], channel).await?;
        Ok((
            nights.get(&key).copied().unwrap_or_default(),
            protects.get(&key).copied().unwrap_or(0),
        ))
    }
}

fn marker_delete(
    table: &str,
    key: NightKey,
    channel: ChannelId,
    on: NaiveDate,
) -> anyhow::Result<TransactWriteItem> {
    let delete = Delete::builder()
        .table_name(table)
        .key("pk", s(marker_pk(key.vendor)))
        .key("sk", s(marker_sk(on, key.resource, key.bucket, channel)))
        .build()
        .context("building a marker delete")?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

fn marker_put(
    table: &str,
    key: NightKey,
    channel: ChannelId,
    on: NaiveDate,
) -> anyhow::Result<TransactWriteItem> {
    let put = Put::builder()
        .table_name(table)
        .item("pk", s(marker_pk(key.vendor)))
        .item("sk", s(marker_sk(on, key.resource, key.bucket, channel)))
        .build()
        .context("building a marker put")?;
    Ok(TransactWriteItem::builder().put(put).build())
}

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
                Err(BookingWriteError::Stale) => super::jittered_pause(attempt).await,
                Err(BookingWriteError::Unexpected(err)) if err.is::<ChannelChanged>() => {
                    super::jittered_pause(attempt).await;
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
        Err(anyhow::Error::new(super::Contended)
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
        let query = self
            .client
            .query()
            .table_name(&self.tables.inventory)
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(chan_pk(vendor, resource)))
            .expression_attribute_values(":from", s(Bucket::Night(nights.from).key()))
            .expression_attribute_values(":to", s(format!("{}#~", Bucket::Night(nights.to).key())))
            .consistent_read(true);
        let items = self.query_items(query).await?;
        let mut by_night: Vec<AllotmentNight> = nights
            .iter()
            .map(|date| AllotmentNight {
                date,
                protect: 0,
                channels: Vec::new(),
            })
            .collect();
        for item in items {
            let Some(sk) = item.get("sk").and_then(|v| v.as_s().ok()) else {
                continue;
            };
            let Some((bucket, who)) = sk.rsplit_once('#') else {
                continue;
            };
            let Ok(Bucket::Night(date)) = Bucket::parse_key(bucket) else {
                continue;
            };
            let Some(slot) = by_night.iter_mut().find(|n| n.date == date) else {
                continue;
            };
            if who == APP {
                slot.protect = protect_of(&item);
            } else if let Ok(channel_id) = ChannelId::parse(who) {
                let night = night_state(&item);
                slot.channels.push(ChannelNightView {
                    channel_id,
                    sold: night.sold,
                    allot: night.allot,
                    release_on: night.release_on,
                    released: night.released,
                });
            }
        }
        Ok(by_night)
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
                super::jittered_pause(attempt).await;
            }
        }
        Ok(released)
    }
}

impl DynamoStore {
    /// Every item of a query as stored, following the pages.
    async fn query_items(
        &self,
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    ) -> anyhow::Result<Vec<Item>> {
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = query
                .clone()
                .set_exclusive_start_key(start)
                .send()
                .await
                .context("Query")?;
            found.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(found);
            }
        }
    }

    async fn delete_marker(
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

fn parse_marker(vendor: VendorId, sk: &str) -> Option<(NaiveDate, NightKey, ChannelId)> {
    let mut parts = sk.splitn(2, '#');
    let on = NaiveDate::parse_from_str(parts.next()?, "%Y-%m-%d").ok()?;
    let rest = parts.next()?;
    let (resource, rest) = rest.split_once('#')?;
    let (bucket, channel) = rest.rsplit_once('#')?;
    Some((
        on,
        NightKey {
            vendor,
            resource: ResourceId::parse(resource).ok()?,
            bucket: Bucket::parse_key(bucket).ok()?,
        },
        ChannelId::parse(channel).ok()?,
    ))
}

/// The memory store keeps no allotments: nothing is ever due.
impl AllotmentRelease for super::memory::MemoryStore {
    async fn release_due(&self, _vendor: VendorId, _today: NaiveDate) -> anyhow::Result<u32> {
        Ok(0)
    }
}
