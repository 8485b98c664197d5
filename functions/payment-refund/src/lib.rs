//! Settles deposits when a booking ends: cancellation per its policy, completion refunds, no-show
//! keeps. A deposit's fate depends on the booking's whole history, so every fact is applied once,
//! in version order.
//!
//! This is the consumer's plumbing (SQS batch, ledger, partial batch failures); its effect logs
//! the deposit decision to make until that capability is built.
use shared::events::{Event, ReceivedEvent};
use shared::inbox::{Consumer, Effect, Order};

pub const CONSUMER: Consumer = Consumer {
    name: "payment-refund",
    order: Order::InOrder,
};

pub struct Refunds;

impl Effect for Refunds {
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
