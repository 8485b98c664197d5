//! What the benchmarks share: a hotel and its room types written straight through the store, a
//! hold as API Gateway hands it to `booking_create::handler`, and the percentiles they print.
use anyhow::{Context, anyhow, ensure};
use chrono::{NaiveDate, TimeDelta, Utc};
use http::StatusCode;
use lambda_http::Request;
use serde_json::json;
use shared::api::resource::ResourceInput;
use shared::api::vendor::ProfileInput;
use shared::auth::password;
use shared::domain::FieldErrors;
use shared::domain::account::{Credential, Email, Password, Role, StaffMember, StaffRole};
use shared::domain::ids::{BookingId, ResourceId, StaffId, UserId, VendorId};
use shared::domain::resource::{Resource, ResourceKind};
use shared::domain::text::{Description, PersonName};
use shared::domain::vendor::{Vendor, VendorKind};
use shared::store::{DynamoStore, ResourceStore, VendorStore};
use std::time::{Duration, Instant};

fn field_errors(what: &str, errors: FieldErrors) -> anyhow::Error {
    let details: Vec<String> = errors
        .into_vec()
        .into_iter()
        .map(|e| format!("{:?} {}", e.location, e.detail))
        .collect();
    anyhow!("{what}: {}", details.join("; "))
}

/// A hotel with its manager, built from a profile the way vendor-create builds it.
pub async fn onboard_hotel(store: &DynamoStore, run: &str) -> anyhow::Result<Vendor> {
    let profile: ProfileInput = serde_json::from_value(json!({
        "name": format!("Bench Hotel {run}"),
        "address": {"line1": "1 Benchmark Way", "postal_code": "10115", "city": "Berlin", "country": "DE"},
        "location": {"lat": 52.52, "lon": 13.405},
        "time_zone": "Europe/Berlin",
        "currency": "EUR",
        "contact": {"email": format!("hotel-{run}@bench.example.com")},
    }))
    .context("the bench hotel's profile")?;
    let mut errors = FieldErrors::default();
    let changes = profile.validate(VendorKind::Hotel, true, &mut errors);
    let name = errors.check("/manager/name", PersonName::parse("Bench Manager"));
    let email = errors.check(
        "/manager/email",
        Email::parse(&format!("manager-{run}@bench.example.com")),
    );
    let secret = errors.check(
        "/manager/password",
        Password::new("bench manager password".into()),
    );
    let (
        Some(title),
        Some(address),
        Some(location),
        Some(time_zone),
        Some(currency),
        Some(contact),
        Some(name),
        Some(email),
        Some(secret),
    ) = (
        changes.name,
        changes.address,
        changes.location,
        changes.time_zone,
        changes.currency,
        changes.contact,
        name,
        email,
        secret,
    )
    else {
        return Err(field_errors("the bench hotel is invalid", errors));
    };
    errors
        .finish()
        .map_err(|e| field_errors("the bench hotel is invalid", e))?;
    let now = Utc::now();
    let vendor = Vendor {
        id: VendorId::generate(),
        kind: VendorKind::Hotel,
        name: title,
        description: Description::empty(),
        address,
        location,
        time_zone,
        currency,
        facilities: Vec::new(),
        cuisines: Vec::new(),
        contact,
        desk_hold_minutes: Default::default(),
        taxes: Default::default(),
        night_audit_at: Default::default(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let manager = StaffMember {
        id: StaffId::generate(),
        vendor_id: vendor.id,
        email,
        name,
        role: StaffRole::Manager,
        created_at: now,
    };
    let credential = Credential {
        account_id: manager.id.to_string(),
        password_hash: password::hash(secret).await?,
        role: Role::Staff,
        vendor_id: Some(vendor.id),
        manager: true,
    };
    store
        .create_vendor(&vendor, &manager, &credential)
        .await
        .context("onboarding the bench hotel")?;
    Ok(vendor)
}

/// A room type, built from input the way resource-create builds it.
/// With `deposit`, its holds are HELD (waiting for payment) and each creates a payment intent
/// (localstripe here); without, a hold is confirmed at once and is one fact.
pub async fn add_room_type(
    store: &DynamoStore,
    vendor: &Vendor,
    name: &str,
    units: u32,
    deposit: bool,
) -> anyhow::Result<Resource> {
    let deposit = if deposit {
        json!({"kind": "percent", "percent": 20})
    } else {
        json!({"kind": "none"})
    };
    let input: ResourceInput = serde_json::from_value(json!({
        "name": name,
        "capacity": 2,
        "units": units,
        "base_price": {"amount_minor": 12_900},
        "deposit": deposit,
    }))
    .context("the bench room type")?;
    let kind = ResourceKind::from(vendor.kind);
    let mut errors = FieldErrors::default();
    let changes = input.validate(vendor.currency, kind, true, &mut errors);
    errors
        .finish()
        .map_err(|e| field_errors("the bench room type is invalid", e))?;
    let resource = changes
        .into_resource(vendor.id, kind, Utc::now())
        .map_err(|e| field_errors("the bench room type is invalid", e))?;
    store
        .create_resource(&resource)
        .await
        .context("creating the bench room type")?;
    Ok(resource)
}

/// `POST /booking/vendor/{vendorid}` as API Gateway (payload 2.0) hands it to the function, with
/// the claims its JWT authorizer verified.
pub fn hold_event(
    vendor: VendorId,
    guest: UserId,
    resource: ResourceId,
    check_in: NaiveDate,
    nights: i64,
) -> anyhow::Result<Request> {
    let path = format!("/booking/vendor/{vendor}");
    let body = json!({
        "resource_id": resource.to_string(),
        "party_size": 1,
        "units": 1,
        "check_in": check_in,
        "check_out": check_in + TimeDelta::days(nights),
    });
    let event = json!({
        "version": "2.0",
        "routeKey": "POST /booking/vendor/{vendorid}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "content-type": "application/json",
            "idempotency-key": uuid::Uuid::new_v4().to_string(),
            "host": "api.reservations.example",
        },
        "pathParameters": {"vendorid": vendor.to_string()},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "bench",
            "authorizer": {"jwt": {"claims": {"sub": guest.to_string(), "role": "guest"}, "scopes": null}},
            "domainName": "api.reservations.example",
            "domainPrefix": "api",
            "http": {
                "method": "POST",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.10",
                "userAgent": "bench",
            },
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": "POST /booking/vendor/{vendorid}",
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": Utc::now().timestamp_millis(),
        },
        "body": body.to_string(),
        "isBase64Encoded": false,
    });
    lambda_http::request::from_str(&event.to_string()).context("parsing the hold event")
}

fn response_json(response: &lambda_http::Response<lambda_http::Body>) -> serde_json::Value {
    serde_json::from_slice(response.body().as_ref()).unwrap_or(serde_json::Value::Null)
}

/// A hold the handler answered 201.
#[derive(Debug, Clone, Copy)]
pub struct Hold {
    pub id: BookingId,
    /// The handler's own time (the request was parsed before).
    pub took: Duration,
    /// When the handler returned, i.e. just after its transaction committed.
    pub answered: Instant,
}

/// One hold through the real handler; anything but 201 is an error.
pub async fn hold(
    store: &DynamoStore,
    archive: &impl shared::store::ArchiveIndex,
    payments: &shared::payments::StripeClient,
    settings: &booking_create::HoldSettings,
    request: Request,
) -> anyhow::Result<Hold> {
    let started = Instant::now();
    let response = booking_create::handler(store, archive, payments, settings, request)
        .await
        .map_err(|e| anyhow!("booking_create::handler failed: {e}"))?;
    let answered = Instant::now();
    let body = response_json(&response);
    ensure!(
        response.status() == StatusCode::CREATED,
        "the hold answered {}: {body}",
        response.status()
    );
    let id = body["id"]
        .as_str()
        .context("the hold's response has no id")?;
    let id = BookingId::parse(id).map_err(|e| anyhow!("the hold's id {id}: {e}"))?;
    Ok(Hold {
        id,
        took: answered.duration_since(started),
        answered,
    })
}

#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub p50: Duration,
    pub p99: Duration,
    pub mean: Duration,
}

impl Summary {
    /// Nearest-rank percentiles.
    pub fn of(samples: &[Duration]) -> Self {
        let mut sorted = samples.to_vec();
        sorted.sort();
        let at = |p: f64| {
            let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
            sorted
                .get(rank.saturating_sub(1))
                .copied()
                .unwrap_or_default()
        };
        let total: Duration = sorted.iter().sum();
        let mean = u32::try_from(sorted.len())
            .ok()
            .filter(|count| *count > 0)
            .map(|count| total / count)
            .unwrap_or_default();
        Self {
            p50: at(50.0),
            p99: at(99.0),
            mean,
        }
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub fn ratio(a: Duration, b: Duration) -> f64 {
    if b.is_zero() {
        f64::NAN
    } else {
        a.as_secs_f64() / b.as_secs_f64()
    }
}

pub fn latency_row(label: &str, summary: Summary) {
    println!(
        "  {label:<56} {:>8.2} {:>8.2} {:>8.2}",
        ms(summary.p50),
        ms(summary.p99),
        ms(summary.mean)
    );
}
