//! A booking in full, for its guest, its vendor's staff and admins (staff also get the guest's
//! name, `guest_name`). Anyone else is told it does not exist, so booking ids reveal nothing. An archived booking is read back from its
//! record and marked `"archived": true`.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use shared::api::bookings::{Marked, guest_names, with_guest_names};
use shared::auth::Caller;
use shared::domain::ids::BookingId;
use shared::engine::{may_read, may_read_of};
use shared::http::{Problem, json_with_etag, path_id, respond};
use shared::store::{ArchiveIndex, ArchiveRecords, BookingStore, GuestStore};

pub async fn handler(
    store: &(impl BookingStore + GuestStore),
    archive: &impl ArchiveIndex,
    records: &impl ArchiveRecords,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(get_booking(store, archive, records, &req).await)
}

async fn get_booking(
    store: &(impl BookingStore + GuestStore),
    archive: &impl ArchiveIndex,
    records: &impl ArchiveRecords,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let id = path_id(req, "bookingid", "booking", BookingId::parse)?;
    match store.booking(id).await {
        Ok(Some(booking)) if may_read(&caller, &booking) => {
            let body = serde_json::to_value(&booking).map_err(|e| Problem::internal(&e.into()))?;
            if !caller.is_staff_of(booking.vendor_id) {
                return Ok(json_with_etag(StatusCode::OK, &body, booking.version));
            }
            let names = guest_names(store, &[&booking])
                .await
                .map_err(|e| Problem::internal(&e))?;
            Ok(json_with_etag(
                StatusCode::OK,
                &with_guest_names(body, &names),
                booking.version,
            ))
        }
        Ok(Some(_)) => Err(Problem::not_found("booking")),
        // Read after the live table: a booking moved out meanwhile is in the archive by now.
        Ok(None) => archived(archive, records, &caller, id).await,
        Err(cause) => Err(Problem::internal(&cause)),
    }
}

async fn archived(
    archive: &impl ArchiveIndex,
    records: &impl ArchiveRecords,
    caller: &Caller,
    id: BookingId,
) -> Result<Response<Body>, Problem> {
    let entry = archive
        .archived(id)
        .await
        .map_err(|e| Problem::internal(&e))?
        .filter(|entry| may_read_of(caller, entry.guest_id, entry.vendor_id))
        .ok_or_else(|| Problem::not_found("booking"))?;
    let booking = records
        .record(&entry.record_key)
        .await
        .map_err(|e| Problem::internal(&e))?
        .ok_or_else(|| {
            Problem::internal(&anyhow::anyhow!(
                "archived booking {id} has no record at its key"
            ))
        })?;
    let marked = Marked {
        item: &booking,
        archived: true,
    };
    Ok(json_with_etag(StatusCode::OK, &marked, booking.version))
}
