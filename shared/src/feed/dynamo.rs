//! The logs in the inventory table (TTL on `expires_at`; its stream publishes only waitlist
//! entries), one partition per vendor:
//! - `FEED#<vendor>` / `POS#<20 digits>`: an entry (`entry`, its JSON), expiring with it;
//! - `FEED#<vendor>` / `POS#HEAD`: the last position taken (`position`), never expiring, so
//!   positions never start over;
//! - `FEED#<vendor>` / `FACT#<event id>`: the fact is in the log (a repeat is not appended).
//!
//! "HEAD" sorts after every 20-digit position, so one consistent Query from a position up to
//! the head reads the entries and, when it reaches the end, the last position too.
use super::{Appended, ChangeLog, FeedEntry, Position, Slice};
use crate::config::{self, ConfigError};
use crate::domain::ids::VendorId;
use crate::store::attr::{Item, n, number, optional_text, s};
use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use std::collections::HashMap;

const HEAD: &str = "POS#HEAD";
/// Attempts at a transaction DynamoDB cancelled for a reason that passes (another transaction
/// on the same items, throttling), not for one of our conditions.
const TRANSIENT_ATTEMPTS: u32 = 8;

#[derive(Debug, Clone)]
pub struct DynamoFeed {
    client: Client,
    table: String,
}

fn partition(vendor: VendorId) -> String {
    format!("FEED#{vendor}")
}

fn entry_key(position: Position) -> String {
    format!("POS#{}", position.cursor())
}

fn fact_key(entry: &FeedEntry) -> String {
    format!("FACT#{}", entry.change.event_id)
}

fn position_of(item: &Item) -> anyhow::Result<Position> {
    Ok(Position::new(number(item, "the feed head", "position")?))
}

impl DynamoFeed {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    pub fn from_env(sdk: &crate::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(
            Client::new(sdk),
            config::required("INVENTORY_TABLE")?,
        ))
    }

    fn items(
        &self,
        vendor: VendorId,
        expected: Position,
        entry: &FeedEntry,
    ) -> anyhow::Result<Vec<TransactWriteItem>> {
        let pk = partition(vendor);
        let expires_at = n(entry.expires_at().timestamp());
        let head = Update::builder()
            .table_name(&self.table)
            .key("pk", s(&pk))
            .key("sk", s(HEAD))
            .update_expression("SET #position = :next")
            .condition_expression(if expected == Position::START {
                "attribute_not_exists(#position)"
            } else {
                "#position = :expected"
            })
            .expression_attribute_names("#position", "position")
            .expression_attribute_values(":next", n(entry.position.get()));
        let head = if expected == Position::START {
            head
        } else {
            head.expression_attribute_values(":expected", n(expected.get()))
        };
        let put = |sk: String, extra: Vec<(&str, AttributeValue)>| -> anyhow::Result<_> {
            let mut item = HashMap::from([
                ("pk".to_owned(), s(&pk)),
                ("sk".to_owned(), s(sk)),
                ("expires_at".to_owned(), expires_at.clone()),
            ]);
            item.extend(extra.into_iter().map(|(k, v)| (k.to_owned(), v)));
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .context("building a feed put")?;
            Ok(TransactWriteItem::builder().put(put).build())
        };
        Ok(vec![
            TransactWriteItem::builder()
                .update(head.build().context("building the feed head")?)
                .build(),
            put(
                entry_key(entry.position),
                vec![("entry", s(serde_json::to_string(entry)?))],
            )?,
            put(fact_key(entry), vec![("position", n(entry.position.get()))])?,
        ])
    }
}

impl ChangeLog for DynamoFeed {
    async fn head(&self, vendor: VendorId) -> anyhow::Result<Position> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(partition(vendor)))
            .key("sk", s(HEAD))
            .consistent_read(true)
            .send()
            .await
            .context("GetItem feed head")?;
        output
            .item
            .as_ref()
            .map_or(Ok(Position::START), position_of)
    }

    async fn append(
        &self,
        vendor: VendorId,
        expected: Position,
        entry: &FeedEntry,
    ) -> anyhow::Result<Appended> {
        let items = self.items(vendor, expected, entry)?;
        let mut attempt = 0;
        loop {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(Appended::Appended),
                Err(err) => err.into_service_error(),
            };
            if let TransactWriteItemsError::TransactionCanceledException(cancelled) = &err {
                let failed = |index: usize| {
                    cancelled
                        .cancellation_reasons()
                        .get(index)
                        .and_then(|r| r.code())
                        == Some("ConditionalCheckFailed")
                };
                // The fact's marker first: a repeat is done whatever else happened meanwhile.
                if failed(2) {
                    return Ok(Appended::Duplicate);
                }
                if failed(0) || failed(1) {
                    return Ok(Appended::HeadMoved);
                }
            }
            let transient = matches!(
                err,
                TransactWriteItemsError::TransactionCanceledException(_)
                    | TransactWriteItemsError::TransactionInProgressException(_)
            );
            attempt += 1;
            if !transient || attempt >= TRANSIENT_ATTEMPTS {
                return Err(anyhow::Error::new(err).context("TransactWriteItems feed entry"));
            }
            crate::store::jittered_pause(attempt).await;
        }
    }

    async fn read(&self, vendor: VendorId, after: Position, limit: usize) -> anyhow::Result<Slice> {
        // One more than asked: the head, when the entries asked for are the last ones.
        let page = i32::try_from(limit.saturating_add(1)).unwrap_or(i32::MAX);
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :head")
            .expression_attribute_values(":pk", s(partition(vendor)))
            .expression_attribute_values(":from", s(entry_key(after.next())))
            .expression_attribute_values(":head", s(HEAD))
            .consistent_read(true)
            .limit(page)
            .send()
            .await
            .context("Query feed")?;
        let complete = output.last_evaluated_key.is_none();
        let mut slice = Slice::default();
        for item in output.items.unwrap_or_default() {
            let sk = optional_text(&item, "sk");
            if sk.is_some_and(|sk| sk == HEAD) {
                slice.last = Some(position_of(&item)?);
                continue;
            }
            let json = optional_text(&item, "entry")
                .with_context(|| format!("feed item {} has no entry", sk.unwrap_or("?")))?;
            let entry: FeedEntry = serde_json::from_str(json)
                .with_context(|| format!("feed item {} is unreadable", sk.unwrap_or("?")))?;
            slice.entries.push(entry);
        }
        slice.entries.truncate(limit);
        // Read to the end without a head item: the vendor has no entries yet.
        if slice.last.is_none() && complete && slice.entries.is_empty() {
            slice.last = Some(Position::START);
        }
        Ok(slice)
    }
}
