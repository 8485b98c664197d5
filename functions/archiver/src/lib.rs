//! Moves bookings that reached a final state to the archive. Only a booking's latest state
//! matters, so an older fact arriving late is dropped.
//!
//! This is the consumer's plumbing (SQS batch, ledger, ordering, partial batch failures); its
//! effect (`LogOnly`) logs what the archive will keep until that capability is built.
use shared::inbox::{Consumer, LogOnly, Order};

pub const CONSUMER: Consumer = Consumer {
    name: "archiver",
    order: Order::LatestWins,
};

/// Stands in for the archiving until it is built.
pub const ARCHIVER: LogOnly = LogOnly {
    consumer: CONSUMER.name,
};
