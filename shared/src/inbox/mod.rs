//! The consumers' side of the backbone: an SQS batch of EventBridge events, each applied at most
//! once in effect, with failures reported per message so only they come back.
//!
//! SQS delivers at least once and not in order, and the publisher may put a fact twice. Each
//! consumer therefore keeps, per aggregate (booking, vendor, room type), the last version it
//! applied in the ledger, claims a fact there before applying it (a lease, so a concurrent copy
//! waits and a crashed claimant's copy takes over), and records it done afterwards:
//! - `Order::InOrder`: every fact, one at a time, in version order. Every committed version is a
//!   fact, so version `n` waits until `n - 1` is applied.
//! - `Order::LatestWins`: only facts newer than the last one applied; an older one arriving late
//!   is dropped (it describes a state already superseded).
//!
//! An effect that fails releases its claim and its message comes back after the visibility
//! timeout; after the queue's maxReceiveCount it goes to the dead-letter queue. An effect that
//! succeeds but whose "done" is lost (a crash in between) may be applied again when its lease runs
//! out, so effects themselves must tolerate a repeat (idempotency keys, conditional writes).
//!
//! Waiting is not failing, and has its own budget (`Waiting`): a fact that must wait is sent
//! again to its own queue, delayed, carrying how long it has waited (`WAIT_ATTRIBUTE`), and only
//! then acknowledged, so the queue's receive count (and its maxReceiveCount) counts failures only.
//! Once a fact has waited its budget without its aggregate moving on, it stops being sent again:
//! its deliveries count as failures and it reaches the dead-letter queue like one. In order, a
//! waiting fact is also parked in the ledger, and whoever applies its predecessor applies it next,
//! and so on along the chain, so a burst is not paced by the waiting facts' delays; the copy sent
//! again is only the safety net, dropped as done when it comes back.
use crate::config::{self, ConfigError};
use crate::events::{Event, ReceivedEvent};
use anyhow::Context;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Duration, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
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
/// The longest a fact waiting for its predecessor stays away before it is tried again.
const MAX_WAIT_SECONDS: u64 = 60;
/// How long a fact may wait with its aggregate standing still: three times a failing
/// predecessor's whole retry span (maxReceiveCount 10 x visibility timeout 60 s, resources.json).
const WAIT_BUDGET_SECONDS: u64 = 30 * 60;
/// A waiting fact far behind comes back later: this much later per fact still ahead of it.
const WAIT_PER_FACT_AHEAD_MS: u64 = 100;
/// SQS delays a message by at most 15 minutes.
const MAX_DELAY_SECONDS: u64 = 900;
/// A parked fact goes (DynamoDB TTL) this long after it parked; its copy in the queue is the one
/// that counts.
const PARK_HOURS: i64 = 24;
/// At most this many parked facts are applied after the one a message brought, and a batch takes
/// none after this long, so a delivery stays well inside a consumer's timeout (30 s).
const DRAIN_MAX: usize = 50;
const DRAIN_FOR: std::time::Duration = std::time::Duration::from_secs(10);

/// The message attribute a waiting fact's copy carries: its `WaitState` as JSON.
pub const WAIT_ATTRIBUTE: &str = "inbox-wait";

mod ledger;
mod waiting;

pub use ledger::*;
pub use waiting::*;

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

/// What every consumer needs around its effect: the ledger, redelivery and how facts wait.
#[derive(Debug, Clone)]
pub struct Inbox<L = DynamoLedger, R = SqsRedelivery> {
    pub ledger: L,
    pub redelivery: R,
    pub waiting: Waiting,
}

impl Inbox {
    pub fn from_env(sdk: &crate::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            ledger: DynamoLedger::from_env(sdk)?,
            redelivery: SqsRedelivery::new(aws_sdk_sqs::Client::new(sdk)),
            waiting: Waiting::default(),
        })
    }
}

/// Why a fact must wait, and where its aggregate stands.
struct Wait {
    reason: &'static str,
    applied: Option<u64>,
    ahead: u64,
}

/// Why a message is to be delivered again.
enum Retry {
    /// It waits for another copy or an earlier fact: sent again, with a backoff.
    Waiting(Wait),
    /// It failed: after the visibility timeout, and to the dead-letter queue in the end.
    Failed(anyhow::Error),
}

/// A message read as the fact it carries.
struct Fact {
    body: String,
    received: ReceivedEvent,
    event: Event,
}

impl Fact {
    fn read(message: &SqsMessage) -> anyhow::Result<Self> {
        let body = message.body.as_deref().context("the message has no body")?;
        Self::parse(body.to_owned())
    }

    fn parse(body: String) -> anyhow::Result<Self> {
        let received: ReceivedEvent =
            serde_json::from_str(&body).context("the message is not an EventBridge event")?;
        let event = received.event().context("the event can't be read")?;
        Ok(Self {
            body,
            received,
            event,
        })
    }
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

    /// Applies every message of the batch and reports the ones to deliver again. In order, an
    /// aggregate's facts go in version order whatever order the batch brought them in (latest
    /// wins keeps the batch's order: an older fact after a newer one is dropped, not acted on).
    pub async fn consume(
        &self,
        inbox: &Inbox<impl Ledger, impl Redelivery>,
        effect: &impl Effect,
        batch: SqsEvent,
    ) -> SqsBatchResponse {
        let mut facts: Vec<(&SqsMessage, anyhow::Result<Fact>)> = batch
            .records
            .iter()
            .map(|message| (message, Fact::read(message)))
            .collect();
        if self.order == Order::InOrder {
            facts.sort_by_key(|(_, fact)| {
                fact.as_ref()
                    .ok()
                    .map(|f| (f.event.aggregate_id(), f.event.version()))
            });
        }
        let drain_until = std::time::Instant::now() + DRAIN_FOR;
        let mut failures = Vec::new();
        for (message, fact) in facts {
            let message_id = message.message_id.as_deref().unwrap_or_default();
            let receives: u32 = message
                .attributes
                .get("ApproximateReceiveCount")
                .and_then(|c| c.parse().ok())
                .unwrap_or(1);
            let outcome = match fact {
                Ok(fact) => self.handle(&inbox.ledger, effect, &fact, drain_until).await,
                Err(err) => Err(Retry::Failed(err)),
            };
            match outcome {
                Ok(()) => continue,
                Err(Retry::Waiting(wait)) => {
                    if self.wait(inbox, message, wait, receives).await {
                        continue;
                    }
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

    /// Sends a waiting fact again, delayed; true when it was, so the message is done with. False
    /// when it is to be reported failed: its waiting budget is spent, or it could not be sent
    /// (then it comes back after the backoff, as a failure).
    async fn wait(
        &self,
        inbox: &Inbox<impl Ledger, impl Redelivery>,
        message: &SqsMessage,
        wait: Wait,
        receives: u32,
    ) -> bool {
        let message_id = message.message_id.as_deref().unwrap_or_default();
        let before = WaitState::of(message);
        match inbox
            .waiting
            .next(before, wait.applied, wait.ahead, Utc::now())
        {
            NextWait::Spent { state } => {
                tracing::error!(consumer = self.name, message_id, receives, waits = state.waits, waiting_since = state.since, applied = ?state.applied, reason = wait.reason, "event waited its whole budget while its aggregate stood still; its deliveries now count as failures");
                false
            }
            NextWait::Again { state, delay } => {
                match inbox.redelivery.send_again(message, &state, delay).await {
                    Ok(()) => {
                        tracing::info!(
                            consumer = self.name,
                            message_id,
                            waits = state.waits,
                            stalls = state.stalls,
                            ahead = wait.ahead,
                            delay_seconds = delay.as_secs(),
                            reason = wait.reason,
                            "event waits; sent again"
                        );
                        true
                    }
                    Err(err) => {
                        tracing::warn!(consumer = self.name, message_id, receives, error = %format!("{err:#}"), "waiting event not sent again; it comes back as a failure");
                        // Not sooner than a failure would: a message that cannot be sent again
                        // carries no wait, so its backoff would restart at a second each time
                        // and spend the queue's receives in seconds.
                        let floor = std::time::Duration::from_secs(MAX_WAIT_SECONDS);
                        inbox.redelivery.retry_in(message, delay.max(floor)).await;
                        false
                    }
                }
            }
        }
    }

    /// Applies the fact once; in order, then also the parked facts that follow it.
    async fn handle(
        &self,
        ledger: &impl Ledger,
        effect: &impl Effect,
        fact: &Fact,
        drain_until: std::time::Instant,
    ) -> Result<(), Retry> {
        // Boxed: an effect's future nested twice (here and in the drain) is too deep a type for
        // the compiler to lay out inline.
        let entry = Box::pin(self.apply_once(ledger, effect, fact)).await?;
        if self.order == Order::InOrder {
            Box::pin(self.drain(ledger, effect, entry, drain_until)).await;
        }
        Ok(())
    }

    /// Applies the parked facts after `entry`'s, one after another, while the next one is parked
    /// and applies (and time is left). Whatever stops it, the facts' own messages are still on
    /// their way.
    async fn drain(
        &self,
        ledger: &impl Ledger,
        effect: &impl Effect,
        mut entry: LedgerEntry,
        until: std::time::Instant,
    ) {
        for _ in 0..DRAIN_MAX {
            if std::time::Instant::now() >= until {
                return;
            }
            let next = entry.version.saturating_add(1);
            let body = match ledger.unpark(&entry.key, next).await {
                Ok(Some(body)) => body,
                Ok(None) => return,
                Err(err) => {
                    tracing::warn!(consumer = self.name, ledger_key = %entry.key, version = next, error = %format!("{err:#}"), "parked fact not taken; its message brings it");
                    return;
                }
            };
            let fact = match Fact::parse(body) {
                Ok(fact)
                    if LedgerEntry::new(self.name, self.order, &fact.event).key == entry.key =>
                {
                    fact
                }
                Ok(_) => return,
                Err(err) => {
                    tracing::warn!(consumer = self.name, ledger_key = %entry.key, version = next, error = %format!("{err:#}"), "parked fact unreadable; its message brings it");
                    return;
                }
            };
            match self.apply_once(ledger, effect, &fact).await {
                Ok(applied) => entry = applied,
                // Its message comes back and is handled as any other.
                Err(_) => return,
            }
        }
    }

    /// Applies one fact at most once; the ledger entry it applied (or found done).
    async fn apply_once(
        &self,
        ledger: &impl Ledger,
        effect: &impl Effect,
        fact: &Fact,
    ) -> Result<LedgerEntry, Retry> {
        let event = &fact.event;
        let span = tracing::info_span!(
            "event",
            consumer = self.name,
            event_id = %event.event_id(),
            aggregate_id = %event.aggregate_id(),
            detail_type = event.detail_type(),
            version = event.version(),
        );
        let entry = LedgerEntry::new(self.name, self.order, event);
        self.claim_and_apply(ledger, effect, fact, &entry)
            .instrument(span)
            .await?;
        Ok(entry)
    }

    async fn claim_and_apply(
        &self,
        ledger: &impl Ledger,
        effect: &impl Effect,
        fact: &Fact,
        entry: &LedgerEntry,
    ) -> Result<(), Retry> {
        let mut claim = ledger.try_claim(entry, Utc::now()).await?;
        let mut parked = false;
        if claim.outcome == Claimed::Busy && self.waits_for_predecessor(entry, claim.applied) {
            // Parked for whoever applies the predecessor; then looked at once more, in case that
            // happened just before it was parked.
            match ledger.park(entry, &fact.body, Utc::now()).await {
                Ok(()) => {
                    parked = true;
                    claim = ledger.try_claim(entry, Utc::now()).await?;
                }
                Err(err) => {
                    tracing::warn!(error = %format!("{err:#}"), "waiting fact not parked; its message brings it back");
                }
            }
        }
        if parked
            && claim.outcome != Claimed::Busy
            && let Err(err) = ledger.unpark(&entry.key, entry.version).await
        {
            tracing::warn!(error = %format!("{err:#}"), "parked copy not removed; it is dropped as done when taken");
        }
        match claim.outcome {
            Claimed::Done => {
                tracing::info!("already applied or superseded; dropped");
                return Ok(());
            }
            Claimed::Busy => {
                let applied = claim.applied;
                let (reason, ahead) = if self.waits_for_predecessor(entry, applied) {
                    let next = applied.map_or(1, |a| a.saturating_add(1));
                    (
                        "an earlier fact is still to come",
                        entry.version.saturating_sub(next),
                    )
                } else {
                    ("another copy is being applied", 0)
                };
                return Err(Retry::Waiting(Wait {
                    reason,
                    applied,
                    ahead,
                }));
            }
            Claimed::Fresh => {}
        }
        if let Err(err) = effect.apply(&fact.event, &fact.received).await {
            if let Err(release) = ledger.release(entry).await {
                tracing::warn!(error = %format!("{release:#}"), "claim not released; it lapses by itself");
            }
            return Err(Retry::Failed(err));
        }
        ledger.complete(entry, Utc::now()).await?;
        tracing::info!("applied");
        Ok(())
    }

    /// In order, whether a busy fact waits for an earlier one (rather than for a copy of itself).
    fn waits_for_predecessor(&self, entry: &LedgerEntry, applied: Option<u64>) -> bool {
        let next = applied.map_or(1, |a| a.saturating_add(1));
        self.order == Order::InOrder && entry.version > next
    }
}

/// A fact on the bus that is no booking's or vendor's `Event` (a channel's allotment, say), by
/// its source and detail-type.
#[derive(Debug, Clone, Copy)]
pub struct SideFact {
    pub source: &'static str,
    pub detail_type: &'static str,
}

impl SideFact {
    /// The message's fact as `T`, if it is of this kind.
    fn read<T: DeserializeOwned>(&self, message: &SqsMessage) -> Option<anyhow::Result<T>> {
        let received: ReceivedEvent = serde_json::from_str(message.body.as_deref()?).ok()?;
        (received.source == self.source && received.detail_type == self.detail_type)
            .then(|| serde_json::from_value(received.detail).map_err(anyhow::Error::from))
    }
}

impl Consumer {
    /// `consume` for a consumer that also takes `side` facts: those messages are applied by
    /// `apply`, one by one, without the ledger (such a fact has no version), so `apply` must
    /// tolerate a repeat; the rest go through the inbox. Failures of either come back.
    pub async fn consume_beside<T, F, Fut>(
        &self,
        inbox: &Inbox<impl Ledger, impl Redelivery>,
        effect: &impl Effect,
        mut batch: SqsEvent,
        side: SideFact,
        apply: F,
    ) -> SqsBatchResponse
    where
        T: DeserializeOwned,
        F: Fn(T) -> Fut,
        Fut: Future<Output = anyhow::Result<()>>,
    {
        let mut failed = Vec::new();
        let mut rest = Vec::new();
        for message in std::mem::take(&mut batch.records) {
            let Some(fact) = side.read::<T>(&message) else {
                rest.push(message);
                continue;
            };
            let applied = match fact {
                Ok(fact) => apply(fact).await,
                Err(error) => Err(error.context("reading the fact")),
            };
            if let Err(error) = applied {
                let id = message.message_id.clone().unwrap_or_default();
                tracing::warn!(consumer = self.name, message_id = %id, detail_type = side.detail_type, error = format!("{error:#}"), "fact not applied; delivered again");
                failed.push(id);
            }
        }
        batch.records = rest;
        let mut response = if batch.records.is_empty() {
            SqsBatchResponse::default()
        } else {
            self.consume(inbox, effect, batch).await
        };
        response
            .batch_item_failures
            .extend(failed_messages(failed).batch_item_failures);
        response
    }
}

/// The answer to an SQS batch of which the messages `ids` failed (they come back; the rest are
/// done).
pub fn failed_messages(ids: impl IntoIterator<Item = String>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = ids
        .into_iter()
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration as Span;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    fn again(next: NextWait) -> (WaitState, u64) {
        match next {
            NextWait::Again { state, delay } => (state, delay.as_secs()),
            NextWait::Spent { state } => panic!("spent: {state:?}"),
        }
    }

    #[test]
    fn a_first_wait_comes_back_after_a_second_and_a_standstill_doubles_it_up_to_the_cap() {
        let waiting = Waiting::default();
        let (mut state, delay) = again(waiting.next(None, Some(3), 1, at(0)));
        assert_eq!(
            state,
            WaitState {
                since: at(0).timestamp(),
                applied: Some(3),
                stalls: 0,
                waits: 1
            }
        );
        let mut delays = vec![delay];
        for _ in 0..8 {
            let (next, delay) = again(waiting.next(Some(state), Some(3), 1, at(0)));
            delays.push(delay);
            state = next;
        }
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!((state.waits, state.since), (9, at(0).timestamp()));
    }

    #[test]
    fn a_fact_far_behind_looks_again_later_than_one_next_in_line() {
        let waiting = Waiting::default();
        let (_, next_in_line) = again(waiting.next(None, Some(10), 1, at(0)));
        let (_, far_behind) = again(waiting.next(None, Some(10), 300, at(0)));
        assert_eq!((next_in_line, far_behind), (1, 30));
    }

    #[test]
    fn the_budget_runs_while_the_aggregate_stands_still_and_starts_anew_when_it_moves_on() {
        let waiting = Waiting {
            budget: Span::from_secs(100),
            max_delay: Span::from_secs(60),
        };
        let (first, _) = again(waiting.next(None, Some(3), 1, at(0)));

        let stood_still = waiting.next(Some(first), Some(3), 1, at(100));
        assert!(
            matches!(stood_still, NextWait::Spent { state } if state.waits == 2),
            "{stood_still:?}"
        );
        let (moved_on, delay) = again(waiting.next(Some(first), Some(4), 1, at(100)));
        assert_eq!(
            (moved_on.since, moved_on.stalls, moved_on.waits, delay),
            (at(100).timestamp(), 0, 2, 1)
        );
        // Nothing applied yet, and still nothing: standing still too.
        let (none_yet, _) = again(waiting.next(None, None, 1, at(0)));
        assert!(matches!(
            waiting.next(Some(none_yet), None, 1, at(150)),
            NextWait::Spent { .. }
        ));
    }

    #[test]
    fn the_waiting_budget_outlasts_every_consumer_queues_failure_retries() {
        let resources: serde_json::Value =
            serde_json::from_str(include_str!("../../../localstack/resources.json")).unwrap();
        let defaults = &resources["consumerDefaults"];
        let consumers = resources["consumers"].as_array().unwrap();
        assert!(!consumers.is_empty());
        for consumer in consumers {
            let setting = |key: &str| consumer[key].as_u64().or(defaults[key].as_u64()).unwrap();
            let retries = setting("maxReceiveCount") * setting("visibilityTimeoutSeconds");
            assert!(
                Waiting::default().budget.as_secs() > 2 * retries,
                "{}: a predecessor retries for {retries} s",
                consumer["name"]
            );
        }
    }

    #[test]
    fn the_wait_travels_as_a_string_message_attribute() {
        let state = WaitState {
            since: 1_800_000_000,
            applied: None,
            stalls: 2,
            waits: 5,
        };
        let mut message = SqsMessage::default();
        assert_eq!(WaitState::of(&message), None);
        let mut attribute = aws_lambda_events::sqs::SqsMessageAttribute::default();
        attribute.data_type = Some("String".into());
        attribute.string_value = Some(serde_json::to_string(&state).unwrap());
        message
            .message_attributes
            .insert(WAIT_ATTRIBUTE.into(), attribute);
        assert_eq!(WaitState::of(&message), Some(state));
    }
}
