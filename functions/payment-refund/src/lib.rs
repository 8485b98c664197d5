//! Settles deposits when a booking ends: cancellation per its policy, completion refunds, no-show
//! keeps. A deposit's fate depends on the booking's whole history, so every fact is applied once,
//! in version order.
//!
//! This is the consumer's plumbing (SQS batch, ledger, ordering, partial batch failures); its
//! effect (`LogOnly`) logs the deposit decision to make until that capability is built.
use shared::inbox::{Consumer, LogOnly, Order};

pub const CONSUMER: Consumer = Consumer {
    name: "payment-refund",
    order: Order::InOrder,
};

/// Stands in for the deposit handling until it is built.
pub const REFUNDS: LogOnly = LogOnly {
    consumer: CONSUMER.name,
};
