//! Channel facts through the outbox on the local stack: connecting, rotating and disconnecting a
//! channel through the API writes its account, and the publisher reading the accounts table's
//! stream (as its Lambda does) tells each change once, with the account's version in its id and
//! never a secret. A refused request writes nothing, so it tells nothing.
use api_tests::Api;
use aws_lambda_events::dynamodb::Event;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::events::EventEntry;
use shared::outbox::EventBus;
use shared::store::StreamTables;
use shared::timer::{HoldDue, HoldTimer};
use std::sync::{Arc, Mutex};

/// How long the stream may take to carry a change to the bus before the test gives up (a bound
/// on a stuck test, not an assertion on speed).
const WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// Takes every entry, keeping its detail-type and detail.
#[derive(Default)]
struct Bus(Mutex<Vec<(String, Value)>>);

impl EventBus for Bus {
    async fn put(&self, entries: &[EventEntry]) -> anyhow::Result<Vec<Option<String>>> {
        let mut put = self.0.lock().unwrap();
        for entry in entries {
            put.push((
                entry.detail_type.to_owned(),
                serde_json::from_str(&entry.detail)?,
            ));
        }
        Ok(vec![None; entries.len()])
    }
}

/// Channel facts arm no hold timer.
struct NoTimer;

impl HoldTimer for NoTimer {
    async fn expire_at(&self, due: HoldDue, _now: DateTime<Utc>) -> anyhow::Result<()> {
        anyhow::bail!("a channel fact armed a hold timer for {}", due.booking_id)
    }
}

/// The publisher on the accounts table's stream, putting to `bus`.
async fn publisher_on_accounts(bus: Arc<Bus>) -> local_gateway::Backbone {
    let tables = Arc::new(StreamTables::from_env().expect("the tables' names are set"));
    let publish: local_gateway::stream::StreamConsumer = Arc::new(move |event: Event| {
        let (bus, tables) = (bus.clone(), tables.clone());
        Box::pin(async move {
            Ok(shared::outbox::publish(&tables, &*bus, &NoTimer, event, Utc::now()).await)
        }) as BoxFuture<'static, _>
    });
    let accounts = std::env::var("ACCOUNTS_TABLE").expect("ACCOUNTS_TABLE is set");
    let mut backbone = local_gateway::Backbone::default();
    backbone
        .stream("outbox-publisher", &accounts, publish)
        .await
        .expect("the accounts stream opens");
    backbone
}

/// The facts put so far about `vendor`'s channels, in order.
fn facts_of(bus: &Bus, vendor: &str) -> Vec<(String, Value)> {
    bus.0
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, detail)| detail["vendor_id"] == vendor)
        .cloned()
        .collect()
}

#[tokio::test]
async fn connecting_rotating_and_disconnecting_a_channel_each_reach_the_bus_once_from_the_stream() {
    let bus = Arc::new(Bus::default());
    let _publisher = publisher_on_accounts(bus.clone()).await;
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;
    let channels = format!("/vendor/{}/channels", manager.vendor());

    let refused = api
        .post(&channels, manager.token(), &json!({"kind": "ota"}))
        .await;
    let connected = api
        .post(
            &channels,
            manager.token(),
            &json!({"kind": "ota", "name": "Booking site"}),
        )
        .await;
    let id = connected.body["client_id"]
        .as_str()
        .expect("a client id")
        .to_owned();
    let secret = connected.body["client_secret"]
        .as_str()
        .expect("a secret")
        .to_owned();
    let rotated = api
        .post(
            &format!("{channels}/{id}/secret"),
            manager.token(),
            &json!({}),
        )
        .await;
    let gone = api
        .send(
            Method::DELETE,
            &format!("{channels}/{id}"),
            manager.token(),
            None,
        )
        .await;
    let again = api
        .send(
            Method::DELETE,
            &format!("{channels}/{id}"),
            manager.token(),
            None,
        )
        .await;

    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{refused:#?}"
    );
    assert_eq!(connected.status, StatusCode::CREATED, "{connected:#?}");
    assert_eq!(rotated.status, StatusCode::OK, "{rotated:#?}");
    assert_eq!(gone.status, StatusCode::OK, "{gone:#?}");
    assert_eq!(again.status, StatusCode::OK, "{again:#?}");
    let started = std::time::Instant::now();
    let facts = loop {
        let facts = facts_of(&bus, manager.vendor());
        if facts.len() >= 3 {
            break facts;
        }
        assert!(
            started.elapsed() < WAIT,
            "only these reached the bus: {facts:#?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let told: Vec<(&str, &str)> = facts
        .iter()
        .map(|(kind, detail)| (kind.as_str(), detail["event_id"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(
        told,
        [
            ("ChannelConnected", format!("channel:{id}:1").as_str()),
            ("ChannelSecretRotated", format!("channel:{id}:2").as_str()),
            ("ChannelDisconnected", format!("channel:{id}:3").as_str()),
        ]
    );
    for (_, detail) in &facts {
        let text = detail.to_string();
        assert!(!text.contains(&secret), "{text}");
        assert!(!text.contains("argon2"), "{text}");
        assert!(!text.contains("Booking site"), "{text}");
    }
}
