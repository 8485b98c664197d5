//! `BookingStore` on DynamoDB: inserting, holding and replacing bookings, and reading counters.
use super::write::{Guards, booking_item, new_booking_put};
use super::{
    BOOKING_SK, BookingChanges, BookingStore, BookingWriteError, CounterChange, CounterKey,
    HoldBasis, booking_key, counter_key,
};
use crate::domain::booking::{Booking, BookingStatus};
use crate::domain::calendar::Bucket;
use crate::domain::ids::{BookingId, ResourceId, VendorId};
use crate::store::dynamo::{DynamoStore, from_item, n, s};
use anyhow::Context;
use aws_sdk_dynamodb::types::{ConditionCheck, Put, TransactWriteItem};
use std::collections::HashMap;

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
            .key("pk", s(crate::store::keys::vendor(basis.vendor)))
            .key("sk", s(crate::store::keys::resource(basis.resource)))
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
            pinned: Vec::new(),
        };
        let put = new_booking_put(&self.tables.bookings, booking)?;
        let changes = BookingChanges::from(takes.to_vec());
        if let Some(channel) = crate::store::allotments::channel_of(booking) {
            let (put, guards) = (&put, &guards);
            return self
                .write_channel(
                    booking,
                    channel,
                    &changes,
                    |changes, extra, pinned| async move {
                        let guards = Guards {
                            channel: extra,
                            pinned,
                            ..guards.clone()
                        };
                        self.write_guarded(
                            put.clone(),
                            &changes,
                            BookingWriteError::Duplicate,
                            guards,
                        )
                        .await
                    },
                )
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
        output
            .item
            .map(crate::store::booking_item::decode)
            .transpose()
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
        if let Some(channel) = crate::store::allotments::channel_of(booking) {
            let write = &write;
            return self
                .write_channel(
                    booking,
                    channel,
                    changes,
                    |changes, extra, pinned| async move {
                        self.write_with(
                            write.clone(),
                            &changes,
                            BookingWriteError::Stale,
                            extra,
                            pinned,
                        )
                        .await
                    },
                )
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
                    more.push((
                        pk.clone(),
                        crate::store::shards::shard_sk(key.bucket, shard),
                    ));
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
    let (bucket, _) = crate::store::shards::parse_shard_sk(sk)?;
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
