//! A vendor's room types or table types; public, since guests choose among them.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Serialize;
use shared::domain::ids::VendorId;
use shared::domain::resource::Resource;
use shared::http::{Problem, json, path_id, respond};
use shared::store::{ResourceStore, VendorStore};

#[derive(Serialize)]
struct ResourceList {
    items: Vec<Resource>,
}

pub async fn handler(
    store: &(impl VendorStore + ResourceStore),
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(list_resources(store, &req).await)
}

async fn list_resources(
    store: &(impl VendorStore + ResourceStore),
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let vendor_id = path_id(req, "id", "vendor", VendorId::parse)?;
    let (vendor, items) = tokio::try_join!(store.vendor(vendor_id), store.resources(vendor_id))
        .map_err(|e| Problem::internal(&e))?;
    if vendor.is_none() {
        return Err(Problem::not_found("vendor"));
    }
    Ok(json(StatusCode::OK, &ResourceList { items }))
}
