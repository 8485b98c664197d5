//! A manager reads, per night of a room type, each channel's allotment, what it sold, when the
//! allotment is released and whether it was, and the units protected for our own app.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Serialize;
use shared::channels::allotment::Nights;
use shared::channels::manage::managed_vendor;
use shared::domain::FieldErrors;
use shared::domain::ids::ResourceId;
use shared::domain::resource::ResourceKind;
use shared::http::{Problem, json, query_param, respond};
use shared::store::{AllotmentNight, AllotmentStore, ResourceStore};

#[derive(Serialize)]
struct Allotments {
    resource_id: ResourceId,
    nights: Vec<AllotmentNight>,
}

pub async fn handler(
    store: &(impl ResourceStore + AllotmentStore),
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(list(store, &req).await)
}

async fn list(
    store: &(impl ResourceStore + AllotmentStore),
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let vendor = managed_vendor(req)?;
    let mut errors = FieldErrors::query();
    let resource_id = errors.require("resource_id", query_param(req, "resource_id"), |v| {
        ResourceId::parse(v)
    });
    let nights = Nights::parse(
        &mut errors,
        "",
        query_param(req, "from"),
        query_param(req, "to"),
    );
    let (Some(resource_id), Some(nights)) = (resource_id, nights) else {
        return Err(errors.into());
    };
    let resource = store
        .resource(vendor, resource_id)
        .await
        .map_err(|e| Problem::internal(&e))?
        .ok_or_else(|| Problem::parameter("resource_id", "no such room type of this vendor"))?;
    if resource.kind != ResourceKind::RoomType {
        return Err(Problem::parameter(
            "resource_id",
            "must be a room type: allotments are per night",
        ));
    }
    let nights = store
        .allotments(vendor, resource.id, nights)
        .await
        .map_err(|e| Problem::internal(&e))?;
    Ok(json(
        StatusCode::OK,
        &Allotments {
            resource_id: resource.id,
            nights,
        },
    ))
}
