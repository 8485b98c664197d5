//! A manager edits a room type or table type; only the fields sent change. `If-Match` with the
//! resource's ETag guards against lost updates.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use shared::api::resource::ResourceInput;
use shared::auth::Caller;
use shared::domain::FieldErrors;
use shared::domain::ids::{ResourceId, VendorId};
use shared::domain::resource::Resource;
use shared::http::{Problem, if_match, json_body, json_with_etag, path_id, respond};
use shared::store::{EDIT_ATTEMPTS, ResourceStore, VendorStore, WriteError, jittered_pause};

pub async fn handler(
    store: &(impl VendorStore + ResourceStore),
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(update_resource(store, &req).await)
}

async fn load(
    store: &impl ResourceStore,
    vendor: VendorId,
    id: ResourceId,
) -> Result<Resource, Problem> {
    store
        .resource(vendor, id)
        .await
        .map_err(|e| Problem::internal(&e))?
        .ok_or_else(|| Problem::not_found("resource"))
}

async fn update_resource(
    store: &(impl VendorStore + ResourceStore),
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let vendor_id = path_id(req, "id", "vendor", VendorId::parse)?;
    let id = path_id(req, "resourceid", "resource", ResourceId::parse)?;
    if !caller.manages(vendor_id) {
        return Err(Problem::forbidden(
            "only a manager of this vendor may edit rooms or tables",
        ));
    }
    let expected = if_match(req)?;
    let input: ResourceInput = json_body(req)?;
    let (vendor, resource) = tokio::join!(store.vendor(vendor_id), load(store, vendor_id, id));
    let vendor = vendor
        .map_err(|e| Problem::internal(&e))?
        .ok_or_else(|| Problem::not_found("vendor"))?;
    let mut resource = resource?;
    let mut errors = FieldErrors::default();
    let changes = input.validate(vendor.currency, resource.kind, false, &mut errors);
    errors.finish()?;
    if changes.is_empty() {
        return Err(Problem::field("", "send at least one field to change"));
    }

    for attempt in 1..=EDIT_ATTEMPTS {
        if expected.is_some_and(|v| v != resource.version) {
            return Err(Problem::precondition_failed());
        }
        let read_version = resource.version;
        let read_limit = resource.sellable_limit();
        changes.clone().apply(&mut resource)?;
        resource.updated_at = shared::clock::now();
        resource.version = read_version + 1;
        match store.update_resource(&resource, read_version).await {
            Ok(()) => {
                // Holds of a sharded type do not check its item: its counters learn the new
                // limit here, so a warm copy of the old one cannot sell past it.
                if resource.shards.get() > 1 && resource.sellable_limit() < read_limit {
                    store
                        .fence_shards(&resource)
                        .await
                        .map_err(|e| Problem::internal(&e))?;
                }
                return Ok(json_with_etag(StatusCode::OK, &resource, resource.version));
            }
            Err(WriteError::VersionConflict) if expected.is_none() => {
                jittered_pause(attempt).await;
                resource = load(store, vendor_id, id).await?
            }
            Err(WriteError::VersionConflict) => return Err(Problem::precondition_failed()),
            Err(other) => return Err(Problem::internal(&other.into())),
        }
    }
    Err(Problem::edit_conflict())
}
