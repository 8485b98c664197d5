//! A manager lists the vendor's channels, connected and disconnected: never a secret or a hash.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Serialize;
use shared::channels::manage::managed_vendor;
use shared::channels::{ChannelStore, ChannelView};
use shared::http::{Problem, json, respond};

#[derive(Serialize)]
struct ChannelList {
    items: Vec<ChannelView>,
}

pub async fn handler(store: &impl ChannelStore, req: Request) -> Result<Response<Body>, Error> {
    respond(list(store, &req).await)
}

async fn list(store: &impl ChannelStore, req: &Request) -> Result<Response<Body>, Problem> {
    let vendor = managed_vendor(req)?;
    let now = shared::clock::now();
    let items = store
        .channels(vendor)
        .await
        .map_err(|e| Problem::internal(&e))?
        .iter()
        .map(|account| account.view(now))
        .collect();
    Ok(json(StatusCode::OK, &ChannelList { items }))
}
