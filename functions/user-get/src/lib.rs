//! A guest reads their own profile (admins may read any).
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use shared::auth::Caller;
use shared::domain::ids::UserId;
use shared::http::{Problem, json_with_etag, path_id, respond};
use shared::store::GuestStore;

pub async fn handler(store: &impl GuestStore, req: Request) -> Result<Response<Body>, Error> {
    respond(get_user(store, &req).await)
}

async fn get_user(store: &impl GuestStore, req: &Request) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let id = path_id(req, "id", "user", UserId::parse)?;
    // Decided before any read, so the answer says nothing about whether the account exists.
    if !caller.may_act_for_guest(id) {
        return Err(Problem::forbidden(
            "a guest may only read their own profile",
        ));
    }
    match store.guest(id).await {
        Ok(Some(profile)) => Ok(json_with_etag(StatusCode::OK, &profile, profile.version)),
        Ok(None) => Err(Problem::not_found("user")),
        Err(cause) => Err(Problem::internal(&cause)),
    }
}
