//! A manager rotates a channel's secret: the new one is answered once, and the old one keeps
//! working for `SECRET_GRACE_HOURS`, so the channel can switch without downtime.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use shared::ari_push::PushKey;
use shared::channels::manage::{managed_channel, secret_response};
use shared::channels::{ChannelStore, ClientSecret, secret};
use shared::http::{Problem, respond};
use shared::store::WriteError;

pub async fn handler(
    store: &impl ChannelStore,
    push_key: &PushKey,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(rotate(store, push_key, &req).await)
}

async fn rotate(
    store: &impl ChannelStore,
    push_key: &PushKey,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let account = managed_channel(store, req).await?;
    if !account.is_active() {
        return Err(Problem::conflict(
            "channel-disconnected",
            "The channel is disconnected",
            "a disconnected channel gets no new secret; connect a new one",
        ));
    }
    let client_secret = ClientSecret::generate();
    let hash = secret::hash(&client_secret)
        .await
        .map_err(|e| Problem::internal(&e))?;
    let now = shared::clock::now();
    let rotated = account.rotated(hash, now);
    match store.replace_channel(&rotated, account.version).await {
        Ok(()) => {}
        Err(WriteError::VersionConflict) => return Err(Problem::edit_conflict()),
        Err(other) => return Err(Problem::internal(&other.into())),
    }
    tracing::info!(vendor = %rotated.vendor_id, channel = %rotated.id, "channel secret rotated");
    Ok(secret_response(
        StatusCode::OK,
        &rotated,
        &client_secret,
        push_key,
        now,
    ))
}
