//! Moves a booking on: a guest cancels their own; the vendor's staff confirm a desk hold, cancel,
//! check in, complete or mark a no-show (an online hold is confirmed by its payment, never here).
//! Repeating a request that already took effect changes nothing and answers 200. Staff cancelling on the
//! guest's request (`"requested_by": "guest"`) settle the deposit by the guest's terms; by
//! default a cancellation by staff is the vendor's and refunds everything. Staff checking a guest
//! in here is `POST /booking/{id}/check-in` at the desk with early arrival allowed: from the
//! arrival day only, with a room given when the type's rooms are registered.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Deserialize;
use shared::auth::Caller;
use shared::domain::booking::{BookingAction, BookingStatus};
use shared::domain::ids::BookingId;
use shared::domain::unit::CheckInMethod;
use shared::engine::{self, AssignError, CheckIn, Requester, TransitionError};
use shared::http::{Problem, json_body, json_with_etag, path_id, respond};
use shared::store::{ArchiveIndex, BookingStore, ResourceStore, UnitStore};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    status: Option<BookingStatus>,
    requested_by: Option<RequestedBy>,
}

/// Who asked for a cancellation made by staff.
#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum RequestedBy {
    Guest,
    Vendor,
}

pub async fn handler(
    store: &(impl ResourceStore + BookingStore + UnitStore),
    archive: &impl ArchiveIndex,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(update_status(store, archive, &req).await)
}

async fn update_status(
    store: &(impl ResourceStore + BookingStore + UnitStore),
    archive: &impl ArchiveIndex,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let id = path_id(req, "bookingid", "booking", BookingId::parse)?;
    let body: StatusBody = json_body(req)?;
    let target = body
        .status
        .ok_or_else(|| Problem::field("/status", "is required"))?;
    // CONFIRMED is staff confirming a desk hold; an online hold is confirmed by its deposit.
    let action = BookingAction::leading_to(target)
        .filter(|a| *a != BookingAction::Expire)
        .ok_or_else(|| {
            Problem::field(
                "/status",
                "must be CONFIRMED, CANCELLED, CHECKED_IN, COMPLETED or NO_SHOW",
            )
        })?;
    let requester = match (body.requested_by, &caller) {
        (
            None | Some(RequestedBy::Vendor),
            Caller::Staff { .. } | Caller::Housekeeping { .. } | Caller::Admin(_),
        )
        | (None | Some(RequestedBy::Guest), Caller::Guest(_)) => Requester::Caller(caller.clone()),
        (Some(RequestedBy::Guest), _) if action == BookingAction::Cancel => {
            Requester::ForGuest(caller.clone())
        }
        (Some(RequestedBy::Guest), _) => {
            return Err(Problem::field(
                "/requested_by",
                "only a cancellation can be made on the guest's request",
            ));
        }
        (Some(RequestedBy::Vendor), Caller::Guest(_)) => {
            return Err(Problem::field(
                "/requested_by",
                "a guest cancels on their own request: send \"guest\" or nothing",
            ));
        }
    };
    let now = shared::clock::now();
    // A guest's own request goes through the lifecycle, which tells them they may not (403).
    if action == BookingAction::CheckIn && !matches!(caller, Caller::Guest(_)) {
        // The same check-in as `POST .../check-in` at the desk, early allowed: a room is given
        // when the type's rooms are registered, and only from the arrival day.
        let desk = CheckIn {
            method: CheckInMethod::Desk,
            unit: None,
            id_checked: false,
            early: true,
        };
        let booking = match engine::check_in(store, id, &desk, &requester, now).await {
            Err(AssignError::NotFound) => {
                return Err(shared::http::not_live(archive, &caller, id).await);
            }
            moved => moved?,
        };
        return Ok(json_with_etag(StatusCode::OK, &booking, booking.version));
    }
    let booking = match engine::transition(store, id, action, &requester, now).await {
        Err(TransitionError::NotFound) => {
            return Err(shared::http::not_live(archive, &caller, id).await);
        }
        moved => moved?,
    };
    tracing::info!(booking_id = %booking.id, status = %booking.status, "booking status");
    Ok(json_with_etag(StatusCode::OK, &booking, booking.version))
}
