//! Signs in a guest and returns a short-lived access token.
use lambda_http::{Body, Error, Request, Response};
use shared::auth::login::login;
use shared::auth::{TokenSettings, TokenSigner};
use shared::domain::account::AccountKind;
use shared::http::respond;
use shared::store::CredentialStore;

pub async fn handler(
    store: &impl CredentialStore,
    signer: &impl TokenSigner,
    settings: &TokenSettings,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(login(store, signer, settings, AccountKind::Guest, &req).await)
}
