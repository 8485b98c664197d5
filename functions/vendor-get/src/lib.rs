//! A vendor's public profile, with its guests' rating when it has been reviewed; anyone may read
//! it.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Serialize;
use shared::domain::ids::VendorId;
use shared::domain::review::RatingSummary;
use shared::domain::vendor::Vendor;
use shared::http::{Problem, json_with_etag, path_id, respond};
use shared::store::{ReviewStore, VendorStore};

/// The profile as guests see it. The ETag stays the profile's version: a review changes no
/// profile, and an edit's If-Match must not fail because a guest reviewed meanwhile.
#[derive(Serialize)]
struct Profile<'a> {
    #[serde(flatten)]
    vendor: &'a Vendor,
    #[serde(skip_serializing_if = "Option::is_none")]
    rating: Option<RatingSummary>,
}

pub async fn handler(
    store: &(impl VendorStore + ReviewStore),
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(get_vendor(store, &req).await)
}

async fn get_vendor(
    store: &(impl VendorStore + ReviewStore),
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let id = path_id(req, "id", "vendor", VendorId::parse)?;
    match tokio::try_join!(store.vendor(id), store.rating(id)) {
        Ok((Some(vendor), rating)) => {
            let profile = Profile {
                vendor: &vendor,
                rating: rating.as_ref().and_then(|r| r.summary()),
            };
            Ok(json_with_etag(StatusCode::OK, &profile, vendor.version))
        }
        Ok((None, _)) => Err(Problem::not_found("vendor")),
        Err(cause) => Err(Problem::internal(&cause)),
    }
}
