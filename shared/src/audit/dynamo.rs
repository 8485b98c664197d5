//! The audit logs in the `audit` table (no TTL, no stream: a transparency log is never deleted).
//! - `LOG#<vendor>` / `HEAD`: `size`, `range` (the compact range's hashes, largest subtree
//!   first, concatenated) and the latest checkpoint (`cp_size`, `cp_note`, `cp_signed_at`);
//!   `size` is the head's version: every append moves it, and an append is conditioned on it;
//! - `LOG#<vendor>` / `L#<20 digits>`: a leaf (`leaf` bytes, its `hash`, which is also the
//!   level-0 node, `booking`, `fact`);
//! - `LOG#<vendor>` / `N#<2 digits>#<20 digits>`: a perfect node of level 1 and up (`hash`);
//! - `LOG#<vendor>` / `C#<20 digits>`: a signed checkpoint (`note`, `signed_at`);
//! - `FACT#<event id>` / `FACT`: the fact's `vendor` and `index` (a fact enters once);
//! - `BOOKING#<booking>` / `L#<vendor>#<20 digits>`: a leaf of the booking (`vendor`, `index`);
//! - `SECRET#<booking>` / `SECRET`: the booking's commitment `secret`;
//! - `GROWN#<shard>` / `<vendor>`: the vendor's tree grew since its latest checkpoint (`size`,
//!   `root`: the head as of the append that wrote it);
//! - `WITNESS#<shard>` / `<vendor>`: the vendor has a checkpoint the witness has not checked
//!   (`size`: the latest stored), written with the checkpoint, cleared by the witness.
//!
//! An append is one TransactWriteItems of 5 items plus the perfect nodes it completes (one
//! on average, at most 63): head, leaf, fact guard, booking index, marker, nodes. Appends of
//! one process to one log that arrive while its transaction is in flight go together in the
//! next (see `group`): one head and one marker, 3 items and the nodes per leaf.
mod group;

use super::{
    Appended, AuditError, AuditLog, GROWN_SHARDS, StoredCheckpoint, TreeHead, WITNESS_SHARDS, grow,
    grown_shard,
};
use crate::config::{self, ConfigError};
use crate::domain::ids::{BookingId, VendorId};
use crate::events::EventId;
use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use group::Waiting;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::oneshot;

type Item = HashMap<String, AttributeValue>;

const HEAD: &str = "HEAD";

/// A vendor's log as this process writes it: the appends waiting for the next transaction,
/// whether a task is writing them (one at a time: concurrent transactions to one log would
/// only fail each other's condition), and the last head this process wrote or saw. An append
/// starts from that head without reading it first. Only a guess: the transaction's condition
/// on the size decides, and a wrong guess comes back with the head as stored.
#[derive(Default)]
struct Log {
    queue: VecDeque<Waiting>,
    leading: bool,
    guess: Option<tlog::CompactRange>,
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log")
            .field("waiting", &self.queue.len())
            .field("leading", &self.leading)
            .field("size", &self.guess.as_ref().map(tlog::CompactRange::size))
            .finish()
    }
}

type Slot = Arc<Mutex<Log>>;
type Heads = Arc<Mutex<HashMap<VendorId, Slot>>>;
/// More vendors than this and the guesses start over (each is at most 64 hashes).
const HEADS_KEPT: usize = 10_000;

#[derive(Debug, Clone)]
pub struct DynamoAudit {
    client: Client,
    table: String,
    heads: Heads,
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn b(bytes: impl Into<Vec<u8>>) -> AttributeValue {
    AttributeValue::B(Blob::new(bytes))
}

fn log_pk(vendor: VendorId) -> String {
    format!("LOG#{vendor}")
}

fn leaf_sk(index: u64) -> String {
    format!("L#{index:020}")
}

fn node_sk(id: tlog::NodeId) -> String {
    format!("N#{:02}#{:020}", id.level, id.index)
}

fn checkpoint_sk(size: u64) -> String {
    format!("C#{size:020}")
}

fn fact_pk(fact: EventId) -> String {
    format!("FACT#{fact}")
}

fn grown_pk(shard: u8) -> String {
    format!("GROWN#{shard:02}")
}

fn witness_pk(shard: u8) -> String {
    format!("WITNESS#{shard:02}")
}

fn key(pk: String, sk: String) -> Item {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

fn unexpected(err: impl Into<anyhow::Error>) -> AuditError {
    AuditError::Unexpected(err.into())
}

fn number(item: &Item, name: &str) -> anyhow::Result<u64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .with_context(|| format!("the audit item has no {name}"))?
        .parse()
        .with_context(|| format!("the audit item's {name}"))
}

fn bytes<'a>(item: &'a Item, name: &str) -> anyhow::Result<&'a [u8]> {
    item.get(name)
        .and_then(|v| v.as_b().ok())
        .map(Blob::as_ref)
        .with_context(|| format!("the audit item has no {name}"))
}

fn text<'a>(item: &'a Item, name: &str) -> anyhow::Result<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .with_context(|| format!("the audit item has no {name}"))
}

fn hash(item: &Item, name: &str) -> anyhow::Result<tlog::Hash> {
    tlog::Hash::from_slice(bytes(item, name)?).context("an audit hash")
}

fn range_of(head: &Item) -> anyhow::Result<tlog::CompactRange> {
    let size = number(head, "size")?;
    let hashes = bytes(head, "range")?
        .chunks(32)
        .map(tlog::Hash::from_slice)
        .collect::<Result<Vec<_>, _>>()
        .context("the compact range's hashes")?;
    tlog::CompactRange::from_parts(size, hashes).context("the stored compact range")
}

fn range_bytes(range: &tlog::CompactRange) -> Vec<u8> {
    range.hashes().iter().flat_map(|h| h.0).collect()
}

fn head_of(range: &tlog::CompactRange) -> TreeHead {
    TreeHead {
        size: range.size(),
        root: range.root(),
    }
}

/// Which items of a cancelled transaction failed their condition, and whether anything else
/// (a conflicting transaction, throttling) cancelled it.
struct Cancelled {
    conditions: Vec<bool>,
    /// The head as stored, when item 0 was the head and failed its condition.
    head: Option<Item>,
}

impl Cancelled {
    fn of(err: &TransactWriteItemsError) -> Option<Self> {
        match err {
            TransactWriteItemsError::TransactionCanceledException(cancelled) => Some(Self {
                conditions: cancelled
                    .cancellation_reasons()
                    .iter()
                    .map(|r| r.code() == Some("ConditionalCheckFailed"))
                    .collect(),
                head: cancelled
                    .cancellation_reasons()
                    .first()
                    .filter(|r| r.code() == Some("ConditionalCheckFailed"))
                    .and_then(|r| r.item())
                    .filter(|item| item.contains_key("range"))
                    .cloned(),
            }),
            _ => None,
        }
    }

    fn failed(&self, index: usize) -> bool {
        self.conditions.get(index).copied().unwrap_or(false)
    }
}

/// One group's transaction: its items, where each leaf's fact guard is among them, what each
/// append answers once it is written, and the tree after.
struct GroupItems {
    items: Vec<TransactWriteItem>,
    guards: Vec<usize>,
    answers: Vec<Appended>,
    range: tlog::CompactRange,
}

/// The task writing a vendor's log. Should it stop before the queue is empty (a panic), the log
/// is freed for the next append, and the appends it held hear that their answer is lost.
struct Leading {
    slot: Slot,
    done: bool,
}

impl Drop for Leading {
    fn drop(&mut self) {
        if !self.done {
            let mut log = DynamoAudit::lock(&self.slot);
            log.leading = false;
            log.queue.clear();
            log.guess = None;
        }
    }
}

impl AuditError {
    /// The same error for another append of the failed group.
    fn again(&self) -> Self {
        match self {
            Self::Contended => Self::Contended,
            Self::MissingNode { level, index } => Self::MissingNode {
                level: *level,
                index: *index,
            },
            Self::BeyondHead { size, head } => Self::BeyondHead {
                size: *size,
                head: *head,
            },
            Self::Unexpected(err) => Self::Unexpected(anyhow::anyhow!("{err:#}")),
        }
    }
}

impl DynamoAudit {
    pub fn new(client: Client, table: String) -> Self {
        Self {
            client,
            table,
            heads: Heads::default(),
        }
    }

    /// The same table through a store that shares no guessed heads with this one: what
    /// another process (another Lambda) is.
    pub fn clone_without_heads(&self) -> Self {
        Self::new(self.client.clone(), self.table.clone())
    }

    fn slot(&self, vendor: VendorId) -> Slot {
        let mut heads = self.heads.lock().unwrap_or_else(PoisonError::into_inner);
        if heads.len() >= HEADS_KEPT && !heads.contains_key(&vendor) {
            heads.clear();
        }
        heads.entry(vendor).or_default().clone()
    }

    fn lock(slot: &Slot) -> MutexGuard<'_, Log> {
        slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn from_env(sdk: &crate::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(
            Client::new(sdk),
            config::required("AUDIT_TABLE")?,
        ))
    }

    async fn get(&self, key: Item) -> anyhow::Result<Option<Item>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .context("GetItem audit")?;
        Ok(output.item)
    }

    async fn head_item(&self, vendor: VendorId) -> anyhow::Result<Option<Item>> {
        self.get(key(log_pk(vendor), HEAD.to_owned())).await
    }

    async fn batch_get(&self, keys: Vec<Item>) -> anyhow::Result<Vec<Item>> {
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(100) {
            let mut request = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.to_vec()))
                    .consistent_read(true)
                    .build()
                    .context("building a batch get")?,
            );
            let mut attempt = 0;
            while let Some(keys) = request.take() {
                if attempt > 0 {
                    crate::store::jittered_pause(attempt).await;
                }
                attempt += 1;
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, keys)
                    .send()
                    .await
                    .context("BatchGetItem audit")?;
                found.extend(
                    output
                        .responses
                        .unwrap_or_default()
                        .remove(&self.table)
                        .unwrap_or_default(),
                );
                request = output
                    .unprocessed_keys
                    .and_then(|mut rest| rest.remove(&self.table))
                    .filter(|rest| !rest.keys().is_empty());
            }
        }
        Ok(found)
    }

    /// Up to `limit` markers of the `shards` partitions `pk` names, with their vendor (`sk`).
    async fn markers(
        &self,
        pk: fn(u8) -> String,
        shards: u8,
        limit: usize,
        what: &str,
    ) -> Result<Vec<(VendorId, Item)>, AuditError> {
        let mut markers = Vec::new();
        for shard in 0..shards {
            let mut start = None;
            loop {
                if markers.len() >= limit {
                    return Ok(markers);
                }
                let page = i32::try_from(limit - markers.len()).unwrap_or(i32::MAX);
                let output = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .key_condition_expression("pk = :pk")
                    .expression_attribute_values(":pk", s(pk(shard)))
                    .consistent_read(true)
                    .limit(page)
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .with_context(|| format!("Query audit {what} markers"))?;
                for item in output.items.unwrap_or_default() {
                    let vendor = VendorId::parse(text(&item, "sk")?).map_err(|_| {
                        unexpected(anyhow::anyhow!("a {what} marker's vendor is not an id"))
                    })?;
                    markers.push((vendor, item));
                }
                start = output.last_evaluated_key;
                if start.is_none() {
                    break;
                }
            }
        }
        markers.truncate(limit);
        Ok(markers)
    }

    /// Deletes the vendor's marker in partition `pk` if its `size` is at most `size` (a marker
    /// written for something newer stays). Whether it went.
    async fn clear_marker(
        &self,
        pk: String,
        vendor: VendorId,
        size: u64,
    ) -> Result<bool, AuditError> {
        let cleared = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, vendor.to_string())))
            .condition_expression("#size <= :size")
            .expression_attribute_names("#size", "size")
            .expression_attribute_values(":size", n(size))
            .send()
            .await;
        match cleared {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(e))
                if matches!(
                    e.err(),
                    aws_sdk_dynamodb::operation::delete_item::DeleteItemError::ConditionalCheckFailedException(_)
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(unexpected(
                anyhow::Error::new(e).context("DeleteItem audit marker"),
            )),
        }
    }

    fn put(&self, item: Item) -> anyhow::Result<TransactWriteItem> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .context("building an audit put")?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// The transaction that appends the group's leaves, in order, to a tree that is `range`
    /// now. Order matters: the head is item 0 (see `commit`), each leaf's fact guard follows
    /// its leaf, and `guards` says where each one is.
    fn group_items(
        &self,
        vendor: VendorId,
        group: &[Waiting],
        range: &tlog::CompactRange,
    ) -> Result<GroupItems, AuditError> {
        let first = range.size();
        let pk = log_pk(vendor);
        let with = |mut item: Item, extra: Vec<(&str, AttributeValue)>| {
            item.extend(extra.into_iter().map(|(k, v)| (k.to_owned(), v)));
            item
        };
        let mut range = range.clone();
        let mut items = Vec::new();
        let mut guards = Vec::with_capacity(group.len());
        let mut answers = Vec::with_capacity(group.len());
        for waiting in group {
            let index = range.size();
            let growth = grow(&range, &waiting.leaf)?;
            let mut created = growth.created.into_iter();
            let (_, leaf_hash) = created
                .next()
                .ok_or_else(|| unexpected(anyhow::anyhow!("an append created no leaf node")))?;
            items.push(self.put(with(
                key(pk.clone(), leaf_sk(index)),
                vec![
                    ("leaf", b(waiting.leaf.as_slice())),
                    ("hash", b(leaf_hash.0)),
                    ("booking", s(waiting.booking.to_string())),
                    ("fact", s(waiting.fact.to_string())),
                ],
            ))?);
            // The head goes in front of all of these.
            guards.push(items.len() + 1);
            items.push(self.put(with(
                key(fact_pk(waiting.fact), "FACT".to_owned()),
                vec![("vendor", s(vendor.to_string())), ("index", n(index))],
            ))?);
            items.push(self.put(with(
                key(
                    format!("BOOKING#{}", waiting.booking),
                    format!("L#{vendor}#{index:020}"),
                ),
                vec![("vendor", s(vendor.to_string())), ("index", n(index))],
            ))?);
            for (id, node) in created {
                items.push(self.put(with(
                    key(pk.clone(), node_sk(id)),
                    vec![("hash", b(node.0))],
                ))?);
            }
            range = growth.range;
            answers.push(Appended {
                index,
                head: head_of(&range),
            });
        }
        let next = head_of(&range);
        let head = Update::builder()
            .table_name(&self.table)
            .key("pk", s(&pk))
            .key("sk", s(HEAD))
            .update_expression("SET #size = :next, #range = :range")
            .condition_expression(if first == 0 {
                "attribute_not_exists(#size)"
            } else {
                "#size = :expected"
            })
            .expression_attribute_names("#size", "size")
            .expression_attribute_names("#range", "range")
            .expression_attribute_values(":next", n(next.size))
            .expression_attribute_values(":range", b(range_bytes(&range)))
            .return_values_on_condition_check_failure(
                aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
            );
        let head = if first == 0 {
            head
        } else {
            head.expression_attribute_values(":expected", n(first))
        };
        items.insert(
            0,
            TransactWriteItem::builder()
                .update(head.build().context("building the audit head")?)
                .build(),
        );
        // The marker is overwritten by every append: it holds the latest head.
        items.push(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(with(
                            key(grown_pk(grown_shard(vendor)), vendor.to_string()),
                            vec![("size", n(next.size)), ("root", b(next.root.0))],
                        )))
                        .build()
                        .context("building the grown marker")?,
                )
                .build(),
        );
        Ok(GroupItems {
            items,
            guards,
            answers,
            range,
        })
    }

    /// Writes the front of the group that fits one transaction and answers each append of it,
    /// written or found already logged; the rest stays in `group`. The head this process now
    /// knows, if any.
    async fn commit(
        &self,
        vendor: VendorId,
        group: &mut Vec<Waiting>,
        mut known: Option<tlog::CompactRange>,
    ) -> Result<Option<tlog::CompactRange>, AuditError> {
        for attempt in 1..=super::APPEND_ATTEMPTS {
            // The head this process saw last, else read; a wrong one fails the condition and
            // comes back with the head as stored, so a lone writer never reads before it appends.
            let range = match known.take() {
                Some(range) => range,
                None => match self.head_item(vendor).await? {
                    Some(item) => range_of(&item)?,
                    None => tlog::CompactRange::empty(),
                },
            };
            let fit = group::fitting(range.size(), group.len());
            let written = self.group_items(vendor, &group[..fit], &range)?;
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(written.items))
                .send()
                .await;
            let err = match result {
                Ok(_) => {
                    for (waiting, answer) in group.drain(..fit).zip(written.answers) {
                        // A caller that stopped waiting has its leaf logged all the same.
                        let _ = waiting.reply.send(Ok(answer));
                    }
                    return Ok(Some(written.range));
                }
                Err(err) => err.into_service_error(),
            };
            match Cancelled::of(&err) {
                // The guards first: a repeated fact is answered its index whatever else
                // happened meanwhile, and the others go again at once without it.
                Some(cancelled) if written.guards.iter().any(|&at| cancelled.failed(at)) => {
                    for (i, &at) in written.guards.iter().enumerate().rev() {
                        if cancelled.failed(at) {
                            let waiting = group.remove(i);
                            let _ = waiting.reply.send(self.existing(waiting.fact).await);
                        }
                    }
                    known = if cancelled.failed(0) {
                        cancelled.head.as_ref().map(range_of).transpose()?
                    } else {
                        Some(range)
                    };
                    if group.is_empty() {
                        return Ok(known);
                    }
                    continue;
                }
                // The head moved: try at once from the head the refusal returned, pausing only
                // when that keeps failing (other writers keep winning).
                Some(cancelled) if cancelled.failed(0) => {
                    known = cancelled.head.as_ref().map(range_of).transpose()?;
                    if known.is_some() && attempt < 3 {
                        continue;
                    }
                }
                // A conflicting transaction, throttling: read the head again after a pause.
                Some(_) => {}
                None if matches!(
                    err,
                    TransactWriteItemsError::TransactionInProgressException(_)
                ) => {}
                None => {
                    return Err(unexpected(
                        anyhow::Error::new(err).context("TransactWriteItems audit append"),
                    ));
                }
            }
            crate::store::jittered_pause(attempt).await;
        }
        Err(AuditError::Contended)
    }

    /// Writes the vendor's waiting appends, a group per transaction, until none is left.
    async fn lead(self, vendor: VendorId, slot: Slot) {
        let mut leading = Leading {
            slot: slot.clone(),
            done: false,
        };
        loop {
            let (mut group, known) = {
                let mut log = Self::lock(&slot);
                let group = group::take_group(&mut log.queue, |waiting| waiting.fact);
                if group.is_empty() {
                    log.leading = false;
                    leading.done = true;
                    return;
                }
                let known = log.guess.take();
                (group, known)
            };
            let guess = match self.commit(vendor, &mut group, known).await {
                Ok(guess) => guess,
                Err(err) => {
                    for waiting in group.drain(..) {
                        let _ = waiting.reply.send(Err(err.again()));
                    }
                    None
                }
            };
            let mut log = Self::lock(&slot);
            log.guess = guess;
            // What did not fit one transaction goes first in the next.
            for waiting in group.into_iter().rev() {
                log.queue.push_front(waiting);
            }
        }
    }

    /// The fact's existing place: its guard, and the head of the log it is in.
    async fn existing(&self, fact: EventId) -> Result<Appended, AuditError> {
        let guard = self
            .get(key(fact_pk(fact), "FACT".to_owned()))
            .await?
            .context("a fact guard that failed its condition is gone")?;
        let vendor = VendorId::parse(text(&guard, "vendor")?)
            .map_err(|_| unexpected(anyhow::anyhow!("a fact guard's vendor is not an id")))?;
        let index = number(&guard, "index")?;
        let head = self
            .head(vendor)
            .await?
            .context("a fact guard names a log without a head")?;
        Ok(Appended { index, head })
    }
}

impl AuditLog for DynamoAudit {
    async fn append(
        &self,
        vendor: VendorId,
        booking: BookingId,
        fact: EventId,
        leaf: &[u8],
    ) -> Result<Appended, AuditError> {
        let (reply, answer) = oneshot::channel();
        let slot = self.slot(vendor);
        let lead = {
            let mut log = Self::lock(&slot);
            log.queue.push_back(Waiting {
                booking,
                fact,
                leaf: leaf.to_vec(),
                reply,
            });
            !std::mem::replace(&mut log.leading, true)
        };
        if lead {
            // A task of its own: the transaction, and the answers to every append it carries,
            // finish even if this caller stops waiting.
            tokio::spawn(self.clone().lead(vendor, slot));
        }
        answer.await.unwrap_or_else(|_| {
            Err(unexpected(anyhow::anyhow!(
                "the audit append's group stopped before answering"
            )))
        })
    }

    async fn head(&self, vendor: VendorId) -> Result<Option<TreeHead>, AuditError> {
        let Some(item) = self.head_item(vendor).await? else {
            return Ok(None);
        };
        Ok(Some(head_of(&range_of(&item)?)))
    }

    async fn nodes(
        &self,
        vendor: VendorId,
        ids: &[tlog::NodeId],
    ) -> Result<Vec<tlog::Hash>, AuditError> {
        let pk = log_pk(vendor);
        let sk = |id: &tlog::NodeId| {
            if id.level == 0 {
                leaf_sk(id.index)
            } else {
                node_sk(*id)
            }
        };
        let mut keys: Vec<Item> = ids.iter().map(|id| key(pk.clone(), sk(id))).collect();
        keys.sort_by(|a, b| {
            a.get("sk")
                .and_then(|v| v.as_s().ok())
                .cmp(&b.get("sk").and_then(|v| v.as_s().ok()))
        });
        keys.dedup();
        let mut found = HashMap::new();
        for item in self.batch_get(keys).await? {
            found.insert(text(&item, "sk")?.to_owned(), hash(&item, "hash")?);
        }
        ids.iter()
            .map(|id| {
                found.get(&sk(id)).copied().ok_or(AuditError::MissingNode {
                    level: id.level,
                    index: id.index,
                })
            })
            .collect()
    }

    async fn leaf(&self, vendor: VendorId, index: u64) -> Result<Option<Vec<u8>>, AuditError> {
        let Some(item) = self.get(key(log_pk(vendor), leaf_sk(index))).await? else {
            return Ok(None);
        };
        Ok(Some(bytes(&item, "leaf")?.to_vec()))
    }

    async fn booking_leaves(&self, booking: BookingId) -> Result<Vec<(VendorId, u64)>, AuditError> {
        let mut leaves = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(format!("BOOKING#{booking}")))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .context("Query audit booking index")?;
            for item in output.items.unwrap_or_default() {
                let vendor = VendorId::parse(text(&item, "vendor")?).map_err(|_| {
                    unexpected(anyhow::anyhow!(
                        "a booking index entry's vendor is not an id"
                    ))
                })?;
                leaves.push((vendor, number(&item, "index")?));
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        leaves.sort_by_key(|&(_, index)| index);
        Ok(leaves)
    }

    async fn commitment_secret(
        &self,
        booking: BookingId,
    ) -> Result<tlog::CommitmentSecret, AuditError> {
        let item_key = key(format!("SECRET#{booking}"), "SECRET".to_owned());
        let read = |item: &Item| -> Result<tlog::CommitmentSecret, AuditError> {
            let raw: [u8; 32] = bytes(item, "secret")?
                .try_into()
                .map_err(|_| unexpected(anyhow::anyhow!("a commitment secret is not 32 bytes")))?;
            Ok(tlog::CommitmentSecret::from_bytes(raw))
        };
        if let Some(item) = self.get(item_key.clone()).await? {
            return read(&item);
        }
        let fresh: [u8; 32] = rand::random();
        let mut item = item_key.clone();
        item.insert("secret".to_owned(), b(fresh));
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match put {
            Ok(_) => Ok(tlog::CommitmentSecret::from_bytes(fresh)),
            // Another writer created it first: theirs is the booking's secret.
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), PutItemError::ConditionalCheckFailedException(_)) =>
            {
                let item = self
                    .get(item_key)
                    .await?
                    .context("a commitment secret that exists cannot be read")?;
                read(&item)
            }
            Err(e) => Err(unexpected(
                anyhow::Error::new(e).context("PutItem commitment secret"),
            )),
        }
    }

    async fn grown(&self, limit: usize) -> Result<Vec<(VendorId, TreeHead)>, AuditError> {
        let markers = self.markers(grown_pk, GROWN_SHARDS, limit, "grown").await?;
        markers
            .iter()
            .map(|(vendor, item)| {
                Ok((
                    *vendor,
                    TreeHead {
                        size: number(item, "size")?,
                        root: hash(item, "root")?,
                    },
                ))
            })
            .collect()
    }

    async fn unwitnessed(&self, limit: usize) -> Result<Vec<(VendorId, u64)>, AuditError> {
        let markers = self
            .markers(witness_pk, WITNESS_SHARDS, limit, "witness")
            .await?;
        markers
            .iter()
            .map(|(vendor, item)| Ok((*vendor, number(item, "size")?)))
            .collect()
    }

    async fn witnessed(&self, vendor: VendorId, size: u64) -> Result<(), AuditError> {
        self.clear_marker(witness_pk(grown_shard(vendor)), vendor, size)
            .await
            .map(|_| ())
    }

    async fn store_checkpoint(
        &self,
        vendor: VendorId,
        size: u64,
        note: &str,
        signed_at: DateTime<Utc>,
    ) -> Result<bool, AuditError> {
        let pk = log_pk(vendor);
        let signed = s(signed_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        let head = Update::builder()
            .table_name(&self.table)
            .key("pk", s(&pk))
            .key("sk", s(HEAD))
            .update_expression("SET cp_size = :size, cp_note = :note, cp_signed_at = :at")
            .condition_expression(
                "#size >= :size AND (attribute_not_exists(cp_size) OR cp_size < :size)",
            )
            .expression_attribute_names("#size", "size")
            .expression_attribute_values(":size", n(size))
            .expression_attribute_values(":note", s(note))
            .expression_attribute_values(":at", signed.clone())
            .build()
            .context("building the checkpoint's head update")?;
        let mut item = key(pk, checkpoint_sk(size));
        item.insert("note".to_owned(), s(note));
        item.insert("signed_at".to_owned(), signed);
        // Unconditional: a stored checkpoint is always the latest, so its size replaces any.
        let mut marker = key(witness_pk(grown_shard(vendor)), vendor.to_string());
        marker.insert("size".to_owned(), n(size));
        let marker = Put::builder()
            .table_name(&self.table)
            .set_item(Some(marker))
            .build()
            .context("building the witness marker")?;
        let items = vec![
            TransactWriteItem::builder().update(head).build(),
            self.put(item)?,
            TransactWriteItem::builder().put(marker).build(),
        ];
        let mut stored = false;
        for attempt in 1..=super::APPEND_ATTEMPTS {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let err = match result {
                Ok(_) => {
                    stored = true;
                    break;
                }
                Err(err) => err.into_service_error(),
            };
            match Cancelled::of(&err) {
                Some(cancelled) if cancelled.failed(0) || cancelled.failed(1) => break,
                Some(_) => crate::store::jittered_pause(attempt).await,
                None => {
                    return Err(unexpected(
                        anyhow::Error::new(err).context("TransactWriteItems audit checkpoint"),
                    ));
                }
            }
        }
        let Some(head) = self.head_item(vendor).await? else {
            return Err(AuditError::BeyondHead { size, head: 0 });
        };
        let tree = number(&head, "size")?;
        if size > tree {
            return Err(AuditError::BeyondHead { size, head: tree });
        }
        let latest = if head.contains_key("cp_size") {
            number(&head, "cp_size")?
        } else {
            0
        };
        if !stored && latest < size {
            // Neither refused nor stored: the transaction kept conflicting.
            return Err(AuditError::Contended);
        }
        // Also after a refusal: a signer that stored a checkpoint but died before this delete
        // clears the marker next time. The marker holds the size of the last append, so it goes
        // only if no append came after the latest checkpoint.
        self.clear_marker(grown_pk(grown_shard(vendor)), vendor, latest)
            .await?;
        Ok(stored)
    }

    async fn checkpoint(
        &self,
        vendor: VendorId,
        size: Option<u64>,
    ) -> Result<Option<StoredCheckpoint>, AuditError> {
        let (item, size_attr, note_attr, at_attr) = match size {
            Some(size) => (
                self.get(key(log_pk(vendor), checkpoint_sk(size))).await?,
                None,
                "note",
                "signed_at",
            ),
            None => (
                self.head_item(vendor).await?,
                Some("cp_size"),
                "cp_note",
                "cp_signed_at",
            ),
        };
        let Some(item) = item else {
            return Ok(None);
        };
        let size = match (size, size_attr) {
            (Some(size), _) => size,
            (None, Some(attr)) if item.contains_key(attr) => number(&item, attr)?,
            _ => return Ok(None),
        };
        let signed_at = DateTime::parse_from_rfc3339(text(&item, at_attr)?)
            .context("a checkpoint's signing time")?
            .with_timezone(&Utc);
        Ok(Some(StoredCheckpoint {
            size,
            note: text(&item, note_attr)?.to_owned(),
            signed_at,
        }))
    }
}
