//! What a vendor has free for a party: each fitting room or table type with the units left in
//! every night or slot asked for, and the price. Public, so guests can look before signing in.
//! Hotels: `?party_size=2&check_in=2026-12-20&check_out=2026-12-23`; restaurants:
//! `?party_size=4&date=2026-12-20&time=19:30`; optional `units` (default 1).
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Serialize;
use shared::api::availability::{self, parsed};
use shared::domain::FieldErrors;
use shared::domain::ids::VendorId;
use shared::engine::{self, HoldError, Offer};
use shared::http::{Problem, json, path_id, query_param, respond};
use shared::store::{BookingStore, ResourceStore, VendorStore};

#[derive(Serialize)]
struct Availability {
    items: Vec<Offer>,
}

pub async fn handler(
    store: &(impl VendorStore + ResourceStore + BookingStore),
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(availability(store, &req).await)
}

async fn availability(
    store: &(impl VendorStore + ResourceStore + BookingStore),
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let vendor = path_id(req, "id", "vendor", VendorId::parse)?;
    let mut errors = FieldErrors::query();
    let party = availability::party(req, &mut errors);
    let units = errors.check_opt("units", query_param(req, "units"), |v| {
        engine::units_asked(parsed::<i64>(v, "a number")?)
    });
    let when = availability::booking_time(req, &mut errors);
    let (Some(party), Some(units), Some(when)) = (party, units, when) else {
        return Err(errors.into());
    };
    errors.finish()?;
    let items = engine::availability(
        store,
        vendor,
        party,
        units.unwrap_or(1),
        when,
        shared::clock::now(),
    )
    .await
    .map_err(|err| match err {
        // The engine's rules name body members; here the same values are query parameters.
        HoldError::Invalid(errors) => Problem::validation(errors.into_parameters()),
        HoldError::NoFit(no_fit) => Problem::parameter("party_size", no_fit.to_string()),
        other => other.into(),
    })?;
    let mut response = json(StatusCode::OK, &Availability { items });
    // Good for a moment only: a booking can take the last unit at any time.
    response.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("public, max-age=5"),
    );
    Ok(response)
}
