//! A guest whose hold was refused as sold out joins the waitlist of that room or table type for
//! the same request (`party_size`, `units`, `check_in` + `check_out` or `date` + `time`), checked
//! as a hold checks it. Units still free are a 409 `not-sold-out` (hold them instead); the same
//! request again answers the entry already waiting (200).
use chrono::{NaiveDate, NaiveTime};
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Deserialize;
use shared::api::availability::TimeFields;
use shared::auth::Caller;
use shared::domain::FieldErrors;
use shared::domain::ids::{ResourceId, VendorId};
use shared::domain::party::PartySize;
use shared::engine;
use shared::http::{Problem, created, json_body, json_with_etag, path_id, respond};
use shared::store::{BookingStore, ResourceStore, VendorStore};
use shared::waitlist::{JoinError, JoinRequest, Joined, WaitlistStore, join};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JoinBody {
    party_size: Option<i64>,
    units: Option<i64>,
    check_in: Option<NaiveDate>,
    check_out: Option<NaiveDate>,
    date: Option<NaiveDate>,
    time: Option<NaiveTime>,
}

fn join_request(
    vendor: VendorId,
    resource: ResourceId,
    body: JoinBody,
) -> Result<JoinRequest, FieldErrors> {
    let mut errors = FieldErrors::default();
    let party = errors.require("/party_size", body.party_size, PartySize::new);
    let units = errors.check_opt("/units", body.units, engine::units_asked);
    let time = TimeFields {
        check_in: body.check_in,
        check_out: body.check_out,
        date: body.date,
        time: body.time,
    }
    .combine(&mut errors, "/");
    match (party, units, time) {
        (Some(party), Some(units), Some(time)) if errors.is_empty() => Ok(JoinRequest {
            vendor,
            resource,
            party,
            units: units.unwrap_or(1),
            time,
        }),
        _ => Err(errors),
    }
}

fn problem(err: JoinError) -> Problem {
    match err {
        JoinError::Refused(refused) => refused.into(),
        JoinError::NotSoldOut { units_left } => Problem::conflict(
            "not-sold-out",
            "Units are free",
            format!("{units_left} units are free for these dates: hold them instead"),
        )
        .with_extension("units_left", serde_json::json!(units_left)),
        JoinError::TooMany => Problem::conflict(
            "waitlist-full",
            "Too many waitlist entries",
            err.to_string(),
        ),
        JoinError::Unexpected(cause) => Problem::internal(&cause),
    }
}

pub async fn handler(
    store: &(impl VendorStore + ResourceStore + BookingStore),
    waitlist: &impl WaitlistStore,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(join_waitlist(store, waitlist, &req).await)
}

async fn join_waitlist(
    store: &(impl VendorStore + ResourceStore + BookingStore),
    waitlist: &impl WaitlistStore,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let Caller::Guest(guest) = caller else {
        return Err(Problem::forbidden(
            "guests join a waitlist for themselves; staff book at the desk",
        ));
    };
    let vendor = path_id(req, "id", "vendor", VendorId::parse)?;
    let resource = path_id(req, "resourceid", "resource", ResourceId::parse)?;
    let body: JoinBody = json_body(req)?;
    let request = join_request(vendor, resource, body)?;
    let joined = join(store, waitlist, guest, request, shared::clock::now())
        .await
        .map_err(problem)?;
    Ok(match joined {
        Joined::Created(entry) => created(
            &format!("/vendor/{vendor}/resource/{resource}/waitlist/{}", entry.id),
            &entry,
            entry.version,
        ),
        Joined::Existing(entry) => json_with_etag(StatusCode::OK, &entry, entry.version),
    })
}
