//! A manager holds units of a room type back for our own app (guests and the desk) on a range of
//! nights: no channel may take the last `units` of the type on those nights. Our app's holds do
//! not read it; only the channel path does.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::{Deserialize, Serialize};
use shared::channels::allotment::{Nights, protection};
use shared::channels::manage::managed_vendor;
use shared::domain::FieldErrors;
use shared::domain::ids::ResourceId;
use shared::domain::resource::ResourceKind;
use shared::http::{Problem, json, json_body, path_id, respond};
use shared::store::{AllotmentStore, ResourceStore};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProtectionBody {
    from: Option<String>,
    to: Option<String>,
    units: Option<i64>,
}

#[derive(Serialize)]
struct Protected {
    resource_id: ResourceId,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    units: u32,
}

pub async fn handler(
    store: &(impl ResourceStore + AllotmentStore),
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(set(store, &req).await)
}

async fn set(
    store: &(impl ResourceStore + AllotmentStore),
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let vendor = managed_vendor(req)?;
    let resource_id = path_id(req, "resourceid", "room type", ResourceId::parse)?;
    let body: ProtectionBody = json_body(req)?;
    let resource = store
        .resource(vendor, resource_id)
        .await
        .map_err(|e| Problem::internal(&e))?
        .ok_or_else(|| Problem::not_found("room type"))?;
    let mut errors = FieldErrors::default();
    let nights = Nights::parse(&mut errors, "/", body.from.as_deref(), body.to.as_deref());
    let units = errors.require("/units", body.units, |u| {
        protection(u, resource.sellable_limit())
    });
    let (Some(nights), Some(units)) = (nights, units) else {
        return Err(errors.into());
    };
    if resource.kind != ResourceKind::RoomType {
        return Err(Problem::field(
            "",
            "only a room type's nights can be protected, not a table type's",
        ));
    }
    for night in nights.iter() {
        store
            .set_protection(&resource, night, units)
            .await
            .map_err(|e| Problem::internal(&e))?;
    }
    tracing::info!(vendor = %vendor, resource = %resource.id, units, "protection set");
    Ok(json(
        StatusCode::OK,
        &Protected {
            resource_id: resource.id,
            from: nights.from,
            to: nights.to,
            units,
        },
    ))
}
