//! A take of a sharded bucket under a cap lower than the type's limit (a channel's, never into
//! the units protected for our app), exact inside its one transaction.
use super::{Decision, ShardState, decide, shard_sk};
use crate::store::bookings::{CounterChange, counter_key};
use crate::store::dynamo::{DynamoStore, n, s};
use anyhow::Context;
use aws_sdk_dynamodb::types::TransactWriteItem;

/// A sharded take held under a cap lower than the type's limit (a channel's take, never into the
/// units protected for our app): the shard it goes to and the most that shard may have sold
/// before it. The other shards are checked in the same transaction (`CappedTake::checks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::store) struct ShardPin {
    /// The counter's index in the write's changes.
    pub index: usize,
    pub shard: u8,
    pub max_sold: i64,
}

/// What a capped take of a sharded bucket does, from its shards as read.
pub(in crate::store) enum CappedTake {
    /// Take from `shard` while it has sold at most `max_sold`, and each other shard still has
    /// sold at most what was read (`checks`): the bucket's sum then stays within the cap, exactly.
    Take {
        shard: u8,
        max_sold: i64,
        checks: Vec<TransactWriteItem>,
    },
    /// The shards were split anew (or another writer changed one): read again.
    ReadAgain,
    SoldOut,
    Stale,
}

/// The most each shard of a capped take may have sold: `shard`'s before the take, the others'
/// as read, so that their sum plus `q` is at most `cap`.
fn capped_take(states: &[Option<ShardState>], shard: u8, q: i64, cap: i64) -> i64 {
    let others: i64 = states
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != usize::from(shard))
        .filter_map(|(_, s)| s.map(|s| s.sold))
        .sum();
    cap - q - others
}

/// A shard has sold at most `max` (a missing item has sold nothing).
fn shard_check(
    table: &str,
    change: &CounterChange,
    shard: u8,
    max: i64,
) -> anyhow::Result<TransactWriteItem> {
    let check = aws_sdk_dynamodb::types::ConditionCheck::builder()
        .table_name(table)
        .key("pk", s(counter_key(change.vendor, change.resource)))
        .key("sk", s(shard_sk(change.bucket, shard)))
        .condition_expression("attribute_not_exists(sold) OR sold <= :max")
        .expression_attribute_values(":max", n(max))
        .build()
        .context("building a shard check")?;
    Ok(TransactWriteItem::builder().condition_check(check).build())
}

impl DynamoStore {
    /// Plans a take of `change.delta` (> 0) from a sharded bucket that must leave the bucket's
    /// sold at most `cap`: one shard's update conditioned on its own sold, and a check of each
    /// other shard's. Costs `shards - 1` items beyond an ordinary take.
    pub(in crate::store) async fn plan_capped_take(
        &self,
        change: &CounterChange,
        cap: i64,
    ) -> anyhow::Result<CappedTake> {
        let Some(sharding) = change.sharding else {
            anyhow::bail!("a capped take is of a sharded type");
        };
        let states = self.read_shards(change, sharding.shards).await?;
        let sold: i64 = states.iter().flatten().map(|s| s.sold).sum();
        if sold + change.delta > cap {
            return Ok(CappedTake::SoldOut);
        }
        Ok(match decide(&states, sharding, change.delta) {
            Decision::Stale => CappedTake::Stale,
            Decision::SoldOut => CappedTake::SoldOut,
            Decision::Rebalance => {
                // Whether it committed or not, the caller reads the shards again.
                self.rebalance(change, sharding, &states, change.delta)
                    .await?;
                CappedTake::ReadAgain
            }
            Decision::Take(shard) => {
                let mut checks = Vec::new();
                for (i, state) in states.iter().enumerate() {
                    let other = u8::try_from(i).context("shard index")?;
                    if other != shard {
                        let was = state.map_or(0, |s| s.sold);
                        checks.push(shard_check(&self.tables.inventory, change, other, was)?);
                    }
                }
                CappedTake::Take {
                    shard,
                    max_sold: capped_take(&states, shard, change.delta, cap),
                    checks,
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(sold: i64, room: i64) -> Option<ShardState> {
        Some(ShardState {
            sold,
            room: Some(room),
            capv: Some(3),
            debt: false,
        })
    }

    #[test]
    fn a_capped_take_leaves_the_sum_of_every_shard_at_most_the_cap() {
        let states = [shard(2, 1), shard(1, 2), None, shard(3, 0)];
        // 6 sold, cap 8 (limit 10, 2 protected): shard 1 may have sold at most 8 - 2 - 5 = 1.
        assert_eq!(capped_take(&states, 1, 2, 8), 1);
        assert_eq!(capped_take(&states, 0, 1, 8), 3);
        for shard in 0..4u8 {
            let max = capped_take(&states, shard, 1, 8);
            let others: i64 = (0..4)
                .filter(|i| *i != usize::from(shard))
                .filter_map(|i| states[i].map(|s| s.sold))
                .sum();
            assert_eq!(max + 1 + others, 8);
        }
    }
}
