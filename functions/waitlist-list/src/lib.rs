//! The waitlist of one room or table type for its vendor's managers and desk (and admins): every
//! entry still kept, in the order guests joined, each with the guest's name as the booking lists
//! show it (`guest_name`, from the account's profile). Others' staff get 403.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Serialize;
use shared::auth::Caller;
use shared::domain::ids::{ResourceId, VendorId};
use shared::http::{Problem, json, path_id, respond};
use shared::store::GuestStore;
use shared::waitlist::{Entry, WaitlistStore};

/// At most this many entries are listed: a type's list is short-lived (offers and lapses move it).
const MAX_LISTED: usize = 200;

#[derive(Serialize)]
struct Listed {
    #[serde(flatten)]
    entry: Entry,
    #[serde(skip_serializing_if = "Option::is_none")]
    guest_name: Option<String>,
}

#[derive(Serialize)]
struct Waitlist {
    entries: Vec<Listed>,
}

pub async fn handler(
    store: &impl GuestStore,
    waitlist: &impl WaitlistStore,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(list(store, waitlist, &req).await)
}

async fn list(
    store: &impl GuestStore,
    waitlist: &impl WaitlistStore,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let vendor = path_id(req, "id", "vendor", VendorId::parse)?;
    let resource = path_id(req, "resourceid", "resource", ResourceId::parse)?;
    if !caller.is_staff_of(vendor) {
        return Err(Problem::forbidden(
            "only the vendor's managers and desk see its waitlist",
        ));
    }
    let entries = waitlist
        .of_type(vendor, resource, false, MAX_LISTED)
        .await
        .map_err(|e| Problem::internal(&e))?;
    let guests: Vec<_> = entries.iter().map(|e| e.guest_id).collect();
    let names = if guests.is_empty() {
        Default::default()
    } else {
        store
            .guest_names(&guests)
            .await
            .map_err(|e| Problem::internal(&e))?
    };
    let entries = entries
        .into_iter()
        .map(|entry| Listed {
            guest_name: names.get(&entry.guest_id).map(|n| n.as_str().to_owned()),
            entry,
        })
        .collect();
    Ok(json(StatusCode::OK, &Waitlist { entries }))
}
