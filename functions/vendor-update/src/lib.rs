//! A manager of the vendor edits its profile and its settings (`desk_hold_minutes`, `taxes`,
//! `night_audit_at`); only the fields sent change. The kind (hotel or restaurant) is fixed at onboarding. `If-Match` with
//! the profile's ETag guards against lost updates.
use chrono::Utc;
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use shared::api::vendor::ProfileInput;
use shared::auth::Caller;
use shared::domain::desk::DeskHoldMinutes;
use shared::domain::ids::VendorId;
use shared::domain::tax::{NightAuditTime, TaxRules};
use shared::domain::vendor::Vendor;
use shared::domain::{FieldErrors, Invalid};
use shared::http::{
    Problem, from_json_value, if_match, json_body, json_with_etag, path_id, respond,
};
use shared::night_audit::{AuditSchedule, NightAuditSchedules};
use shared::store::{EDIT_ATTEMPTS, VendorStore, WriteError, jittered_pause};

pub async fn handler(
    store: &impl VendorStore,
    schedules: &impl NightAuditSchedules,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(update_vendor(store, schedules, &req).await)
}

async fn load(store: &impl VendorStore, id: VendorId) -> Result<Vendor, Problem> {
    store
        .vendor(id)
        .await
        .map_err(|e| Problem::internal(&e))?
        .ok_or_else(|| Problem::not_found("vendor"))
}

async fn update_vendor(
    store: &impl VendorStore,
    schedules: &impl NightAuditSchedules,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let id = path_id(req, "id", "vendor", VendorId::parse)?;
    if !caller.manages(id) {
        return Err(Problem::forbidden(
            "only a manager of this vendor may edit it",
        ));
    }
    let expected = if_match(req)?;
    let mut body: serde_json::Value = json_body(req)?;
    // The settings are the vendor's, not its public profile's: taken out before the profile is
    // read, so the profile's own checks stay as they are.
    let mut setting = |name: &str| body.as_object_mut().and_then(|fields| fields.remove(name));
    let desk_hold = setting("desk_hold_minutes");
    let taxes = setting("taxes");
    let audit_at = setting("night_audit_at");
    // Sent again after a failed put, an unchanged zone or time puts the schedule again.
    let touches_schedule = audit_at.is_some()
        || body
            .as_object()
            .is_some_and(|fields| fields.contains_key("time_zone"));
    let input: ProfileInput = from_json_value(body, "")?;
    let mut vendor = load(store, id).await?;
    let mut errors = FieldErrors::default();
    let changes = input.validate(vendor.kind, false, &mut errors);
    let desk_hold = errors.check_opt("/desk_hold_minutes", desk_hold, |minutes| {
        minutes
            .as_i64()
            .ok_or_else(|| Invalid::new("must be a whole number of minutes"))
            .and_then(DeskHoldMinutes::new)
    });
    let taxes = errors.check_opt("/taxes", taxes, |value| {
        serde_json::from_value::<TaxRules>(value).map_err(|e| Invalid::new(tax_message(&e)))
    });
    let audit_at = errors.check_opt("/night_audit_at", audit_at, |value| {
        value
            .as_str()
            .ok_or_else(|| Invalid::new("must be a time of day written HH:MM, such as 02:00"))
            .and_then(NightAuditTime::parse)
    });
    errors.finish()?;
    let (desk_hold, taxes, audit_at) = (desk_hold.flatten(), taxes.flatten(), audit_at.flatten());
    if changes.is_empty() && desk_hold.is_none() && taxes.is_none() && audit_at.is_none() {
        return Err(Problem::field("", "send at least one field to change"));
    }

    for attempt in 1..=EDIT_ATTEMPTS {
        if expected.is_some_and(|v| v != vendor.version) {
            return Err(Problem::precondition_failed());
        }
        let read_version = vendor.version;
        let before = vendor.clone();
        changes.clone().apply(&mut vendor);
        if let Some(minutes) = desk_hold {
            vendor.desk_hold_minutes = minutes;
        }
        if let Some(taxes) = taxes {
            vendor.taxes = taxes;
        }
        if let Some(at) = audit_at {
            vendor.night_audit_at = at;
        }
        vendor.updated_at = Utc::now();
        vendor.version = read_version + 1;
        match store.update_vendor(&vendor, read_version).await {
            Ok(()) => {
                if touches_schedule || AuditSchedule::moves(&before, &vendor) {
                    // Committed already: a failure asks the client to send the change again.
                    schedules
                        .put(&vendor)
                        .await
                        .map_err(|e| Problem::internal(&e))?;
                }
                return Ok(json_with_etag(StatusCode::OK, &vendor, vendor.version));
            }
            Err(WriteError::VersionConflict) if expected.is_none() => {
                jittered_pause(attempt).await;
                vendor = load(store, id).await?
            }
            Err(WriteError::VersionConflict) => return Err(Problem::precondition_failed()),
            Err(other) => return Err(Problem::internal(&other.into())),
        }
    }
    Err(Problem::edit_conflict())
}

/// What is wrong with a `taxes` object, without serde's positions: `{"vat": {"rate_bp": 1900,
/// "basis": "included"|"added"}, "city_tax": <minor units per person and night>}`.
fn tax_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let reason = text.split(" at line ").next().unwrap_or(&text);
    format!(
        "must be {{\"vat\": {{\"rate_bp\": 1900, \"basis\": \"included\" or \"added\"}}, \"city_tax\": minor units per person and night}}, each optional: {reason}"
    )
}
