//! A guest's own waitlist entries, oldest first: waiting, offered (with the hold's booking id and
//! expiry), booked or lapsed. Only the guest themself (or an admin) may read them.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Serialize;
use shared::auth::Caller;
use shared::domain::ids::UserId;
use shared::http::{Problem, json, path_id, respond};
use shared::waitlist::{Entry, WaitlistStore};

#[derive(Serialize)]
struct Entries {
    entries: Vec<Entry>,
}

pub async fn handler(waitlist: &impl WaitlistStore, req: Request) -> Result<Response<Body>, Error> {
    respond(list(waitlist, &req).await)
}

async fn list(waitlist: &impl WaitlistStore, req: &Request) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let user = path_id(req, "userid", "user", UserId::parse)?;
    if !caller.may_act_for_guest(user) {
        return Err(Problem::forbidden(
            "a guest may only list their own waitlist entries",
        ));
    }
    let entries = waitlist
        .of_guest(user)
        .await
        .map_err(|e| Problem::internal(&e))?;
    Ok(json(StatusCode::OK, &Entries { entries }))
}
