//! A booking's history, oldest first: every fact it went through, as the `booking-history`
//! consumer recorded it. Read by whoever may read the booking (its guest, its vendor's staff,
//! admins), live or archived; anyone else is told it does not exist, as `GET /booking/{id}` does.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Serialize;
use shared::auth::Caller;
use shared::domain::ids::BookingId;
use shared::engine::may_read_of;
use shared::http::{Problem, json, path_id, respond};
use shared::store::{ArchiveIndex, BookingStore, HistoryEntry, HistoryLog};

#[derive(Serialize)]
struct History {
    booking_id: BookingId,
    items: Vec<HistoryEntry>,
}

pub async fn handler(
    store: &impl BookingStore,
    archive: &impl ArchiveIndex,
    log: &impl HistoryLog,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(get_history(store, archive, log, &req).await)
}

async fn get_history(
    store: &impl BookingStore,
    archive: &impl ArchiveIndex,
    log: &impl HistoryLog,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let id = path_id(req, "bookingid", "booking", BookingId::parse)?;
    let owners = match store.booking(id).await {
        Ok(Some(booking)) => Some((booking.guest_id, booking.vendor_id)),
        // Read after the live table: a booking moved out meanwhile is in the archive by now.
        Ok(None) => archive
            .archived(id)
            .await
            .map_err(|e| Problem::internal(&e))?
            .map(|entry| (entry.guest_id, entry.vendor_id)),
        Err(cause) => return Err(Problem::internal(&cause)),
    };
    if !owners.is_some_and(|(guest, vendor)| may_read_of(&caller, guest, vendor)) {
        return Err(Problem::not_found("booking"));
    }
    let items = log.history(id).await.map_err(|e| Problem::internal(&e))?;
    Ok(json(
        StatusCode::OK,
        &History {
            booking_id: id,
            items,
        },
    ))
}
