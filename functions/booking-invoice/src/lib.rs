//! A booking's invoice with its credit notes, for its guest and its vendor's staff (managers and
//! desk); anyone else (housekeepers, other guests, other vendors, admins) is told the booking
//! does not exist, as the other booking routes do. JSON unless `Accept: application/pdf`. A
//! COMPLETED booking not invoiced yet is invoiced now, in the same transaction the invoicer
//! uses, so a lagging consumer never shows.
use http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Error, Request, Response};
use shared::auth::Caller;
use shared::billing::archive::letterhead;
use shared::billing::pdf::{Letterhead, render};
use shared::billing::{BillingStore, billing_of, booking_and_vendor};
use shared::domain::ids::BookingId;
use shared::engine::may_read;
use shared::http::{Problem, path_id, respond};
use shared::store::{ArchiveIndex, ArchiveRecords, BookingStore, VendorStore};

pub async fn handler(
    store: &(impl BookingStore + VendorStore),
    archive: &impl ArchiveIndex,
    records: &impl ArchiveRecords,
    billing: &impl BillingStore,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(invoice(store, archive, records, billing, &req).await)
}

fn wants_pdf(req: &Request) -> bool {
    req.headers()
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|media| {
            media
                .split(';')
                .next()
                .is_some_and(|m| m.trim() == "application/pdf")
        })
}

async fn invoice(
    store: &(impl BookingStore + VendorStore),
    archive: &impl ArchiveIndex,
    records: &impl ArchiveRecords,
    billing: &impl BillingStore,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let id = path_id(req, "bookingid", "booking", BookingId::parse)?;
    let (booking, vendor) = booking_and_vendor(store, archive, records, id, |booking| {
        matches!(caller, Caller::Guest(_) | Caller::Staff { .. }) && may_read(&caller, booking)
    })
    .await
    .map_err(|e| Problem::internal(&e))?
    .ok_or_else(|| Problem::not_found("booking"))?;
    let found = billing_of(billing, &booking, &vendor.taxes, shared::clock::now())
        .await
        .map_err(|e| Problem::internal(&e))?
        .ok_or_else(|| {
            Problem::new(
                StatusCode::NOT_FOUND,
                "not-invoiced",
                "The booking has no invoice",
            )
            .with_detail(format!(
                "a booking is invoiced once it is COMPLETED; this one is {}",
                booking.status.as_str()
            ))
        })?;
    let mut response = if wants_pdf(req) {
        let (vendor_name, vendor_address) = letterhead(&vendor);
        let pdf = render(
            &found,
            &Letterhead {
                vendor_name: &vendor_name,
                vendor_address: &vendor_address,
            },
        );
        let mut response = Response::new(Body::Binary(pdf));
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/pdf"),
        );
        if let Ok(value) = HeaderValue::from_str(&format!(
            "inline; filename=\"invoice-{}.pdf\"",
            found.invoice.number
        )) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
        response
    } else {
        shared::http::json(StatusCode::OK, &found)
    };
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}
