//! Keeps the search backend current: vendors and their room/table types from vendor events, and
//! which buckets are sold out from booking events. Every fact counts (a change's `previous` terms
//! free buckets), so each is applied once, in version order.
//!
//! This is the consumer's plumbing (SQS batch, ledger, ordering, partial batch failures); its
//! effect (`LogOnly`) logs what search will index until that capability is built.
use shared::inbox::{Consumer, LogOnly, Order};

pub const CONSUMER: Consumer = Consumer {
    name: "search-indexer",
    order: Order::InOrder,
};

/// Stands in for the indexing until it is built.
pub const INDEXER: LogOnly = LogOnly {
    consumer: CONSUMER.name,
};
