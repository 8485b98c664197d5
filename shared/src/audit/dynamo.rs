//! The audit logs in the `audit` table (no TTL, no stream: a transparency log is never deleted).
//! - `LOG#<vendor>` / `L#<20 digits>`: a leaf (`leaf` bytes, its `hash`, which is also the
//!   level-0 node, `booking`, `fact`) and the perfect nodes its append completed (`n01`, `n02`,
//!   ...: node (level, k) is on leaf (k + 1)·2^level − 1, one node per leaf on average). The
//!   last leaf each transaction wrote also holds the tree after it: `size` and `range` (the
//!   compact range's hashes, largest subtree first, concatenated). The latest leaf is the head;
//! - `LOG#<vendor>` / `HEAD`: the latest checkpoint (`cp_size`, `cp_note`, `cp_signed_at`);
//! - `LOG#<vendor>` / `C#<20 digits>`: a signed checkpoint (`note`, `signed_at`);
//! - `BOOKING#<booking>` / `F#<event id>`: a fact's guard (it enters the log once), with its
//!   `vendor` and `index`; the booking's guards list its leaves;
//! - `SECRET#<booking>` / `SECRET`: the booking's commitment `secret`;
//! - `GROWN#<shard>` / `<vendor>`: the vendor's log was appended to recently: the signer looks
//!   at it until `until` (epoch seconds), then removes it if no append renewed it;
//! - `WITNESS#<shard>` / `<vendor>`: the vendor has a checkpoint the witness has not checked
//!   (`size`: the latest stored), written with the checkpoint, cleared by the witness.
//!
//! An append is one TransactWriteItems of 2 items: the leaf (with its nodes), put only if its
//! index is free, which is the tree-size condition, and the fact guard. The grown marker joins
//! it about once a minute per writing process. Appends of one process to one log that arrive
//! while its transaction is in flight go together in the next (see `group`).
mod append;
mod checkpoints;
mod group;

use super::{
    Appended, AuditError, AuditLog, GROWN_SHARDS, StoredCheckpoint, TreeHead, WITNESS_SHARDS,
    grown_shard,
};
use crate::config::{self, ConfigError};
use crate::domain::ids::{BookingId, VendorId};
use crate::events::EventId;
use crate::store::attr::{self, Item, b, n, s};
use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{KeysAndAttributes, Put, TransactWriteItem};
use chrono::{DateTime, Utc};
use group::Waiting;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

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
    /// Until when the grown marker this process last wrote is valid (epoch seconds).
    marker_until: Option<i64>,
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
/// How long a grown marker keeps the signer looking at a log. A writer puts it again once
/// half of it has gone, so every append happens while a marker has at least half a window
/// left; the signer removes only an expired marker, after reading the head, which therefore
/// holds every append made under it. Real time, not business time: it paces processes.
const MARKER_WINDOW_SECONDS: i64 = 120;

#[derive(Debug, Clone)]
pub struct DynamoAudit {
    client: Client,
    table: String,
    heads: Heads,
}

fn log_pk(vendor: VendorId) -> String {
    format!("LOG#{vendor}")
}

fn leaf_sk(index: u64) -> String {
    format!("L#{index:020}")
}

/// Where a perfect node is stored: the index of the leaf whose append completed it, and the
/// attribute of that leaf's item holding it (`hash` for the leaf itself).
fn node_place(id: tlog::NodeId) -> Option<(u64, String)> {
    let last = id
        .index
        .checked_add(1)?
        .checked_mul(1u64.checked_shl(u32::from(id.level))?)?
        .checked_sub(1)?;
    let attribute = if id.level == 0 {
        "hash".to_owned()
    } else {
        node_attribute(id.level)
    };
    Some((last, attribute))
}

fn node_attribute(level: u8) -> String {
    format!("n{level:02}")
}

/// A fact's guard, under its booking: a fact enters the log once, and the booking's guards
/// list its leaves.
fn guard_key(booking: BookingId, fact: EventId) -> Item {
    key(booking_pk(booking), format!("F#{fact}"))
}

fn booking_pk(booking: BookingId) -> String {
    format!("BOOKING#{booking}")
}

fn checkpoint_sk(size: u64) -> String {
    format!("C#{size:020}")
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

/// What a missing or unreadable attribute names as its item.
const WHAT: &str = "the audit item";

fn number(item: &Item, name: &str) -> anyhow::Result<u64> {
    attr::number(item, WHAT, name)
}

fn bytes<'a>(item: &'a Item, name: &str) -> anyhow::Result<&'a [u8]> {
    attr::bytes(item, WHAT, name)
}

fn text<'a>(item: &'a Item, name: &str) -> anyhow::Result<&'a str> {
    attr::text(item, WHAT, name)
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

    /// The log's latest leaf, which holds the tree's size and compact range.
    async fn latest_leaf(&self, vendor: VendorId) -> anyhow::Result<Option<Item>> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :leaf)")
            .expression_attribute_values(":pk", s(log_pk(vendor)))
            .expression_attribute_values(":leaf", s("L#"))
            .scan_index_forward(false)
            .limit(1)
            .consistent_read(true)
            .send()
            .await
            .context("Query audit latest leaf")?;
        Ok(output.items.unwrap_or_default().into_iter().next())
    }

    /// The tree as of its latest leaf. A latest leaf without the tree (another leaf of its
    /// transaction was removed) is a damaged log, unless the log is of the older layout.
    async fn latest_range(
        &self,
        vendor: VendorId,
    ) -> Result<Option<tlog::CompactRange>, AuditError> {
        let Some(item) = self.latest_leaf(vendor).await? else {
            return Ok(None);
        };
        if item.contains_key("range") {
            return Ok(Some(range_of(&item)?));
        }
        let index: u64 = text(&item, "sk")?
            .strip_prefix("L#")
            .and_then(|digits| digits.parse().ok())
            .context("a leaf's sort key")?;
        // A log written before the head moved into its leaves keeps it in its HEAD item until
        // its next append.
        if let Some(head) = self.head_item(vendor).await?
            && head.contains_key("range")
            && attr::optional_number::<u64>(&head, WHAT, "size")? == Some(index + 1)
        {
            return Ok(Some(range_of(&head)?));
        }
        Err(AuditError::MissingNode { level: 0, index })
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

    fn put(&self, item: Item) -> anyhow::Result<TransactWriteItem> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .context("building an audit put")?;
        Ok(TransactWriteItem::builder().put(put).build())
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
        self.enqueue(vendor, booking, fact, leaf).await
    }

    async fn head(&self, vendor: VendorId) -> Result<Option<TreeHead>, AuditError> {
        Ok(self.latest_range(vendor).await?.as_ref().map(head_of))
    }

    async fn nodes(
        &self,
        vendor: VendorId,
        ids: &[tlog::NodeId],
    ) -> Result<Vec<tlog::Hash>, AuditError> {
        let pk = log_pk(vendor);
        let missing = |id: &tlog::NodeId| AuditError::MissingNode {
            level: id.level,
            index: id.index,
        };
        let places = ids
            .iter()
            .map(|id| node_place(*id).ok_or_else(|| missing(id)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut leaves: Vec<u64> = places.iter().map(|(leaf, _)| *leaf).collect();
        leaves.sort_unstable();
        leaves.dedup();
        let keys = leaves
            .iter()
            .map(|&leaf| key(pk.clone(), leaf_sk(leaf)))
            .collect();
        let mut found = HashMap::new();
        for item in self.batch_get(keys).await? {
            found.insert(text(&item, "sk")?.to_owned(), item);
        }
        ids.iter()
            .zip(places)
            .map(|(id, (leaf, attribute))| {
                match found.get(&leaf_sk(leaf)).map(|item| item.get(&attribute)) {
                    Some(Some(_)) => Ok(hash(&found[&leaf_sk(leaf)], &attribute)?),
                    _ => Err(missing(id)),
                }
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
                .key_condition_expression("pk = :pk AND begins_with(sk, :guard)")
                .expression_attribute_values(":pk", s(booking_pk(booking)))
                .expression_attribute_values(":guard", s("F#"))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .context("Query audit booking guards")?;
            for item in output.items.unwrap_or_default() {
                let vendor = VendorId::parse(text(&item, "vendor")?).map_err(|_| {
                    unexpected(anyhow::anyhow!("a fact guard's vendor is not an id"))
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
        let now = chrono::Utc::now().timestamp();
        let mut grown = Vec::with_capacity(markers.len());
        for (vendor, marker) in markers {
            // A marker of the older layout has no `until`: expired.
            let until: u64 = attr::optional_number(&marker, WHAT, "until")?.unwrap_or(0);
            // One damaged log must not keep the others from being signed.
            let head = match self.head(vendor).await {
                Ok(Some(head)) => head,
                Ok(None) => continue,
                Err(err) => {
                    tracing::error!(vendor_id = %vendor, error = %err, "the audit log's head cannot be read; not signed");
                    continue;
                }
            };
            let signed = match self.checkpoint(vendor, None).await? {
                Some(latest) => latest.size,
                None => 0,
            };
            if head.size > signed {
                grown.push((vendor, head));
            } else if i64::try_from(until).is_ok_and(|until| until < now) {
                // Expired and signed: every append made under it is in the head just read.
                self.clear_marker(grown_pk(grown_shard(vendor)), vendor, "until", until)
                    .await?;
            }
        }
        Ok(grown)
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
        self.clear_marker(witness_pk(grown_shard(vendor)), vendor, "size", size)
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
        self.store(vendor, size, note, signed_at).await
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
