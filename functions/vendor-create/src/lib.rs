//! Onboards a hotel or restaurant together with its first manager's staff account, in one
//! transaction: either both exist afterwards or neither does.
use chrono::Utc;
use lambda_http::{Body, Error, Request, Response};
use serde::{Deserialize, Serialize};
use shared::api::vendor::ProfileInput;
use shared::auth::password;
use shared::domain::FieldErrors;
use shared::domain::account::{Credential, Email, Password, Role, StaffMember, StaffRole};
use shared::domain::ids::{StaffId, VendorId};
use shared::domain::text::{Description, PersonName};
use shared::domain::vendor::{Vendor, VendorKind};
use shared::http::{Problem, created, from_json_value, json_body, respond};
use shared::night_audit::NightAuditSchedules;
use shared::store::{VendorStore, WriteError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManagerInput {
    name: Option<String>,
    email: Option<String>,
    password: Option<String>,
}

#[derive(Serialize)]
struct Onboarded<'a> {
    vendor: &'a Vendor,
    manager: &'a StaffMember,
}

#[derive(Debug, thiserror::Error)]
enum CreateVendorError {
    #[error("invalid request")]
    Rejected(Problem),
    #[error("the manager's email is already registered")]
    EmailTaken,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<CreateVendorError> for Problem {
    fn from(err: CreateVendorError) -> Self {
        match err {
            CreateVendorError::Rejected(problem) => problem,
            CreateVendorError::EmailTaken => Problem::conflict(
                "email-taken",
                "The email address is already registered",
                "the manager's email address already has a staff account",
            ),
            CreateVendorError::Unexpected(cause) => Problem::internal(&cause),
        }
    }
}

impl From<Problem> for CreateVendorError {
    fn from(problem: Problem) -> Self {
        Self::Rejected(problem)
    }
}

impl From<FieldErrors> for CreateVendorError {
    fn from(errors: FieldErrors) -> Self {
        Self::Rejected(errors.into())
    }
}

pub async fn handler(
    store: &impl VendorStore,
    schedules: &impl NightAuditSchedules,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(create_vendor(store, schedules, &req).await)
}

async fn create_vendor(
    store: &impl VendorStore,
    schedules: &impl NightAuditSchedules,
    req: &Request,
) -> Result<Response<Body>, CreateVendorError> {
    // The body is the profile plus `kind` and `manager`; split them so each part is strict.
    let mut body: serde_json::Map<String, serde_json::Value> = json_body(req)?;
    let kind = body.remove("kind");
    let manager = body.remove("manager");
    let profile: ProfileInput = from_json_value(body.into(), "")?;

    let mut errors = FieldErrors::default();
    let kind = errors.require("/kind", kind, |v| match v {
        serde_json::Value::String(s) => VendorKind::parse(&s),
        _ => VendorKind::parse(""),
    });
    let manager: Option<ManagerInput> = match manager {
        None => {
            errors.push("/manager", "is required");
            None
        }
        Some(value) => Some(from_json_value(value, "/manager")?),
    };
    let (name, email, password) = match manager {
        Some(m) => (
            errors.require("/manager/name", m.name, |v| PersonName::parse(&v)),
            errors.require("/manager/email", m.email, |v| Email::parse(&v)),
            errors.require("/manager/password", m.password, Password::new),
        ),
        None => (None, None, None),
    };
    // Profile rules depend on the kind (only restaurants have cuisines); without a valid kind,
    // check it as a restaurant so that every other field still gets checked.
    let changes = profile.validate(kind.unwrap_or(VendorKind::Restaurant), true, &mut errors);
    let (Some(kind), Some(name), Some(email), Some(password)) = (kind, name, email, password)
    else {
        return Err(errors.into());
    };
    let (
        Some(title),
        Some(address),
        Some(location),
        Some(time_zone),
        Some(currency),
        Some(contact),
    ) = (
        changes.name,
        changes.address,
        changes.location,
        changes.time_zone,
        changes.currency,
        changes.contact,
    )
    else {
        return Err(errors.into());
    };
    errors.finish()?;

    let now = Utc::now();
    let vendor = Vendor {
        id: VendorId::generate(),
        kind,
        name: title,
        description: changes.description.unwrap_or_else(Description::empty),
        address,
        location,
        time_zone,
        currency,
        facilities: changes.facilities.unwrap_or_default(),
        cuisines: changes.cuisines.unwrap_or_default(),
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
        password_hash: password::hash(password).await?,
        role: Role::Staff,
        vendor_id: Some(vendor.id),
        manager: true,
    };
    match store.create_vendor(&vendor, &manager, &credential).await {
        Ok(()) => {}
        Err(WriteError::EmailTaken) => return Err(CreateVendorError::EmailTaken),
        Err(other) => return Err(anyhow::Error::new(other).into()),
    }
    tracing::info!(vendor_id = %vendor.id, kind = ?vendor.kind, "vendor onboarded");
    // The vendor exists now whatever happens to its schedule: a failure is logged for operators,
    // and the next PUT /vendor/{id} with `night_audit_at` or `time_zone` puts it again.
    if let Err(err) = schedules.put(&vendor).await {
        tracing::error!(vendor_id = %vendor.id, error = %format!("{err:#}"), "night-audit schedule not put");
    }
    Ok(created(
        &format!("/vendor/{}", vendor.id),
        &Onboarded {
            vendor: &vendor,
            manager: &manager,
        },
        vendor.version,
    ))
}
