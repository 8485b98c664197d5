//! A guest takes their entry off a type's waitlist (204). Another guest's entry, or one that is
//! gone, is a 404. An offer already made stays a hold the guest pays or cancels like any other.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use shared::auth::Caller;
use shared::domain::ids::{ResourceId, VendorId};
use shared::http::{Problem, path_id, respond};
use shared::waitlist::{EntryId, LeaveError, WaitlistStore, leave};

pub async fn handler(waitlist: &impl WaitlistStore, req: Request) -> Result<Response<Body>, Error> {
    respond(leave_waitlist(waitlist, &req).await)
}

async fn leave_waitlist(
    waitlist: &impl WaitlistStore,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let Caller::Guest(guest) = caller else {
        return Err(Problem::forbidden(
            "only the guest leaves their waitlist entry",
        ));
    };
    let vendor = path_id(req, "id", "vendor", VendorId::parse)?;
    let resource = path_id(req, "resourceid", "resource", ResourceId::parse)?;
    let entry = path_id(req, "entryid", "waitlist entry", EntryId::parse)?;
    match leave(waitlist, guest, vendor, resource, entry).await {
        Ok(_) => Response::builder()
            .status(StatusCode::NO_CONTENT)
            .body(Body::Empty)
            .map_err(|e| Problem::internal(&e.into())),
        Err(LeaveError::NotFound) => Err(Problem::not_found("waitlist entry")),
        Err(LeaveError::Busy) => Err(Problem::conflict(
            "entry-changed",
            "The entry changed meanwhile",
            "it was offered or moved on while leaving; read it and try again",
        )),
        Err(LeaveError::Unexpected(cause)) => Err(Problem::internal(&cause)),
    }
}
