//! Every booking of a vendor, live and archived, for its staff: the front desk's view, in order
//! of arrival. Dates in the query are the vendor's local dates.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use shared::api::bookings::{BookingList, list_query};
use shared::auth::Caller;
use shared::domain::ids::VendorId;
use shared::http::{Problem, json, path_id, respond};
use shared::store::{BookingLists, BookingOwner, VendorStore};

pub async fn handler(
    store: &impl VendorStore,
    lists: &impl BookingLists,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(list(store, lists, &req).await)
}

async fn list(
    store: &impl VendorStore,
    lists: &impl BookingLists,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let vendor_id = path_id(req, "vendorid", "vendor", VendorId::parse)?;
    if !caller.is_staff_of(vendor_id) {
        return Err(Problem::forbidden(
            "only the vendor's staff may list its bookings",
        ));
    }
    let vendor = store
        .vendor(vendor_id)
        .await
        .map_err(|e| Problem::internal(&e))?
        .ok_or_else(|| Problem::not_found("vendor"))?;
    let query = list_query(req, vendor.time_zone.tz())?;
    let page = lists
        .list_bookings(BookingOwner::Vendor(vendor_id), &query)
        .await?;
    Ok(json(StatusCode::OK, &BookingList::from(page)))
}
