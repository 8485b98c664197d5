//! How the booking engine's failures look to a client, in one place for every endpoint that
//! runs it.
use super::Problem;
use crate::auth::Caller;
use crate::domain::ids::BookingId;
use crate::domain::terms::ChangeRefused;
use crate::engine::{ChangeError, HoldError, TransitionError, may_read_of};
use crate::store::ArchiveIndex;
use http::StatusCode;
use serde_json::json;

impl From<HoldError> for Problem {
    fn from(err: HoldError) -> Self {
        match err {
            HoldError::VendorNotFound => Problem::not_found("vendor"),
            HoldError::ResourceNotFound => {
                Problem::field("/resource_id", "is not a room or table type of this vendor")
            }
            HoldError::NoFit(no_fit) => Problem::field("/party_size", no_fit.to_string()),
            HoldError::Invalid(errors) => errors.into(),
            HoldError::SoldOut { resource, buckets } => Problem::conflict(
                "sold-out",
                "Sold out",
                "not enough units are left for every night or slot asked for",
            )
            .with_extension("resource_id", json!(resource.to_string()))
            .with_extension("sold_out", json!(buckets)),
            HoldError::KeyReused => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "The Idempotency-Key was used for a different request",
            )
            .with_detail("use a new key for a new booking"),
            HoldError::KeyExpired => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-expired",
                "The Idempotency-Key has expired",
            )
            .with_detail("keys are honoured for 24 hours; use a new key"),
            HoldError::Unexpected(cause) => Problem::internal(&cause),
        }
    }
}

impl From<TransitionError> for Problem {
    fn from(err: TransitionError) -> Self {
        match err {
            TransitionError::NotFound => Problem::not_found("booking"),
            TransitionError::Forbidden(action) => {
                Problem::forbidden(format!("you may not {} this booking", action.verb()))
            }
            TransitionError::Invalid(invalid) => Problem::conflict(
                "invalid-transition",
                "The booking cannot make that change",
                invalid.to_string(),
            )
            .with_extension("booking_status", json!(invalid.from)),
            TransitionError::AwaitsOnlineDeposit => Problem::conflict(
                "awaits-online-deposit",
                "The hold waits for its online deposit",
                "a guest's online hold is confirmed by paying its deposit; staff confirm desk holds only",
            ),
            TransitionError::NotExpiredYet => Problem::conflict(
                "hold-not-expired",
                "The hold has not expired yet",
                "wait until it is due",
            ),
            TransitionError::TooEarly { allowed_from } => Problem::conflict(
                "no-show-too-early",
                "Too early for a no-show",
                "a guest is a no-show only once the arrival time and its grace have passed",
            )
            .with_extension("allowed_from", json!(allowed_from)),
            TransitionError::Busy => Problem::edit_conflict(),
            TransitionError::Unexpected(cause) => Problem::internal(&cause),
        }
    }
}

impl From<ChangeError> for Problem {
    fn from(err: ChangeError) -> Self {
        match err {
            ChangeError::NotFound => Problem::not_found("booking"),
            ChangeError::NotChangeable(status) => Problem::conflict(
                "not-changeable",
                "The booking can no longer be changed",
                format!(
                    "only HELD or CONFIRMED bookings change (and staff extend a CHECKED_IN stay); this one is {status}"
                ),
            )
            .with_extension("booking_status", json!(status)),
            ChangeError::Rejected(hold) => hold.into(),
            ChangeError::Refused(refused) => change_refused(refused),
            ChangeError::UnitTaken {
                unit,
                number,
                buckets,
            } => super::units::unit_taken(unit, &number, &buckets)
                .with_detail(format!(
                    "the guest's room {number} is taken by another booking then: move that booking or the guest first"
                )),
            ChangeError::Busy => Problem::edit_conflict(),
            // Only a guest in the house keeps a room through a change this large.
            ChangeError::TooLarge => Problem::field(
                "/check_out",
                "a stay in its room changes by fewer nights at once: change the departure in steps",
            ),
            ChangeError::Unexpected(cause) => Problem::internal(&cause),
        }
    }
}

fn change_refused(refused: ChangeRefused) -> Problem {
    let detail = refused.to_string();
    match refused {
        ChangeRefused::LateWindow { free_until } => {
            Problem::conflict("late-change", "Too late to change the booking", detail)
                .with_extension("free_until", json!(free_until))
        }
        ChangeRefused::ArrivalPassed => {
            Problem::conflict("arrival-passed", "The arrival time has passed", detail)
        }
        ChangeRefused::DepositIncrease { required, paid } => Problem::conflict(
            "deposit-increase",
            "The change needs a larger deposit",
            format!("{detail}; cancel and book again, or ask the front desk"),
        )
        .with_extension("deposit_required", json!(required))
        .with_extension("deposit_paid", json!(paid)),
        ChangeRefused::DepositPending { required, asked } => Problem::conflict(
            "deposit-pending",
            "The hold's deposit is being paid",
            format!("{detail}; pay the hold first, or cancel it and hold again"),
        )
        .with_extension("deposit_required", json!(required))
        .with_extension("deposit_asked", json!(asked)),
    }
}

/// What a change to a booking missing from the bookings table answers: a 409 when it was
/// archived and the caller may see it, otherwise the 404 it was.
pub async fn not_live(archive: &impl ArchiveIndex, caller: &Caller, id: BookingId) -> Problem {
    match archive.archived(id).await {
        Ok(Some(entry)) if may_read_of(caller, entry.guest_id, entry.vendor_id) => {
            Problem::conflict(
                "archived",
                "The booking is archived",
                "an archived booking can no longer be changed",
            )
            .with_extension("booking_status", json!(entry.status))
        }
        Ok(_) => Problem::not_found("booking"),
        Err(cause) => Problem::internal(&cause),
    }
}
