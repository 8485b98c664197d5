//! Appending: each append waits in its vendor's queue, and one task per vendor writes the
//! queue a group per transaction (group commit), conditioned on the tree size so two writers
//! never fork the log.
use super::group::{self, Waiting};
use super::{
    DynamoAudit, HEAD, Item, Slot, b, grown_pk, guard_key, head_of, key, leaf_sk, log_pk, n,
    node_attribute, number, range_bytes, range_of, s, text, unexpected,
};
use crate::audit::{Appended, AuditError, AuditLog, grow, grown_shard};
use crate::domain::ids::{BookingId, VendorId};
use crate::events::EventId;
use anyhow::Context;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use tokio::sync::oneshot;

/// Which items of a cancelled transaction failed their condition, and whether anything else
/// (a conflicting transaction, throttling) cancelled it.
pub(super) struct Cancelled {
    conditions: Vec<bool>,
    /// The head as stored, when item 0 was the head and failed its condition.
    head: Option<Item>,
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

    pub(super) fn failed(&self, index: usize) -> bool {
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
            items.push(self.put(leaf_item)?);
            // The fact guard is also the booking's index of its leaves. The head goes in front
            // of all of these.
            guards.push(items.len() + 1);
            items.push(self.put(with(
                guard_key(waiting.booking, waiting.fact),
                vec![("vendor", s(vendor.to_string())), ("index", n(index))],
            ))?);
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

    /// Writes the group in one transaction and answers each append of it, written or found
    /// already logged (those leave `group` as they are answered). The head this process now
    /// knows, if any.
    async fn commit(
        &self,
        vendor: VendorId,
        group: &mut Vec<Waiting>,
        mut known: Option<tlog::CompactRange>,
    ) -> Result<Option<tlog::CompactRange>, AuditError> {
        for attempt in 1..=crate::audit::APPEND_ATTEMPTS {
            // The head this process saw last, else read; a wrong one fails the condition and
            // comes back with the head as stored, so a lone writer never reads before it appends.
            let range = match known.take() {
                Some(range) => range,
                None => match self.head_item(vendor).await? {
                    Some(item) => range_of(&item)?,
                    None => tlog::CompactRange::empty(),
                },
            };
            let written = self.group_items(vendor, group, &range)?;
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
                            let _ = waiting
                                .reply
                                .send(self.existing(waiting.booking, waiting.fact).await);
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
