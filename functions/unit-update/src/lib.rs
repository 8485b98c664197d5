//! A manager edits a room or table: its number, floor, features, seats, area, housekeeper, or
//! whether it is in service (which moves its type's `units` in the same transaction). A unit
//! with bookings put in it from today on is not taken out of service.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use shared::api::units::UnitInput;
use shared::auth::Caller;
use shared::domain::ids::{UnitId, VendorId};
use shared::engine::{self, UnitError};
use shared::http::{Problem, json_body, json_with_etag, path_id, respond};
use shared::store::{ResourceStore, UnitStore};

pub async fn handler(
    store: &(impl ResourceStore + UnitStore),
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(update_unit(store, &req).await)
}

async fn update_unit(
    store: &(impl ResourceStore + UnitStore),
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let vendor_id = path_id(req, "id", "vendor", VendorId::parse)?;
    let unit_id = path_id(req, "unitid", "unit", UnitId::parse)?;
    if !caller.manages(vendor_id) {
        return Err(Problem::forbidden(
            "only a manager of this vendor may edit rooms or tables",
        ));
    }
    let input: UnitInput = json_body(req)?;
    let before = store
        .unit(vendor_id, unit_id)
        .await
        .map_err(|e| Problem::internal(&e))?
        .ok_or_else(|| Problem::not_found("unit"))?;
    // What the body says does not depend on the unit's version: checked once, applied to
    // whichever version the edit ends up writing over.
    input.clone().replacing(&before)?;
    let unit = engine::edit_unit(store, vendor_id, unit_id, shared::clock::now(), |current| {
        input
            .clone()
            .replacing(current)
            .map_err(|_| UnitError::Busy)
    })
    .await?;
    Ok(json_with_etag(StatusCode::OK, &unit, unit.version))
}
