//! A guest's own bookings, live and archived, in one list in order of arrival. Dates in the
//! query are UTC dates, since a guest's bookings may be in many time zones.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use shared::api::bookings::{BookingList, list_query};
use shared::auth::Caller;
use shared::domain::ids::UserId;
use shared::http::{Problem, json, path_id, respond};
use shared::store::{BookingLists, BookingOwner};

pub async fn handler(store: &impl BookingLists, req: Request) -> Result<Response<Body>, Error> {
    respond(list(store, &req).await)
}

async fn list(store: &impl BookingLists, req: &Request) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let user = path_id(req, "userid", "user", UserId::parse)?;
    if !caller.may_act_for_guest(user) {
        return Err(Problem::forbidden(
            "a guest may only list their own bookings",
        ));
    }
    let query = list_query(req, chrono_tz::UTC)?;
    let page = store
        .list_bookings(BookingOwner::Guest(user), &query)
        .await?;
    Ok(json(StatusCode::OK, &BookingList::from(page)))
}
