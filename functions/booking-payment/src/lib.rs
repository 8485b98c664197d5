//! Staff of the booking's vendor record money taken at the desk (cash or the card terminal),
//! settled outside Stripe: amount, method, who took it and when, in one conditional write on the
//! booking, which its BookingUpdated fact follows. `"confirm": true` also confirms a desk hold in
//! that write. An `Idempotency-Key` header is required: a retried request records the payment
//! once.
use chrono::{DateTime, Utc};
use http::{HeaderValue, StatusCode};
use lambda_http::{Body, Error, Request, Response};
use serde::Deserialize;
use shared::auth::Caller;
use shared::domain::FieldErrors;
use shared::domain::Invalid;
use shared::domain::booking::{Booking, BookingAction};
use shared::domain::desk::{
    DeskPayment, DeskPaymentMethod, DeskPaymentOutcome, DeskPaymentRefused, PaymentReference,
    record_desk_payment,
};
use shared::domain::ids::BookingId;
use shared::domain::money::{Currency, Money};
use shared::engine::{self, Requester, TransitionError};
use shared::http::{Problem, created, json_body, path_id, required_idempotency_key, respond};
use shared::store::{ArchiveIndex, BookingStore, ResourceStore};
use std::sync::Mutex;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PaymentBody {
    amount_minor: Option<i64>,
    currency: Option<String>,
    method: Option<String>,
    reference: Option<String>,
    /// Also confirm the booking if it is a desk hold.
    #[serde(default)]
    confirm: bool,
}

/// A validated payment request.
struct PaymentRequest {
    amount: Money,
    method: DeskPaymentMethod,
    reference: Option<PaymentReference>,
    confirm: bool,
}

fn payment_request(body: PaymentBody) -> Result<PaymentRequest, FieldErrors> {
    let mut errors = FieldErrors::default();
    let currency = errors.require("/currency", body.currency, |c| Currency::parse(&c));
    let amount = errors.require("/amount_minor", body.amount_minor, |amount| {
        if amount <= 0 {
            return Err(Invalid::new("must be more than 0"));
        }
        Ok(amount)
    });
    let method = errors.require("/method", body.method, |m| DeskPaymentMethod::parse(&m));
    let reference = errors.check_opt("/reference", body.reference, |r| {
        PaymentReference::parse(&r)
    });
    let (Some(currency), Some(amount), Some(method), Some(reference)) =
        (currency, amount, method, reference)
    else {
        return Err(errors);
    };
    let amount = errors.check("/amount_minor", Money::price(amount, currency.code()));
    match amount {
        Some(amount) => Ok(PaymentRequest {
            amount,
            method,
            reference,
            confirm: body.confirm,
        }),
        None => Err(errors),
    }
}

/// Who takes money at the desk: staff (`staff:<id>`) or an admin; nobody else.
fn taken_by(caller: &Caller) -> Result<String, Problem> {
    match caller {
        Caller::Staff { id, .. } => Ok(format!("staff:{id}")),
        Caller::Admin(id) => Ok(format!("admin:{id}")),
        Caller::Guest(_) | Caller::Housekeeping { .. } => Err(Problem::forbidden(
            "only the vendor's desk staff record payments taken at the desk",
        )),
    }
}

/// Why the edit on the booking did not record the payment, found inside the write's retries.
enum Refusal {
    /// The booking is not of the caller's vendor: as if it did not exist.
    NotYours,
    Rule(DeskPaymentRefused),
}

impl From<Refusal> for Problem {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::NotYours => Problem::not_found("booking"),
            Refusal::Rule(DeskPaymentRefused::Ended(status)) => Problem::conflict(
                "booking-ended",
                "The booking takes no payment",
                format!("a booking that is {status} takes no payment at the desk"),
            )
            .with_extension("booking_status", serde_json::json!(status)),
            Refusal::Rule(DeskPaymentRefused::Currency { booking, .. }) => Problem::field(
                "/currency",
                format!("must be {booking}, the booking's currency"),
            ),
            Refusal::Rule(DeskPaymentRefused::KeyReused) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "The Idempotency-Key was used for a different request",
            )
            .with_detail("use a new key for a new payment"),
            Refusal::Rule(refused @ DeskPaymentRefused::TooMany) => Problem::conflict(
                "too-many-payments",
                "The booking records no more desk payments",
                refused.to_string(),
            ),
        }
    }
}

pub async fn handler(
    store: &(impl ResourceStore + BookingStore),
    archive: &impl ArchiveIndex,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(take_payment(store, archive, &req).await)
}

async fn take_payment(
    store: &(impl ResourceStore + BookingStore),
    archive: &impl ArchiveIndex,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let id = path_id(req, "bookingid", "booking", BookingId::parse)?;
    let taken_by = taken_by(&caller)?;
    let key = required_idempotency_key(req, "payment")?;
    let body: PaymentBody = json_body(req)?;
    let request = payment_request(body)?;
    let now = shared::clock::now();
    let payment = DeskPayment {
        amount: request.amount,
        method: request.method,
        reference: request.reference,
        taken_by,
        taken_at: now,
        idempotency_key: key.to_string(),
    };

    let written = if request.confirm {
        confirm_and_record(store, &caller, id, &payment, now).await
    } else {
        record(store, &caller, id, &payment, now).await
    };
    let (booking, outcome) = match written {
        Err(Failure::Transition(TransitionError::NotFound)) => {
            return Err(shared::http::not_live(archive, &caller, id).await);
        }
        Err(Failure::Transition(err)) => return Err(err.into()),
        Err(Failure::Refused(refusal)) => return Err(refusal.into()),
        Ok(written) => written,
    };
    let replayed = outcome == DeskPaymentOutcome::AlreadyRecorded;
    tracing::info!(booking_id = %booking.id, vendor_id = %booking.vendor_id, method = ?payment.method, replayed, "desk payment");
    let mut response = created(&format!("/booking/{id}"), &booking, booking.version);
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

enum Failure {
    Transition(TransitionError),
    Refused(Refusal),
}

/// Records the payment on the booking as one conditional write (retried on a concurrent change).
async fn record(
    store: &impl BookingStore,
    caller: &Caller,
    id: BookingId,
    payment: &DeskPayment,
    now: DateTime<Utc>,
) -> Result<(Booking, DeskPaymentOutcome), Failure> {
    // The edit runs once per attempt; what it found on the last one is the answer.
    let found: Mutex<Option<Result<DeskPaymentOutcome, Refusal>>> = Mutex::new(None);
    let booking = engine::amend(store, id, now, |booking| {
        let outcome = if caller.is_staff_of(booking.vendor_id) {
            record_desk_payment(booking, payment).map_err(Refusal::Rule)
        } else {
            Err(Refusal::NotYours)
        };
        let write = matches!(outcome, Ok(DeskPaymentOutcome::Recorded));
        if let Ok(mut slot) = found.lock() {
            *slot = Some(outcome);
        }
        write
    })
    .await
    .map_err(Failure::Transition)?;
    let outcome =
        found.into_inner().ok().flatten().ok_or_else(|| {
            Failure::Transition(anyhow::anyhow!("the payment edit never ran").into())
        })?;
    Ok((booking, outcome.map_err(Failure::Refused)?))
}

/// Confirms a desk hold and records the payment in the same write. A booking already confirmed
/// only gets the payment; a hold that waits for an online deposit is refused as staff confirming
/// it would be.
async fn confirm_and_record(
    store: &(impl ResourceStore + BookingStore),
    caller: &Caller,
    id: BookingId,
    payment: &DeskPayment,
    now: DateTime<Utc>,
) -> Result<(Booking, DeskPaymentOutcome), Failure> {
    let refused: Mutex<Option<Refusal>> = Mutex::new(None);
    let moved = engine::transition_with(
        store,
        id,
        BookingAction::Confirm,
        &Requester::Caller(caller.clone()),
        now,
        |booking| match record_desk_payment(booking, payment) {
            Ok(_) => Ok(()),
            Err(rule) => {
                if let Ok(mut slot) = refused.lock() {
                    *slot = Some(Refusal::Rule(rule));
                }
                Err(anyhow::anyhow!("the desk payment was refused").into())
            }
        },
    )
    .await;
    if let Ok(Some(refusal)) = refused.into_inner() {
        return Err(Failure::Refused(refusal));
    }
    let booking = moved.map_err(Failure::Transition)?;
    let stored = booking
        .desk_payments
        .iter()
        .find(|p| p.idempotency_key == payment.idempotency_key);
    match stored {
        Some(stored) if stored == payment => return Ok((booking, DeskPaymentOutcome::Recorded)),
        // A retry of a request that confirmed and paid: the booking kept as it was.
        Some(_) => {
            return record(store, caller, id, payment, now).await;
        }
        None => {}
    }
    // Already confirmed: the transition kept the booking as it was, so the payment goes alone.
    record(store, caller, id, payment, now).await
}
