//! Where a booking is in its lifecycle, cheaply pollable by a client waiting for payment. An
//! archived booking answers from its archive entry (its final status).
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Serialize;
use shared::auth::Caller;
use shared::domain::booking::BookingStatus;
use shared::domain::ids::BookingId;
use shared::engine::{may_read, may_read_of};
use shared::http::{Problem, json_with_etag, path_id, respond};
use shared::store::{ArchiveIndex, BookingStore};

#[derive(Serialize)]
struct Status {
    id: BookingId,
    status: BookingStatus,
    version: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    hold_expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

pub async fn handler(
    store: &impl BookingStore,
    archive: &impl ArchiveIndex,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(get_status(store, archive, &req).await)
}

async fn get_status(
    store: &impl BookingStore,
    archive: &impl ArchiveIndex,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let id = path_id(req, "bookingid", "booking", BookingId::parse)?;
    let status = match store.booking(id).await {
        Ok(Some(booking)) if may_read(&caller, &booking) => Status {
            id: booking.id,
            status: booking.status,
            version: booking.version,
            hold_expires_at: booking.hold_expires_at,
        },
        Ok(Some(_)) => return Err(Problem::not_found("booking")),
        Ok(None) => match archive.archived(id).await {
            Ok(Some(entry)) if may_read_of(&caller, entry.guest_id, entry.vendor_id) => Status {
                id: entry.id,
                status: entry.status,
                version: entry.version,
                hold_expires_at: None,
            },
            Ok(_) => return Err(Problem::not_found("booking")),
            Err(cause) => return Err(Problem::internal(&cause)),
        },
        Err(cause) => return Err(Problem::internal(&cause)),
    };
    Ok(json_with_etag(StatusCode::OK, &status, status.version))
}
