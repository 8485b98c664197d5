//! The channel and release-marker items: their keys, how they read, and the write items
//! both the channel path and the manager's settings build.
use crate::channels::ChannelId;
use crate::channels::allotment::ChannelNight;
use crate::domain::booking::Booking;
use crate::domain::calendar::Bucket;
use crate::domain::ids::{ResourceId, VendorId};
use crate::store::bookings::CounterChange;
use crate::store::dynamo::{DynamoStore, Item, n, s};
use anyhow::Context;
use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put, TransactWriteItem, Update};
use chrono::NaiveDate;
use std::collections::HashMap;

/// How often the channel path reads its items again after one changed under it.
pub(super) const CHANNEL_ATTEMPTS: u32 = 8;
pub(super) const APP: &str = "app";

pub(super) fn chan_pk(vendor: VendorId, resource: ResourceId) -> String {
    format!("CHAN#{vendor}#{resource}")
}

pub(super) fn channel_sk(bucket: Bucket, channel: ChannelId) -> String {
    format!("{}#{channel}", bucket.key())
}

pub(super) fn protect_sk(bucket: Bucket) -> String {
    format!("{}#{APP}", bucket.key())
}

pub(super) fn marker_pk(vendor: VendorId) -> String {
    format!("ALLOTREL#{vendor}")
}

pub(super) fn marker_sk(
    on: NaiveDate,
    resource: ResourceId,
    bucket: Bucket,
    channel: ChannelId,
) -> String {
    format!(
        "{}#{resource}#{}#{channel}",
        on.format("%Y-%m-%d"),
        bucket.key()
    )
}

/// The channel that made a booking, read from its creator (`channels::import::booked_by`).
pub(in crate::store) fn channel_of(booking: &Booking) -> Option<ChannelId> {
    let raw = booking.booked_by.strip_prefix("channel:")?;
    ChannelId::parse(raw).ok()
}

/// The key of a channel's night.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct NightKey {
    pub(super) vendor: VendorId,
    pub(super) resource: ResourceId,
    pub(super) bucket: Bucket,
}

pub(super) fn night_state(item: &Item) -> ChannelNight {
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

pub(super) fn protect_of(item: &Item) -> u32 {
    item.get("protect")
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(0)
}

pub(super) fn write(update: Update) -> TransactWriteItem {
    TransactWriteItem::builder().update(update).build()
}

/// The night still protects exactly `protect` units for our app.
pub(super) fn protect_check(
    table: &str,
    key: NightKey,
    protect: u32,
) -> anyhow::Result<TransactWriteItem> {
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

pub(super) fn marker_delete(
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

pub(super) fn marker_put(
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

pub(super) fn parse_marker(vendor: VendorId, sk: &str) -> Option<(NaiveDate, NightKey, ChannelId)> {
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

impl DynamoStore {
    /// The channel's items and the protection of these nights, consistently read.
    pub(super) async fn read_nights(
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

    pub(super) async fn read_night(
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

    pub(super) async fn shards_sold(&self, change: &CounterChange) -> anyhow::Result<i64> {
        let shards = change.sharding.map_or(1, |s| s.shards);
        Ok(self
            .read_shards(change, shards)
            .await?
            .iter()
            .flatten()
            .map(|s| s.sold)
            .sum())
    }
}
