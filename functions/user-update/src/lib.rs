//! A guest edits their own profile: any of name, phone and locale, and the password (which
//! needs the current one, whose checks are limited as sign-ins are: `auth::attempts`). `If-Match` with the profile's ETag guards against lost updates.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Deserialize;
use shared::auth::attempts::{Attempt, AttemptSource};
use shared::auth::{Caller, password};
use shared::domain::FieldErrors;
use shared::domain::account::{AccountKind, Locale, Password, Phone};
use shared::domain::ids::UserId;
use shared::domain::text::PersonName;
use shared::http::{Problem, if_match, json_body, json_with_etag, path_id, respond};
use shared::store::{CredentialStore, EDIT_ATTEMPTS, GuestStore, WriteError, jittered_pause};

/// Absent fields stay as they are; `phone: null` removes the phone number.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateUserBody {
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    phone: Option<Option<String>>,
    locale: Option<String>,
    current_password: Option<String>,
    new_password: Option<String>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

struct Changes {
    name: Option<PersonName>,
    phone: Option<Option<Phone>>,
    locale: Option<Locale>,
    password: Option<(Password, Password)>,
}

impl TryFrom<UpdateUserBody> for Changes {
    type Error = FieldErrors;

    fn try_from(body: UpdateUserBody) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = errors.check_opt("/name", body.name, |v| PersonName::parse(&v));
        let phone = match body.phone {
            None => Some(None),
            Some(None) => Some(Some(None)),
            Some(Some(raw)) => errors
                .check("/phone", Phone::parse(&raw))
                .map(|p| Some(Some(p))),
        };
        let locale = errors.check_opt("/locale", body.locale, |v| Locale::parse(&v));
        let password = match (body.current_password, body.new_password) {
            (None, None) => Some(None),
            (current, new) => {
                let current = errors.require("/current_password", current, Password::attempt);
                let new = errors.require("/new_password", new, Password::new);
                current.zip(new).map(Some)
            }
        };
        match (name, phone, locale, password) {
            (Some(name), Some(phone), Some(locale), Some(password)) => {
                if name.is_none() && phone.is_none() && locale.is_none() && password.is_none() {
                    errors.push("", "name, phone, locale or new_password is required");
                    return Err(errors);
                }
                Ok(Self {
                    name,
                    phone,
                    locale,
                    password,
                })
            }
            _ => Err(errors),
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum UpdateUserError {
    #[error("invalid request")]
    Rejected(Problem),
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("too many wrong current passwords")]
    Throttled(u64),
    #[error("the profile changed")]
    VersionMismatch,
    #[error("others kept editing the profile")]
    Busy,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<UpdateUserError> for Problem {
    fn from(err: UpdateUserError) -> Self {
        match err {
            UpdateUserError::Rejected(problem) => problem,
            UpdateUserError::WrongPassword => {
                Problem::field("/current_password", "is not the current password")
            }
            UpdateUserError::Throttled(retry_after_seconds) => {
                Problem::too_many_requests(retry_after_seconds)
            }
            UpdateUserError::VersionMismatch => Problem::precondition_failed(),
            UpdateUserError::Busy => Problem::edit_conflict(),
            UpdateUserError::Unexpected(cause) => Problem::internal(&cause),
        }
    }
}

impl From<Problem> for UpdateUserError {
    fn from(problem: Problem) -> Self {
        Self::Rejected(problem)
    }
}

pub async fn handler(
    store: &(impl GuestStore + CredentialStore),
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(update_user(store, &req).await)
}

async fn update_user(
    store: &(impl GuestStore + CredentialStore),
    req: &Request,
) -> Result<Response<Body>, UpdateUserError> {
    let caller = Caller::from_request(req)?;
    let id = path_id(req, "id", "user", UserId::parse)?;
    if !caller.may_act_for_guest(id) {
        return Err(Problem::forbidden("a guest may only change their own profile").into());
    }
    let expected = if_match(req)?;
    let body: UpdateUserBody = json_body(req)?;
    let changes = Changes::try_from(body).map_err(|e| UpdateUserError::Rejected(e.into()))?;

    let new_hash = match changes.password {
        None => None,
        Some((current, new)) => {
            let profile = store
                .guest(id)
                .await?
                .ok_or_else(|| Problem::not_found("user"))?;
            // Counted as a sign-in is: a stolen token must not become a way to guess passwords.
            let now = shared::clock::now();
            let source = AttemptSource::of(req);
            let attempt = Attempt::begin(store, AccountKind::Guest, &profile.email, &source, now)
                .await?
                .map_err(|throttled| UpdateUserError::Throttled(throttled.retry_after_seconds))?;
            let credential = store.credential(AccountKind::Guest, &profile.email).await?;
            if !password::verify(current, credential.map(|c| c.password_hash)).await {
                return Err(UpdateUserError::WrongPassword);
            }
            attempt.succeeded(store, now).await?;
            Some(password::hash(new).await?)
        }
    };

    for attempt in 1..=EDIT_ATTEMPTS {
        let mut profile = store
            .guest(id)
            .await?
            .ok_or_else(|| Problem::not_found("user"))?;
        if expected.is_some_and(|v| v != profile.version) {
            return Err(UpdateUserError::VersionMismatch);
        }
        let read_version = profile.version;
        if let Some(name) = &changes.name {
            profile.name = name.clone();
        }
        if let Some(phone) = &changes.phone {
            profile.phone = phone.clone();
        }
        if let Some(locale) = &changes.locale {
            profile.locale = locale.clone();
        }
        profile.updated_at = shared::clock::now();
        profile.version = read_version + 1;
        match store
            .update_guest(&profile, read_version, new_hash.clone())
            .await
        {
            Ok(()) => return Ok(json_with_etag(StatusCode::OK, &profile, profile.version)),
            Err(WriteError::VersionConflict) if expected.is_none() => jittered_pause(attempt).await,
            Err(WriteError::VersionConflict) => return Err(UpdateUserError::VersionMismatch),
            Err(other) => return Err(anyhow::Error::new(other).into()),
        }
    }
    Err(UpdateUserError::Busy)
}
