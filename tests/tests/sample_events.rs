//! The sample events in `events/` are what AWS really sends (`http/`: API Gateway; `stream/`: a
//! DynamoDB stream event source mapping; `sqs/`: an SQS one): each one parses the way the Lambda
//! runtime parses it and gets the expected answer from its function's handler.
use aws_lambda_events::dynamodb::Event as StreamEvent;
use aws_lambda_events::sqs::SqsEvent;
use chrono::{DateTime, Utc};
use lambda_http::Body;
use lambda_http::lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;
use shared::auth::Caller;
use shared::events::{Event, EventEntry, ReceivedEvent};
use shared::inbox::{Consumer, Effect, Inbox};
use shared::outbox::EventBus;
use shared::store::DynamoStore;
use shared::store::StreamTables;
use shared::timer::{HoldDue, HoldTimer};
use std::path::Path;
use std::sync::Mutex;

fn sample(name: &str) -> String {
    sample_in("http", name)
}

fn sample_in(folder: &str, name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../events")
        .join(folder)
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn body(response: &lambda_http::Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null)
}

async fn store() -> DynamoStore {
    let sdk = shared::aws::sdk_config().await;
    DynamoStore::from_env(&sdk).expect("run via tests/run.sh, which sets the table names")
}

#[tokio::test]
async fn the_user_create_sample_signs_up_a_guest() {
    let email = api_tests::unique_email("sample");
    let event = sample("user-create.json").replace("sample.guest@example.com", &email);
    let request = lambda_http::request::from_str(&event).unwrap();

    let response = user_create::handler(&store().await, request).await.unwrap();

    assert_eq!(response.status(), 201, "{:?}", body(&response));
    assert_eq!(body(&response)["email"], email.as_str());
    assert_eq!(body(&response)["locale"], "en-GB");
}

#[tokio::test]
async fn the_user_get_sample_carries_the_authorizers_claims() {
    let request = lambda_http::request::from_str(&sample("user-get.json")).unwrap();
    let caller = Caller::from_request(&request).unwrap();
    assert!(
        matches!(caller, Caller::Guest(id) if id.to_string() == "7c9e6679-7425-40de-944b-e07fc1f90ae7")
    );

    // No guest has that id (ours are UUIDv7; it is a v4), which the handler reports as such.
    let response = user_get::handler(&store().await, request).await.unwrap();
    assert_eq!(response.status(), 404, "{:?}", body(&response));
}

#[tokio::test]
async fn the_vendor_get_sample_is_public_and_names_a_vendor() {
    let request = lambda_http::request::from_str(&sample("vendor-get.json")).unwrap();
    assert!(
        Caller::from_request(&request).is_err(),
        "a public route carries no claims"
    );

    let response = vendor_get::handler(&store().await, request).await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(body(&response)["detail"], "no such vendor");
}

/// Keeps what was put and what was armed, so the publisher's sample can be checked offline.
#[derive(Default)]
struct Recorder {
    put: Mutex<Vec<String>>,
    details: Mutex<Vec<Value>>,
    armed: Mutex<Vec<HoldDue>>,
}

impl EventBus for Recorder {
    async fn put(&self, entries: &[EventEntry]) -> anyhow::Result<Vec<Option<String>>> {
        let mut put = self.put.lock().unwrap();
        put.extend(entries.iter().map(|e| e.detail_type.to_owned()));
        let mut details = self.details.lock().unwrap();
        details.extend(
            entries
                .iter()
                .map(|e| serde_json::from_str(&e.detail).unwrap()),
        );
        Ok(vec![None; entries.len()])
    }
}

impl HoldTimer for Recorder {
    async fn expire_at(&self, due: HoldDue, _now: DateTime<Utc>) -> anyhow::Result<()> {
        self.armed.lock().unwrap().push(due);
        Ok(())
    }
}

#[tokio::test]
async fn the_outbox_publisher_sample_publishes_a_hold_and_its_confirmation_and_arms_the_hold() {
    let event: StreamEvent =
        serde_json::from_str(&sample_in("stream", "outbox-publisher.json")).unwrap();
    let held_expiry = event.records[0]
        .change
        .new_image
        .get("hold_expires_at")
        .cloned();
    let tables = StreamTables {
        bookings: "reservations-bookings".into(),
        vendors: "reservations-vendors".into(),
        billing: None,
        accounts: None,
        inventory: None,
    };
    let recorder = Recorder::default();

    let response = outbox_publisher::handler(
        &tables,
        &recorder,
        &recorder,
        LambdaEvent::new(event, Context::default()),
    )
    .await
    .unwrap();

    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(
        *recorder.put.lock().unwrap(),
        ["BookingHeld", "BookingConfirmed"]
    );
    let armed = recorder.armed.lock().unwrap();
    assert_eq!(armed.len(), 1);
    let Some(serde_dynamo::AttributeValue::S(expires_at)) = held_expiry else {
        panic!("the sample hold has an expiry");
    };
    assert_eq!(
        armed[0]
            .expires_at
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        expires_at
    );
}

#[tokio::test]
async fn the_outbox_publisher_rating_sample_publishes_the_vendor_rated_sample_and_not_the_review() {
    let event: StreamEvent =
        serde_json::from_str(&sample_in("stream", "outbox-publisher-rating.json")).unwrap();
    let tables = StreamTables {
        bookings: "reservations-bookings".into(),
        vendors: "reservations-vendors".into(),
        billing: None,
        accounts: None,
        inventory: None,
    };
    let recorder = Recorder::default();

    let response = outbox_publisher::handler(
        &tables,
        &recorder,
        &recorder,
        LambdaEvent::new(event, Context::default()),
    )
    .await
    .unwrap();

    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(*recorder.put.lock().unwrap(), ["VendorRated"]);
    let published: Value = serde_json::from_str(&sample_in("samples", "VendorRated.json")).unwrap();
    assert_eq!(recorder.details.lock().unwrap()[0], published["detail"]);
    assert!(recorder.armed.lock().unwrap().is_empty());
}

#[derive(Default)]
struct Count(Mutex<Vec<String>>);

impl Effect for Count {
    async fn apply(&self, event: &Event, _received: &ReceivedEvent) -> anyhow::Result<()> {
        self.0.lock().unwrap().push(event.detail_type().to_owned());
        Ok(())
    }
}

#[tokio::test]
async fn the_consumer_sample_is_applied_once_however_often_it_is_delivered() {
    let event: SqsEvent = serde_json::from_str(&sample_in("sqs", "notifier.json")).unwrap();
    // A consumer of the test's own, so earlier runs' ledger entries don't count.
    let name = format!("sample-{}", uuid::Uuid::new_v4().simple());
    let consumer = Consumer {
        name: Box::leak(name.into_boxed_str()),
        order: notifier::CONSUMER.order,
    };
    let inbox = Inbox::from_env(&shared::aws::sdk_config().await).unwrap();
    let count = Count::default();

    for _ in 0..2 {
        let lambda_event = LambdaEvent::new(event.clone(), Context::default());
        let response = consumer
            .handler(&inbox, &count, lambda_event)
            .await
            .unwrap();
        assert!(response.batch_item_failures.is_empty(), "{response:?}");
    }

    assert_eq!(*count.0.lock().unwrap(), ["BookingHeld"]);
}
