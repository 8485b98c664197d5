//! How failures of units, assignment, check-in and blocks look to a client.
use super::Problem;
use crate::domain::calendar::Bucket;
use crate::domain::ids::UnitId;
use crate::engine::{AssignError, BlockError, CheckInRefused, UnitError};
use serde_json::{Value, json};

/// Buckets as a client reads them: the dates of nights, or the start instants of slots.
fn named(buckets: &[Bucket]) -> (&'static str, Value) {
    let nights: Vec<String> = buckets
        .iter()
        .filter_map(|b| match b {
            Bucket::Night(date) => Some(date.to_string()),
            Bucket::Slot(_) => None,
        })
        .collect();
    if nights.len() == buckets.len() {
        ("nights", json!(nights))
    } else {
        ("slots", json!(buckets))
    }
}

/// Unit `number` is occupied on `buckets`: the 409 that names the room and the nights.
pub(super) fn unit_taken(unit: UnitId, number: &str, buckets: &[Bucket]) -> Problem {
    let (name, value) = named(buckets);
    Problem::conflict(
        "unit-taken",
        "The room or table is taken",
        format!("unit {number} is taken on {value}"),
    )
    .with_extension("unit_id", json!(unit.to_string()))
    .with_extension("unit_number", json!(number))
    .with_extension(name, value)
}

impl From<AssignError> for Problem {
    fn from(err: AssignError) -> Self {
        match err {
            AssignError::NotFound => Problem::not_found("booking"),
            AssignError::Forbidden => {
                Problem::forbidden("only staff of the vendor put bookings in rooms or tables")
            }
            AssignError::UnitUnsuitable(detail) => Problem::field("/unit_id", detail),
            AssignError::NotLive(status) => Problem::conflict(
                "booking-not-live",
                "The booking has ended",
                format!("a booking that is {status} has no room or table"),
            )
            .with_extension("booking_status", json!(status)),
            AssignError::TooLong(buckets) => Problem::field(
                "/unit_id",
                format!(
                    "this booking covers {buckets} nights or slots; one unit is given for at most {} (split the stay)",
                    crate::engine::MAX_UNIT_BUCKETS
                ),
            ),
            AssignError::SeveralUnits(units) => Problem::field(
                "/unit_id",
                format!("this booking takes {units} units; put each in a room by its own booking"),
            ),
            AssignError::UnitTaken {
                unit,
                number,
                buckets,
            } => unit_taken(unit, &number, &buckets),
            AssignError::NoneFree { not_ready } => Problem::conflict(
                "no-unit-free",
                "No room or table is free",
                if not_ready.is_empty() {
                    "no unit of this type that fits is free for the whole booking".to_owned()
                } else {
                    "the units free for the whole booking are not clean yet".to_owned()
                },
            )
            .with_extension("not_ready", json!(not_ready)),
            AssignError::NotReady(number) => Problem::conflict(
                "unit-not-ready",
                "The room is not ready",
                format!("unit {number} is not clean yet: choose another, or have it cleaned"),
            )
            .with_extension("unit_number", json!(number)),
            AssignError::CheckedIn => Problem::conflict(
                "checked-in",
                "The guest is checked in",
                "a checked-in guest is moved to another room, not taken out of theirs",
            ),
            AssignError::CheckIn(refused) => refused.into(),
            AssignError::Busy => Problem::edit_conflict(),
            AssignError::Unexpected(cause) => Problem::internal(&cause),
        }
    }
}

impl From<CheckInRefused> for Problem {
    fn from(refused: CheckInRefused) -> Self {
        let detail = refused.to_string();
        match refused {
            // The lifecycle's own answer, as for any other move it does not allow.
            CheckInRefused::Status(status) => Problem::conflict(
                "invalid-transition",
                "The booking cannot make that change",
                format!("cannot check in a booking that is {status}"),
            )
            .with_extension("booking_status", json!(status)),
            CheckInRefused::TooEarly {
                opens_at,
                arrival_day,
            } => Problem::conflict(
                "check-in-too-early",
                "Too early to check in",
                if arrival_day {
                    "check-in opens at the check-in time; staff may let a guest in early".to_owned()
                } else {
                    "nobody checks in before the arrival day".to_owned()
                },
            )
            .with_extension("opens_at", json!(opens_at)),
            CheckInRefused::TooLate => {
                Problem::conflict("check-in-too-late", "The booking's time is over", detail)
            }
            CheckInRefused::DepositUnpaid => {
                Problem::conflict("deposit-unpaid", "The deposit is not paid", detail)
            }
            CheckInRefused::Method => Problem::field("/method", detail),
        }
    }
}

impl From<UnitError> for Problem {
    fn from(err: UnitError) -> Self {
        match err {
            UnitError::NotFound => Problem::not_found("unit"),
            UnitError::NoSuchType => {
                Problem::field("/resource_id", "is not a room or table type of this vendor")
            }
            UnitError::Invalid(pointer, detail) => Problem::field(pointer, detail),
            UnitError::NumberTaken => Problem::conflict(
                "unit-number-taken",
                "The number is taken",
                "another room or table of this vendor has this number",
            ),
            UnitError::KeyReused => Problem::new(
                http::StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "The Idempotency-Key was used for a different request",
            )
            .with_detail("this key reported another status: use a new key for a new report"),
            UnitError::Occupied(bookings) => Problem::conflict(
                "unit-occupied",
                "Bookings are put in this unit",
                "move these bookings to other units first",
            )
            .with_extension("bookings", json!(bookings)),
            UnitError::Busy => Problem::edit_conflict(),
            UnitError::Unexpected(cause) => Problem::internal(&cause),
        }
    }
}

impl From<BlockError> for Problem {
    fn from(err: BlockError) -> Self {
        match err {
            BlockError::UnitNotFound => Problem::not_found("unit"),
            BlockError::NotFound => Problem::not_found("block"),
            BlockError::Invalid(pointer, detail) => Problem::field(pointer, detail),
            BlockError::SoldOut { buckets, bookings } => {
                let (name, value) = named(&buckets);
                Problem::conflict(
                    "sold-out",
                    "No room of the type to spare",
                    "every unit of the type is sold on these dates: move or cancel these bookings first",
                )
                .with_extension(name, value)
                .with_extension("bookings", json!(bookings))
            }
            BlockError::Occupied { buckets, bookings } => {
                let (name, value) = named(&buckets);
                Problem::conflict(
                    "unit-occupied",
                    "The unit is occupied",
                    "bookings are put in this unit on these dates: move them first",
                )
                .with_extension(name, value)
                .with_extension("bookings", json!(bookings))
            }
            BlockError::Unexpected(cause) => Problem::internal(&cause),
        }
    }
}

/// A door key as its holder's phone or device receives it: the signed token, the number on the
/// door and the window it opens in.
pub async fn door_key(
    signer: &impl crate::auth::TokenSigner,
    settings: &crate::auth::TokenSettings,
    key: &crate::auth::DoorKey,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Value, Problem> {
    let issued = crate::auth::issue_door_key(signer, settings, key, now)
        .await
        .map_err(|e| Problem::internal(&e))?;
    Ok(json!({
        "token": issued.token,
        "unit": key.unit_number,
        "valid_from": key.valid_from,
        "valid_to": key.valid_to,
    }))
}
