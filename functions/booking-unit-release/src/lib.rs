//! Staff take a booking that is not checked in out of its room or table; its nights or slots
//! are freed in the same transaction.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use shared::auth::Caller;
use shared::domain::ids::BookingId;
use shared::engine::{self, Requester};
use shared::http::{Problem, json_with_etag, path_id, respond};
use shared::store::{BookingStore, ResourceStore};

pub async fn handler(
    store: &(impl BookingStore + ResourceStore),
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(release(store, &req).await)
}

async fn release(
    store: &(impl BookingStore + ResourceStore),
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let id = path_id(req, "bookingid", "booking", BookingId::parse)?;
    let booking =
        engine::unassign(store, id, &Requester::Caller(caller), shared::clock::now()).await?;
    Ok(json_with_etag(StatusCode::OK, &booking, booking.version))
}
