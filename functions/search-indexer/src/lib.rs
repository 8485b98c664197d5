//! Keeps the search backend current: vendors and their room/table types from vendor events, and
//! which buckets are sold out from booking events. Every fact counts (a change's `previous` terms
//! free buckets), so each is applied once, in version order.
//!
//! This is the consumer's plumbing (SQS batch, ledger, partial batch failures); its effect logs
//! what search will index until that capability is built.
use shared::events::{Event, ReceivedEvent};
use shared::inbox::{Consumer, Effect, Order};

pub const CONSUMER: Consumer = Consumer {
    name: "search-indexer",
    order: Order::InOrder,
};

pub struct Indexer;

impl Effect for Indexer {
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
