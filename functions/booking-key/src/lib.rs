//! A checked-in guest's digital room key (again): an ES256 token from the platform's issuer
//! naming the room and its window, which the door lock checks offline against the JWKS. Only
//! the booking's own guest and its vendor's staff get it, and only while the guest is in.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde_json::json;
use shared::auth::{Caller, TokenSettings, TokenSigner};
use shared::domain::booking::BookingStatus;
use shared::domain::ids::BookingId;
use shared::engine;
use shared::http::{Problem, door_key, json, path_id, respond};
use shared::store::BookingStore;

pub async fn handler(
    store: &impl BookingStore,
    signer: &impl TokenSigner,
    settings: &TokenSettings,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(key(store, signer, settings, &req).await)
}

async fn key(
    store: &impl BookingStore,
    signer: &impl TokenSigner,
    settings: &TokenSettings,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let id = path_id(req, "bookingid", "booking", BookingId::parse)?;
    let booking = store
        .booking(id)
        .await
        .map_err(|e| Problem::internal(&e))?
        .filter(|b| engine::may_read(&caller, b))
        .ok_or_else(|| Problem::not_found("booking"))?;
    if booking.status != BookingStatus::CheckedIn {
        return Err(Problem::conflict(
            "no-key",
            "The booking has no key",
            format!(
                "a key is given while the guest is checked in; the booking is {}",
                booking.status
            ),
        )
        .with_extension("booking_status", json!(booking.status)));
    }
    let now = shared::clock::now();
    let key = engine::guest_key(&booking, now).ok_or_else(|| {
        Problem::conflict(
            "no-key",
            "The booking has no key",
            "only a stay in a room has a door key, until noon of the departure day",
        )
    })?;
    Ok(json(
        StatusCode::OK,
        &door_key(signer, settings, &key, now).await?,
    ))
}
