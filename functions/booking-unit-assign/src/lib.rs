//! Staff put a booking in a room or table (`{"unit_id"}`), or let the platform pick a free one
//! that fits (`{"auto": true}`), or move it to another: one transaction takes the new unit for
//! every night or slot and frees the old one. A unit taken on any of them is a 409 naming the
//! unit and the nights.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Deserialize;
use shared::auth::Caller;
use shared::domain::ids::{BookingId, UnitId};
use shared::engine::{self, Pick, Requester};
use shared::http::{Problem, json_body, json_with_etag, path_id, respond};
use shared::store::{BookingStore, ResourceStore, UnitStore};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    unit_id: Option<String>,
    #[serde(default)]
    auto: bool,
}

pub async fn handler(
    store: &(impl BookingStore + ResourceStore + UnitStore),
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(assign(store, &req).await)
}

async fn assign(
    store: &(impl BookingStore + ResourceStore + UnitStore),
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let id = path_id(req, "bookingid", "booking", BookingId::parse)?;
    let body: AssignBody = json_body(req)?;
    let pick = match (body.unit_id, body.auto) {
        (Some(raw), false) => {
            Pick::Unit(UnitId::parse(&raw).map_err(|e| Problem::field("/unit_id", e.0))?)
        }
        (None, true) => Pick::Auto,
        (Some(_), true) => {
            return Err(Problem::field(
                "/auto",
                "send either unit_id or auto, not both",
            ));
        }
        (None, false) => {
            return Err(Problem::field(
                "/unit_id",
                "is required (or send \"auto\": true)",
            ));
        }
    };
    let booking = engine::assign(
        store,
        id,
        pick,
        &Requester::Caller(caller),
        shared::clock::now(),
    )
    .await?;
    Ok(json_with_etag(StatusCode::OK, &booking, booking.version))
}
