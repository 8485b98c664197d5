//! A manager registers a room (number, floor, features) or a table (number, seats, area) of one
//! of the vendor's types. The type's `units` follows the units in service from then on.
use lambda_http::{Body, Error, Request, Response};
use shared::api::units::UnitInput;
use shared::auth::Caller;
use shared::domain::ids::VendorId;
use shared::engine;
use shared::http::{Problem, created, json_body, path_id, respond};
use shared::store::{ResourceStore, UnitStore};

pub async fn handler(
    store: &(impl ResourceStore + UnitStore),
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(create_unit(store, &req).await)
}

async fn create_unit(
    store: &(impl ResourceStore + UnitStore),
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let vendor_id = path_id(req, "id", "vendor", VendorId::parse)?;
    if !caller.manages(vendor_id) {
        return Err(Problem::forbidden(
            "only a manager of this vendor may register rooms or tables",
        ));
    }
    let input: UnitInput = json_body(req)?;
    let now = shared::clock::now();
    let unit = input.into_new(vendor_id, now)?;
    let unit = engine::register_unit(store, &unit, now).await?;
    Ok(created(
        &format!("/vendor/{vendor_id}/unit/{}", unit.id),
        &unit,
        unit.version,
    ))
}
