//! Marks what a fact changed for the channels' ARI push: holds, confirmations, cancellations,
//! expiries, no-shows, departures, changes (old and new terms), blocks, type updates, and a
//! channel's allotment or the protection (`AllotmentChanged`). The first mark of a vendor since
//! its last flush schedules one delayed flush (`ari-flush`), so a burst of changes is sent once
//! per type and night. Marks are idempotent in effect: a redelivered fact marks the same cells
//! again, which costs at most one more send.
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use shared::ari_push::allotted::{ALLOTMENT_CHANGED, AllotmentFact};
use shared::ari_push::{DirtyMarks, FlushQueue, record, record_cells};
use shared::channels::events::CHANNELS_SOURCE;
use shared::events::{Event, ReceivedEvent};
use shared::inbox::{Consumer, Effect, Inbox, Ledger, Order, Redelivery};

pub const CONSUMER: Consumer = Consumer {
    name: "ari-push",
    order: Order::LatestWins,
};

pub struct Marks<M, Q> {
    pub marks: M,
    pub queue: Q,
}

impl<M: DirtyMarks, Q: FlushQueue> Effect for Marks<M, Q> {
    async fn apply(&self, event: &Event, _received: &ReceivedEvent) -> anyhow::Result<()> {
        let cells = record(&self.marks, &self.queue, event).await?;
        tracing::info!(
            consumer = CONSUMER.name,
            event_id = %event.event_id(),
            cells,
            "ARI cells marked dirty"
        );
        Ok(())
    }
}

/// An `AllotmentChanged` message's fact, if it is one.
fn allotment_fact(message: &SqsMessage) -> Option<anyhow::Result<AllotmentFact>> {
    let received: ReceivedEvent = serde_json::from_str(message.body.as_deref()?).ok()?;
    if received.source != CHANNELS_SOURCE || received.detail_type != ALLOTMENT_CHANGED {
        return None;
    }
    Some(serde_json::from_value(received.detail).map_err(anyhow::Error::from))
}

/// A batch as the Lambda gets it. An allotment's fact is no booking's or vendor's `Event`, and
/// marking is idempotent in effect, so it marks its night here; the rest go through the inbox.
pub async fn handle<M: DirtyMarks, Q: FlushQueue>(
    inbox: &Inbox<impl Ledger, impl Redelivery>,
    marks: &Marks<M, Q>,
    mut batch: SqsEvent,
) -> SqsBatchResponse {
    let mut failed = Vec::new();
    let mut rest = Vec::new();
    for message in std::mem::take(&mut batch.records) {
        let Some(fact) = allotment_fact(&message) else {
            rest.push(message);
            continue;
        };
        let id = message.message_id.clone().unwrap_or_default();
        let marked = match fact {
            Ok(fact) => record_cells(&marks.marks, &marks.queue, vec![fact.cell()])
                .await
                .map(|_| fact.event_id),
            Err(error) => Err(error),
        };
        match marked {
            Ok(event_id) => {
                tracing::info!(consumer = CONSUMER.name, %event_id, "ARI cell marked dirty")
            }
            Err(error) => {
                tracing::warn!(consumer = CONSUMER.name, message_id = %id, error = format!("{error:#}"), "allotment fact not marked; delivered again");
                failed.push(id);
            }
        }
    }
    batch.records = rest;
    let mut response = if batch.records.is_empty() {
        SqsBatchResponse::default()
    } else {
        CONSUMER.consume(inbox, marks, batch).await
    };
    response
        .batch_item_failures
        .extend(shared::inbox::failed_messages(failed).batch_item_failures);
    response
}
