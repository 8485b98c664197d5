//! Changes a held or confirmed booking: new dates (or seating time), party size, units or room
//! / table type. The old inventory is released and the new taken in one transaction, so the
//! booking either has all of its new nights or keeps all of its old ones.
use chrono::{NaiveDate, NaiveTime};
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Deserialize;
use shared::api::availability::TimeFields;
use shared::auth::Caller;
use shared::domain::FieldErrors;
use shared::domain::ids::{BookingId, ResourceId};
use shared::domain::party::PartySize;
use shared::engine::{self, ChangeError, ChangeRequest, Requester};
use shared::http::{Problem, json_body, json_with_etag, path_id, respond};
use shared::store::{ArchiveIndex, BookingStore, ResourceStore, VendorStore};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeBody {
    resource_id: Option<String>,
    party_size: Option<i64>,
    units: Option<i64>,
    check_in: Option<NaiveDate>,
    check_out: Option<NaiveDate>,
    date: Option<NaiveDate>,
    time: Option<NaiveTime>,
}

impl TryFrom<ChangeBody> for ChangeRequest {
    type Error = FieldErrors;

    fn try_from(body: ChangeBody) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let resource =
            errors.check_opt("/resource_id", body.resource_id, |v| ResourceId::parse(&v));
        let party = errors.check_opt("/party_size", body.party_size, PartySize::new);
        let units = errors.check_opt("/units", body.units, engine::units_asked);
        let fields = TimeFields {
            check_in: body.check_in,
            check_out: body.check_out,
            date: body.date,
            time: body.time,
        };
        // Nothing sent keeps the time; half a pair names the missing member, as a hold does.
        let time = if fields.is_empty() {
            Some(None)
        } else {
            fields.combine(&mut errors, "/").map(Some)
        };
        match (resource, party, units, time) {
            (Some(resource), Some(party), Some(units), Some(time)) => {
                if resource.is_none() && party.is_none() && units.is_none() && time.is_none() {
                    errors.push(
                        "",
                        "send at least one of resource_id, party_size, units, or the dates",
                    );
                    return Err(errors);
                }
                Ok(Self {
                    resource,
                    party,
                    units,
                    time,
                })
            }
            _ => Err(errors),
        }
    }
}

pub async fn handler(
    store: &(impl VendorStore + ResourceStore + BookingStore),
    archive: &impl ArchiveIndex,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(change_booking(store, archive, &req).await)
}

async fn change_booking(
    store: &(impl VendorStore + ResourceStore + BookingStore),
    archive: &impl ArchiveIndex,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let id = path_id(req, "bookingid", "booking", BookingId::parse)?;
    let body: ChangeBody = json_body(req)?;
    let request = ChangeRequest::try_from(body)?;
    let requester = Requester::Caller(caller.clone());
    let booking = match engine::change(store, id, &request, &requester, shared::clock::now()).await
    {
        Err(ChangeError::NotFound) => {
            return Err(shared::http::not_live(archive, &caller, id).await);
        }
        changed => changed?,
    };
    tracing::info!(booking_id = %booking.id, version = booking.version, "booking changed");
    Ok(json_with_etag(StatusCode::OK, &booking, booking.version))
}
