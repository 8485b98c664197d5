//! A manager disconnects a channel: its secrets are dropped at once, so it gets no new token, and
//! the channel endpoints refuse the tokens it still holds (they read the account each time).
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use shared::channels::ChannelStore;
use shared::channels::manage::managed_channel;
use shared::http::{Problem, json, respond};
use shared::store::WriteError;

pub async fn handler(store: &impl ChannelStore, req: Request) -> Result<Response<Body>, Error> {
    respond(disconnect(store, &req).await)
}

async fn disconnect(store: &impl ChannelStore, req: &Request) -> Result<Response<Body>, Problem> {
    let account = managed_channel(store, req).await?;
    let now = shared::clock::now();
    // Disconnecting twice answers the same; the write of the first is what the bus hears of
    // (ChannelDisconnected, from the accounts table's stream).
    let gone = if account.is_active() {
        let gone = account.disconnected(now);
        match store.replace_channel(&gone, account.version).await {
            Ok(()) => {}
            Err(WriteError::VersionConflict) => return Err(Problem::edit_conflict()),
            Err(other) => return Err(Problem::internal(&other.into())),
        }
        tracing::info!(vendor = %gone.vendor_id, channel = %gone.id, "channel disconnected");
        gone
    } else {
        account
    };
    Ok(json(StatusCode::OK, &gone.view(now)))
}
