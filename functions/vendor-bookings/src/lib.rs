//! Every booking of a vendor, live and archived, for its staff: the front desk's view, in order
//! of arrival, each live booking with its guest's name (`guest_name`). Dates in the query are the
//! vendor's local dates.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use shared::api::bookings::{BookingList, guest_names, list_query, with_guest_names};
use shared::auth::Caller;
use shared::domain::ids::VendorId;
use shared::http::{Problem, json, path_id, respond};
use shared::store::{BookingLists, BookingOwner, GuestStore, Listed, VendorStore};

pub async fn handler(
    store: &(impl VendorStore + GuestStore),
    lists: &impl BookingLists,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(list(store, lists, &req).await)
}

async fn list(
    store: &(impl VendorStore + GuestStore),
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
    let live: Vec<_> = page
        .items
        .iter()
        .filter_map(|item| match item {
            Listed::Live(booking) => Some(booking.as_ref()),
            Listed::Archived(_) => None,
        })
        .collect();
    let names = guest_names(store, &live)
        .await
        .map_err(|e| Problem::internal(&e))?;
    let body =
        serde_json::to_value(BookingList::from(page)).map_err(|e| Problem::internal(&e.into()))?;
    Ok(json(StatusCode::OK, &with_guest_names(body, &names)))
}
