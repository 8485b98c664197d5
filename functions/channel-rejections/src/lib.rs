//! A manager reads what a channel sent that we refused (`POST /channel/reservations`), newest
//! first: the reservation id, the refusal, its OTA code and the fields named; never the guest.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Serialize;
use shared::channels::ChannelStore;
use shared::channels::import::{ChannelImports, RejectedImport};
use shared::channels::manage::managed_channel;
use shared::http::{Problem, json, respond};

/// The newest refusals only: a channel that keeps sending bad messages is fixed from these.
const LIMIT: usize = 100;

#[derive(Serialize)]
struct Rejections {
    items: Vec<RejectedImport>,
}

pub async fn handler(
    store: &(impl ChannelStore + ChannelImports),
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(list(store, &req).await)
}

async fn list(
    store: &(impl ChannelStore + ChannelImports),
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let channel = managed_channel(store, req).await?;
    let items = store
        .rejections(channel.id, LIMIT)
        .await
        .map_err(|e| Problem::internal(&e))?;
    Ok(json(StatusCode::OK, &Rejections { items }))
}
