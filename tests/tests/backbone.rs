//! The event backbone end to end on the local stack: HTTP -> DynamoDB Local -> its stream -> the
//! outbox publisher -> LocalStack's EventBridge bus -> rules -> SQS queues -> the consumers'
//! inbox, with probes in place of the consumers' effects (what each consumer does is its own
//! capability). Every test here reads the shared bookings stream with a publisher of its own, so
//! `.config/nextest.toml` runs them one at a time. Facts that wait for their predecessor wait on
//! a budget of their own, so neither an outage nor a burst sends them to the dead-letter queue.
use api_tests::{Account, Api, resource_body, today_in, zone_at_noon};
use aws_lambda_events::sqs::SqsEvent;
use chrono::Utc;
use futures::StreamExt;
use local_gateway::pump::QueueHandler;
use local_gateway::stream::StreamConsumer;
use local_gateway::{Backbone, Deps, consumers, inbox, streams};
use reqwest::{Method, StatusCode};
use serde_json::json;
use shared::domain::booking::BookingAction;
use shared::domain::ids::BookingId;
use shared::engine::{self, Requester};
use shared::events::{Event, EventEntry, ReceivedEvent};
use shared::inbox::{
    Consumer, Effect, Inbox, Ledger, LedgerEntry, Order, WAIT_ATTRIBUTE, Waiting, ledger_key,
};
use shared::outbox::{EventBridgeBus, EventBus};
use shared::store::BookingStore;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(180);

/// One message as a queue handed it to its consumer.
#[derive(Debug, Clone)]
struct Delivery {
    consumer: String,
    message_id: String,
    aggregate_id: String,
    detail_type: String,
    /// A copy the inbox sent again while the fact waited (it carries the wait).
    sent_again: bool,
}

/// One fact as a consumer's effect applied it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Applied {
    consumer: String,
    aggregate_id: String,
    detail_type: String,
    version: u64,
}

#[derive(Default)]
struct Log {
    deliveries: Mutex<Vec<Delivery>>,
    applied: Mutex<Vec<Applied>>,
}

impl Log {
    fn delivered(&self, consumer: &str, aggregate_id: &str) -> Vec<Delivery> {
        self.deliveries
            .lock()
            .unwrap()
            .iter()
            .filter(|d| d.consumer == consumer && d.aggregate_id == aggregate_id)
            .cloned()
            .collect()
    }

    fn applied(&self, consumer: &str, aggregate_id: &str) -> Vec<Applied> {
        self.applied
            .lock()
            .unwrap()
            .iter()
            .filter(|a| a.consumer == consumer && a.aggregate_id == aggregate_id)
            .cloned()
            .collect()
    }
}

/// Stands in for a consumer's effect: logs what it applied, and fails the aggregates in
/// `failing` (a downstream service that is down for them).
struct Probe {
    consumer: &'static str,
    log: Arc<Log>,
    failing: Arc<Mutex<HashSet<String>>>,
}

impl Effect for Probe {
    async fn apply(&self, event: &Event, _received: &ReceivedEvent) -> anyhow::Result<()> {
        let aggregate_id = event.aggregate_id();
        anyhow::ensure!(
            !self.failing.lock().unwrap().contains(&aggregate_id),
            "downstream is down for {aggregate_id}"
        );
        self.log.applied.lock().unwrap().push(Applied {
            consumer: self.consumer.to_owned(),
            aggregate_id,
            detail_type: event.detail_type().to_owned(),
            version: event.version(),
        });
        Ok(())
    }
}

/// Logs every message a queue delivers, then hands the batch on.
fn tap(consumer: &'static str, handler: QueueHandler, log: Arc<Log>) -> QueueHandler {
    Arc::new(move |batch: SqsEvent| {
        for message in &batch.records {
            let received: Option<ReceivedEvent> = message
                .body
                .as_deref()
                .and_then(|b| serde_json::from_str(b).ok());
            if let Some(event) = received.and_then(|r| r.event().ok()) {
                log.deliveries.lock().unwrap().push(Delivery {
                    consumer: consumer.to_owned(),
                    message_id: message.message_id.clone().unwrap_or_default(),
                    aggregate_id: event.aggregate_id(),
                    detail_type: event.detail_type().to_owned(),
                    sent_again: message.message_attributes.contains_key(WAIT_ATTRIBUTE),
                });
            }
        }
        handler(batch)
    })
}

/// A consumer wired like its Lambda (inbox + ledger) with a probe for its effect, tapped.
fn probed(
    deps: &Arc<Deps>,
    consumer: Consumer,
    log: &Arc<Log>,
    failing: &Arc<Mutex<HashSet<String>>>,
) -> (&'static str, QueueHandler) {
    let probe = Probe {
        consumer: consumer.name,
        log: log.clone(),
        failing: failing.clone(),
    };
    let (name, handler) = inbox(deps, consumer, probe);
    (name, tap(name, handler, log.clone()))
}

async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let started = tokio::time::Instant::now();
    while !done() {
        assert!(
            started.elapsed() < WAIT,
            "timed out after {WAIT:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn deps(api: &Api) -> Arc<Deps> {
    Arc::new(
        Deps::from_env(&api.base)
            .await
            .expect("the local stack's env is set: run via tests/run.sh"),
    )
}

/// A hotel with one room type, and a guest.
struct Scene {
    manager: Account,
    guest: Account,
    room: String,
}

impl Scene {
    /// Its room type takes a deposit: a hold is HELD, then its payment intent is attached (a
    /// second version, BookingUpdated).
    async fn new(api: &Api) -> Self {
        Self::with_room(api, resource_body("Double", 2, 10, 12_900)).await
    }

    /// Its room type takes no deposit: a hold is one fact, confirmed at once.
    async fn without_deposit(api: &Api) -> Self {
        let mut room = resource_body("Double", 2, 10, 12_900);
        room.as_object_mut()
            .expect("a JSON object")
            .remove("deposit");
        Self::with_room(api, room).await
    }

    async fn with_room(api: &Api, room: serde_json::Value) -> Self {
        let manager = api.vendor("hotel").await;
        let room = api.resource(&manager, &room).await;
        Self {
            guest: api.guest().await,
            manager,
            room,
        }
    }

    fn vendor(&self) -> &str {
        self.manager.vendor()
    }

    /// A one-night hold `days` from today; the booking id.
    async fn hold(&self, api: &Api, days: i64) -> String {
        self.hold_on(api, Utc::now().date_naive() + chrono::Duration::days(days))
            .await
    }

    /// A one-night hold from `check_in`; the booking id.
    async fn hold_on(&self, api: &Api, check_in: chrono::NaiveDate) -> String {
        let body = json!({
            "resource_id": self.room,
            "party_size": 2,
            "check_in": check_in.to_string(),
            "check_out": (check_in + chrono::Duration::days(1)).to_string(),
        });
        let reply = api
            .send_with(
                Method::POST,
                &format!("/booking/vendor/{}", self.vendor()),
                self.guest.token(),
                Some(&body),
                &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
        reply.body["id"].as_str().expect("a booking id").to_owned()
    }
}

/// A queue of the test's own on the real bus (or a bus of its own), fed by a rule that matches
/// only one vendor's booking (or vendor) facts, with a short visibility timeout and its own
/// dead-letter queue.
struct Route {
    sqs: aws_sdk_sqs::Client,
    events: aws_sdk_eventbridge::Client,
    bus: String,
    own_bus: bool,
    rule: String,
    queue_url: String,
    dlq_url: String,
}

impl Route {
    async fn for_vendor(vendor: &str, visibility_seconds: u32, max_receive_count: u32) -> Self {
        let pattern =
            json!({"source": ["reservations.bookings"], "detail": {"vendor_id": [vendor]}});
        Self::matching(pattern, visibility_seconds, max_receive_count).await
    }

    async fn matching(
        pattern: serde_json::Value,
        visibility_seconds: u32,
        max_receive_count: u32,
    ) -> Self {
        Self::on(false, pattern, visibility_seconds, max_receive_count).await
    }

    /// On a bus of its own, which only a publisher of the test's own puts to: none of its facts
    /// reach the real consumers' queues.
    async fn on_own_bus(
        pattern: serde_json::Value,
        visibility_seconds: u32,
        max_receive_count: u32,
    ) -> Self {
        Self::on(true, pattern, visibility_seconds, max_receive_count).await
    }

    async fn on(
        own_bus: bool,
        pattern: serde_json::Value,
        visibility_seconds: u32,
        max_receive_count: u32,
    ) -> Self {
        let sdk = shared::aws::sdk_config().await;
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        let events = aws_sdk_eventbridge::Client::new(&sdk);
        let shared_bus = std::env::var("EVENT_BUS_NAME").expect("EVENT_BUS_NAME is set");
        sweep(&sqs, &events, &shared_bus).await;
        let name = format!("{ROUTE_PREFIX}{}", uuid::Uuid::new_v4().simple());
        let bus = if own_bus {
            events
                .create_event_bus()
                .name(&name)
                .send()
                .await
                .expect("CreateEventBus");
            name.clone()
        } else {
            shared_bus
        };
        let dlq_url = create_queue(&sqs, &format!("{name}-dlq"), HashMap::new()).await;
        let dlq_arn = queue_arn(&sqs, &dlq_url).await;
        let queue_url = create_queue(
            &sqs,
            &name,
            HashMap::from([
                ("VisibilityTimeout", visibility_seconds.to_string()),
                (
                    "RedrivePolicy",
                    json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count.to_string()}).to_string(),
                ),
            ]),
        )
        .await;
        events
            .put_rule()
            .name(&name)
            .event_bus_name(&bus)
            .event_pattern(pattern.to_string())
            .send()
            .await
            .expect("PutRule");
        let target = aws_sdk_eventbridge::types::Target::builder()
            .id("queue")
            .arn(queue_arn(&sqs, &queue_url).await)
            .build()
            .expect("a target");
        events
            .put_targets()
            .rule(&name)
            .event_bus_name(&bus)
            .targets(target)
            .send()
            .await
            .expect("PutTargets");
        Self {
            sqs,
            events,
            bus,
            own_bus,
            rule: name,
            queue_url,
            dlq_url,
        }
    }

    /// `publisher` on the bookings stream, and this route's queue feeding `consumer`.
    async fn feed(
        &self,
        publisher: StreamConsumer,
        consumer: Consumer,
        handler: QueueHandler,
    ) -> Backbone {
        let mut backbone = Backbone::default();
        backbone
            .stream("outbox-publisher", &bookings_table(), publisher)
            .await
            .expect("the stream opens");
        backbone
            .queue(consumer.name, &self.queue_url, handler)
            .await;
        backbone
    }

    async fn remove(self) {
        let _ = self
            .events
            .remove_targets()
            .rule(&self.rule)
            .event_bus_name(&self.bus)
            .ids("queue")
            .send()
            .await;
        let _ = self
            .events
            .delete_rule()
            .name(&self.rule)
            .event_bus_name(&self.bus)
            .send()
            .await;
        if self.own_bus {
            let _ = self.events.delete_event_bus().name(&self.bus).send().await;
        }
        for url in [&self.queue_url, &self.dlq_url] {
            let _ = self.sqs.delete_queue().queue_url(url).send().await;
        }
    }
}

const ROUTE_PREFIX: &str = "test-backbone-";

/// Removes what an earlier run left behind when it failed before `Route::remove` (these tests run
/// one at a time, so nothing here is in use).
async fn sweep(sqs: &aws_sdk_sqs::Client, events: &aws_sdk_eventbridge::Client, bus: &str) {
    let buses = events
        .list_event_buses()
        .name_prefix(ROUTE_PREFIX)
        .send()
        .await
        .expect("ListEventBuses");
    for own in buses.event_buses().iter().filter_map(|b| b.name()) {
        sweep_rules(events, own).await;
        let _ = events.delete_event_bus().name(own).send().await;
    }
    sweep_rules(events, bus).await;
    let queues = sqs
        .list_queues()
        .queue_name_prefix(ROUTE_PREFIX)
        .send()
        .await
        .expect("ListQueues");
    for url in queues.queue_urls() {
        let _ = sqs.delete_queue().queue_url(url).send().await;
    }
}

async fn sweep_rules(events: &aws_sdk_eventbridge::Client, bus: &str) {
    let rules = events
        .list_rules()
        .event_bus_name(bus)
        .name_prefix(ROUTE_PREFIX)
        .send()
        .await
        .expect("ListRules");
    for rule in rules.rules().iter().filter_map(|r| r.name()) {
        let _ = events
            .remove_targets()
            .rule(rule)
            .event_bus_name(bus)
            .ids("queue")
            .send()
            .await;
        let _ = events
            .delete_rule()
            .name(rule)
            .event_bus_name(bus)
            .send()
            .await;
    }
}

async fn create_queue(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    attributes: HashMap<&str, String>,
) -> String {
    let mut request = sqs.create_queue().queue_name(name);
    for (key, value) in attributes {
        request = request.attributes(key.into(), value);
    }
    let created = request.send().await.expect("CreateQueue");
    created.queue_url().expect("a queue URL").to_owned()
}

async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> String {
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("GetQueueAttributes");
    attributes
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
        .expect("a queue ARN")
        .clone()
}

fn bookings_table() -> String {
    std::env::var("BOOKINGS_TABLE").expect("BOOKINGS_TABLE is set")
}

fn test_consumer() -> Consumer {
    let name = format!("{ROUTE_PREFIX}{}", uuid::Uuid::new_v4().simple());
    Consumer {
        name: Box::leak(name.into_boxed_str()),
        order: Order::InOrder,
    }
}

#[tokio::test]
async fn hold_confirm_and_cancel_each_reach_all_four_consumers_once_in_order_and_vendor_facts_reach_search()
 {
    let api = Api::start().await;
    let deps = deps(&api).await;
    let log = Arc::new(Log::default());
    let failing = Arc::new(Mutex::new(HashSet::new()));
    let four = [
        search_indexer::CONSUMER,
        notifier::CONSUMER,
        payment_refund::CONSUMER,
        archiver::CONSUMER,
    ];
    let mut queues = consumers(deps.clone());
    queues.extend(four.map(|c| probed(&deps, c, &log, &failing)));
    let _backbone = Backbone::start(queues, streams(deps.clone()))
        .await
        .expect("the backbone starts");

    let scene = Scene::new(&api).await;
    let booking = scene.hold(&api, 40).await;
    let id = BookingId::parse(&booking).unwrap();
    engine::transition(
        &deps.store,
        id,
        BookingAction::Confirm,
        &Requester::System,
        Utc::now(),
    )
    .await
    .expect("payment confirms the hold");
    let cancelled = api
        .put(
            &format!("/booking/{booking}/status"),
            scene.guest.token(),
            &json!({"status": "CANCELLED"}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{cancelled:#?}");

    // The vendors table's stream is published too: search hears of the hotel and its room type.
    for (aggregate, fact) in [
        (scene.vendor().to_owned(), "VendorOnboarded"),
        (scene.room.clone(), "ResourceChanged"),
    ] {
        eventually(&format!("search-indexer to apply {fact}"), || {
            log.applied(search_indexer::CONSUMER.name, &aggregate)
                .iter()
                .any(|a| a.detail_type == fact && a.version == 1)
        })
        .await;
    }

    let facts = [
        "BookingHeld",
        "BookingUpdated",
        "BookingConfirmed",
        "BookingCancelled",
    ];
    for consumer in four.map(|c| c.name) {
        eventually(&format!("{consumer} to apply the cancellation"), || {
            log.applied(consumer, &booking)
                .iter()
                .any(|a| a.detail_type == "BookingCancelled")
        })
        .await;
    }
    // Anything late (a duplicate) would arrive within the poll intervals.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for consumer in four {
        let name = consumer.name;
        // Each fact reached the queue once: one message each (a fact that waits for the one before
        // it also comes back as copies the inbox sends, which carry their wait).
        let delivered = log.delivered(name, &booking);
        let mut messages: HashMap<&str, HashSet<&str>> = HashMap::new();
        for d in delivered.iter().filter(|d| !d.sent_again) {
            messages
                .entry(d.detail_type.as_str())
                .or_default()
                .insert(d.message_id.as_str());
        }
        for fact in facts {
            assert_eq!(
                messages.get(fact).map(HashSet::len),
                Some(1),
                "{name}: one message for {fact}: {delivered:#?}"
            );
        }
        assert_eq!(messages.len(), facts.len(), "{name}: {delivered:#?}");

        let applied = log.applied(name, &booking);
        let versions: Vec<u64> = applied.iter().map(|a| a.version).collect();
        match consumer.order {
            Order::InOrder => assert_eq!(versions, [1, 2, 3, 4], "{name}: {applied:#?}"),
            // Never older after newer; a fact that arrives after a newer one is dropped.
            Order::LatestWins => {
                assert!(
                    versions.windows(2).all(|w| w[0] < w[1]) && versions.last() == Some(&4),
                    "{name}: {applied:#?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_failing_fact_alone_comes_back_then_goes_to_the_dead_letter_queue_and_redrive_returns_it()
{
    const MAX_RECEIVES: u32 = 3;
    let api = Api::start().await;
    let deps = deps(&api).await;
    let scene = Scene::without_deposit(&api).await;
    let route = Route::for_vendor(scene.vendor(), 1, MAX_RECEIVES).await;
    let log = Arc::new(Log::default());
    let failing = Arc::new(Mutex::new(HashSet::new()));
    let consumer = test_consumer();
    let (_, handler) = probed(&deps, consumer, &log, &failing);
    let publisher = streams(deps.clone())
        .remove("outbox-publisher")
        .expect("the publisher is registered");
    let backbone = route.feed(publisher, consumer, handler).await;

    let good = scene.hold(&api, 41).await;
    let bad = scene.hold(&api, 42).await;
    failing.lock().unwrap().insert(bad.clone());

    let sqs = route.sqs.clone();
    let dlq = route.dlq_url.clone();
    let mut in_dlq = 0;
    let started = tokio::time::Instant::now();
    while in_dlq == 0 {
        assert!(
            started.elapsed() < WAIT,
            "the failing fact never reached the DLQ: {:#?}",
            log.delivered(consumer.name, &bad)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
        in_dlq = event_ops::depths(&sqs, &dlq).await.unwrap().waiting;
    }
    assert_eq!(in_dlq, 1);
    assert_eq!(log.applied(consumer.name, &good).len(), 1);
    assert_eq!(
        log.delivered(consumer.name, &good).len(),
        1,
        "the fact that succeeded was delivered again"
    );
    assert_eq!(
        log.delivered(consumer.name, &bad).len(),
        MAX_RECEIVES as usize,
        "the failing fact is delivered up to the max receive count"
    );
    assert!(log.applied(consumer.name, &bad).is_empty());

    // The cause is fixed; the operator redrives.
    failing.lock().unwrap().clear();
    let moved = event_ops::redrive(&sqs, &dlq, &route.queue_url, None)
        .await
        .expect("redrive");
    assert_eq!(moved, 1);
    eventually("the redriven fact to be applied", || {
        !log.applied(consumer.name, &bad).is_empty()
    })
    .await;
    assert_eq!(log.applied(consumer.name, &bad).len(), 1);
    assert_eq!(log.applied(consumer.name, &good).len(), 1);
    assert_eq!(event_ops::depths(&sqs, &dlq).await.unwrap().waiting, 0);
    drop(backbone);
    route.remove().await;
}

/// The EventBridge bus, except that the first put carrying `marker` crashes the publisher.
struct CrashOnce {
    bus: EventBridgeBus,
    marker: String,
    crashed: Arc<AtomicBool>,
}

impl EventBus for CrashOnce {
    async fn put(&self, entries: &[EventEntry]) -> anyhow::Result<Vec<Option<String>>> {
        let ours = entries.iter().any(|e| e.detail.contains(&self.marker));
        if ours && !self.crashed.swap(true, Ordering::SeqCst) {
            panic!("the publisher crashes after reading the record, before putting it");
        }
        self.bus.put(entries).await
    }
}

#[tokio::test]
async fn a_publisher_crash_loses_nothing_and_duplicates_have_no_second_effect() {
    let api = Api::start().await;
    let deps = deps(&api).await;
    let scene = Scene::without_deposit(&api).await;
    let route = Route::for_vendor(scene.vendor(), 1, 5).await;
    let log = Arc::new(Log::default());
    let consumer = test_consumer();
    let (_, handler) = probed(&deps, consumer, &log, &Arc::new(Mutex::new(HashSet::new())));
    let crashed = Arc::new(AtomicBool::new(false));
    let bus = Arc::new(CrashOnce {
        bus: EventBridgeBus::from_env(&shared::aws::sdk_config().await).unwrap(),
        marker: scene.vendor().to_owned(),
        crashed: crashed.clone(),
    });
    let publisher: StreamConsumer = {
        let (deps, bus) = (deps.clone(), bus.clone());
        Arc::new(move |batch| {
            let (deps, bus) = (deps.clone(), bus.clone());
            Box::pin(async move {
                Ok(shared::outbox::publish(
                    &deps.stream_tables,
                    &*bus,
                    &deps.timer,
                    batch,
                    Utc::now(),
                )
                .await)
            })
        })
    };
    let backbone = route.feed(publisher, consumer, handler).await;

    let booking = scene.hold(&api, 43).await;
    eventually("the hold to be applied", || {
        !log.applied(consumer.name, &booking).is_empty()
    })
    .await;
    assert!(
        crashed.load(Ordering::SeqCst),
        "the publisher never crashed"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(log.delivered(consumer.name, &booking).len(), 1);

    // The same fact again: re-published (a retried stream batch), and its message sent twice.
    let stored = deps
        .store
        .booking(BookingId::parse(&booking).unwrap())
        .await
        .unwrap()
        .expect("the booking is stored");
    let held: Event = shared::events::booking_event(None, Some(&stored))
        .expect("a new booking is a fact")
        .into();
    let entry = held.entry().unwrap();
    bus.bus.put(&[entry]).await.unwrap();
    let body = serde_json::to_string(&json!({
        "version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": held.detail_type(),
        "source": held.source(), "account": "000000000000", "time": Utc::now(),
        "region": "us-east-1", "resources": [], "detail": held.detail().unwrap(),
    }))
    .unwrap();
    route
        .sqs
        .send_message()
        .queue_url(&route.queue_url)
        .message_body(body)
        .send()
        .await
        .unwrap();
    eventually("both copies to be delivered", || {
        log.delivered(consumer.name, &booking).len() == 3
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let applied = log.applied(consumer.name, &booking);
    assert_eq!(applied.len(), 1, "{applied:#?}");
    drop(backbone);
    route.remove().await;
}

#[tokio::test]
async fn the_search_indexers_rule_takes_vendor_rated() {
    let sdk = shared::aws::sdk_config().await;
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    let bus = std::env::var("EVENT_BUS_NAME").expect("EVENT_BUS_NAME is set");
    // Each consumer's rule is named like its queue (localstack/resources.json).
    let queue_url = std::env::var("SEARCH_INDEXER_QUEUE_URL").expect("the queue URL is set");
    let rule = queue_url.rsplit('/').next().expect("a queue name");
    let sample = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events/samples/VendorRated.json"),
    )
    .expect("the sample reads");

    let pattern = events
        .describe_rule()
        .name(rule)
        .event_bus_name(&bus)
        .send()
        .await
        .expect("DescribeRule")
        .event_pattern
        .expect("the rule has a pattern");
    let matched = events
        .test_event_pattern()
        .event_pattern(&pattern)
        .event(&sample)
        .send()
        .await
        .expect("TestEventPattern");

    assert!(
        matched.result,
        "{rule}: {pattern} does not take VendorRated"
    );
}

#[tokio::test]
async fn a_review_reaches_search_as_vendor_rated_through_the_vendors_stream() {
    let api = Api::start().await;
    let deps = deps(&api).await;
    let city = format!(
        "Backbonetown {}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    // Where it is about noon now: the stay reviewed arrives today, as staff check guests in from
    // their arrival day only.
    let zone = zone_at_noon();
    let manager = api
        .vendor_with(
            "hotel",
            json!({
                "address": {"line1": "Hauptstrasse 1", "postal_code": "10117", "city": city, "country": "DE"},
                "time_zone": zone,
            }),
        )
        .await;
    // The vendor's facts go to a queue of the test's own, where the search-indexer's own effect
    // consumes them (the shared search-indexer queue may be far behind).
    let route = Route::matching(
        json!({"source": ["reservations.vendors"], "detail": {"vendor_id": [manager.vendor()]}}),
        5,
        10,
    )
    .await;
    let log = Arc::new(Log::default());
    let consumer = test_consumer();
    let indexer = search_indexer::Indexer {
        store: deps.store.clone(),
        index: deps.search.clone(),
    };
    let (_, handler) = inbox(&deps, consumer, indexer);
    let mut backbone = Backbone::default();
    let publisher = streams(deps.clone())
        .remove("outbox-publisher")
        .expect("the publisher is registered");
    let vendors = std::env::var("VENDORS_TABLE").expect("VENDORS_TABLE is set");
    backbone
        .stream("outbox-publisher", &vendors, publisher)
        .await
        .expect("the stream opens");
    backbone
        .queue(
            consumer.name,
            &route.queue_url,
            tap(consumer.name, handler, log.clone()),
        )
        .await;
    let mut room = resource_body("Double", 2, 10, 12_900);
    room.as_object_mut().expect("an object").remove("deposit");
    let scene = Scene {
        room: api.resource(&manager, &room).await,
        guest: api.guest().await,
        manager,
    };

    let booking = scene.hold_on(&api, today_in(zone)).await;
    api.complete(&scene.manager, &booking).await;
    let reviewed = api
        .review(&scene.guest, &booking, &json!({"stars": 4}))
        .await;
    assert_eq!(reviewed.status, StatusCode::CREATED, "{reviewed:#?}");

    let check_in = Utc::now().date_naive() + chrono::Duration::days(50);
    let search = format!(
        "/vendors?city={}&country=DE&party_size=2&check_in={check_in}&check_out={}&sort=rating",
        city.replace(' ', "%20"),
        check_in + chrono::Duration::days(1)
    );
    let started = tokio::time::Instant::now();
    loop {
        let found = api.get(&search, None).await;
        assert_eq!(found.status, StatusCode::OK, "{found:#?}");
        if found.body["items"][0]["rating"] == json!({"average": 4.0, "count": 1}) {
            break;
        }
        assert!(
            started.elapsed() < WAIT,
            "search never showed the rating: {found:#?}\n{:#?}",
            log.deliveries.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // The gateway's own search-indexer consumes the same fact, so search may show the rating
    // before the test's queue has delivered it: wait for the delivery too.
    let rated = loop {
        let rated = log.delivered(consumer.name, &format!("{}#rating", scene.vendor()));
        if !rated.is_empty() || started.elapsed() >= WAIT {
            break rated;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        !rated.is_empty() && rated.iter().all(|d| d.detail_type == "VendorRated"),
        "{rated:#?}"
    );
    drop(backbone);
    route.remove().await;
}

/// A consumer's effect behind a switch: while `down`, every fact fails (its downstream is out).
struct Outage<E> {
    down: Arc<AtomicBool>,
    effect: E,
}

impl<E: Effect> Effect for Outage<E> {
    async fn apply(&self, event: &Event, received: &ReceivedEvent) -> anyhow::Result<()> {
        anyhow::ensure!(!self.down.load(Ordering::SeqCst), "downstream is down");
        self.effect.apply(event, received).await
    }
}

/// A consumer's own effect, with what it applied logged.
struct Logged<E> {
    consumer: &'static str,
    log: Arc<Log>,
    effect: E,
}

impl<E: Effect> Effect for Logged<E> {
    async fn apply(&self, event: &Event, received: &ReceivedEvent) -> anyhow::Result<()> {
        self.effect.apply(event, received).await?;
        self.log.applied.lock().unwrap().push(Applied {
            consumer: self.consumer.to_owned(),
            aggregate_id: event.aggregate_id(),
            detail_type: event.detail_type().to_owned(),
            version: event.version(),
        });
        Ok(())
    }
}

/// A consumer wired like its Lambda, but waiting as `waiting` says (times scaled down), tapped.
fn waiting_consumer(
    deps: &Arc<Deps>,
    consumer: Consumer,
    effect: impl Effect + 'static,
    waiting: Waiting,
    log: &Arc<Log>,
) -> QueueHandler {
    let inbox = Arc::new(Inbox {
        ledger: deps.inbox.ledger.clone(),
        redelivery: deps.inbox.redelivery.clone(),
        waiting,
    });
    let effect = Arc::new(effect);
    let handler: QueueHandler = Arc::new(move |batch| {
        let (inbox, effect) = (inbox.clone(), effect.clone());
        Box::pin(async move { Ok(consumer.consume(&*inbox, &*effect, batch).await) })
    });
    tap(consumer.name, handler, log.clone())
}

async fn dead_letters(route: &Route) -> u64 {
    event_ops::depths(&route.sqs, &route.dlq_url)
        .await
        .expect("the dead-letter queue's depth")
        .waiting
}

#[tokio::test]
async fn a_consumer_down_longer_than_waiting_used_to_last_dead_letters_nothing_and_then_applies_every_fact_in_order()
 {
    // A failure comes back after 20 s, three times. A fact waiting for it used to be dead-lettered
    // after three waits (1 + 2 + 4 s); now it waits on its own budget.
    const VISIBILITY: u32 = 20;
    const MAX_RECEIVES: u32 = 3;
    let waiting = Waiting {
        budget: Duration::from_secs(300),
        max_delay: Duration::from_secs(4),
    };
    let api = Api::start().await;
    let deps = deps(&api).await;
    let scene = Scene::new(&api).await;
    let route = Route::for_vendor(scene.vendor(), VISIBILITY, MAX_RECEIVES).await;
    let log = Arc::new(Log::default());
    let down = Arc::new(AtomicBool::new(true));
    let consumer = test_consumer();
    let probe = Probe {
        consumer: consumer.name,
        log: log.clone(),
        failing: Arc::default(),
    };
    let outage = Outage {
        down: down.clone(),
        effect: probe,
    };
    let handler = waiting_consumer(&deps, consumer, outage, waiting, &log);
    let publisher = streams(deps.clone())
        .remove("outbox-publisher")
        .expect("the publisher is registered");
    let backbone = route.feed(publisher, consumer, handler).await;

    // Held and Updated (its payment intent), Confirmed, Cancelled.
    let booking = scene.hold(&api, 45).await;
    engine::transition(
        &deps.store,
        BookingId::parse(&booking).unwrap(),
        BookingAction::Confirm,
        &Requester::System,
        Utc::now(),
    )
    .await
    .expect("payment confirms the hold");
    let cancelled = api
        .put(
            &format!("/booking/{booking}/status"),
            scene.guest.token(),
            &json!({"status": "CANCELLED"}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{cancelled:#?}");

    // Down until a later fact has been delivered more often than the queue receives a message.
    let started = tokio::time::Instant::now();
    loop {
        let delivered = log.delivered(consumer.name, &booking);
        assert_eq!(
            dead_letters(&route).await,
            0,
            "a fact was dead-lettered while the consumer was down: {delivered:#?}"
        );
        let most_waits = ["BookingUpdated", "BookingConfirmed", "BookingCancelled"]
            .map(|fact| delivered.iter().filter(|d| d.detail_type == fact).count())
            .into_iter()
            .max()
            .unwrap_or(0);
        if most_waits > MAX_RECEIVES as usize {
            break;
        }
        assert!(
            started.elapsed() < WAIT,
            "the facts never waited: {delivered:#?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let held_tries = log
        .delivered(consumer.name, &booking)
        .iter()
        .filter(|d| d.detail_type == "BookingHeld")
        .count();
    assert!(
        held_tries < MAX_RECEIVES as usize,
        "the failing fact is still within its retries: {held_tries}"
    );
    assert!(log.applied(consumer.name, &booking).is_empty());
    down.store(false, Ordering::SeqCst);

    eventually("every fact to be applied after the outage", || {
        log.applied(consumer.name, &booking).len() == 4
    })
    .await;
    // Anything late (a duplicate, a dead letter) would show within the poll intervals.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let applied = log.applied(consumer.name, &booking);
    let versions: Vec<u64> = applied.iter().map(|a| a.version).collect();
    assert_eq!(versions, [1, 2, 3, 4], "{applied:#?}");
    assert_eq!(dead_letters(&route).await, 0);
    drop(backbone);
    route.remove().await;
}

#[tokio::test]
async fn a_fact_whose_predecessor_never_comes_is_dead_lettered_once_its_waiting_budget_is_spent() {
    let waiting = Waiting {
        budget: Duration::from_secs(5),
        max_delay: Duration::from_secs(2),
    };
    let deps = deps(&Api::start().await).await;
    let nobody = uuid::Uuid::now_v7().to_string();
    let route = Route::for_vendor(&nobody, 1, 2).await;
    let log = Arc::new(Log::default());
    let consumer = test_consumer();
    let probe = Probe {
        consumer: consumer.name,
        log: log.clone(),
        failing: Arc::default(),
    };
    let mut backbone = Backbone::default();
    backbone
        .queue(
            consumer.name,
            &route.queue_url,
            waiting_consumer(&deps, consumer, probe, waiting, &log),
        )
        .await;

    // Version 3 of a booking whose version 2 (committed a minute ago) never reaches the queue.
    let booking = uuid::Uuid::now_v7();
    let sample = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../events/samples/BookingConfirmed.json"),
    )
    .expect("the sample reads");
    let mut fact: serde_json::Value = serde_json::from_str(&sample).expect("the sample parses");
    fact["id"] = json!(uuid::Uuid::new_v4());
    fact["detail"]["booking_id"] = json!(booking);
    fact["detail"]["version"] = json!(3);
    fact["detail"]["previous_version_at"] = json!(Utc::now() - chrono::Duration::minutes(1));
    fact["detail"]["event_id"] = json!(uuid::Uuid::new_v5(&booking, b"3"));
    route
        .sqs
        .send_message()
        .queue_url(&route.queue_url)
        .message_body(fact.to_string())
        .send()
        .await
        .expect("SendMessage");

    let started = tokio::time::Instant::now();
    while dead_letters(&route).await == 0 {
        assert!(
            started.elapsed() < WAIT,
            "the fact never reached the dead-letter queue: {:#?}",
            log.delivered(consumer.name, &booking.to_string())
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let delivered = log.delivered(consumer.name, &booking.to_string());
    assert!(
        delivered.iter().any(|d| d.sent_again),
        "it waited (sent again) before it counted as failed: {delivered:#?}"
    );
    assert!(log.applied(consumer.name, &booking.to_string()).is_empty());
    assert_eq!(dead_letters(&route).await, 1);
    drop(backbone);
    route.remove().await;
}

#[tokio::test]
async fn a_burst_of_500_updates_to_one_vendor_reaches_search_in_order_with_nothing_dead_lettered() {
    // Few receives per message, so a fact that spent them waiting would soon show up in the
    // dead-letter queue; waiting itself as in production.
    const UPDATES: usize = 500;
    const CLIENTS: usize = 16;
    const POLLERS: usize = 4;
    const CATCH_UP: Duration = Duration::from_secs(600);
    let api = Api::start().await;
    let deps = deps(&api).await;
    let manager = api.vendor("hotel").await;
    let vendor = manager.vendor().to_owned();
    // The burst stays off the real bus: the real consumers' queues would carry it for minutes.
    let route = Route::on_own_bus(
        json!({"source": ["reservations.vendors"], "detail": {"vendor_id": [vendor]}}),
        10,
        3,
    )
    .await;
    let log = Arc::new(Log::default());
    let consumer = test_consumer();
    // The vendor's onboarding was applied before its facts were routed here.
    let onboarded = LedgerEntry {
        key: ledger_key(consumer.name, &vendor),
        version: 1,
        order: Order::InOrder,
        previous_version_at: None,
    };
    deps.inbox
        .ledger
        .claim(&onboarded, Utc::now())
        .await
        .expect("claim");
    deps.inbox
        .ledger
        .complete(&onboarded, Utc::now())
        .await
        .expect("complete");
    let indexer = Logged {
        consumer: consumer.name,
        log: log.clone(),
        effect: search_indexer::Indexer {
            store: deps.store.clone(),
            index: deps.search.clone(),
        },
    };
    let handler = waiting_consumer(&deps, consumer, indexer, Waiting::default(), &log);
    let mut backbone = Backbone::default();
    let bus = Arc::new(EventBridgeBus::new(route.events.clone(), route.bus.clone()));
    let publisher: StreamConsumer = {
        let deps = deps.clone();
        Arc::new(move |batch| {
            let (deps, bus) = (deps.clone(), bus.clone());
            Box::pin(async move {
                Ok(shared::outbox::publish(
                    &deps.stream_tables,
                    &*bus,
                    &deps.timer,
                    batch,
                    Utc::now(),
                )
                .await)
            })
        })
    };
    let vendors = std::env::var("VENDORS_TABLE").expect("VENDORS_TABLE is set");
    backbone
        .stream("outbox-publisher", &vendors, publisher)
        .await
        .expect("the stream opens");
    // Lambda polls a busy queue with several batches at once, so one aggregate's facts are
    // applied side by side and most of them wait for another.
    for _ in 0..POLLERS {
        backbone
            .queue(consumer.name, &route.queue_url, handler.clone())
            .await;
    }
    let room = api
        .resource(&manager, &resource_body("Double", 2, 10, 12_900))
        .await;

    // Profile and room-type updates, as fast as a client can send them.
    let statuses: Vec<StatusCode> = futures::stream::iter(0..UPDATES)
        .map(|n| {
            let (api, manager, vendor, room) = (&api, &manager, &vendor, &room);
            async move {
                let description = json!({"description": format!("Burst update {n}")});
                let path = if n % 5 == 4 {
                    format!("/vendor/{vendor}/resource/{room}")
                } else {
                    format!("/vendor/{vendor}")
                };
                api.put(&path, manager.token(), &description).await.status
            }
        })
        .buffer_unordered(CLIENTS)
        .collect()
        .await;
    let made = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT),
        "an update neither made nor lost to a conflict: {statuses:?}"
    );
    let version = |reply: api_tests::Reply| -> u64 {
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
        reply.body["version"].as_u64().expect("a version")
    };
    let vendor_version = version(api.get(&format!("/vendor/{vendor}"), None).await);
    let room_version = version(
        api.get(&format!("/vendor/{vendor}/resource/{room}"), None)
            .await,
    );
    // Every version after the onboarding is one update made (and the type's first its creation).
    assert_eq!(
        (vendor_version - 1) + (room_version - 1),
        made as u64,
        "{made} updates made"
    );

    let started = tokio::time::Instant::now();
    let caught_up = || {
        let last = |aggregate: &str| {
            log.applied(consumer.name, aggregate)
                .last()
                .map(|a| a.version)
        };
        last(&vendor) == Some(vendor_version) && last(&room) == Some(room_version)
    };
    while !caught_up() {
        assert_eq!(
            dead_letters(&route).await,
            0,
            "a fact was dead-lettered during the burst"
        );
        assert!(
            started.elapsed() < CATCH_UP,
            "the consumer did not catch up within {CATCH_UP:?}: at {:?} of {vendor_version} and {:?} of {room_version}",
            log.applied(consumer.name, &vendor).last(),
            log.applied(consumer.name, &room).last(),
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let versions = |aggregate: &str| -> Vec<u64> {
        log.applied(consumer.name, aggregate)
            .iter()
            .map(|a| a.version)
            .collect()
    };
    assert_eq!(
        versions(&vendor),
        (2..=vendor_version).collect::<Vec<_>>(),
        "each profile version once, in order"
    );
    assert_eq!(
        versions(&room),
        (1..=room_version).collect::<Vec<_>>(),
        "each room type version once, in order"
    );
    assert_eq!(dead_letters(&route).await, 0);
    drop(backbone);
    route.remove().await;
}
