//! A channel sends its reservations (OpenTravel `OTA_HotelResNotifRQ` / `OTA_HotelResModifyNotifRQ`
//! / `OTA_CancelRQ` as JSON, `res_status` commit / modify / cancel). Its own reservation id is the
//! key: a commit holds the room (or, for a restaurant, the table at a date and time) through the
//! same counters as every hold and confirms it (the channel collected the money: nothing is
//! charged, what it sold for is recorded), a re-sent commit answers the same booking, a modify
//! changes it through the engine, a cancel cancels it. A message that cannot be honoured changes
//! nothing, is answered with a problem naming the field and an OTA error code, and is recorded
//! for the vendor's managers.
mod message;

use http::{HeaderValue, StatusCode};
use lambda_http::{Body, Error, Request, Response};
use message::{Message, MessageBody, Parsed, Terms, parse};
use serde::Serialize;
use sha2::{Digest, Sha256};
use shared::auth::{ChannelCaller, Scope};
use shared::channels::allotment::{channel_move_fits, max_channel_nights};
use shared::channels::import::{
    ChannelImports, ImportRefusal, ImportedReservation, RejectedImport, ResStatus, ReservationId,
    Unreadable, booked_by, booking_channel,
};
use shared::channels::{ChannelKind, ChannelStore};
use shared::domain::booking::{Booking, BookingAction, BookingStatus, BookingTime};
use shared::domain::ids::{BookingId, VendorId};
use shared::domain::money::Money;
use shared::domain::{FieldErrors, Location};
use shared::engine::{
    self, ChangeError, Creator, Held, HoldError, NewHold, Requester, TransitionError,
};
use shared::http::{Problem, created, json_with_etag, respond};
use shared::store::{ArchiveIndex, BookingStore, ResourceStore, VendorStore};

/// A refusal the channel can act on: the problem, and what we record of it.
struct Refused {
    refusal: ImportRefusal,
    problem: Problem,
}

fn refused(
    refusal: ImportRefusal,
    status: StatusCode,
    title: &'static str,
    detail: impl Into<String>,
    errors: FieldErrors,
) -> Refused {
    let problem = Problem::new(status, refusal.slug(), title)
        .with_detail(detail)
        .with_errors(errors)
        .with_extension(
            "ota_error",
            serde_json::json!({ "type": refusal.ota_error_type(), "code": refusal.ota_code() }),
        );
    Refused { refusal, problem }
}

fn one(pointer: &str, detail: &str) -> FieldErrors {
    let mut errors = FieldErrors::default();
    errors.push(pointer, detail);
    errors
}

fn invalid(errors: FieldErrors) -> Refused {
    let dated = errors.clone().into_vec().iter().any(
        |e| matches!(&e.location, Location::Pointer(p) if ["/arrival", "/departure", "/date", "/time"].contains(&p.as_str())),
    );
    let refusal = if dated {
        ImportRefusal::InvalidDate
    } else {
        ImportRefusal::Invalid
    };
    refused(
        refusal,
        StatusCode::UNPROCESSABLE_ENTITY,
        "The message has invalid fields",
        "nothing was booked or changed",
        errors,
    )
}

fn unknown_reservation() -> Refused {
    refused(
        ImportRefusal::UnknownReservation,
        StatusCode::NOT_FOUND,
        "No such reservation from this channel",
        "commit the reservation first; nothing was changed",
        one("/reservation_id", "was never committed by this channel"),
    )
}

fn from_hold(err: HoldError, terms: Terms) -> Result<Refused, Problem> {
    Ok(match err {
        HoldError::ResourceNotFound => match terms {
            Terms::Hotel => refused(
                ImportRefusal::UnknownRoomType,
                StatusCode::UNPROCESSABLE_ENTITY,
                "Unknown room type",
                "room_type_code is not a room type of this hotel (see GET /channel/ari); nothing was booked",
                one("/room_type_code", "is not a room type of this hotel"),
            ),
            Terms::Restaurant => refused(
                ImportRefusal::UnknownRoomType,
                StatusCode::UNPROCESSABLE_ENTITY,
                "Unknown table type",
                "table_type_code is not a table type of this restaurant; nothing was booked",
                one("/table_type_code", "is not a table type of this restaurant"),
            ),
        },
        HoldError::NoFit(no_fit) => invalid(one("/guest_count", &no_fit.to_string())),
        HoldError::Invalid(errors) => invalid(terms.renamed(errors)),
        HoldError::SoldOut { buckets, .. } => {
            let mut refusal = refused(
                ImportRefusal::SoldOut,
                StatusCode::CONFLICT,
                "No availability",
                match terms {
                    Terms::Hotel => {
                        "not enough rooms of this type are left for every night; nothing was booked"
                    }
                    Terms::Restaurant => {
                        "no table of this type is free for the whole seating; nothing was booked"
                    }
                },
                one(terms.resource(), "has nothing left at this time"),
            );
            refusal.problem = refusal
                .problem
                .with_extension("sold_out", serde_json::json!(buckets));
            refusal
        }
        HoldError::KeyReused | HoldError::KeyExpired => refused(
            ImportRefusal::ReservationIdReused,
            StatusCode::CONFLICT,
            "The reservation was committed with other details",
            "send res_status modify to change a committed reservation; nothing was booked",
            one("/reservation_id", "was committed before with other details"),
        ),
        HoldError::VendorNotFound => return Err(Problem::not_found("vendor")),
        HoldError::Unexpected(cause) => return Err(Problem::internal(&cause)),
    })
}

fn from_change(err: ChangeError, terms: Terms) -> Result<Refused, Problem> {
    Ok(match err {
        ChangeError::NotFound => unknown_reservation(),
        ChangeError::NotChangeable(status) => not_changeable(status),
        ChangeError::Rejected(hold) => return from_hold(hold, terms),
        other => return Err(other.into()),
    })
}

fn not_changeable(status: BookingStatus) -> Refused {
    refused(
        ImportRefusal::NotChangeable,
        StatusCode::CONFLICT,
        "The reservation can no longer be changed",
        format!("its booking is {status}; nothing was changed"),
        one("/res_status", "does not apply to this reservation any more"),
    )
}

/// What a channel sees of its reservation: our booking, under its id.
#[derive(Serialize)]
struct Answer<'a> {
    reservation_id: &'a ReservationId,
    res_status: ResStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    sold_total: Option<Money>,
    booking: &'a Booking,
}

pub async fn handler(
    store: &(impl VendorStore + ResourceStore + BookingStore),
    archive: &impl ArchiveIndex,
    channels: &(impl ChannelStore + ChannelImports),
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(import(store, archive, channels, &req).await)
}

async fn import(
    store: &(impl VendorStore + ResourceStore + BookingStore),
    archive: &impl ArchiveIndex,
    channels: &(impl ChannelStore + ChannelImports),
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = ChannelCaller::from_request(req)?;
    caller.require(Scope::BookingsWrite)?;
    let account = channels
        .channel(caller.channel_id)
        .await
        .map_err(|e| Problem::internal(&e))?
        .filter(|account| account.is_active() && account.vendor_id == caller.vendor_id)
        .ok_or_else(|| Problem::unauthorized("the channel is disconnected"))?;
    let raw: serde_json::Value = match shared::http::json_body(req) {
        Ok(raw) => raw,
        Err(problem) => {
            let why = match problem.status() {
                StatusCode::UNSUPPORTED_MEDIA_TYPE => Unreadable::ContentType,
                StatusCode::PAYLOAD_TOO_LARGE => Unreadable::TooLarge,
                _ => Unreadable::Syntax,
            };
            return Err(unreadable(channels, &caller, req, None, why, problem).await);
        }
    };
    let hash = request_hash(caller.vendor_id, &raw);
    let body: MessageBody = match shared::http::from_json_value(raw.clone(), "") {
        Ok(body) => body,
        Err(problem) => {
            let why = Unreadable::Shape;
            return Err(unreadable(channels, &caller, req, Some(&raw), why, problem).await);
        }
    };
    let mut rejection = RejectedImport {
        channel_id: caller.channel_id,
        vendor_id: caller.vendor_id,
        reservation_id: body
            .reservation_id
            .as_deref()
            .and_then(|v| ReservationId::parse(v).ok()),
        res_status: None,
        refusal: ImportRefusal::Invalid,
        ota_error_code: 0,
        pointers: Vec::new(),
        unreadable: None,
        body_bytes: None,
        at: shared::clock::now(),
    };
    let terms = match store.vendor(caller.vendor_id).await {
        Ok(Some(vendor)) => Terms::from(vendor.kind),
        Ok(None) => return Err(Problem::not_found("vendor")),
        Err(e) => return Err(Problem::internal(&e)),
    };
    let outcome = match parse(caller.vendor_id, terms, body) {
        Err((status, errors)) => {
            rejection.res_status = status;
            Err(invalid(errors))
        }
        Ok(parsed) => {
            rejection.res_status = Some(parsed.status);
            apply(
                store,
                archive,
                channels,
                &caller,
                account.kind,
                parsed,
                &hash,
            )
            .await?
        }
    };
    match outcome {
        Ok(response) => Ok(response),
        Err(Refused { refusal, problem }) => {
            rejection.refusal = refusal;
            rejection.ota_error_code = refusal.ota_code();
            rejection.pointers = pointers(&problem);
            record(channels, &rejection).await;
            Err(problem)
        }
    }
}

fn pointers(problem: &Problem) -> Vec<String> {
    problem
        .errors()
        .iter()
        .filter_map(|e| match &e.location {
            Location::Pointer(p) => Some(p.clone()),
            _ => None,
        })
        .collect()
}

async fn record(channels: &impl ChannelImports, rejection: &RejectedImport) {
    // The answer says what to do; a lost record must not turn it into a 500.
    if let Err(err) = channels.record_rejection(rejection).await {
        tracing::error!(channel_id = %rejection.channel_id, error = ?err, "could not record a rejected import");
    }
    tracing::info!(
        channel_id = %rejection.channel_id,
        vendor_id = %rejection.vendor_id,
        refusal = rejection.refusal.slug(),
        "import refused"
    );
}

/// A body that is no message at all: answered as the edge reads it (415, 413, 400, or 422
/// naming the member), with the OTA error a channel acts on, and recorded with its size and
/// why, never its content. Whatever of the reservation id and status could be read is kept.
async fn unreadable(
    channels: &impl ChannelImports,
    caller: &ChannelCaller,
    req: &Request,
    raw: Option<&serde_json::Value>,
    why: Unreadable,
    problem: Problem,
) -> Problem {
    let refusal = ImportRefusal::Unreadable;
    let problem = problem.with_extension(
        "ota_error",
        serde_json::json!({ "type": refusal.ota_error_type(), "code": refusal.ota_code() }),
    );
    let member = |name: &str| raw.and_then(|r| r.get(name)).and_then(|v| v.as_str());
    let body_bytes = match req.body() {
        Body::Text(text) => text.len(),
        Body::Binary(bytes) => bytes.len(),
        _ => 0,
    };
    let rejection = RejectedImport {
        channel_id: caller.channel_id,
        vendor_id: caller.vendor_id,
        reservation_id: member("reservation_id").and_then(|v| ReservationId::parse(v).ok()),
        res_status: member("res_status").and_then(|v| ResStatus::parse(v).ok()),
        refusal,
        ota_error_code: refusal.ota_code(),
        pointers: pointers(&problem),
        unreadable: Some(why),
        body_bytes: Some(body_bytes as u64),
        at: shared::clock::now(),
    };
    record(channels, &rejection).await;
    problem
}

/// The digest that tells a re-sent commit from another commit under the same id.
fn request_hash(vendor: VendorId, body: &serde_json::Value) -> String {
    let digest = Sha256::digest(format!("{vendor}\n{body}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

async fn apply(
    store: &(impl VendorStore + ResourceStore + BookingStore),
    archive: &impl ArchiveIndex,
    channels: &impl ChannelImports,
    caller: &ChannelCaller,
    kind: ChannelKind,
    parsed: Parsed,
    hash: &str,
) -> Result<Result<Response<Body>, Refused>, Problem> {
    let now = shared::clock::now();
    let terms = parsed.terms;
    let booking_id = parsed.id.booking_id(caller.channel_id);
    let requester = Requester::Channel {
        vendor: caller.vendor_id,
        booked_by: booked_by(caller.channel_id),
    };
    if let Some(refusal) = too_long(store, caller.vendor_id, booking_id, &parsed.message).await? {
        return Ok(Err(refusal));
    }
    let (booking, fresh) = match parsed.message {
        Message::Commit { stay, guest } => {
            let creator = Creator {
                booked_by: booked_by(caller.channel_id),
                guest: None,
                channel: booking_channel(kind),
                desk_guest: Some(guest),
            };
            let new = NewHold {
                creator: &creator,
                idempotency_key: parsed.id.as_str(),
                request_hash: hash,
                request: stay,
                now,
                hold_seconds: engine::DEFAULT_HOLD_SECONDS,
            };
            let (held, fresh) = match engine::hold(store, archive, new).await {
                Ok(Held::Created(booking)) => (booking, true),
                Ok(Held::Replayed(booking)) => (booking, false),
                Err(err) => return from_hold(err, terms).map(Err),
            };
            // Held like a desk booking, then confirmed: the channel took the guest's money. A
            // failure in between leaves a hold that a re-sent commit confirms (or that expires).
            let booking = if held.status == BookingStatus::Held {
                confirm(store, held.id, &requester, now).await?
            } else {
                held
            };
            (booking, fresh)
        }
        Message::Modify(change) => {
            match engine::change(store, booking_id, &change, &requester, now).await {
                Ok(booking) => (booking, false),
                Err(err) => return from_change(err, terms).map(Err),
            }
        }
        Message::Cancel => {
            match engine::transition(store, booking_id, BookingAction::Cancel, &requester, now)
                .await
            {
                Ok(booking) => (booking, false),
                Err(TransitionError::NotFound) => return Ok(Err(unknown_reservation())),
                Err(TransitionError::Invalid(invalid)) => {
                    return Ok(Err(not_changeable(invalid.from)));
                }
                Err(other) => return Err(other.into()),
            }
        }
    };
    let record = ImportedReservation {
        channel_id: caller.channel_id,
        vendor_id: caller.vendor_id,
        reservation_id: parsed.id.clone(),
        booking_id: booking.id,
        res_status: parsed.status,
        sold_total: parsed.sold_total,
        updated_at: now,
    };
    channels
        .record_import(&record)
        .await
        .map_err(|e| Problem::internal(&e))?;
    tracing::info!(booking_id = %booking.id, channel_id = %caller.channel_id, res_status = ?parsed.status, fresh, "import");
    let answer = Answer {
        reservation_id: &parsed.id,
        res_status: parsed.status,
        sold_total: parsed.sold_total,
        booking: &booking,
    };
    let mut response = if fresh {
        created(
            &format!("/booking/{}", booking.id),
            &answer,
            booking.version,
        )
    } else {
        json_with_etag(StatusCode::OK, &answer, booking.version)
    };
    if !fresh && parsed.status == ResStatus::Commit {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(Ok(response))
}

/// A stay a channel could not later move in one transaction is refused before anything is
/// written: longer than `max_channel_nights` of its room type, at commit and at modify (so a
/// channel never makes a booking it cannot move), or a move whose old and new nights together
/// do not fit (to a type with more counter items). A type or booking not found is left to the
/// engine to answer.
async fn too_long(
    store: &(impl ResourceStore + BookingStore),
    vendor: VendorId,
    id: BookingId,
    message: &Message,
) -> Result<Option<Refused>, Problem> {
    let (resource, new, old) = match message {
        Message::Commit { stay, .. } => match (stay.resource, stay_nights(&stay.time)) {
            (Some(resource), Some(nights)) => (resource, nights, None),
            _ => return Ok(None),
        },
        Message::Modify(change) => {
            let Some(booking) = store.booking(id).await.map_err(|e| Problem::internal(&e))? else {
                return Ok(None);
            };
            let old = stay_nights(&booking.time);
            let new = change.time.as_ref().map_or(old, stay_nights);
            match (old, new) {
                (Some(old), Some(new)) => (
                    change.resource.unwrap_or(booking.resource_id),
                    new,
                    Some(old),
                ),
                _ => return Ok(None),
            }
        }
        Message::Cancel => return Ok(None),
    };
    let Some(resource) = store
        .resource(vendor, resource)
        .await
        .map_err(|e| Problem::internal(&e))?
    else {
        return Ok(None);
    };
    let shards = resource.shards.get();
    let most = max_channel_nights(shards);
    let detail = if new > most {
        format!("must be at most {most} nights after arrival for this room type")
    } else if old.is_some_and(|old| !channel_move_fits(old, new, shards)) {
        format!(
            "moving {} nights to {new} nights of this room type does not fit one change: shorten the stay first, or cancel and commit anew",
            old.unwrap_or(0)
        )
    } else {
        return Ok(None);
    };
    let mut refusal = invalid(one("/departure", &detail));
    refusal.problem = refusal
        .problem
        .with_extension("max_nights", serde_json::json!(most));
    Ok(Some(refusal))
}

fn stay_nights(time: &BookingTime) -> Option<usize> {
    match time {
        BookingTime::Stay {
            check_in,
            check_out,
        } => usize::try_from((*check_out - *check_in).num_days()).ok(),
        BookingTime::Seating { .. } => None,
    }
}

async fn confirm(
    store: &(impl ResourceStore + BookingStore),
    id: BookingId,
    requester: &Requester,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Booking, Problem> {
    engine::transition(store, id, BookingAction::Confirm, requester, now)
        .await
        .map_err(Problem::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_carries_its_ota_code() {
        let refusal = unknown_reservation();
        assert_eq!(refusal.refusal, ImportRefusal::UnknownReservation);
        assert_eq!(refusal.problem.status(), StatusCode::NOT_FOUND);
        let body = serde_json::to_value(&refusal.problem).unwrap();
        assert_eq!(body["ota_error"]["code"], 245);
        assert!(
            body["type"]
                .as_str()
                .unwrap()
                .ends_with("/unknown-reservation")
        );
    }
}
