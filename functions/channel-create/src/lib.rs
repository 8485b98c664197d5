//! A manager connects a channel (a booking site, a channel manager, the hotel's own system) and
//! gets back its `client_id` and `client_secret`, the secret this once only.
use http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Deserialize;
use shared::ari_push::PushKey;
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

pub async fn handler(
    store: &impl ChannelStore,
    push_key: &PushKey,
    req: Request,
) -> Result<Response<Body>, Error> {
    respond(connect(store, push_key, &req).await)
}

async fn connect(
    store: &impl ChannelStore,
    push_key: &PushKey,
    req: &Request,
) -> Result<Response<Body>, Problem> {
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
        push_key,
        now,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::channels::ChannelId;
    use shared::channels::events::{CHANNEL_CONNECTED, ChannelFact};
    use shared::channels::memory::MemoryChannels;

    fn push_key() -> PushKey {
        PushKey::new([7u8; 32]).unwrap()
    }

    fn sample() -> Request {
        lambda_http::request::from_str(include_str!("../../../events/http/channel-create.json"))
            .unwrap()
    }

    #[tokio::test]
    async fn the_sample_connects_a_channel_whose_fact_carries_no_secret() {
        let store = MemoryChannels::default();
        let response = handler(&store, &push_key(), sample()).await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: serde_json::Value = serde_json::from_slice(response.body().as_ref()).unwrap();
        let id = ChannelId::parse(body["client_id"].as_str().unwrap()).unwrap();
        let secret = body["client_secret"].as_str().unwrap();
        let stored = store.channel(id).await.unwrap().unwrap();
        assert_eq!(
            body["push_signing_secret"].as_str(),
            shared::ari_push::sign::current_secret(&push_key(), &stored).as_deref()
        );
        assert!(stored.secrets[0].hash.starts_with("$argon2id$"));
        assert!(!stored.secrets[0].hash.contains(secret));

        // What the outbox publishes of the write.
        let (detail_type, fact) = ChannelFact::change(None, Some(&stored)).unwrap();
        assert_eq!(detail_type, CHANNEL_CONNECTED);
        assert_eq!(fact.event_id, format!("channel:{id}:1"));
        let detail = fact.entry(detail_type).unwrap().detail;
        assert!(!detail.contains(secret));
        assert!(!detail.contains("cm.example.com"));
    }

    #[tokio::test]
    async fn a_desk_token_connects_nothing() {
        let store = MemoryChannels::default();
        let event = include_str!("../../../events/http/channel-create.json")
            .replace("\"manager\": \"true\"", "\"manager\": \"false\"");
        let request = lambda_http::request::from_str(&event).unwrap();
        let response = handler(&store, &push_key(), request).await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
}
