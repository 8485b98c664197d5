//! A booking in full, for its guest, its vendor's staff and admins. Anyone else is told it
//! does not exist, so booking ids reveal nothing.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use shared::auth::Caller;
use shared::domain::ids::BookingId;
use shared::engine::may_read;
use shared::http::{Problem, json_with_etag, path_id, respond};
use shared::store::BookingStore;

pub async fn handler(store: &impl BookingStore, req: Request) -> Result<Response<Body>, Error> {
    respond(get_booking(store, &req).await)
}

async fn get_booking(store: &impl BookingStore, req: &Request) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let id = path_id(req, "bookingid", "booking", BookingId::parse)?;
    match store.booking(id).await {
        Ok(Some(booking)) if may_read(&caller, &booking) => {
            Ok(json_with_etag(StatusCode::OK, &booking, booking.version))
        }
        Ok(_) => Err(Problem::not_found("booking")),
        Err(cause) => Err(Problem::internal(&cause)),
    }
}
