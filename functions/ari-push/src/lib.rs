//! Marks what a fact changed for the channels' ARI push: holds, confirmations, cancellations,
//! expiries, no-shows, departures, changes (old and new terms), blocks and type updates. The
//! first mark of a vendor since its last flush schedules one delayed flush (`ari-flush`), so a
//! burst of changes is sent once per type and night. Marks are idempotent in effect: a
//! redelivered fact marks the same cells again, which costs at most one more send.
use shared::ari_push::{DirtyMarks, FlushQueue, record};
use shared::events::{Event, ReceivedEvent};
use shared::inbox::{Consumer, Effect, Order};

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
