//! Operator commands for the event backbone: how many events wait or are in flight per queue,
//! and getting dead-lettered events back to their queue once their cause is fixed.
pub mod catalog;
pub mod cli;
pub mod output;
pub mod peek;
pub mod queues;
pub mod redrive;
pub mod status;

pub use catalog::{Catalog, QueueKind, QueueSpec, UnknownQueue};
pub use peek::{DeadLetter, peek};
pub use queues::{QueueDepths, QueuePair, dead_letter_queue_url, depths, resolve};
pub use redrive::{
    RedriveMethod, RedriveReport, redrive, redrive_by_copy, redrive_with_move_task,
    redrive_with_report,
};
pub use status::{StatusRow, status};
