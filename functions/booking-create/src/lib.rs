//! Holds a room or table: the booking is HELD with its inventory taken until its deposit is paid
//! (which confirms it) or its hold expires; a type that takes no deposit confirms it at once.
//! The answer carries what the guest's browser needs to pay (`checkout`). Staff book at the desk
//! (`walk_in` or `phone`) for a guest without an account (`guest`: name and contact) or with one
//! (`guest_id`): a desk hold lasts the vendor's desk minutes, asks Stripe for nothing and is
//! confirmed by staff. An `Idempotency-Key` header is required: retrying the same request
//! returns the first answer, never a second booking or a second payment.
use chrono::{NaiveDate, NaiveTime, Utc};
use http::{HeaderValue, StatusCode};
use lambda_http::{Body, Error, Request, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use shared::api::availability::TimeFields;
use shared::api::guest::GuestBody;
use shared::auth::Caller;
use shared::deposits::{self, Checkout, DepositError};
use shared::domain::FieldErrors;
use shared::domain::booking::{Booking, BookingAction, Channel};
use shared::domain::desk::DeskGuest;
use shared::domain::ids::{BookingId, ResourceId, UserId, VendorId};
use shared::domain::party::PartySize;
use shared::engine::{self, Creator, Held, HoldRequest, NewHold, Requester};
use shared::http::{Problem, created, json_body, path_id, required_idempotency_key, respond};
use shared::payments::{PaymentError, PaymentGateway};
use shared::store::{ArchiveIndex, BookingStore, GuestStore, ResourceStore, VendorStore};

/// How long a hold lasts, from `HOLD_SECONDS` (default 600).
#[derive(Debug, Clone, Copy)]
pub struct HoldSettings {
    pub hold_seconds: i64,
}

impl HoldSettings {
    pub fn from_env() -> Result<Self, shared::config::ConfigError> {
        Ok(Self {
            hold_seconds: shared::config::optional("HOLD_SECONDS", engine::DEFAULT_HOLD_SECONDS)?,
        })
    }
}

/// Hotels take `check_in` and `check_out`; restaurants take `date` and `time` (local).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HoldBody {
    resource_id: Option<String>,
    party_size: Option<i64>,
    units: Option<i64>,
    check_in: Option<NaiveDate>,
    check_out: Option<NaiveDate>,
    date: Option<NaiveDate>,
    time: Option<NaiveTime>,
    /// Staff only: `walk_in` (the default: the guest is at the desk) or `phone`.
    channel: Option<String>,
    /// Staff only: the account of the guest booked for.
    guest_id: Option<String>,
    /// Staff only: a guest without an account.
    guest: Option<GuestBody>,
}

/// Who a desk booking is for, as the body says, before the account (if any) is looked up.
struct DeskFields {
    channel: Channel,
    guest_id: Option<UserId>,
    guest: Option<DeskGuest>,
}

/// The desk fields of a body: only staff send them; a desk booking names its guest, by account
/// (`guest_id`) or by name (`guest.name`), not both.
fn desk_fields(
    creator: &Creator,
    channel: Option<String>,
    guest_id: Option<String>,
    guest: Option<GuestBody>,
    errors: &mut FieldErrors,
) -> Option<DeskFields> {
    if !creator.is_desk() {
        for (pointer, sent) in [
            ("/channel", channel.is_some()),
            ("/guest_id", guest_id.is_some()),
            ("/guest", guest.is_some()),
        ] {
            if sent {
                errors.push(pointer, "only staff book at the desk for someone else");
            }
        }
        return None;
    }
    let channel = errors.check_opt("/channel", channel, |c| Channel::parse_desk(&c));
    let guest_id = errors.check_opt("/guest_id", guest_id, |v| UserId::parse(&v));
    let guest = match (guest, &guest_id) {
        (Some(_), Some(Some(_))) => {
            errors.push(
                "/guest",
                "send guest_id or guest, not both: the account has the guest's name and contact",
            );
            None
        }
        (Some(body), _) => body.parse(errors),
        (None, Some(None)) => {
            errors.push(
                "/guest/name",
                "is required for a desk booking unless guest_id is given",
            );
            None
        }
        (None, _) => None,
    };
    Some(DeskFields {
        channel: channel?.unwrap_or(Channel::WalkIn),
        guest_id: guest_id?,
        guest,
    })
}

fn hold_request(
    vendor: VendorId,
    creator: &Creator,
    body: HoldBody,
) -> Result<(HoldRequest, Option<DeskFields>), FieldErrors> {
    let mut errors = FieldErrors::default();
    let desk = desk_fields(
        creator,
        body.channel,
        body.guest_id,
        body.guest,
        &mut errors,
    );
    let resource = errors.check_opt("/resource_id", body.resource_id, |v| ResourceId::parse(&v));
    let party = errors.require("/party_size", body.party_size, PartySize::new);
    let units = errors.check_opt("/units", body.units, engine::units_asked);
    let time = TimeFields {
        check_in: body.check_in,
        check_out: body.check_out,
        date: body.date,
        time: body.time,
    }
    .combine(&mut errors, "/");
    match (resource, party, units, time) {
        (Some(resource), Some(party), Some(units), Some(time)) if errors.is_empty() => Ok((
            HoldRequest {
                vendor,
                resource,
                party,
                units,
                time,
            },
            desk,
        )),
        _ => Err(errors),
    }
}

/// The creator of a desk booking, once the guest's account (if named) is known to exist.
async fn at_desk(
    store: &impl GuestStore,
    mut creator: Creator,
    desk: Option<DeskFields>,
) -> Result<Creator, Problem> {
    let Some(desk) = desk else {
        return Ok(creator);
    };
    if let Some(guest) = desk.guest_id {
        let known = store
            .guest(guest)
            .await
            .map_err(|e| Problem::internal(&e))?
            .is_some();
        if !known {
            return Err(Problem::field("/guest_id", "no guest has this id"));
        }
    }
    creator.channel = desk.channel;
    creator.guest = desk.guest_id;
    creator.desk_guest = desk.guest;
    Ok(creator)
}

/// The digest that tells a retry (same vendor and body) from a reused key.
fn request_hash(vendor: VendorId, body: &serde_json::Value) -> String {
    // serde_json's maps are sorted, so equal bodies serialise equally whatever their key order.
    let digest = Sha256::digest(format!("{vendor}\n{body}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The booking, and for a hold that waits for its deposit, what paying it takes.
#[derive(serde::Serialize)]
struct HeldBooking {
    #[serde(flatten)]
    booking: Booking,
    #[serde(skip_serializing_if = "Option::is_none")]
    checkout: Option<Checkout>,
}

pub async fn handler(
    store: &(impl VendorStore + ResourceStore + BookingStore + GuestStore),
    archive: &impl ArchiveIndex,
    payments: &impl PaymentGateway,
    settings: &HoldSettings,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(create_hold(store, archive, payments, settings, &req).await)
}

async fn create_hold(
    store: &(impl VendorStore + ResourceStore + BookingStore + GuestStore),
    archive: &impl ArchiveIndex,
    payments: &impl PaymentGateway,
    settings: &HoldSettings,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let vendor = path_id(req, "vendorid", "vendor", VendorId::parse)?;
    let creator = Creator::from_caller(&caller, vendor)
        .ok_or_else(|| Problem::forbidden("staff may only book for their own vendor"))?;
    let key = required_idempotency_key(req, "booking")?;
    let raw: serde_json::Value = json_body(req)?;
    let hash = request_hash(vendor, &raw);
    let body: HoldBody = shared::http::from_json_value(raw, "")?;
    let (request, desk) = hold_request(vendor, &creator, body)?;
    let creator = at_desk(store, creator, desk).await?;

    let now = shared::clock::now();
    let new = NewHold {
        creator: &creator,
        idempotency_key: key.as_str(),
        request_hash: &hash,
        request,
        now,
        hold_seconds: settings.hold_seconds,
    };
    let held = engine::hold(store, archive, new).await?;
    let (booking, replayed) = match held {
        Held::Created(booking) => (booking, false),
        Held::Replayed(booking) => (booking, true),
    };
    tracing::info!(booking_id = %booking.id, vendor_id = %booking.vendor_id, replayed, "hold");
    // A replay asks again too: the first attempt may have found the provider down. A desk hold
    // asks for nothing: its deposit is paid at the desk.
    let id = booking.id;
    let asked = if booking.channel.is_desk() {
        Ok((booking, None))
    } else {
        deposits::ask(store, payments, booking, now).await
    };
    let (booking, checkout) = match asked {
        Ok(asked) => asked,
        Err(DepositError::Refused(cause)) => {
            return Err(release_unpayable(store, id, cause, now).await);
        }
        Err(err) => return Err(payment_problem(id, err)),
    };
    let version = booking.version;
    let mut response = created(
        &format!("/booking/{id}"),
        &HeldBooking { booking, checkout },
        version,
    );
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// The hold is made but its payment could not be set up: the guest retries with the same key
/// (which finds the hold), or lets it lapse; nothing was charged.
fn payment_problem(booking: BookingId, err: DepositError) -> Problem {
    match err {
        DepositError::Unavailable(cause) => {
            tracing::warn!(booking_id = %booking, error = %cause, "payment provider unavailable at hold");
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "payment-unavailable",
                "Payment is unavailable right now",
            )
            .with_detail("the room or table is held; retry with the same Idempotency-Key to pay")
            .with_header(http::header::RETRY_AFTER, "5")
            .with_extension("booking_id", serde_json::json!(booking.to_string()))
        }
        DepositError::Refused(cause) => Problem::internal(&anyhow::Error::new(cause)),
        DepositError::Unexpected(cause) => Problem::internal(&cause),
    }
}

/// Stripe refused the deposit outright (an amount it cannot charge): nobody could ever pay this
/// hold, so it is released at once instead of keeping the room or table until it expires.
async fn release_unpayable(
    store: &(impl ResourceStore + BookingStore),
    booking: BookingId,
    cause: PaymentError,
    now: chrono::DateTime<Utc>,
) -> Problem {
    tracing::error!(booking_id = %booking, error = %cause, "the payment provider refused the deposit; releasing the hold");
    if let Err(err) = engine::transition(
        store,
        booking,
        BookingAction::Cancel,
        &Requester::System,
        now,
    )
    .await
    {
        tracing::error!(booking_id = %booking, error = %err, "could not release an unpayable hold; it expires");
    }
    Problem::new(
        StatusCode::BAD_GATEWAY,
        "payment-refused",
        "The deposit could not be set up",
    )
    .with_detail("the payment provider refused it; nothing is held or charged")
    .with_extension("booking_id", serde_json::json!(booking.to_string()))
}
