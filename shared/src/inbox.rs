//! The consumers' side of the backbone: an SQS batch of EventBridge events, each applied at most
//! once in effect, with failures reported per message so only they come back.
//!
//! SQS delivers at least once and not in order, and the publisher may put a fact twice. Each
//! consumer therefore claims an event in the ledger before applying it (a lease, so a concurrent
//! copy waits and a crashed claimant's copy takes over), and records it done afterwards:
//! - `Order::EachOnce`: every fact applied once, whatever order they come in (a fact's id is its
//!   aggregate and version).
//! - `Order::LatestWins`: per aggregate, only facts newer than the last one applied; an older one
//!   arriving late is dropped (it describes a state already superseded).
//!
//! An effect that fails releases its claim and its message comes back after the visibility
//! timeout; after the queue's maxReceiveCount it goes to the dead-letter queue. An effect that
//! succeeds but whose "done" is lost (a crash in between) may be applied again when its lease runs
//! out, so effects themselves must tolerate a repeat (idempotency keys, conditional writes).
use crate::config::{self, ConfigError};
use crate::events::{Event, ReceivedEvent};
use anyhow::Context;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Duration, Utc};
use std::future::Future;
use tracing::Instrument;

/// How long a claim keeps other copies away; longer than a consumer's Lambda timeout.
const LEASE_SECONDS: i64 = 60;
/// Ledger entries go (DynamoDB TTL) long after any copy could still arrive: SQS keeps a message
/// four days, a dead-letter queue fourteen, and a redrive may come later still.
const KEEP_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    EachOnce,
    LatestWins,
}

/// What a consumer does with an event. Called at most once per fact unless a crash hides that it
/// already ran (see the module notes).
pub trait Effect: Send + Sync {
    fn apply(
        &self,
        event: &Event,
        received: &ReceivedEvent,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claimed {
    /// Ours to apply.
    Fresh,
    /// Applied already, or superseded by a newer fact: nothing to do.
    Done,
    /// Another copy is being applied right now: try again later.
    Busy,
}

/// Where a consumer records what it has applied.
pub trait Ledger: Send + Sync {
    fn claim(
        &self,
        entry: &LedgerEntry,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<Claimed>> + Send;
    fn complete(
        &self,
        entry: &LedgerEntry,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
    fn release(&self, entry: &LedgerEntry) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// One consumer's record of one fact (`EachOnce`) or one aggregate (`LatestWins`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub key: String,
    pub version: u64,
    pub order: Order,
}

impl LedgerEntry {
    pub fn new(consumer: &str, order: Order, event: &Event) -> Self {
        let key = match order {
            Order::EachOnce => format!("{consumer}#{}", event.event_id()),
            Order::LatestWins => format!("{consumer}#{}", event.aggregate_id()),
        };
        Self {
            key,
            version: event.version(),
            order,
        }
    }
}

#[derive(Debug, Clone)]
pub struct DynamoLedger {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoLedger {
    pub fn new(client: aws_sdk_dynamodb::Client, table: String) -> Self {
        Self { client, table }
    }

    pub fn from_env(sdk: &crate::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(
            aws_sdk_dynamodb::Client::new(sdk),
            config::required("LEDGER_TABLE")?,
        ))
    }
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn number(item: &std::collections::HashMap<String, AttributeValue>, name: &str) -> Option<i64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

impl Ledger for DynamoLedger {
    async fn claim(&self, entry: &LedgerEntry, now: DateTime<Utc>) -> anyhow::Result<Claimed> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(entry.key.clone()))
            .update_expression("SET claim_version = :v, claim_until = :until, expires_at = :ttl")
            .condition_expression(
                "(attribute_not_exists(done_version) OR done_version < :v) \
                 AND (attribute_not_exists(claim_until) OR claim_until < :now)",
            )
            .expression_attribute_values(":v", n(entry.version))
            .expression_attribute_values(":now", n(now.timestamp()))
            .expression_attribute_values(
                ":until",
                n((now + Duration::seconds(LEASE_SECONDS)).timestamp()),
            )
            .expression_attribute_values(":ttl", n((now + Duration::days(KEEP_DAYS)).timestamp()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Claimed::Fresh),
            Err(err) => match err.into_service_error() {
                UpdateItemError::ConditionalCheckFailedException(failed) => {
                    let item = failed.item.unwrap_or_default();
                    let done = number(&item, "done_version").unwrap_or(-1);
                    if done >= i64::try_from(entry.version).unwrap_or(i64::MAX) {
                        Ok(Claimed::Done)
                    } else {
                        Ok(Claimed::Busy)
                    }
                }
                other => Err(anyhow::Error::new(other).context("claiming in the ledger")),
            },
        }
    }

    async fn complete(&self, entry: &LedgerEntry, now: DateTime<Utc>) -> anyhow::Result<()> {
        // Monotonic: if another copy finished meanwhile (it took over after our lease ran out),
        // the ledger keeps the newer record.
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(entry.key.clone()))
            .update_expression(
                "SET done_version = :v, done_at = :now REMOVE claim_version, claim_until",
            )
            .condition_expression("attribute_not_exists(done_version) OR done_version < :v")
            .expression_attribute_values(":v", n(entry.version))
            .expression_attribute_values(":now", n(now.timestamp()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => match err.into_service_error() {
                UpdateItemError::ConditionalCheckFailedException(_) => {
                    tracing::warn!(ledger_key = %entry.key, version = entry.version, "applied meanwhile by another copy");
                    Ok(())
                }
                other => Err(anyhow::Error::new(other).context("completing in the ledger")),
            },
        }
    }

    async fn release(&self, entry: &LedgerEntry) -> anyhow::Result<()> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(entry.key.clone()))
            .update_expression("REMOVE claim_version, claim_until")
            .condition_expression("claim_version = :v")
            .expression_attribute_values(":v", n(entry.version))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => match err.into_service_error() {
                // Someone else's claim now; it is theirs to release.
                UpdateItemError::ConditionalCheckFailedException(_) => Ok(()),
                other => Err(anyhow::Error::new(other).context("releasing a ledger claim")),
            },
        }
    }
}

/// One consumer: its name (the ledger's namespace and the logs' `consumer`) and its ordering.
#[derive(Debug, Clone, Copy)]
pub struct Consumer {
    pub name: &'static str,
    pub order: Order,
}

impl Consumer {
    /// The Lambda handler: a batch in, the messages to deliver again out.
    pub async fn handler(
        &self,
        ledger: &impl Ledger,
        effect: &impl Effect,
        event: lambda_http::lambda_runtime::LambdaEvent<SqsEvent>,
    ) -> Result<SqsBatchResponse, lambda_http::Error> {
        Ok(self.consume(ledger, effect, event.payload).await)
    }

    /// Applies every message of the batch in order and reports the ones to deliver again.
    pub async fn consume(
        &self,
        ledger: &impl Ledger,
        effect: &impl Effect,
        batch: SqsEvent,
    ) -> SqsBatchResponse {
        let mut failures = Vec::new();
        for message in &batch.records {
            if let Err(err) = self.handle(ledger, effect, message).await {
                tracing::error!(
                    consumer = self.name,
                    message_id = message.message_id.as_deref().unwrap_or_default(),
                    receive_count = message.attributes.get("ApproximateReceiveCount").map(String::as_str).unwrap_or_default(),
                    error = %format!("{err:#}"),
                    "event not applied; it will be delivered again"
                );
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = message.message_id.clone().unwrap_or_default();
                failures.push(failure);
            }
        }
        let mut response = SqsBatchResponse::default();
        response.batch_item_failures = failures;
        response
    }

    async fn handle(
        &self,
        ledger: &impl Ledger,
        effect: &impl Effect,
        message: &SqsMessage,
    ) -> anyhow::Result<()> {
        let body = message.body.as_deref().context("the message has no body")?;
        let received: ReceivedEvent =
            serde_json::from_str(body).context("the message is not an EventBridge event")?;
        let event = received.event().context("the event can't be read")?;
        let span = tracing::info_span!(
            "event",
            consumer = self.name,
            event_id = %event.event_id(),
            aggregate_id = %event.aggregate_id(),
            detail_type = event.detail_type(),
            version = event.version(),
        );
        self.apply_once(ledger, effect, &event, &received)
            .instrument(span)
            .await
    }

    async fn apply_once(
        &self,
        ledger: &impl Ledger,
        effect: &impl Effect,
        event: &Event,
        received: &ReceivedEvent,
    ) -> anyhow::Result<()> {
        let entry = LedgerEntry::new(self.name, self.order, event);
        match ledger.claim(&entry, Utc::now()).await? {
            Claimed::Done => {
                tracing::info!("already applied or superseded; dropped");
                return Ok(());
            }
            Claimed::Busy => anyhow::bail!("another copy is being applied"),
            Claimed::Fresh => {}
        }
        if let Err(err) = effect.apply(event, received).await {
            if let Err(release) = ledger.release(&entry).await {
                tracing::warn!(error = %format!("{release:#}"), "claim not released; it lapses by itself");
            }
            return Err(err);
        }
        ledger.complete(&entry, Utc::now()).await?;
        tracing::info!("applied");
        Ok(())
    }
}
