//! Staff check a guest out: the booking is COMPLETED, a departure before the booked end frees
//! the remaining nights (counters and the room) and re-prices the stay, and the room becomes
//! dirty, all in one transaction.
use chrono::Utc;
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use shared::auth::Caller;
use shared::domain::booking::BookingAction;
use shared::domain::ids::BookingId;
use shared::engine::{self, Requester};
use shared::http::{Problem, json_with_etag, path_id, respond};
use shared::store::{BookingStore, ResourceStore};

pub async fn handler(
    store: &(impl BookingStore + ResourceStore),
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(check_out(store, &req).await)
}

async fn check_out(
    store: &(impl BookingStore + ResourceStore),
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let id = path_id(req, "bookingid", "booking", BookingId::parse)?;
    let booking = engine::transition(
        store,
        id,
        BookingAction::Complete,
        &Requester::Caller(caller),
        Utc::now(),
    )
    .await?;
    Ok(json_with_etag(StatusCode::OK, &booking, booking.version))
}
