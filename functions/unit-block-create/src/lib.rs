//! Takes a room or table out of order from `from` to `to` (the first day back in order): one
//! unit of its type's counters is taken for each of those nights or slots in the same
//! transaction, so an out-of-order unit can never be sold. When the type has no unit to spare,
//! or the unit itself has bookings, the answer names the bookings that would have to move.
use chrono::NaiveDate;
use lambda_http::{Body, Error, Request, Response};
use serde::Deserialize;
use shared::auth::Caller;
use shared::domain::FieldErrors;
use shared::domain::ids::{BlockId, UnitId, VendorId};
use shared::domain::unit::{Block, block_dates, block_reason};
use shared::engine;
use shared::http::{Problem, created, json_body, path_id, respond};
use shared::store::{BookingLists, ResourceStore, UnitStore, VendorStore};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockBody {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    reason: Option<String>,
}

pub async fn handler(
    store: &(impl VendorStore + ResourceStore + UnitStore),
    lists: &impl BookingLists,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(create_block(store, lists, &req).await)
}

async fn create_block(
    store: &(impl VendorStore + ResourceStore + UnitStore),
    lists: &impl BookingLists,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let vendor_id = path_id(req, "id", "vendor", VendorId::parse)?;
    let unit_id = path_id(req, "unitid", "unit", UnitId::parse)?;
    if !caller.may_keep_house(vendor_id) {
        return Err(Problem::forbidden(
            "only this vendor's staff may take a unit out of order",
        ));
    }
    let body: BlockBody = json_body(req)?;
    let mut errors = FieldErrors::default();
    let from = errors.require("/from", body.from, Ok);
    let to = errors.require("/to", body.to, Ok);
    let reason = errors.require("/reason", body.reason, |r| block_reason(&r));
    let (Some(from), Some(to), Some(reason)) = (from, to, reason) else {
        return Err(errors.into());
    };
    let (from, to) = block_dates(from, to).map_err(|e| Problem::field("/to", e.0))?;
    let vendor = store
        .vendor(vendor_id)
        .await
        .map_err(|e| Problem::internal(&e))?
        .ok_or_else(|| Problem::not_found("vendor"))?;
    let now = shared::clock::now();
    let today = now.with_timezone(&vendor.time_zone.tz()).date_naive();
    if from < today {
        return Err(Problem::field("/from", "must not be in the past"));
    }
    let block = Block {
        id: BlockId::generate(),
        vendor_id,
        unit_id,
        // The engine checks the unit and puts its type here.
        resource_id: store
            .unit(vendor_id, unit_id)
            .await
            .map_err(|e| Problem::internal(&e))?
            .ok_or_else(|| Problem::not_found("unit"))?
            .resource_id,
        from,
        to,
        buckets: Vec::new(),
        reason,
        created_by: caller.acting_as(),
        created_at: now,
        removed_at: None,
        removed_by: None,
        updated_at: now,
        version: 1,
    };
    let block = engine::block(store, lists, &block, vendor.time_zone).await?;
    Ok(created(
        &format!("/vendor/{vendor_id}/unit/{unit_id}/blocks/{}", block.id),
        &block,
        1,
    ))
}
