//! Moving a booking along its lifecycle (confirm, expire, cancel, check in, complete, no-show),
//! and amending its record without moving it. Each is one conditional write on the booking's
//! status and version, with any inventory release in the same transaction.
use super::access::Requester;
use super::rewrite::{Edit, RewriteError, rewrite};
use crate::domain::booking::{
    Actor, Booking, BookingAction, BookingStatus, BookingTime, InvalidTransition,
};
use crate::domain::calendar::Bucket;
use crate::domain::ids::BookingId;
use crate::domain::terms::{SettlementRule, no_show_from};
use crate::store::{BookingStore, CounterChange, ResourceStore};
use chrono::{DateTime, Duration, Utc};

#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    #[error("no such booking")]
    NotFound,
    #[error("not allowed to {0:?} this booking")]
    Forbidden(BookingAction),
    #[error(transparent)]
    Invalid(#[from] InvalidTransition),
    #[error("the hold has not expired yet")]
    NotExpiredYet,
    /// Staff confirm desk holds only; a guest's online hold is confirmed by its deposit.
    #[error("the hold waits for its online deposit")]
    AwaitsOnlineDeposit,
    /// A no-show is declared only once the guest's arrival time and its grace have passed.
    #[error("a no-show can be declared from {allowed_from}")]
    TooEarly { allowed_from: DateTime<Utc> },
    #[error("the booking keeps changing")]
    Busy,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl RewriteError for TransitionError {
    fn not_found() -> Self {
        Self::NotFound
    }

    fn busy() -> Self {
        Self::Busy
    }
}

/// Moves a booking along its lifecycle as one conditional write on its status and version,
/// releasing its inventory in the same transaction when the action frees it. Repeating an action
/// that already happened changes nothing and answers with the booking as it is.
pub async fn transition(
    store: &(impl ResourceStore + BookingStore),
    id: BookingId,
    action: BookingAction,
    requester: &Requester,
    now: DateTime<Utc>,
) -> Result<Booking, TransitionError> {
    transition_with(store, id, action, requester, now, |_| Ok(())).await
}

/// `transition`, with `amend` making further changes to the moved booking in the same write
/// (payment recording what was paid as it confirms, say). `amend` sees the booking as re-read
/// on every attempt; its error aborts the transition.
pub async fn transition_with(
    store: &(impl ResourceStore + BookingStore),
    id: BookingId,
    action: BookingAction,
    requester: &Requester,
    now: DateTime<Utc>,
    amend: impl Fn(&mut Booking) -> Result<(), TransitionError>,
) -> Result<Booking, TransitionError> {
    rewrite(store, id, now, |booking| {
        let actor = requester
            .actor_for(&booking)
            .ok_or(TransitionError::NotFound)?;
        if !actor.may(action) {
            return Err(TransitionError::Forbidden(action));
        }
        if action == BookingAction::Confirm
            && actor == Actor::Staff
            && booking.status == BookingStatus::Held
            && !crate::domain::desk::staff_may_confirm(&booking)
        {
            return Err(TransitionError::AwaitsOnlineDeposit);
        }
        if booking.status == action.target() {
            return Ok(Edit::Keep(booking));
        }
        let status = booking.status.next(action)?;
        if action == BookingAction::Expire && booking.hold_expires_at.is_some_and(|at| at > now) {
            return Err(TransitionError::NotExpiredYet);
        }
        if action == BookingAction::NoShow {
            let allowed_from = no_show_from(
                &booking.payment,
                &booking.time,
                booking.time_zone.tz(),
                booking.arrival_at,
            );
            if now < allowed_from {
                return Err(TransitionError::TooEarly { allowed_from });
            }
        }
        let mut moved = booking.clone();
        moved.status = status;
        if status != BookingStatus::Held {
            moved.hold_expires_at = None;
        }
        let mut releases = if action.releases_inventory() {
            CounterChange::between(Some((&booking, 0)), None)
        } else {
            Vec::new()
        };
        if action == BookingAction::Complete {
            releases = depart_early(&mut moved, now);
        }
        // What a paid deposit comes to is decided with the move that ends the booking, at the
        // moment it happens and by who acts, so the refund consumer only carries it out.
        let rule = SettlementRule::for_ending(
            action,
            actor,
            &booking.payment,
            &booking.time,
            booking.time_zone.tz(),
            booking.arrival_at,
            now,
        );
        if let (Some(rule), Some(deposit)) = (rule, &mut moved.deposit_payment) {
            deposit
                .booking_ended(
                    rule,
                    &requester.acted_by(),
                    &booking.payment,
                    moved.quote.total,
                    booking.arrival_at,
                    now,
                )
                .map_err(|e| {
                    anyhow::anyhow!("booking {id}'s deposit cannot be settled: {}", e.0)
                })?;
        }
        amend(&mut moved)?;
        Ok(Edit::Write(moved, releases))
    })
    .await
}

/// A guest who leaves before the booked end: the nights from today on (a begun stay keeps at
/// least its first night), or the slots not yet started (a seating keeps at least its first), become
/// sellable again, and a stay is charged only for the nights kept, at the rates agreed. Returns
/// the counter releases; none when the booking ran its course.
fn depart_early(booking: &mut Booking, now: DateTime<Utc>) -> Vec<CounterChange> {
    let before = booking.clone();
    match booking.time {
        BookingTime::Stay {
            check_in,
            check_out,
        } => {
            let today = now.with_timezone(&booking.time_zone.tz()).date_naive();
            // A stay not begun yet (checked in ahead of its first night) has nothing to cut.
            let departure = today.max(check_in + Duration::days(1));
            if today < check_in || departure >= check_out {
                return Vec::new();
            }
            booking.time = BookingTime::Stay {
                check_in,
                check_out: departure,
            };
            booking
                .buckets
                .retain(|b| matches!(b, Bucket::Night(night) if *night < departure));
            booking.quote.lines.retain(|line| line.date < departure);
            let total = booking
                .quote
                .lines
                .iter()
                .map(|l| l.amount.amount_minor)
                .sum();
            booking.quote.total = booking.quote.total.with_amount(total);
        }
        BookingTime::Seating { .. } => {
            let first = booking.buckets.first().copied();
            booking
                .buckets
                .retain(|b| Some(*b) == first || matches!(b, Bucket::Slot(start) if *start < now));
        }
    }
    CounterChange::between(Some((&before, 0)), Some((booking, 0)))
}

/// Changes a booking's record without moving it along its lifecycle or touching its inventory
/// (what happened to its payment, say), as one conditional write on its status and version.
/// `edit` returns false when there is nothing to change; the booking is then returned as read.
pub async fn amend(
    store: &impl BookingStore,
    id: BookingId,
    now: DateTime<Utc>,
    edit: impl Fn(&mut Booking) -> bool,
) -> Result<Booking, TransitionError> {
    rewrite(store, id, now, |booking| {
        let mut amended = booking.clone();
        Ok(if edit(&mut amended) {
            Edit::Write(amended, Vec::new())
        } else {
            Edit::Keep(booking)
        })
    })
    .await
}
