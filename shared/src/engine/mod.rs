//! The booking engine: what holding, changing and moving a booking along its lifecycle mean, on
//! top of the domain rules and the booking store. Handlers, the consumers and the payment flows
//! all call these, so a rule lives in one place. Nothing here knows of HTTP: the edge maps these
//! errors to answers (`crate::http::booking`).
mod access;
mod assign;
mod availability;
mod change;
mod hold;
mod lifecycle;
mod offer;
mod rewrite;
mod rooms;
mod units;

pub use access::{Requester, may_read, may_read_of};
pub use assign::{
    AssignError, CheckIn, CheckInRefused, Pick, assign, check_in, check_in_once, check_out,
    guest_key, unassign,
};
pub use availability::{Offer, availability, units_free, units_left};
pub use change::{ChangeError, ChangeRequest, change};
pub(crate) use hold::place;
pub use hold::{Creator, Held, HoldError, HoldRequest, NewHold, hold};
pub use lifecycle::{TransitionError, amend, transition, transition_with};
pub use offer::check_request;
pub use units::{
    BlockError, UnitError, block, edit as edit_unit, register as register_unit, set_housekeeping,
    unblock,
};

/// How long a hold keeps its inventory while payment runs.
pub const DEFAULT_HOLD_SECONDS: i64 = 600;
/// How long an idempotency key is honoured for a replay.
pub const IDEMPOTENCY_WINDOW_HOURS: i64 = 24;
/// Units one booking may take at most.
pub const MAX_UNITS: u32 = 50;

/// The units a request asks for, as a body's or a query's number: 1 to `MAX_UNITS`.
pub fn units_asked(v: i64) -> Result<u32, crate::domain::Invalid> {
    u32::try_from(v)
        .ok()
        .filter(|u| (1..=MAX_UNITS).contains(u))
        .ok_or_else(|| crate::domain::Invalid::new(format!("must be between 1 and {MAX_UNITS}")))
}
/// The most counters one booking write may touch: DynamoDB takes 100 items per transaction, one
/// of which is the booking itself.
pub const MAX_COUNTERS: usize = 99;
/// The most nights or slots a booking put in a room or table may cover: a move takes the new
/// unit's buckets and frees the old unit's, a cancellation frees the counters and the unit, each
/// in one transaction of at most 100 items with the booking.
pub const MAX_UNIT_BUCKETS: usize = 49;

#[cfg(test)]
mod catalog_tests;
#[cfg(test)]
mod front_desk_tests;
#[cfg(test)]
mod tests;
