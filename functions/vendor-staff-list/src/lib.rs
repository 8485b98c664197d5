//! Who works for the vendor: visible to its own staff (and admins), so a manager can see who
//! has access.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Serialize;
use shared::auth::Caller;
use shared::domain::account::StaffMember;
use shared::domain::ids::VendorId;
use shared::http::{Problem, json, path_id, respond};
use shared::store::VendorStore;

#[derive(Serialize)]
struct StaffList {
    items: Vec<StaffMember>,
}

pub async fn handler(store: &impl VendorStore, req: Request) -> Result<Response<Body>, Error> {
    respond(list_staff(store, &req).await)
}

async fn list_staff(store: &impl VendorStore, req: &Request) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let vendor_id = path_id(req, "id", "vendor", VendorId::parse)?;
    if !caller.is_staff_of(vendor_id) {
        return Err(Problem::forbidden(
            "only the vendor's own staff may see its staff",
        ));
    }
    let items = store
        .staff(vendor_id)
        .await
        .map_err(|e| Problem::internal(&e))?;
    Ok(json(StatusCode::OK, &StaffList { items }))
}
