//! Staff check a guest out: the booking is COMPLETED, a departure before the booked end frees
//! the remaining nights (counters and the room) and re-prices the stay, and the room becomes
//! dirty, all in one transaction. An optional `Idempotency-Key` header makes a resend safe: the
//! same key again answers 200 with the booking as it is now and `Idempotent-Replayed: true`,
//! writing nothing; a booking checked out by another request is 409.
use http::{HeaderValue, StatusCode};
use lambda_http::{Body, Error, Request, Response};
use shared::auth::Caller;
use shared::domain::idempotency::Delivery;
use shared::domain::ids::BookingId;
use shared::engine::{self, Requester};
use shared::http::{Problem, idempotency_key, json_with_etag, path_id, respond};
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
    let key = idempotency_key(req)?;
    let (booking, delivery) = engine::check_out(
        store,
        id,
        key.as_ref(),
        &Requester::Caller(caller),
        shared::clock::now(),
    )
    .await?;
    let mut response = json_with_etag(StatusCode::OK, &booking, booking.version);
    if delivery == Delivery::Replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}
