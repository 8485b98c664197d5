//! A manager runs the night audit of their vendor for one ended business day now, as the schedule
//! would: `{"day": "YYYY-MM-DD"}` answers what it did (no-shows marked, departures overdue, the
//! day closed now or before, its figures). Running it again changes nothing.
use chrono::NaiveDate;
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::{Deserialize, Serialize};
use shared::auth::Caller;
use shared::domain::ids::{BookingId, VendorId};
use shared::http::{Problem, json, json_body, path_id, respond};
use shared::night_audit::{AuditError, AuditRequest, Closed, DayEvents, run};
use shared::reports::{DayFigures, ReportStore};
use shared::store::{AllotmentRelease, ArrivingBookings, BookingStore, ResourceStore, VendorStore};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DayBody {
    day: String,
}

#[derive(Serialize)]
struct Answer {
    day: NaiveDate,
    no_shows: Vec<BookingId>,
    overdue_departures: Vec<BookingId>,
    closed: Closed,
    figures: DayFigures,
}

/// The edge's answer to a run that did not finish.
fn problem(err: AuditError) -> Problem {
    match err {
        AuditError::VendorNotFound => Problem::not_found("vendor"),
        AuditError::DayNotEnded { day, ends_at } => Problem::conflict(
            "day-not-ended",
            "The business day has not ended",
            format!(
                "{day} ends at {}; it can be closed from then on",
                ends_at.to_rfc3339()
            ),
        )
        .with_extension("ends_at", serde_json::json!(ends_at)),
        AuditError::Incomplete { failed } => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "night-audit-incomplete",
            "Some bookings could not be marked; the day stays open",
        )
        .with_detail("run the audit again shortly")
        .with_extension("booking_ids", serde_json::json!(failed))
        .with_header(http::header::RETRY_AFTER, "1"),
        AuditError::Unexpected(cause) => Problem::internal(&cause),
    }
}

pub async fn handler(
    store: &(impl VendorStore + ResourceStore + BookingStore + ArrivingBookings + AllotmentRelease),
    reports: &impl ReportStore,
    events: &impl DayEvents,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(night_audit(store, reports, events, &req).await)
}

async fn night_audit(
    store: &(impl VendorStore + ResourceStore + BookingStore + ArrivingBookings + AllotmentRelease),
    reports: &impl ReportStore,
    events: &impl DayEvents,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let vendor_id = path_id(req, "id", "vendor", VendorId::parse)?;
    if !caller.manages(vendor_id) {
        return Err(Problem::forbidden(
            "only a manager of this vendor may run its night audit",
        ));
    }
    let body: DayBody = json_body(req)?;
    let day = NaiveDate::parse_from_str(&body.day, "%Y-%m-%d")
        .map_err(|_| Problem::field("/day", "must be a date written YYYY-MM-DD"))?;
    let request = AuditRequest {
        vendor_id,
        day: Some(day),
    };
    let outcome = run(store, reports, events, &request, shared::clock::now())
        .await
        .map_err(problem)?;
    Ok(json(
        StatusCode::OK,
        &Answer {
            day: outcome.day,
            no_shows: outcome.no_shows,
            overdue_departures: outcome.overdue_departures,
            closed: outcome.closed,
            figures: outcome.figures,
        },
    ))
}
