//! One room type or table type of a vendor; public.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use shared::domain::ids::{ResourceId, VendorId};
use shared::http::{Problem, json_with_etag, path_id, respond};
use shared::store::ResourceStore;

pub async fn handler(store: &impl ResourceStore, req: Request) -> Result<Response<Body>, Error> {
    respond(get_resource(store, &req).await)
}

async fn get_resource(
    store: &impl ResourceStore,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let vendor_id = path_id(req, "id", "vendor", VendorId::parse)?;
    let id = path_id(req, "resourceid", "resource", ResourceId::parse)?;
    match store.resource(vendor_id, id).await {
        Ok(Some(resource)) => Ok(json_with_etag(StatusCode::OK, &resource, resource.version)),
        Ok(None) => Err(Problem::not_found("resource")),
        Err(cause) => Err(Problem::internal(&cause)),
    }
}
