//! Appending: each append waits in its vendor's queue, and one task per vendor writes the
//! queue a group per transaction (group commit). Each leaf is put only if its index is free,
//! so two writers never fork the log: the first leaf of a group is the tree-size condition.
use super::group::{self, Waiting};
use super::{
    DynamoAudit, Item, MARKER_WINDOW_SECONDS, Slot, b, grown_pk, guard_key, head_of, key, leaf_sk,
    log_pk, n, node_attribute, number, range_bytes, s, text, unexpected,
};
use crate::audit::{Appended, AuditError, AuditLog, grow, grown_shard};
use crate::domain::ids::{BookingId, VendorId};
use crate::events::EventId;
use anyhow::Context;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use tokio::sync::oneshot;

/// Which items of a cancelled transaction failed their condition, and whether anything else
/// (a conflicting transaction, throttling) cancelled it.
pub(super) struct Cancelled {
    conditions: Vec<bool>,
}

impl Cancelled {
    pub(super) fn of(err: &TransactWriteItemsError) -> Option<Self> {
        match err {
            TransactWriteItemsError::TransactionCanceledException(cancelled) => Some(Self {
                conditions: cancelled
                    .cancellation_reasons()
                    .iter()
                    .map(|r| r.code() == Some("ConditionalCheckFailed"))
                    .collect(),
            }),
            _ => None,
        }
    }

    pub(super) fn failed(&self, index: usize) -> bool {
        self.conditions.get(index).copied().unwrap_or(false)
    }
}

/// One group's transaction: its items, where each leaf and its fact guard are among them, what
/// each append answers once it is written, and the tree after.
struct GroupItems {
    items: Vec<TransactWriteItem>,
    leaves: Vec<usize>,
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
            log.marker_until = None;
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
    pub(super) async fn enqueue(
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

    /// The transaction that appends the group's leaves, in order, to a tree that is `range`
    /// now: each leaf (carrying the perfect nodes it completes) put if its index is free, then
    /// its fact guard put if the fact is new. The group's last leaf also carries the tree's
    /// size and compact range after it: the latest leaf is the head. With `marker`, the
    /// vendor's grown marker is put too, valid until then (epoch seconds).
    fn group_items(
        &self,
        vendor: VendorId,
        group: &[Waiting],
        range: &tlog::CompactRange,
        marker: Option<i64>,
    ) -> Result<GroupItems, AuditError> {
        let pk = log_pk(vendor);
        let with = |mut item: Item, extra: Vec<(&str, AttributeValue)>| {
            item.extend(extra.into_iter().map(|(k, v)| (k.to_owned(), v)));
            item
        };
        let mut range = range.clone();
        let mut leaf_items = Vec::with_capacity(group.len());
        let mut guard_items = Vec::with_capacity(group.len());
        let mut answers = Vec::with_capacity(group.len());
        for waiting in group {
            let index = range.size();
            let growth = grow(&range, &waiting.leaf)?;
            let mut created = growth.created.into_iter();
            let (_, leaf_hash) = created
                .next()
                .ok_or_else(|| unexpected(anyhow::anyhow!("an append created no leaf node")))?;
            // The perfect nodes this leaf completes live on its own item: node (level, k) on
            // the leaf (k + 1)·2^level − 1 (see `node_place`).
            let mut leaf_item = with(
                key(pk.clone(), leaf_sk(index)),
                vec![
                    ("leaf", b(waiting.leaf.as_slice())),
                    ("hash", b(leaf_hash.0)),
                    ("booking", s(waiting.booking.to_string())),
                    ("fact", s(waiting.fact.to_string())),
                ],
            );
            for (id, node) in created {
                leaf_item.insert(node_attribute(id.level), b(node.0));
            }
            leaf_items.push(leaf_item);
            // The fact guard is also the booking's index of its leaves.
            guard_items.push(with(
                guard_key(waiting.booking, waiting.fact),
                vec![("vendor", s(vendor.to_string())), ("index", n(index))],
            ));
            range = growth.range;
            answers.push(Appended {
                index,
                head: head_of(&range),
            });
        }
        if let Some(last) = leaf_items.last_mut() {
            last.insert("size".to_owned(), n(range.size()));
            last.insert("range".to_owned(), b(range_bytes(&range)));
        }
        let mut items = Vec::with_capacity(2 * group.len() + 1);
        let mut leaves = Vec::with_capacity(group.len());
        let mut guards = Vec::with_capacity(group.len());
        for (leaf, guard) in leaf_items.into_iter().zip(guard_items) {
            leaves.push(items.len());
            items.push(self.put(leaf)?);
            guards.push(items.len());
            items.push(self.put(guard)?);
        }
        if let Some(until) = marker {
            items.push(
                TransactWriteItem::builder()
                    .put(
                        Put::builder()
                            .table_name(&self.table)
                            .set_item(Some(with(
                                key(grown_pk(grown_shard(vendor)), vendor.to_string()),
                                vec![("until", n(until))],
                            )))
                            .build()
                            .context("building the grown marker")?,
                    )
                    .build(),
            );
        }
        Ok(GroupItems {
            items,
            leaves,
            guards,
            answers,
            range,
        })
    }

    /// Writes the group in one transaction and answers each append of it, written or found
    /// already logged (those leave `group` as they are answered). The head this process now
    /// knows, if any, and whether `marker` was written.
    async fn commit(
        &self,
        vendor: VendorId,
        group: &mut Vec<Waiting>,
        mut known: Option<tlog::CompactRange>,
        marker: Option<i64>,
    ) -> Result<(Option<tlog::CompactRange>, bool), AuditError> {
        for attempt in 1..=crate::audit::APPEND_ATTEMPTS {
            // The head this process saw last, else read: a lone writer never reads before it
            // appends, and a wrong guess only fails the first leaf's condition.
            let range = match known.take() {
                Some(range) => range,
                None => self
                    .latest_range(vendor)
                    .await?
                    .unwrap_or_else(tlog::CompactRange::empty),
            };
            let written = self.group_items(vendor, group, &range, marker)?;
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(written.items))
                .send()
                .await;
            let err = match result {
                Ok(_) => {
                    for (waiting, answer) in group.drain(..).zip(written.answers) {
                        // A caller that stopped waiting has its leaf logged all the same.
                        let _ = waiting.reply.send(Ok(answer));
                    }
                    return Ok((Some(written.range), marker.is_some()));
                }
                Err(err) => err.into_service_error(),
            };
            let Some(cancelled) = Cancelled::of(&err) else {
                if matches!(
                    err,
                    TransactWriteItemsError::TransactionInProgressException(_)
                ) {
                    crate::store::jittered_pause(attempt).await;
                    continue;
                }
                return Err(unexpected(
                    anyhow::Error::new(err).context("TransactWriteItems audit append"),
                ));
            };
            let moved = written.leaves.iter().any(|&at| cancelled.failed(at));
            // The guards first: a repeated fact is answered its index whatever else happened
            // meanwhile, and the others go again at once without it.
            if written.guards.iter().any(|&at| cancelled.failed(at)) {
                for (i, &at) in written.guards.iter().enumerate().rev() {
                    if cancelled.failed(at) {
                        let waiting = group.remove(i);
                        let _ = waiting
                            .reply
                            .send(self.existing(waiting.booking, waiting.fact).await);
                    }
                }
                if group.is_empty() {
                    return Ok(((!moved).then_some(range), false));
                }
                known = (!moved).then_some(range);
                continue;
            }
            // Another writer took the index: read the head and try again at once, pausing only
            // when that keeps failing (other writers keep winning). Anything else (a
            // conflicting transaction, throttling): read it again after a pause.
            if !moved || attempt >= 3 {
                crate::store::jittered_pause(attempt).await;
            }
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
            let now = chrono::Utc::now().timestamp();
            let (mut group, known, marker) = {
                let mut log = Self::lock(&slot);
                let group = group::take_group(&mut log.queue, |waiting| waiting.fact);
                if group.is_empty() {
                    log.leading = false;
                    leading.done = true;
                    return;
                }
                let known = log.guess.take();
                // The grown marker is put again once half its window has gone (see
                // `MARKER_WINDOW_SECONDS`), so an append is never long without one.
                let marker = match log.marker_until {
                    Some(until) if until - now > MARKER_WINDOW_SECONDS / 2 => None,
                    _ => Some(now + MARKER_WINDOW_SECONDS),
                };
                (group, known, marker)
            };
            let guess = match self.commit(vendor, &mut group, known, marker).await {
                Ok((guess, marked)) => {
                    if marked {
                        Self::lock(&slot).marker_until = marker;
                    }
                    guess
                }
                Err(err) => {
                    for waiting in group.drain(..) {
                        let _ = waiting.reply.send(Err(err.again()));
                    }
                    None
                }
            };
            Self::lock(&slot).guess = guess;
        }
    }

    /// The fact's existing place: its guard, and the head of the log it is in.
    async fn existing(&self, booking: BookingId, fact: EventId) -> Result<Appended, AuditError> {
        let guard = self
            .get(guard_key(booking, fact))
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
