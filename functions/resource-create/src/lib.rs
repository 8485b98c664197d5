//! A manager adds a room type (hotel) or table type (restaurant); prices are in the vendor's
//! currency.
use lambda_http::{Body, Error, Request, Response};
use shared::api::resource::ResourceInput;
use shared::auth::Caller;
use shared::domain::FieldErrors;
use shared::domain::ids::VendorId;
use shared::http::{Problem, created, json_body, path_id, respond};
use shared::store::{ResourceStore, VendorStore, WriteError};

pub async fn handler(
    store: &(impl VendorStore + ResourceStore),
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(create_resource(store, &req).await)
}

async fn create_resource(
    store: &(impl VendorStore + ResourceStore),
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let vendor_id = path_id(req, "id", "vendor", VendorId::parse)?;
    if !caller.manages(vendor_id) {
        return Err(Problem::forbidden(
            "only a manager of this vendor may add rooms or tables",
        ));
    }
    let input: ResourceInput = json_body(req)?;
    let vendor = store
        .vendor(vendor_id)
        .await
        .map_err(|e| Problem::internal(&e))?
        .ok_or_else(|| Problem::not_found("vendor"))?;
    let kind = vendor.kind.into();
    let mut errors = FieldErrors::default();
    let changes = input.validate(vendor.currency, kind, true, &mut errors);
    errors.finish()?;
    let resource = changes.into_resource(vendor_id, kind, shared::clock::now())?;
    match store.create_resource(&resource).await {
        Ok(()) => Ok(created(
            &format!("/vendor/{vendor_id}/resource/{}", resource.id),
            &resource,
            resource.version,
        )),
        Err(WriteError::VendorNotFound) => Err(Problem::not_found("vendor")),
        Err(other) => Err(Problem::internal(&other.into())),
    }
}
