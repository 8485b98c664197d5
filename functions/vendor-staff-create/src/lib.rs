//! A manager adds a member of staff (a manager, the front desk or host, a housekeeper) to their
//! vendor.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Deserialize;
use shared::auth::{Caller, password};
use shared::domain::FieldErrors;
use shared::domain::account::{Email, Password, StaffMember, StaffRole};
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
    role: Option<String>,
    /// From before roles: `true` is `"role": "manager"`, `false` is `"role": "desk"`.
    manager: Option<bool>,
}

pub async fn handler(store: &impl VendorStore, req: Request) -> Result<Response<Body>, Error> {
    respond(create_staff(store, &req).await)
}

/// The role asked for: `role` if given, else the old `manager` flag, else the desk.
fn role_of(
    errors: &mut FieldErrors,
    role: Option<String>,
    manager: Option<bool>,
) -> Option<StaffRole> {
    let role = errors.check_opt("/role", role, |r| StaffRole::parse(&r))?;
    match (role, manager) {
        (Some(role), Some(manager)) if role.is_manager() != manager => {
            errors.push(
                "/role",
                format!("is {} but manager is {manager}", role.as_str()),
            );
            None
        }
        (Some(role), _) => Some(role),
        (None, Some(true)) => Some(StaffRole::Manager),
        (None, _) => Some(StaffRole::Desk),
    }
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
    let role = role_of(&mut errors, body.role, body.manager);
    let (Some(name), Some(email), Some(password), Some(role)) = (name, email, password, role)
    else {
        return Err(errors.into());
    };

    let staff = StaffMember {
        id: StaffId::generate(),
        vendor_id,
        email,
        name,
        role,
        created_at: shared::clock::now(),
    };
    let credential = staff.credential(
        password::hash(password)
            .await
            .map_err(|e| Problem::internal(&e))?,
    );
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

#[cfg(test)]
mod tests {
    use super::*;

    fn role(role: Option<&str>, manager: Option<bool>) -> Result<StaffRole, Vec<String>> {
        let mut errors = FieldErrors::default();
        role_of(&mut errors, role.map(str::to_owned), manager).ok_or_else(|| {
            errors
                .into_vec()
                .into_iter()
                .map(|e| format!("{e:?}"))
                .collect()
        })
    }

    #[test]
    fn the_role_comes_from_role_then_the_old_manager_flag_then_the_desk() {
        assert_eq!(
            role(Some("housekeeping"), None),
            Ok(StaffRole::Housekeeping)
        );
        assert_eq!(role(Some("manager"), Some(true)), Ok(StaffRole::Manager));
        assert_eq!(role(Some("desk"), Some(false)), Ok(StaffRole::Desk));
        assert_eq!(role(None, Some(true)), Ok(StaffRole::Manager));
        assert_eq!(role(None, Some(false)), Ok(StaffRole::Desk));
        assert_eq!(role(None, None), Ok(StaffRole::Desk));
    }

    #[test]
    fn a_contradicting_or_unknown_role_names_role() {
        for (given, manager) in [
            ("housekeeping", Some(true)),
            ("manager", Some(false)),
            ("chef", None),
        ] {
            let errors = role(Some(given), manager).unwrap_err();
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert!(errors[0].contains("/role"), "{errors:?}");
        }
    }
}
