//! A channel pulls its vendor's availability and rates: per room type and night from `from` to
//! `to` (both included, at most `MAX_ARI_NIGHTS`), the units still free and the night's price.
//! Free for this channel: the rest of its allotment where it has one unreleased, elsewhere the
//! type's free units less those protected for our app. A restaurant's: per table type and date
//! (at most `MAX_SEATING_DAYS`), the tables free for a seating at each start time.
//! Only a channel's token, with `ari:read`, of a channel still connected.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use shared::auth::{ChannelCaller, Scope};
use shared::channels::ChannelStore;
use shared::channels::ari::{self, AriError, AriRange};
use shared::http::{Problem, json, query_param, respond};
use shared::store::{AllotmentStore, BookingStore, ResourceStore, VendorStore};

pub async fn handler(
    store: &(impl VendorStore + ResourceStore + BookingStore + AllotmentStore),
    channels: &impl ChannelStore,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(pull(store, channels, &req).await)
}

async fn pull(
    store: &(impl VendorStore + ResourceStore + BookingStore + AllotmentStore),
    channels: &impl ChannelStore,
    req: &Request,
) -> Result<Response<Body>, Problem> {
    let caller = ChannelCaller::from_request(req)?;
    caller.require(Scope::AriRead)?;
    let range = AriRange::parse(query_param(req, "from"), query_param(req, "to"))
        .map_err(Problem::validation)?;
    // A token outlives nothing: a disconnected channel's tokens stop here, at once.
    let connected = channels
        .channel(caller.channel_id)
        .await
        .map_err(|e| Problem::internal(&e))?
        .is_some_and(|account| account.is_active() && account.vendor_id == caller.vendor_id);
    if !connected {
        return Err(Problem::unauthorized("the channel is disconnected"));
    }
    let ari = ari::ari_for_channel(store, caller.vendor_id, caller.channel_id, range)
        .await
        .map_err(|err| match err {
            AriError::VendorNotFound => Problem::not_found("vendor"),
            AriError::RangeTooLong { max_days } => Problem::parameter(
                "to",
                format!(
                    "must be at most {max_days} dates from from (both included) for a restaurant"
                ),
            ),
            AriError::Unexpected(cause) => Problem::internal(&cause),
        })?;
    let mut response = json(StatusCode::OK, &ari);
    response.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("private, no-cache"),
    );
    Ok(response)
}
