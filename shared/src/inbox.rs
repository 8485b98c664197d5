//! The consumers' side of the backbone: an SQS batch of EventBridge events, each applied at most
//! once in effect, with failures reported per message so only they come back.
//!
//! SQS delivers at least once and not in order, and the publisher may put a fact twice. Each
//! consumer therefore keeps, per aggregate (booking, vendor, room type), the last version it
//! applied in the ledger, claims a fact there before applying it (a lease, so a concurrent copy
//! waits and a crashed claimant's copy takes over), and records it done afterwards:
//! - `Order::InOrder`: every fact, one at a time, in version order. Every committed version is a
//!   fact, so version `n` waits until `n - 1` is applied: its message comes back shortly (its
//!   visibility is cut to a backoff) until then.
//! - `Order::LatestWins`: only facts newer than the last one applied; an older one arriving late
//!   is dropped (it describes a state already superseded).
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
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tracing::Instrument;

/// How long a claim keeps other copies away; longer than a consumer's Lambda timeout.
const LEASE_SECONDS: i64 = 60;
/// Ledger entries go (DynamoDB TTL) this long after their last fact, well after any copy of it
/// could still arrive.
const KEEP_DAYS: i64 = 30;
/// How long a fact can still be on its way: a consumer queue keeps a message four days, its
/// dead-letter queue fourteen. A fact whose predecessor is older than this, and of which the
/// ledger knows nothing, follows a predecessor that was applied (and its entry expired) or lost.
const IN_FLIGHT_DAYS: i64 = 20;
/// The longest a fact waiting for its predecessor stays invisible before it is tried again.
const MAX_WAIT_SECONDS: u64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    InOrder,
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

/// The effect of a consumer whose capability is not built yet: it logs what it received, so the
/// plumbing (queue, ledger, ordering, failures) runs and is observable end to end.
#[derive(Debug, Clone, Copy)]
pub struct LogOnly {
    pub consumer: &'static str,
}

impl Effect for LogOnly {
    async fn apply(&self, event: &Event, _received: &ReceivedEvent) -> anyhow::Result<()> {
        tracing::info!(
            consumer = self.consumer,
            event_id = %event.event_id(),
            aggregate_id = %event.aggregate_id(),
            detail_type = event.detail_type(),
            version = event.version(),
            "received; nothing to do until this consumer is built"
        );
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claimed {
    /// Ours to apply.
    Fresh,
    /// Applied already, or superseded by a newer fact: nothing to do.
    Done,
    /// Another copy is being applied right now, or (in order) an earlier fact is still to
    /// come: try again shortly.
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

/// One fact, as a consumer's ledger sees it: the aggregate's entry and the fact's version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub key: String,
    pub version: u64,
    pub order: Order,
    pub previous_version_at: Option<DateTime<Utc>>,
}

/// A consumer's ledger entry for one aggregate.
pub fn ledger_key(consumer: &str, aggregate_id: &str) -> String {
    format!("{consumer}#{aggregate_id}")
}

impl LedgerEntry {
    pub fn new(consumer: &str, order: Order, event: &Event) -> Self {
        Self {
            key: ledger_key(consumer, &event.aggregate_id()),
            version: event.version(),
            order,
            previous_version_at: event.previous_version_at(),
        }
    }

    /// In order: whether the fact may go first when the ledger knows nothing of its aggregate.
    fn may_start(&self, now: DateTime<Utc>) -> bool {
        match self.previous_version_at {
            None => true,
            Some(at) => at < now - Duration::days(IN_FLIGHT_DAYS),
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

fn number(item: &HashMap<String, AttributeValue>, name: &str) -> Option<i64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

impl DynamoLedger {
    /// The last version of an aggregate the entry's consumer applied, while the ledger keeps it
    /// (`KEEP_DAYS` after its last fact). For an effect that must know whether the fact before
    /// its own was applied, which the ordering `LatestWins` does not promise.
    pub async fn applied_version(&self, key: &str) -> anyhow::Result<Option<u64>> {
        let found = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(key.to_owned()))
            .projection_expression("done_version")
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .context("reading the ledger")?;
        Ok(found
            .item
            .and_then(|item| number(&item, "done_version"))
            .and_then(|v| u64::try_from(v).ok()))
    }
}

impl Ledger for DynamoLedger {
    async fn claim(&self, entry: &LedgerEntry, now: DateTime<Utc>) -> anyhow::Result<Claimed> {
        let (after, previous) = match entry.order {
            Order::LatestWins => (
                "(attribute_not_exists(done_version) OR done_version < :v)",
                None,
            ),
            Order::InOrder if entry.may_start(now) => (
                "(attribute_not_exists(done_version) OR done_version = :previous)",
                Some(entry.version.saturating_sub(1)),
            ),
            Order::InOrder => (
                "done_version = :previous",
                Some(entry.version.saturating_sub(1)),
            ),
        };
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(entry.key.clone()))
            .update_expression("SET claim_version = :v, claim_until = :until, expires_at = :ttl")
            .condition_expression(format!(
                "{after} AND (attribute_not_exists(claim_until) OR claim_until < :now)"
            ))
            .set_expression_attribute_values(Some(
                previous
                    .map(|p| (":previous".to_owned(), n(p)))
                    .into_iter()
                    .collect(),
            ))
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
        // the ledger keeps the newer record. The entry lives KEEP_DAYS from its last fact.
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(entry.key.clone()))
            .update_expression(
                "SET done_version = :v, done_at = :now, expires_at = :ttl \
                 REMOVE claim_version, claim_until",
            )
            .condition_expression("attribute_not_exists(done_version) OR done_version < :v")
            .expression_attribute_values(":v", n(entry.version))
            .expression_attribute_values(":now", n(now.timestamp()))
            .expression_attribute_values(":ttl", n((now + Duration::days(KEEP_DAYS)).timestamp()))
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

/// Brings a message back sooner than its queue's visibility timeout would.
pub trait Redelivery: Send + Sync {
    /// Best effort: if it fails, the message comes back after the visibility timeout anyway.
    fn retry_in(
        &self,
        message: &SqsMessage,
        delay: std::time::Duration,
    ) -> impl Future<Output = ()> + Send;
}

/// Sets a received message's visibility timeout; the queue is found from the message's source
/// ARN, as a Lambda event source mapping hands it over.
#[derive(Debug, Clone)]
pub struct SqsRedelivery {
    client: aws_sdk_sqs::Client,
    urls: Arc<Mutex<HashMap<String, String>>>,
}

impl SqsRedelivery {
    pub fn new(client: aws_sdk_sqs::Client) -> Self {
        Self {
            client,
            urls: Arc::default(),
        }
    }

    async fn queue_url(&self, arn: &str) -> anyhow::Result<String> {
        if let Some(url) = self.urls.lock().ok().and_then(|u| u.get(arn).cloned()) {
            return Ok(url);
        }
        // arn:aws:sqs:<region>:<account>:<name>
        let mut parts = arn.rsplitn(3, ':');
        let (name, account) = (parts.next(), parts.next());
        let (Some(name), Some(account)) = (name, account) else {
            anyhow::bail!("{arn} is not a queue ARN");
        };
        let url = self
            .client
            .get_queue_url()
            .queue_name(name)
            .queue_owner_aws_account_id(account)
            .send()
            .await
            .context("GetQueueUrl")?
            .queue_url
            .context("GetQueueUrl returned no URL")?;
        if let Ok(mut urls) = self.urls.lock() {
            urls.insert(arn.to_owned(), url.clone());
        }
        Ok(url)
    }
}

impl Redelivery for SqsRedelivery {
    async fn retry_in(&self, message: &SqsMessage, delay: std::time::Duration) {
        let (Some(arn), Some(receipt)) = (
            message.event_source_arn.as_deref(),
            message.receipt_handle.as_deref(),
        ) else {
            return;
        };
        let result = match self.queue_url(arn).await {
            Ok(url) => self
                .client
                .change_message_visibility()
                .queue_url(url)
                .receipt_handle(receipt)
                .visibility_timeout(i32::try_from(delay.as_secs()).unwrap_or(i32::MAX))
                .send()
                .await
                .map(|_| ())
                .context("ChangeMessageVisibility"),
            Err(err) => Err(err),
        };
        if let Err(err) = result {
            tracing::warn!(error = %format!("{err:#}"), "message not brought back early; it returns after the visibility timeout");
        }
    }
}

/// What every consumer needs around its effect: the ledger and early redelivery.
#[derive(Debug, Clone)]
pub struct Inbox<L = DynamoLedger, R = SqsRedelivery> {
    pub ledger: L,
    pub redelivery: R,
}

impl Inbox {
    pub fn from_env(sdk: &crate::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            ledger: DynamoLedger::from_env(sdk)?,
            redelivery: SqsRedelivery::new(aws_sdk_sqs::Client::new(sdk)),
        })
    }
}

/// Why a message is to be delivered again.
enum Retry {
    /// It waits for another copy or an earlier fact: soon, with a backoff.
    Waiting(String),
    /// It failed: after the visibility timeout, and to the dead-letter queue in the end.
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for Retry {
    fn from(err: anyhow::Error) -> Self {
        Self::Failed(err)
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
        inbox: &Inbox<impl Ledger, impl Redelivery>,
        effect: &impl Effect,
        event: lambda_http::lambda_runtime::LambdaEvent<SqsEvent>,
    ) -> Result<SqsBatchResponse, lambda_http::Error> {
        Ok(self.consume(inbox, effect, event.payload).await)
    }

    /// Applies every message of the batch in order and reports the ones to deliver again.
    pub async fn consume(
        &self,
        inbox: &Inbox<impl Ledger, impl Redelivery>,
        effect: &impl Effect,
        batch: SqsEvent,
    ) -> SqsBatchResponse {
        let mut failures = Vec::new();
        for message in &batch.records {
            let message_id = message.message_id.as_deref().unwrap_or_default();
            let receives: u32 = message
                .attributes
                .get("ApproximateReceiveCount")
                .and_then(|c| c.parse().ok())
                .unwrap_or(1);
            match self.handle(&inbox.ledger, effect, message).await {
                Ok(()) => continue,
                Err(Retry::Waiting(why)) => {
                    let delay = 1u64
                        .checked_shl(receives.saturating_sub(1))
                        .unwrap_or(MAX_WAIT_SECONDS)
                        .min(MAX_WAIT_SECONDS);
                    tracing::info!(consumer = self.name, message_id, receives, delay_seconds = delay, reason = %why, "event waits");
                    inbox
                        .redelivery
                        .retry_in(message, std::time::Duration::from_secs(delay))
                        .await;
                }
                Err(Retry::Failed(err)) => {
                    tracing::error!(consumer = self.name, message_id, receives, error = %format!("{err:#}"), "event not applied; it will be delivered again");
                }
            }
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = message_id.to_owned();
            failures.push(failure);
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
    ) -> Result<(), Retry> {
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
    ) -> Result<(), Retry> {
        let entry = LedgerEntry::new(self.name, self.order, event);
        match ledger.claim(&entry, Utc::now()).await? {
            Claimed::Done => {
                tracing::info!("already applied or superseded; dropped");
                return Ok(());
            }
            Claimed::Busy => {
                return Err(Retry::Waiting(
                    "another copy is being applied, or an earlier fact is still to come".into(),
                ));
            }
            Claimed::Fresh => {}
        }
        if let Err(err) = effect.apply(event, received).await {
            if let Err(release) = ledger.release(&entry).await {
                tracing::warn!(error = %format!("{release:#}"), "claim not released; it lapses by itself");
            }
            return Err(Retry::Failed(err));
        }
        ledger.complete(&entry, Utc::now()).await?;
        tracing::info!("applied");
        Ok(())
    }
}
