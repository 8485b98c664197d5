//! Tells guests (and vendors) about their bookings. Only news is sent: a fact arriving after a
//! newer one about the same booking (a hold's link after its confirmation) is dropped.
//!
//! This is the consumer's plumbing (SQS batch, ledger, ordering, partial batch failures); its
//! effect (`LogOnly`) logs what the guest will be told until that capability is built.
use shared::inbox::{Consumer, LogOnly, Order};

pub const CONSUMER: Consumer = Consumer {
    name: "notifier",
    order: Order::LatestWins,
};

/// Stands in for the notifications until it is built.
pub const NOTIFIER: LogOnly = LogOnly {
    consumer: CONSUMER.name,
};
