//! Moves bookings that reached a final state to the archive. Only a booking's latest state
//! matters, so an older fact arriving late is dropped.
//!
//! This is the consumer's plumbing (SQS batch, ledger, partial batch failures); its effect logs
//! what the archive will keep until that capability is built.
use shared::events::{Event, ReceivedEvent};
use shared::inbox::{Consumer, Effect, Order};

pub const CONSUMER: Consumer = Consumer {
    name: "archiver",
    order: Order::LatestWins,
};

pub struct Archiver;

impl Effect for Archiver {
    async fn apply(&self, event: &Event, _received: &ReceivedEvent) -> anyhow::Result<()> {
        tracing::info!(
            consumer = CONSUMER.name,
            event_id = %event.event_id(),
            aggregate_id = %event.aggregate_id(),
            detail_type = event.detail_type(),
            "received"
        );
        Ok(())
    }
}
