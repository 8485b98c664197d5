//! A booking's audit receipt, for its guest and its vendor's staff only (anyone else, admins
//! included, is told the booking does not exist): each of its leaves with its inclusion proof
//! against the vendor's latest checkpoint, the signed checkpoint, the booking's commitment secret,
//! and the identity its guest commitments cover. Facts recorded after the latest checkpoint are
//! counted in `pending`; before any of them is signed the answer is a 404 with `pending` and a
//! `Retry-After`. Save `receipt` to a file and check it offline with `tlog-verify receipt`.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use shared::audit::AuditLog;
use shared::audit::proofs::booking_receipt;
use shared::auth::Caller;
use shared::domain::ids::{BookingId, UserId, VendorId};
use shared::engine::may_read_of;
use shared::http::{Problem, path_id, respond};
use shared::store::{ArchiveIndex, BookingStore};

/// How long a client waits before asking again for facts not signed yet: the signer's period.
const RETRY_AFTER_SECONDS: u64 = 60;

pub async fn handler(
    store: &impl BookingStore,
    archive: &impl ArchiveIndex,
    log: &impl AuditLog,
    issuer: &str,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(receipt(store, archive, log, issuer, &req).await)
}

/// Whose booking it is: its guest account (none for a desk guest) and its vendor.
async fn owner(
    store: &impl BookingStore,
    archive: &impl ArchiveIndex,
    id: BookingId,
) -> Result<Option<(Option<UserId>, VendorId)>, Problem> {
    if let Some(booking) = store.booking(id).await.map_err(|e| Problem::internal(&e))? {
        return Ok(Some((booking.guest_id, booking.vendor_id)));
    }
    Ok(archive
        .archived(id)
        .await
        .map_err(|e| Problem::internal(&e))?
        .map(|entry| (entry.guest_id, entry.vendor_id)))
}

async fn receipt(
    store: &impl BookingStore,
    archive: &impl ArchiveIndex,
    log: &impl AuditLog,
    issuer: &str,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let id = path_id(req, "bookingid", "booking", BookingId::parse)?;
    let (guest, vendor) = owner(store, archive, id)
        .await?
        .filter(|&(guest, vendor)| {
            // The secret links the booking's leaves to its guest: only the guest and the
            // vendor's own staff hold it, not an admin.
            matches!(caller, Caller::Guest(_) | Caller::Staff { .. })
                && may_read_of(&caller, guest, vendor)
        })
        .ok_or_else(|| Problem::not_found("booking"))?;
    let (receipt, pending) = booking_receipt(log, issuer, vendor, id, guest)
        .await
        .map_err(|e| match e.is_damage() {
            true => Problem::audit_log_damaged(vendor),
            false => Problem::internal(&e.into()),
        })?;
    match receipt {
        Some(receipt) => {
            let mut response = shared::http::json(StatusCode::OK, &receipt);
            // It carries the booking's commitment secret: no shared cache may keep it.
            response.headers_mut().insert(
                http::header::CACHE_CONTROL,
                http::HeaderValue::from_static("private, no-store"),
            );
            Ok(response)
        }
        None => Err(Problem::new(
            StatusCode::NOT_FOUND,
            "receipt-pending",
            "No signed checkpoint covers this booking yet",
        )
        .with_detail(format!(
            "{pending} fact(s) of this booking wait for the next checkpoint; ask again shortly"
        ))
        .with_extension("pending", pending.into())
        .with_header(http::header::RETRY_AFTER, RETRY_AFTER_SECONDS.to_string())),
    }
}
