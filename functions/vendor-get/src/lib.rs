//! A vendor's public profile; anyone may read it.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use shared::domain::ids::VendorId;
use shared::http::{Problem, json_with_etag, path_id, respond};
use shared::store::VendorStore;

pub async fn handler(store: &impl VendorStore, req: Request) -> Result<Response<Body>, Error> {
    respond(get_vendor(store, &req).await)
}

async fn get_vendor(store: &impl VendorStore, req: &Request) -> Result<Response<Body>, Problem> {
    let id = path_id(req, "id", "vendor", VendorId::parse)?;
    match store.vendor(id).await {
        Ok(Some(vendor)) => Ok(json_with_etag(StatusCode::OK, &vendor, vendor.version)),
        Ok(None) => Err(Problem::not_found("vendor")),
        Err(cause) => Err(Problem::internal(&cause)),
    }
}
