//! Checks a guest in. Staff do it at the desk, a kiosk or through a face-recognition system
//! (`method`), optionally naming the room (`unit_id`), recording that they checked the guest's
//! identity document (`id_checked`) or letting them in before the check-in time on the arrival
//! day (`early`). The guest does it on their phone (`"method": "mobile"`) from the check-in time
//! once the deposit is paid, and gets a digital key for their room. A booking without a room is
//! given a free, clean one that fits, in the same write. An optional `Idempotency-Key` header
//! makes a resend safe: the same key again answers 200 with the booking as it is now and
//! `Idempotent-Replayed: true`, writing nothing; a booking checked in by another request is 409.
use http::{HeaderValue, StatusCode};
use lambda_http::{Body, Error, Request, Response};
use serde::Deserialize;
use serde_json::json;
use shared::auth::{Caller, TokenSettings, TokenSigner};
use shared::domain::idempotency::Delivery;
use shared::domain::ids::{BookingId, UnitId};
use shared::domain::unit::CheckInMethod;
use shared::engine::{self, CheckIn, Requester};
use shared::http::{
    Problem, door_key, idempotency_key, json_body, json_with_etag, path_id, respond,
};
use shared::store::{BookingStore, ResourceStore, UnitStore};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckInBody {
    method: Option<CheckInMethod>,
    unit_id: Option<String>,
    #[serde(default)]
    id_checked: bool,
    #[serde(default)]
    early: bool,
}

pub async fn handler(
    store: &(impl BookingStore + ResourceStore + UnitStore),
    signer: &impl TokenSigner,
    settings: &TokenSettings,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(check_in(store, signer, settings, &req).await)
}

async fn check_in(
    store: &(impl BookingStore + ResourceStore + UnitStore),
    signer: &impl TokenSigner,
    settings: &TokenSettings,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let id = path_id(req, "bookingid", "booking", BookingId::parse)?;
    let idempotency_key = idempotency_key(req)?;
    let body: CheckInBody = json_body(req)?;
    let method = match (body.method, &caller) {
        (Some(method), _) => method,
        (None, Caller::Guest(_)) => CheckInMethod::Mobile,
        (None, _) => CheckInMethod::Desk,
    };
    let unit = body
        .unit_id
        .as_deref()
        .map(UnitId::parse)
        .transpose()
        .map_err(|e| Problem::field("/unit_id", e.0))?;
    let request = CheckIn {
        method,
        unit,
        id_checked: body.id_checked,
        early: body.early,
    };
    let now = shared::clock::now();
    let requester = Requester::Caller(caller);
    let (booking, delivery) = engine::check_in_once(
        store,
        id,
        &request,
        idempotency_key.as_ref(),
        &requester,
        now,
    )
    .await?;
    let key = match engine::guest_key(&booking, now) {
        Some(key) if method == CheckInMethod::Mobile => {
            Some(door_key(signer, settings, &key, now).await?)
        }
        _ => None,
    };
    let mut response = json_with_etag(
        StatusCode::OK,
        &json!({ "booking": booking, "key": key }),
        booking.version,
    );
    if delivery == Delivery::Replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}
