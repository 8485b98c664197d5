//! A housekeeper's phone or cart device gets a door key for a room given to them (the unit's
//! `housekeeper`), valid for one shift. It names the housekeeper by id only, and a lock checks it
//! offline against the JWKS like a guest's key.
use chrono::Duration;
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use shared::auth::{Caller, DoorKey, KeyHolder, TokenSettings, TokenSigner};
use shared::domain::ids::{UnitId, VendorId};
use shared::http::{Problem, door_key, json, path_id, respond};
use shared::store::UnitStore;

/// How long a housekeeper's key opens the door: one shift.
const SHIFT_HOURS: i64 = 12;

pub async fn handler(
    store: &impl UnitStore,
    signer: &impl TokenSigner,
    settings: &TokenSettings,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(key(store, signer, settings, &req).await)
}

async fn key(
    store: &impl UnitStore,
    signer: &impl TokenSigner,
    settings: &TokenSettings,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let vendor_id = path_id(req, "id", "vendor", VendorId::parse)?;
    let unit_id = path_id(req, "unitid", "unit", UnitId::parse)?;
    let Caller::Housekeeping { id, vendor_id: own } = caller else {
        return Err(Problem::forbidden(
            "door keys for rooms go to the housekeeper the room is given to",
        ));
    };
    if own != vendor_id {
        return Err(Problem::forbidden("you keep house for another vendor"));
    }
    let unit = store
        .unit(vendor_id, unit_id)
        .await
        .map_err(|e| Problem::internal(&e))?
        .ok_or_else(|| Problem::not_found("unit"))?;
    if unit.housekeeper != Some(id) {
        return Err(Problem::forbidden(format!(
            "unit {} is not given to you: ask the desk to give it to you",
            unit.number
        )));
    }
    let now = shared::clock::now();
    let key = DoorKey {
        vendor_id,
        unit_id,
        unit_number: unit.number.to_string(),
        holder: KeyHolder::Housekeeping(id),
        valid_from: now,
        valid_to: now + Duration::hours(SHIFT_HOURS),
    };
    Ok(json(
        StatusCode::CREATED,
        &door_key(signer, settings, &key, now).await?,
    ))
}
