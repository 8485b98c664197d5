//! A manager adds a member of staff (front desk, host, another manager) to their vendor.
use chrono::Utc;
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Deserialize;
use shared::auth::{Caller, password};
use shared::domain::FieldErrors;
use shared::domain::account::{Credential, Email, Password, Role, StaffMember};
use shared::domain::ids::{StaffId, VendorId};
use shared::domain::text::PersonName;
use shared::http::{Problem, json, json_body, path_id, respond};
use shared::store::{VendorStore, WriteError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StaffBody {
    name: Option<String>,
    email: Option<String>,
    password: Option<String>,
    #[serde(default)]
    manager: bool,
}

pub async fn handler(store: &impl VendorStore, req: Request) -> Result<Response<Body>, Error> {
    respond(create_staff(store, &req).await)
}

async fn create_staff(store: &impl VendorStore, req: &Request) -> Result<Response<Body>, Problem> {
    let caller = Caller::from_request(req)?;
    let vendor_id = path_id(req, "id", "vendor", VendorId::parse)?;
    if !caller.manages(vendor_id) {
        return Err(Problem::forbidden(
            "only a manager of this vendor may add staff",
        ));
    }
    let body: StaffBody = json_body(req)?;
    let mut errors = FieldErrors::default();
    let name = errors.require("/name", body.name, |v| PersonName::parse(&v));
    let email = errors.require("/email", body.email, |v| Email::parse(&v));
    let password = errors.require("/password", body.password, Password::new);
    let (Some(name), Some(email), Some(password)) = (name, email, password) else {
        return Err(errors.into());
    };

    let staff = StaffMember {
        id: StaffId::generate(),
        vendor_id,
        email,
        name,
        manager: body.manager,
        created_at: Utc::now(),
    };
    let credential = Credential {
        account_id: staff.id.to_string(),
        password_hash: password::hash(password)
            .await
            .map_err(|e| Problem::internal(&e))?,
        role: Role::Staff,
        vendor_id: Some(vendor_id),
        manager: staff.manager,
    };
    match store.create_staff(&staff, &credential).await {
        Ok(()) => Ok(json(StatusCode::CREATED, &staff)),
        Err(WriteError::EmailTaken) => Err(Problem::conflict(
            "email-taken",
            "The email address is already registered",
            "this email address already has a staff account",
        )),
        Err(WriteError::VendorNotFound) => Err(Problem::not_found("vendor")),
        Err(other) => Err(Problem::internal(&other.into())),
    }
}
