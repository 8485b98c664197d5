//! Marks what a fact changed for the channels' ARI push: holds, confirmations, cancellations,
//! expiries, no-shows, departures, changes (old and new terms), blocks, type updates, and a
//! channel's allotment or the protection (`AllotmentChanged`). The first mark of a vendor since
//! its last flush schedules one delayed flush (`ari-flush`), so a burst of changes is sent once
//! per type and night (a restaurant's table type: per local date). Marks are idempotent in effect: a redelivered fact marks the same cells
//! again, which costs at most one more send.
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use shared::ari_push::allotted::{ALLOTMENT_CHANGED, AllotmentFact};
use shared::ari_push::{DirtyMarks, FlushQueue, record, record_cells};
use shared::channels::events::CHANNELS_SOURCE;
use shared::events::{Event, ReceivedEvent};
use shared::inbox::{Consumer, Effect, Inbox, Ledger, Order, Redelivery, SideFact};

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

/// The facts beside the inbox's: a channel's allotment or the protection changed.
pub const ALLOTMENTS: SideFact = SideFact {
    source: CHANNELS_SOURCE,
    detail_type: ALLOTMENT_CHANGED,
};

/// A batch as the Lambda gets it. An allotment's fact is no booking's or vendor's `Event`, and
/// marking is idempotent in effect, so it marks its night beside the inbox.
pub async fn handle<M: DirtyMarks, Q: FlushQueue>(
    inbox: &Inbox<impl Ledger, impl Redelivery>,
    marks: &Marks<M, Q>,
    batch: SqsEvent,
) -> SqsBatchResponse {
    CONSUMER
        .consume_beside(inbox, marks, batch, ALLOTMENTS, |fact: AllotmentFact| async move {
            record_cells(&marks.marks, &marks.queue, vec![fact.cell()]).await?;
            tracing::info!(consumer = CONSUMER.name, event_id = %fact.event_id, "ARI cell marked dirty");
            Ok(())
        })
        .await
}
