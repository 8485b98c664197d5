//! What the manager's channel endpoints share: only a manager of the vendor may see or change its
//! channels, and a new secret is answered once, with no-store.
use super::account::{ChannelAccount, ChannelId, ChannelView, ClientSecret};
use super::store::ChannelStore;
use crate::ari_push::PushKey;
use crate::auth::Caller;
use crate::domain::ids::VendorId;
use crate::http::{Problem, path_id};
use chrono::{DateTime, Utc};
use http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde::Serialize;

/// The vendor of the path, if the caller manages it: guests, the desk, housekeepers, other
/// vendors' staff and channels are refused.
pub fn managed_vendor(req: &Request) -> Result<VendorId, Problem> {
    let caller = Caller::from_request(req)?;
    let vendor = path_id(req, "id", "vendor", VendorId::parse)?;
    if !caller.manages(vendor) {
        return Err(Problem::forbidden(
            "only a manager of this vendor may manage its channels",
        ));
    }
    Ok(vendor)
}

/// The channel of the path, if it is one of the managed vendor's (404 otherwise).
pub async fn managed_channel(
    store: &impl ChannelStore,
    req: &Request,
) -> Result<ChannelAccount, Problem> {
    let vendor = managed_vendor(req)?;
    let id = path_id(req, "channelid", "channel", ChannelId::parse)?;
    store
        .channel(id)
        .await
        .map_err(|e| Problem::internal(&e))?
        .filter(|account| account.vendor_id == vendor)
        .ok_or_else(|| Problem::not_found("channel"))
}

/// A channel with the secret it was just given, and the secret its ARI pushes are signed with
/// (derived from it): the only time either is shown.
#[derive(Serialize)]
pub struct IssuedSecret<'a> {
    #[serde(flatten)]
    pub channel: ChannelView,
    pub client_secret: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push_signing_secret: Option<String>,
}

pub fn secret_response(
    status: StatusCode,
    account: &ChannelAccount,
    secret: &ClientSecret,
    push_key: &PushKey,
    now: DateTime<Utc>,
) -> Response<Body> {
    let mut response = crate::http::json(
        status,
        &IssuedSecret {
            channel: account.view(now),
            client_secret: secret.expose(),
            push_signing_secret: crate::ari_push::sign::current_secret(push_key, account),
        },
    );
    super::oauth::no_store(response.headers_mut());
    if status == StatusCode::CREATED
        && let Ok(location) = HeaderValue::from_str(&format!(
            "/vendor/{}/channels/{}",
            account.vendor_id, account.id
        ))
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}
