//! A manager of the vendor reverses a booking's invoice, in full or in part, with a credit note:
//! `{"lines": [0, 2], "reason": "..."}` credits those lines of the invoice (by position) in full,
//! `{"amount_minor": 2500, "reason": "..."}` that much of its gross, VAT included. The invoice
//! itself never changes; the credit note takes the next number of the vendor's sequence. A line
//! is credited once at most, and credit notes together never exceed the invoice. Desk staff are
//! refused (403); anyone who may not see the booking is told it does not exist.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Deserialize;
use shared::auth::Caller;
use shared::billing::{BillingStore, CreditError, billing_of, booking_and_vendor};
use shared::domain::ids::BookingId;
use shared::domain::invoice::{CreditRefused, CreditRequest};
use shared::engine::may_read;
use shared::http::{Problem, json_body, path_id, respond};
use shared::store::{ArchiveIndex, ArchiveRecords, BookingStore, VendorStore};

pub async fn handler(
    store: &(impl BookingStore + VendorStore),
    archive: &impl ArchiveIndex,
    records: &impl ArchiveRecords,
    billing: &impl BillingStore,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(create(store, archive, records, billing, &req).await)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreditInput {
    lines: Option<Vec<usize>>,
    amount_minor: Option<i64>,
    reason: String,
}

impl TryFrom<CreditInput> for (CreditRequest, String) {
    type Error = Problem;

    fn try_from(input: CreditInput) -> Result<Self, Problem> {
        let request = match (input.lines, input.amount_minor) {
            (Some(lines), None) => CreditRequest::Lines(lines),
            (None, Some(amount)) => CreditRequest::Amount(amount),
            (Some(_), Some(_)) => {
                return Err(Problem::field(
                    "/amount_minor",
                    "send either lines or amount_minor, not both",
                ));
            }
            (None, None) => {
                return Err(Problem::field(
                    "/lines",
                    "send the invoice's lines to credit, or amount_minor",
                ));
            }
        };
        Ok((request, input.reason))
    }
}

fn problem(err: CreditError) -> Problem {
    match err {
        CreditError::NoInvoice => Problem::conflict(
            "not-invoiced",
            "The booking has no invoice",
            "a booking is invoiced once it is COMPLETED",
        ),
        CreditError::Refused(refused) => refused_problem(refused),
        CreditError::Unexpected(cause) => Problem::internal(&cause),
    }
}

fn refused_problem(refused: CreditRefused) -> Problem {
    let detail = refused.to_string();
    match refused {
        CreditRefused::Nothing => Problem::field("/amount_minor", detail),
        CreditRefused::UnknownLine(_) => Problem::field("/lines", detail),
        CreditRefused::Reason => Problem::field("/reason", detail),
        CreditRefused::LineCredited(line) => {
            Problem::conflict("line-credited", "The line was credited already", detail)
                .with_extension("line", serde_json::json!(line))
        }
        CreditRefused::ExceedsInvoice { remaining_minor } => Problem::conflict(
            "exceeds-invoice",
            "Credit notes may not exceed the invoice",
            detail,
        )
        .with_extension("remaining_minor", serde_json::json!(remaining_minor)),
    }
}

async fn create(
    store: &(impl BookingStore + VendorStore),
    archive: &impl ArchiveIndex,
    records: &impl ArchiveRecords,
    billing: &impl BillingStore,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let id = path_id(req, "bookingid", "booking", BookingId::parse)?;
    let (booking, vendor) = booking_and_vendor(store, archive, records, id, |booking| {
        may_read(&caller, booking)
    })
    .await
    .map_err(|e| Problem::internal(&e))?
    .ok_or_else(|| Problem::not_found("booking"))?;
    if !caller.manages(booking.vendor_id) {
        return Err(Problem::forbidden(
            "only a manager of the vendor may issue a credit note",
        ));
    }
    let input: CreditInput = json_body(req)?;
    let (request, reason) = input.try_into()?;
    let now = shared::clock::now();
    // A completed booking the invoicer has not reached yet is invoiced first.
    billing_of(billing, &booking, &vendor.taxes, now)
        .await
        .map_err(|e| Problem::internal(&e))?;
    let note = billing
        .issue_credit_note(id, request, reason, now)
        .await
        .map_err(problem)?;
    tracing::info!(booking_id = %id, vendor_id = %booking.vendor_id, number = %note.number, invoice = %note.draft.invoice_number, "credit note issued");
    Ok(shared::http::json(StatusCode::CREATED, &note))
}
