//! Tells guests (and vendors) about their bookings. Only news is sent: a fact arriving after a
//! newer one about the same booking (a hold's link after its confirmation) is dropped.
//!
//! This is the consumer's plumbing (SQS batch, ledger, partial batch failures); its effect logs
//! what the guest will be told until that capability is built.
use shared::events::{Event, ReceivedEvent};
use shared::inbox::{Consumer, Effect, Order};

pub const CONSUMER: Consumer = Consumer {
    name: "notifier",
    order: Order::LatestWins,
};

pub struct Notifier;

impl Effect for Notifier {
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
