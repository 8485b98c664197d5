//! Housekeeping reports a room or table `clean`, `inspected` or `dirty` (a check-out makes it
//! dirty by itself). Housekeepers, desk staff and managers of the vendor may. An optional
//! `Idempotency-Key` header makes a resend safe: the same key again answers 200 with the unit as
//! it is now (a later report stands) and `Idempotent-Replayed: true`, writing nothing.
use http::{HeaderValue, StatusCode};
use lambda_http::{Body, Error, Request, Response};
use serde::Deserialize;
use shared::auth::Caller;
use shared::domain::idempotency::Delivery;
use shared::domain::ids::{UnitId, VendorId};
use shared::domain::unit::Housekeeping;
use shared::engine;
use shared::http::{Problem, idempotency_key, json_body, json_with_etag, path_id, respond};
use shared::store::UnitStore;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HousekeepingBody {
    status: Option<Housekeeping>,
}

pub async fn handler(store: &impl UnitStore, req: Request) -> Result<Response<Body>, Error> {
    respond(set_status(store, &req).await)
}

async fn set_status(store: &impl UnitStore, req: &Request) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let vendor_id = path_id(req, "id", "vendor", VendorId::parse)?;
    let unit_id = path_id(req, "unitid", "unit", UnitId::parse)?;
    if !caller.may_keep_house(vendor_id) {
        return Err(Problem::forbidden(
            "only this vendor's staff and housekeeping may report a room's status",
        ));
    }
    let key = idempotency_key(req)?;
    let body: HousekeepingBody = json_body(req)?;
    let status = body.status.ok_or_else(|| {
        Problem::field(
            "/status",
            "is required: clean, inspected or dirty (out of order is a block)",
        )
    })?;
    let (unit, delivery) = engine::set_housekeeping(
        store,
        vendor_id,
        unit_id,
        status,
        key.as_ref(),
        shared::clock::now(),
    )
    .await?;
    let mut response = json_with_etag(StatusCode::OK, &unit, unit.version);
    if delivery == Delivery::Replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}
