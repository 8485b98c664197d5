//! A manager adds a room type (hotel) or table type (restaurant); prices are in the vendor's
//! currency.
use chrono::Utc;
use lambda_http::{Body, Error, Request, Response};
use shared::api::resource::ResourceInput;
use shared::auth::Caller;
use shared::domain::FieldErrors;
use shared::domain::ids::{ResourceId, VendorId};
use shared::domain::resource::{Resource, ResourceKind};
use shared::domain::text::Description;
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
    let (Some(name), Some(capacity), Some(units), Some(base_price)) = (
        changes.name.clone(),
        changes.capacity,
        changes.units,
        changes.base_price,
    ) else {
        return Err(errors.into());
    };
    errors.finish()?;

    let now = Utc::now();
    let mut resource = Resource {
        id: ResourceId::generate(),
        vendor_id,
        kind,
        name,
        description: Description::empty(),
        capacity,
        units,
        base_price,
        amenities: Vec::new(),
        price_rules: Vec::new(),
        overbooking_percent: Default::default(),
        booking_window: Default::default(),
        check_in_time: None,
        seating: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    changes.apply(&mut resource)?;
    if resource.kind == ResourceKind::TableType && resource.seating.is_none() {
        // Stored explicitly, so the grid its bookings are counted on can never shift.
        resource.seating = Some(resource.seating_grid());
    }
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
