//! Puts an out-of-order room or table back in order: its block's counters are released and its
//! occupancy freed in one transaction, exactly once (a second delete finds nothing: 404).
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use shared::auth::Caller;
use shared::domain::ids::{BlockId, UnitId, VendorId};
use shared::engine;
use shared::http::{Problem, path_id, respond};
use shared::store::{ResourceStore, UnitStore, VendorStore};

pub async fn handler(
    store: &(impl VendorStore + ResourceStore + UnitStore),
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(delete_block(store, &req).await)
}

async fn delete_block(
    store: &(impl VendorStore + ResourceStore + UnitStore),
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let vendor_id = path_id(req, "id", "vendor", VendorId::parse)?;
    let unit_id = path_id(req, "unitid", "unit", UnitId::parse)?;
    let block_id = path_id(req, "blockid", "block", BlockId::parse)?;
    if !caller.may_keep_house(vendor_id) {
        return Err(Problem::forbidden(
            "only this vendor's staff may put a unit back in order",
        ));
    }
    let vendor = store
        .vendor(vendor_id)
        .await
        .map_err(|e| Problem::internal(&e))?
        .ok_or_else(|| Problem::not_found("vendor"))?;
    engine::unblock(
        store,
        vendor_id,
        unit_id,
        block_id,
        vendor.time_zone,
        &caller.acting_as(),
        shared::clock::now(),
    )
    .await?;
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Body::Empty)
        .map_err(|e| Problem::internal(&e.into()))
}
