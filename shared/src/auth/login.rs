//! Signing in, the same for guests and staff: count the attempt (`attempts`), check the
//! password, issue a token. Every failure looks the same, so a reply never tells whether an
//! account exists.
use super::attempts::{Attempt, AttemptSource, Throttled};
use super::{TokenSettings, TokenSigner, issue_token, password};
use crate::domain::FieldErrors;
use crate::domain::account::{AccountKind, Email, Password};
use crate::http::{Problem, json_body};
use crate::store::CredentialStore;
use http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    email: Option<String>,
    password: Option<String>,
}

#[derive(Serialize)]
struct LoginResponse {
    access_token: String,
    token_type: String,
    expires_in: i64,
    account_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    vendor_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("invalid request")]
    Rejected(Problem),
    #[error("wrong email or password")]
    WrongCredentials,
    #[error("too many attempts")]
    Throttled { retry_after_seconds: u64 },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<LoginError> for Problem {
    fn from(err: LoginError) -> Self {
        match err {
            LoginError::Rejected(problem) => problem,
            LoginError::WrongCredentials => Problem::new(
                StatusCode::UNAUTHORIZED,
                "invalid-credentials",
                "Wrong email or password",
            ),
            LoginError::Throttled {
                retry_after_seconds,
            } => Problem::too_many_requests(retry_after_seconds),
            LoginError::Unexpected(cause) => Problem::internal(&cause),
        }
    }
}

pub async fn login(
    store: &impl CredentialStore,
    signer: &impl TokenSigner,
    settings: &TokenSettings,
    kind: AccountKind,
    req: &Request,
) -> Result<Response<Body>, LoginError> {
    let body: LoginBody = json_body(req).map_err(LoginError::Rejected)?;
    let mut errors = FieldErrors::default();
    let email = errors.require("/email", body.email, |v| Email::parse(&v));
    let password = errors.require("/password", body.password, Password::attempt);
    let (Some(email), Some(password)) = (email, password) else {
        return Err(LoginError::Rejected(errors.into()));
    };

    let now = crate::clock::now();
    let source = AttemptSource::of(req);
    let attempt = Attempt::begin(store, kind, &email, &source, now)
        .await?
        .map_err(
            |Throttled {
                 retry_after_seconds,
             }| LoginError::Throttled {
                retry_after_seconds,
            },
        )?;
    let credential = store.credential(kind, &email).await?;
    let stored_hash = credential.as_ref().map(|c| c.password_hash.clone());
    // Verified even without an account, against a dummy hash, so timing reveals nothing.
    let verified = password::verify(password, stored_hash).await;
    let Some(credential) = credential.filter(|_| verified) else {
        return Err(LoginError::WrongCredentials);
    };
    attempt.succeeded(store, now).await?;
    let token = issue_token(signer, settings, &credential, now).await?;
    Ok(crate::http::json(
        StatusCode::OK,
        &LoginResponse {
            access_token: token.access_token,
            token_type: token.token_type,
            expires_in: token.expires_in,
            account_id: credential.account_id,
            vendor_id: credential.vendor_id.map(|v| v.to_string()),
        },
    ))
}
