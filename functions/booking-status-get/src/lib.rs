//! Where a booking is in its lifecycle, cheaply pollable by a client waiting for payment.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Serialize;
use shared::auth::Caller;
use shared::domain::booking::BookingStatus;
use shared::domain::ids::BookingId;
use shared::engine::may_read;
use shared::http::{Problem, json_with_etag, path_id, respond};
use shared::store::BookingStore;

#[derive(Serialize)]
struct Status {
    id: BookingId,
    status: BookingStatus,
    version: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    hold_expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

pub async fn handler(store: &impl BookingStore, req: Request) -> Result<Response<Body>, Error> {
    respond(get_status(store, &req).await)
}

async fn get_status(store: &impl BookingStore, req: &Request) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let id = path_id(req, "bookingid", "booking", BookingId::parse)?;
    match store.booking(id).await {
        Ok(Some(booking)) if may_read(&caller, &booking) => {
            let status = Status {
                id: booking.id,
                status: booking.status,
                version: booking.version,
                hold_expires_at: booking.hold_expires_at,
            };
            Ok(json_with_etag(StatusCode::OK, &status, booking.version))
        }
        Ok(_) => Err(Problem::not_found("booking")),
        Err(cause) => Err(Problem::internal(&cause)),
    }
}
