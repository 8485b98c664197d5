//! A guest signs up: the profile and the sign-in credential are written together, and an
//! email address already in use is refused without writing anything.
use lambda_http::{Body, Error, Request, Response};
use serde::Deserialize;
use shared::auth::password;
use shared::domain::FieldErrors;
use shared::domain::account::{Credential, Email, GuestProfile, Locale, Password, Phone, Role};
use shared::domain::ids::UserId;
use shared::domain::text::PersonName;
use shared::http::{Problem, created, json_body, respond};
use shared::store::{GuestStore, WriteError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateUserBody {
    email: Option<String>,
    password: Option<String>,
    name: Option<String>,
    phone: Option<String>,
    locale: Option<String>,
}

struct NewGuest {
    email: Email,
    password: Password,
    name: PersonName,
    phone: Option<Phone>,
    locale: Locale,
}

impl TryFrom<CreateUserBody> for NewGuest {
    type Error = FieldErrors;

    fn try_from(body: CreateUserBody) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let email = errors.require("/email", body.email, |v| Email::parse(&v));
        let password = errors.require("/password", body.password, Password::new);
        let name = errors.require("/name", body.name, |v| PersonName::parse(&v));
        let phone = errors.check_opt("/phone", body.phone, |v| Phone::parse(&v));
        let locale = errors.check_opt("/locale", body.locale, |v| Locale::parse(&v));
        match (email, password, name, phone, locale) {
            (Some(email), Some(password), Some(name), Some(phone), Some(locale)) => Ok(Self {
                email,
                password,
                name,
                phone,
                locale: locale.unwrap_or_else(Locale::default_locale),
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum CreateUserError {
    #[error("invalid request")]
    Rejected(Problem),
    #[error("email already registered")]
    EmailTaken,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<CreateUserError> for Problem {
    fn from(err: CreateUserError) -> Self {
        match err {
            CreateUserError::Rejected(problem) => problem,
            CreateUserError::EmailTaken => Problem::conflict(
                "email-taken",
                "The email address is already registered",
                "sign in instead, or use another address",
            ),
            CreateUserError::Unexpected(cause) => Problem::internal(&cause),
        }
    }
}

impl From<WriteError> for CreateUserError {
    fn from(err: WriteError) -> Self {
        match err {
            WriteError::EmailTaken => Self::EmailTaken,
            other => Self::Unexpected(other.into()),
        }
    }
}

pub async fn handler(store: &impl GuestStore, req: Request) -> Result<Response<Body>, Error> {
    respond(create_user(store, &req).await)
}

async fn create_user(
    store: &impl GuestStore,
    req: &Request,
) -> Result<Response<Body>, CreateUserError> {
    let body: CreateUserBody = json_body(req).map_err(CreateUserError::Rejected)?;
    let guest = NewGuest::try_from(body).map_err(|e| CreateUserError::Rejected(e.into()))?;
    let now = shared::clock::now();
    let profile = GuestProfile {
        id: UserId::generate(),
        email: guest.email,
        name: guest.name,
        phone: guest.phone,
        locale: guest.locale,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let credential = Credential {
        account_id: profile.id.to_string(),
        password_hash: password::hash(guest.password).await?,
        role: Role::Guest,
        vendor_id: None,
        manager: false,
    };
    store.create_guest(&profile, &credential).await?;
    tracing::info!(user_id = %profile.id, "guest signed up");
    Ok(created(
        &format!("/user/{}", profile.id),
        &profile,
        profile.version,
    ))
}
