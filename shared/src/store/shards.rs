//! Sharded counters: a type with `shards` N > 1 keeps each bucket's count in N items, so one
//! night's holds are spread over N items' write capacity instead of one.
//!
//! Shard 0 is the plain counter item (what an unsharded type writes), shard i > 0 has the sort
//! key `<bucket>#<i>`. Each shard holds `sold`, the `room` it may still sell and `capv`, the type
//! version its room was split for; shard 0 also names the shard count (`nshards`) for readers.
//! Invariant: the shards' room sums to limit - their sold. A take needs one shard with room, at
//! the version the hold was worked out from, so it never checks the (hot) type item. A refused
//! take reads the bucket's shards and rebalances them (a new version, a release that did not
//! return room, fragmented room, debt) in one transaction conditioned on exactly what it read.
use super::bookings::{CounterChange, counter_key};
use super::dynamo::{DynamoStore, Item, n, s};
use crate::domain::calendar::Bucket;
use crate::domain::resource::Resource;
use anyhow::Context;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

mod capped;
pub(in crate::store) use capped::{CappedTake, ShardPin};

/// How a sharded type's counters are split: the type's shard count, its version, and the limit
/// (units + overbooking) at that version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sharding {
    pub shards: u8,
    pub version: u64,
    pub limit: u32,
}

impl Sharding {
    /// `None` for a type kept in one item per bucket.
    pub fn of(resource: &Resource) -> Option<Self> {
        let shards = resource.shards.get();
        (shards > 1).then(|| Self {
            shards,
            version: resource.version,
            limit: resource.sellable_limit(),
        })
    }
}

impl CounterChange {
    /// The changes, those of `resource` counted in its shards (if it has more than one).
    pub fn of_type(mut changes: Vec<Self>, resource: &Resource) -> Vec<Self> {
        let sharding = Sharding::of(resource);
        for change in changes
            .iter_mut()
            .filter(|c| c.vendor == resource.vendor_id && c.resource == resource.id)
        {
            change.sharding = sharding;
        }
        changes
    }
}

/// The sort key of one shard of a bucket: shard 0 is the bucket's own key. Bucket keys have a
/// fixed length per kind, so `<bucket>#<i>` sorts right after its bucket and before the next.
pub(super) fn shard_sk(bucket: Bucket, shard: u8) -> String {
    match shard {
        0 => bucket.key(),
        i => format!("{}#{i}", bucket.key()),
    }
}

/// The bucket and shard a counter item's sort key names.
pub(super) fn parse_shard_sk(sk: &str) -> Option<(Bucket, u8)> {
    match sk.rsplit_once('#') {
        Some((bucket, shard)) if shard.len() <= 2 && shard.bytes().all(|b| b.is_ascii_digit()) => {
            Some((Bucket::parse_key(bucket).ok()?, shard.parse().ok()?))
        }
        _ => Some((Bucket::parse_key(sk).ok()?, 0)),
    }
}

/// One shard item as read; `None` in a list where the item does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct ShardState {
    pub sold: i64,
    pub room: Option<i64>,
    pub capv: Option<u64>,
    pub debt: bool,
}

/// What a refused take does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Decision {
    /// The shards were split for a newer version of the type than the hold was worked out from.
    Stale,
    /// Split the room anew (conditioned on what was read), then take.
    Rebalance,
    /// This shard has the room: try it.
    Take(u8),
    /// The bucket as a whole has less room than asked for.
    SoldOut,
}

/// Decides from the bucket's shards as read (index = shard) what a take of `q` does.
pub(super) fn decide(states: &[Option<ShardState>], sharding: Sharding, q: i64) -> Decision {
    let shards = &states[..states.len().min(usize::from(sharding.shards))];
    if shards
        .iter()
        .flatten()
        .any(|s| s.capv.is_some_and(|v| v > sharding.version))
    {
        return Decision::Stale;
    }
    let sold: i64 = shards.iter().flatten().map(|s| s.sold).sum();
    let free = i64::from(sharding.limit) - sold;
    let debt = shards.iter().flatten().any(|s| s.debt);
    if debt && free < q {
        return Decision::SoldOut;
    }
    let current = shards.len() == usize::from(sharding.shards)
        && shards
            .iter()
            .all(|s| s.is_some_and(|s| s.capv == Some(sharding.version) && s.room.is_some()));
    let room: i64 = shards.iter().flatten().filter_map(|s| s.room).sum();
    // A release that returned no room (written without knowing the type is sharded) shows here.
    if !current || debt || room != free {
        return Decision::Rebalance;
    }
    let best = shards
        .iter()
        .enumerate()
        .filter_map(|(i, s)| Some((i, s.and_then(|s| s.room)?)))
        .max_by_key(|(_, room)| *room);
    match best {
        Some((i, most)) if most >= q => u8::try_from(i).map_or(Decision::Rebalance, Decision::Take),
        _ if room >= q => Decision::Rebalance,
        _ => Decision::SoldOut,
    }
}

/// `total` room over `shards` shards, as even as can be but with at least `first` on shard 0 when
/// the total has it (so a take of several units is never left fragmented). A negative total is
/// debt: no room anywhere.
pub(super) fn split(total: i64, shards: u8, first: i64) -> Vec<i64> {
    let count = i64::from(shards.max(1));
    if total <= 0 {
        return vec![0; usize::from(shards.max(1))];
    }
    let even = |total: i64, count: i64| -> Vec<i64> {
        (0..count)
            .map(|i| total / count + i64::from(i < total % count))
            .collect()
    };
    let rooms = even(total, count);
    if rooms.first().is_some_and(|r| *r >= first) || first > total || count == 1 {
        return rooms;
    }
    let mut rooms = vec![first];
    rooms.extend(even(total - first, count - 1));
    rooms
}

/// What a rebalance of one bucket wrote: the room of each shard.
pub(super) struct Rebalanced(pub Vec<i64>);

impl DynamoStore {
    /// The bucket's shard items, consistently read (each item on its own: a take moves units
    /// from room to sold within one item, so the sums hold whatever interleaves).
    pub(super) async fn read_shards(
        &self,
        change: &CounterChange,
        shards: u8,
    ) -> anyhow::Result<Vec<Option<ShardState>>> {
        let output = self
            .client
            .query()
            .table_name(&self.tables.inventory)
            .key_condition_expression("pk = :pk AND begins_with(sk, :bucket)")
            .expression_attribute_values(":pk", s(counter_key(change.vendor, change.resource)))
            .expression_attribute_values(":bucket", s(change.bucket.key()))
            .consistent_read(true)
            .send()
            .await
            .context("Query counter shards")?;
        let mut states = vec![None; usize::from(shards)];
        for item in output.items.unwrap_or_default() {
            let Some((bucket, shard)) = item
                .get("sk")
                .and_then(|v| v.as_s().ok())
                .and_then(|sk| parse_shard_sk(sk))
            else {
                continue;
            };
            if bucket != change.bucket {
                continue;
            }
            if let Some(slot) = states.get_mut(usize::from(shard)) {
                *slot = Some(shard_state(&item));
            }
        }
        Ok(states)
    }

    /// Splits the bucket's room anew at `sharding`'s version, in one transaction conditioned on
    /// each shard being exactly as `states` read it; `None` if one changed meanwhile.
    pub(super) async fn rebalance(
        &self,
        change: &CounterChange,
        sharding: Sharding,
        states: &[Option<ShardState>],
        q: i64,
    ) -> anyhow::Result<Option<Rebalanced>> {
        let sold: i64 = states.iter().flatten().map(|s| s.sold).sum();
        let free = i64::from(sharding.limit) - sold;
        let rooms = split(free, sharding.shards, q);
        let mut items = Vec::with_capacity(rooms.len());
        for (i, room) in rooms.iter().enumerate() {
            let shard = u8::try_from(i).context("shard index")?;
            let state = states.get(i).copied().flatten();
            items.push(rebalance_write(
                &self.tables.inventory,
                change,
                sharding,
                shard,
                state,
                *room,
                free < 0,
            )?);
        }
        // Tried once: whatever stopped it (a shard changed, another rebalance held the items,
        // DynamoDB Local's lock timeout), the caller reads the shards again and decides anew,
        // which also finds this one if it did commit.
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        Ok(match result {
            Ok(_) => Some(Rebalanced(rooms)),
            Err(err) => {
                let err = err.into_service_error();
                if err.is_transaction_canceled_exception() {
                    tracing::debug!("a rebalance was cancelled; reading the shards again");
                } else {
                    tracing::warn!(error = %err, "a rebalance failed; reading the shards again");
                }
                None
            }
        })
    }
}

impl DynamoStore {
    /// After a sharded type's limit dropped to `resource`'s: moves each of its shard items still
    /// split for an older version to this one, in debt. A take worked out from an older copy of
    /// the type is then refused (and asked again of the stored type), and the next hold of each
    /// bucket splits it anew at the new limit.
    pub(super) async fn fence(&self, resource: &Resource) -> anyhow::Result<()> {
        use futures::{StreamExt, TryStreamExt};
        let pk = counter_key(resource.vendor_id, resource.id);
        let query = self
            .client
            .query()
            .table_name(&self.tables.inventory)
            .key_condition_expression("pk = :pk")
            .filter_expression("capv < :v")
            .projection_expression("sk")
            .expression_attribute_values(":pk", s(pk.clone()))
            .expression_attribute_values(":v", n(resource.version))
            .consistent_read(true);
        let shards: Vec<ShardKey> = self.query_all(query).await?;
        futures::stream::iter(shards)
            .map(|shard| self.fence_one(&pk, shard.sk, resource.version))
            .buffer_unordered(16)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }

    async fn fence_one(&self, pk: &str, sk: String, version: u64) -> anyhow::Result<()> {
        use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.inventory)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression("SET capv = :v, debt = :debt")
            .condition_expression("capv < :v")
            .expression_attribute_values(":v", n(version))
            .expression_attribute_values(":debt", AttributeValue::Bool(true))
            .send()
            .await;
        match result.map_err(|e| e.into_service_error()) {
            // A newer version got there first.
            Ok(_) | Err(UpdateItemError::ConditionalCheckFailedException(_)) => Ok(()),
            Err(other) => Err(anyhow::Error::new(other).context("UpdateItem fencing a shard")),
        }
    }
}

#[derive(serde::Deserialize)]
struct ShardKey {
    sk: String,
}

fn shard_state(item: &Item) -> ShardState {
    let number = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<i64>().ok())
    };
    ShardState {
        sold: number("sold").unwrap_or(0),
        room: number("room"),
        capv: number("capv").and_then(|v| u64::try_from(v).ok()),
        debt: item.contains_key("debt"),
    }
}

/// One shard's part of a rebalance: its room and version set, debt set or cleared, on condition
/// that it is still as read.
fn rebalance_write(
    table: &str,
    change: &CounterChange,
    sharding: Sharding,
    shard: u8,
    state: Option<ShardState>,
    room: i64,
    debt: bool,
) -> anyhow::Result<TransactWriteItem> {
    let mut set = vec![
        "sold = if_not_exists(sold, :zero)",
        "room = :room",
        "capv = :capv",
    ];
    if shard == 0 {
        set.push("nshards = :shards");
    }
    if debt {
        set.push("debt = :debt");
    }
    let mut expression = format!("SET {}", set.join(", "));
    if !debt {
        expression.push_str(" REMOVE debt");
    }
    let mut values: Vec<(String, AttributeValue)> = vec![
        (":zero".into(), n(0)),
        (":room".into(), n(room)),
        (":capv".into(), n(sharding.version)),
    ];
    if shard == 0 {
        values.push((":shards".into(), n(sharding.shards)));
    }
    if debt {
        values.push((":debt".into(), AttributeValue::Bool(true)));
    }
    let condition = match state {
        None => "attribute_not_exists(pk)".to_owned(),
        Some(state) => {
            let mut parts = vec!["attribute_exists(pk)".to_owned()];
            let capv = state.capv.map(|v| v.to_string());
            for (name, was) in [
                ("sold", Some(state.sold.to_string())),
                ("room", state.room.map(|v| v.to_string())),
                ("capv", capv),
            ] {
                match was {
                    Some(was) => {
                        parts.push(format!("{name} = :was_{name}"));
                        values.push((format!(":was_{name}"), AttributeValue::N(was)));
                    }
                    None => parts.push(format!("attribute_not_exists({name})")),
                }
            }
            parts.push(
                if state.debt {
                    "attribute_exists(debt)"
                } else {
                    "attribute_not_exists(debt)"
                }
                .to_owned(),
            );
            parts.join(" AND ")
        }
    };
    let mut update = Update::builder()
        .table_name(table)
        .key("pk", s(counter_key(change.vendor, change.resource)))
        .key("sk", s(shard_sk(change.bucket, shard)))
        .update_expression(expression)
        .condition_expression(condition);
    for (name, value) in values {
        update = update.expression_attribute_values(name, value);
    }
    Ok(TransactWriteItem::builder()
        .update(update.build().context("building a rebalance")?)
        .build())
}

/// A take of `change.delta` from one shard (it must have the room, at the version, and, for a
/// take under a cap, at most `max_sold` sold before it), or a release into one (never refused;
/// room returns with it).
pub(super) fn shard_update(
    table: &str,
    change: &CounterChange,
    sharding: Sharding,
    shard: u8,
    max_sold: Option<i64>,
) -> anyhow::Result<TransactWriteItem> {
    let update = Update::builder()
        .table_name(table)
        .key("pk", s(counter_key(change.vendor, change.resource)))
        .key("sk", s(shard_sk(change.bucket, shard)));
    let update = if change.delta > 0 {
        let room = "capv = :v AND room >= :q AND attribute_not_exists(debt)";
        let update = update
            .update_expression("SET sold = sold + :q, room = room - :q")
            .expression_attribute_values(":q", n(change.delta))
            .expression_attribute_values(":v", n(sharding.version));
        match max_sold {
            None => update.condition_expression(room),
            Some(max) => update
                .condition_expression(format!("{room} AND sold <= :max"))
                .expression_attribute_values(":max", n(max)),
        }
    } else {
        // A single shard's sold may go below 0: only the bucket's sum means anything.
        update
            .update_expression(
                "SET sold = if_not_exists(sold, :zero) - :q, room = if_not_exists(room, :zero) + :q",
            )
            .expression_attribute_values(":q", n(-change.delta))
            .expression_attribute_values(":zero", n(0))
    };
    Ok(TransactWriteItem::builder()
        .update(update.build().context("building a shard update")?)
        .build())
}

/// A shard to start from: any, so concurrent holds spread over them.
pub(super) fn any_shard(shards: u8) -> u8 {
    use rand::Rng;
    rand::rng().random_range(0..shards.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    const AT: Sharding = Sharding {
        shards: 4,
        version: 3,
        limit: 10,
    };

    fn shard(sold: i64, room: i64) -> Option<ShardState> {
        Some(ShardState {
            sold,
            room: Some(room),
            capv: Some(AT.version),
            debt: false,
        })
    }

    #[test]
    fn room_is_split_evenly_and_a_large_take_finds_it_whole_on_shard_zero() {
        assert_eq!(split(10, 4, 1), vec![3, 3, 2, 2]);
        assert_eq!(split(10, 4, 3), vec![3, 3, 2, 2]);
        assert_eq!(split(10, 4, 5), vec![5, 2, 2, 1]);
        assert_eq!(split(3, 4, 1), vec![1, 1, 1, 0]);
        assert_eq!(split(3, 4, 5), vec![1, 1, 1, 0]);
        assert_eq!(split(0, 4, 1), vec![0, 0, 0, 0]);
        assert_eq!(split(-2, 4, 1), vec![0, 0, 0, 0]);
        for (total, first) in [(37, 1), (37, 20), (5, 5), (16, 2)] {
            assert_eq!(split(total, 16, first).iter().sum::<i64>(), total);
        }
    }

    #[test]
    fn a_take_goes_to_the_shard_with_most_room() {
        let states = [shard(2, 1), shard(1, 2), shard(3, 0), shard(1, 0)];
        assert_eq!(decide(&states, AT, 1), Decision::Take(1));
        assert_eq!(decide(&states, AT, 2), Decision::Take(1));
    }

    #[test]
    fn fragmented_room_is_rebalanced_and_too_little_is_sold_out() {
        let states = [shard(2, 1), shard(2, 1), shard(3, 0), shard(1, 0)];
        assert_eq!(decide(&states, AT, 2), Decision::Rebalance);
        assert_eq!(decide(&states, AT, 3), Decision::SoldOut);
        let full = [shard(3, 0), shard(2, 0), shard(3, 0), shard(2, 0)];
        assert_eq!(decide(&full, AT, 1), Decision::SoldOut);
    }

    #[test]
    fn a_new_version_missing_shards_or_lost_room_is_rebalanced_a_newer_one_is_stale() {
        let older = Sharding { version: 2, ..AT };
        let states = [shard(2, 1), shard(1, 2), shard(3, 0), shard(1, 0)];
        assert_eq!(decide(&states, older, 1), Decision::Stale);
        let newer = Sharding { version: 4, ..AT };
        assert_eq!(decide(&states, newer, 1), Decision::Rebalance);
        assert_eq!(
            decide(&[shard(2, 8), None, None, None], AT, 1),
            Decision::Rebalance
        );
        // What an unsharded type left in shard 0 before sharding: no room, no version.
        let unsharded = Some(ShardState {
            sold: 4,
            ..ShardState::default()
        });
        assert_eq!(decide(&[unsharded], AT, 1), Decision::Rebalance);
        // A release that only lowered sold (2 units): room sums to 3, but 5 are free.
        let lost = [shard(2, 1), shard(1, 2), shard(1, 0), shard(1, 0)];
        assert_eq!(decide(&lost, AT, 1), Decision::Rebalance);
    }

    #[test]
    fn debt_sells_nothing_until_the_bucket_is_back_under_its_limit() {
        let lowered = Sharding { limit: 6, ..AT };
        let debt = |sold: i64, room: i64| {
            Some(ShardState {
                sold,
                room: Some(room),
                capv: Some(AT.version),
                debt: true,
            })
        };
        // 8 sold against 6: releases gave shards room, but the bucket still owes 2.
        let owing = [debt(3, 1), debt(2, 0), debt(2, 1), debt(1, 0)];
        assert_eq!(decide(&owing, lowered, 1), Decision::SoldOut);
        // 5 sold: one unit free again, so rebalance (which clears the debt) then take.
        let cleared = [debt(1, 1), debt(2, 0), debt(1, 1), debt(1, 0)];
        assert_eq!(decide(&cleared, lowered, 1), Decision::Rebalance);
        assert_eq!(decide(&cleared, lowered, 2), Decision::SoldOut);
    }

    #[test]
    fn shard_keys_sort_within_their_bucket_and_parse_back() {
        let night = Bucket::Night(NaiveDate::from_ymd_opt(2027, 1, 31).unwrap());
        let next = Bucket::Night(NaiveDate::from_ymd_opt(2027, 2, 1).unwrap());
        assert_eq!(shard_sk(night, 0), "N#2027-01-31");
        assert_eq!(shard_sk(night, 15), "N#2027-01-31#15");
        assert!(shard_sk(night, 15) > night.key() && shard_sk(night, 15) < next.key());
        assert_eq!(parse_shard_sk("N#2027-01-31#15"), Some((night, 15)));
        assert_eq!(parse_shard_sk("N#2027-01-31"), Some((night, 0)));
        let slot = Bucket::parse_key("S#2027-01-31T19:30Z").unwrap();
        assert_eq!(parse_shard_sk(&shard_sk(slot, 3)), Some((slot, 3)));
        assert_eq!(parse_shard_sk("OCC#x"), None);
    }
}
