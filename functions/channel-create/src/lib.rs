//! A manager connects a channel (a booking site, a channel manager, the hotel's own system) and
//! gets back its `client_id` and `client_secret`, the secret this once only.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Deserialize;
use shared::channels::manage::{managed_vendor, secret_response};
use shared::channels::{
    ChannelAccount, ChannelKind, ChannelStore, ClientSecret, WebhookUrl, secret,
};
use shared::domain::FieldErrors;
use shared::domain::text::Title;
use shared::http::{Problem, json_body, respond};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelBody {
    kind: Option<String>,
    name: Option<String>,
    webhook_url: Option<String>,
}

pub async fn handler(store: &impl ChannelStore, req: Request) -> Result<Response<Body>, Error> {
    respond(connect(store, &req).await)
}

async fn connect(store: &impl ChannelStore, req: &Request) -> Result<Response<Body>, Problem> {
    let vendor = managed_vendor(req)?;
    let body: ChannelBody = json_body(req)?;
    let mut errors = FieldErrors::default();
    let kind = errors.require("/kind", body.kind, |v| ChannelKind::parse(&v));
    let name = errors.require("/name", body.name, |v| Title::parse(&v));
    let webhook_url = errors.check_opt("/webhook_url", body.webhook_url, |v| WebhookUrl::parse(&v));
    let (Some(kind), Some(name), Some(webhook_url)) = (kind, name, webhook_url) else {
        return Err(errors.into());
    };
    let client_secret = ClientSecret::generate();
    let hash = secret::hash(&client_secret)
        .await
        .map_err(|e| Problem::internal(&e))?;
    let now = shared::clock::now();
    let account = ChannelAccount::connect(vendor, kind, name, webhook_url, hash, now);
    store
        .create_channel(&account)
        .await
        .map_err(|e| Problem::internal(&e))?;
    tracing::info!(vendor = %vendor, channel = %account.id, "channel connected");
    Ok(secret_response(
        StatusCode::CREATED,
        &account,
        &client_secret,
        now,
    ))
}
