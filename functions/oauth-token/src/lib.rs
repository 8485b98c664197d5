//! The OAuth 2.0 token endpoint for channels (RFC 6749 section 4.4, client credentials): the
//! client authenticates with HTTP Basic or in the body, and gets a short-lived ES256 JWT from the
//! platform's own issuer. Failed secrets are counted like failed sign-ins (`auth::attempts`):
//! per client and source, per source (the budget sign-ins share), per client. Errors are RFC 6749
//! section 5.2 JSON, not problem+json, because OAuth clients read that.
use http::{StatusCode, header};
use lambda_http::{Body, Error, Request, Response};
use shared::auth::attempts::{
    AttemptSource, MAX_PER_ACCOUNT, MAX_PER_ACCOUNT_AND_SOURCE, MAX_PER_SOURCE,
};
use shared::auth::{Scopes, TokenSettings, TokenSigner, issue_channel_token};
use shared::channels::oauth::{OAuthError, TokenRequest, no_store, parse_token_request};
use shared::channels::{ChannelStore, ClientBudget, secret};
use shared::store::{AttemptBudget, CredentialStore, LoginAttempts};

pub async fn handler(
    credentials: &impl CredentialStore,
    channels: &impl ChannelStore,
    signer: &impl TokenSigner,
    settings: &TokenSettings,
    req: Request,
) -> Result<Response<Body>, Error> {
    Ok(token(credentials, channels, signer, settings, &req)
        .await
        .unwrap_or_else(OAuthError::into_response))
}

async fn token(
    credentials: &impl CredentialStore,
    channels: &impl ChannelStore,
    signer: &impl TokenSigner,
    settings: &TokenSettings,
    req: &Request,
) -> Result<Response<Body>, OAuthError> {
    let header_str = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let body: &[u8] = match req.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => b"",
    };
    let TokenRequest {
        client_id,
        client_secret,
        scopes,
        basic,
    } = parse_token_request(
        header_str(header::CONTENT_TYPE),
        header_str(header::AUTHORIZATION),
        body,
    )?;

    let now = shared::clock::now();
    let source = AttemptSource::of(req);
    let pair = ClientBudget::ClientFromSource(client_id, source.as_str());
    let client = ClientBudget::Client(client_id);
    // Counted before the secret is checked, budget by budget, as sign-ins are.
    check(
        channels.count_attempt(pair, now).await?,
        MAX_PER_ACCOUNT_AND_SOURCE,
        now,
    )?;
    check(
        credentials
            .count_attempt(AttemptBudget::Source(source.as_str()), now)
            .await?,
        MAX_PER_SOURCE,
        now,
    )?;
    check(
        channels.count_attempt(client, now).await?,
        MAX_PER_ACCOUNT,
        now,
    )?;

    let account = channels.channel(client_id).await?;
    let hashes = account
        .as_ref()
        .map(|a| a.live_hashes(now))
        .unwrap_or_default();
    let verified = secret::verify(client_secret, hashes).await;
    let Some(account) = account.filter(|_| verified) else {
        tracing::info!(client = %client_id, "channel token refused: unknown client or wrong secret");
        return Err(OAuthError::InvalidClient { basic });
    };
    channels.reset_attempts(pair).await?;
    credentials
        .forgive_attempt(AttemptBudget::Source(source.as_str()), now)
        .await?;
    channels.forgive_attempt(client, now).await?;

    let scopes = scopes.unwrap_or_else(Scopes::all);
    let token = issue_channel_token(signer, settings, &account, &scopes, now).await?;
    let mut response = shared::http::json(StatusCode::OK, &token);
    no_store(response.headers_mut());
    Ok(response)
}

fn check(
    counted: LoginAttempts,
    max: u32,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), OAuthError> {
    if counted.count > max {
        let wait = (counted.window_ends_at - now).num_seconds().max(1);
        return Err(OAuthError::Throttled {
            retry_after_seconds: wait.unsigned_abs(),
        });
    }
    Ok(())
}
