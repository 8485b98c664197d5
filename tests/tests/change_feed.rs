//! The change feed end to end on the local stack: HTTP -> DynamoDB Local -> its streams -> the
//! outbox publisher -> LocalStack's bus -> the change-feed queue -> the consumer's inbox -> the
//! vendor's log in the inventory table -> `GET /vendor/{id}/changes`. The tests that run the
//! backbone read the shared streams with a publisher of their own, so `.config/nextest.toml` runs
//! this binary one test at a time with the backbone tests.
use api_tests::{Account, Api, received, resource_body, sqs_event};
use chrono::{Duration as Days, Utc};
use local_gateway::{Backbone, Deps, inbox, streams};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::domain::booking::BookingAction;
use shared::domain::ids::{BookingId, VendorId};
use shared::engine::{self, Requester};
use shared::events::{EventId, ReceivedEvent};
use shared::feed::{Change, ChangeKind, DynamoFeed, Feed, Position};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// How long the facts of a test may take to reach the feed before it gives up (they take about
/// a second; this is a bound on a stuck test, not an assertion on speed).
const WAIT: Duration = Duration::from_secs(90);

async fn deps(api: &Api) -> Arc<Deps> {
    Arc::new(
        Deps::from_env(&api.base)
            .await
            .expect("the local stack's env is set: run via tests/run.sh"),
    )
}

/// The publisher on the bookings and vendors streams, and the change-feed queue feeding the
/// change-feed consumer, as their Lambdas run them.
async fn backbone(deps: &Arc<Deps>) -> Backbone {
    let mut backbone = Backbone::default();
    let publisher = streams(deps.clone())
        .remove("outbox-publisher")
        .expect("the publisher is registered");
    for table in ["BOOKINGS_TABLE", "VENDORS_TABLE"] {
        let name = std::env::var(table).expect("the table's name is set");
        backbone
            .stream("outbox-publisher", &name, publisher.clone())
            .await
            .expect("the stream opens");
    }
    let (name, handler) = consumer(deps);
    let queue_url = std::env::var("CHANGE_FEED_QUEUE_URL").expect("the queue's URL is set");
    backbone.queue(name, &queue_url, handler).await;
    backbone
}

fn consumer(deps: &Arc<Deps>) -> (&'static str, local_gateway::pump::QueueHandler) {
    inbox(
        deps,
        change_feed::CONSUMER,
        change_feed::FeedWriter {
            feed: deps.feed.clone(),
        },
    )
}

/// A schema of the OpenAPI document's components, with its references resolvable.
fn openapi_schema(name: &str) -> jsonschema::Validator {
    let schema = json!({
        "$ref": format!("#/components/schemas/{name}"),
        "components": openapi()["components"],
    });
    jsonschema::draft202012::options()
        .build(&schema)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn openapi() -> Value {
    serde_json::from_str(include_str!("../../shared/api/openapi.json")).expect("openapi.json")
}

#[track_caller]
fn assert_valid(schema: &str, body: &Value) {
    let errors: Vec<String> = openapi_schema(schema)
        .iter_errors(body)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?} in {body:#}");
}

#[test]
fn the_documented_examples_are_valid_answers() {
    let operation = &openapi()["paths"]["/vendor/{id}/changes"]["get"]["responses"];
    assert_valid(
        "ChangeFeed",
        &operation["200"]["content"]["application/json"]["example"],
    );
    assert_valid(
        "Problem",
        &operation["410"]["content"]["application/problem+json"]["example"],
    );
}

fn changes_of(vendor: &str, query: &str) -> String {
    format!("/vendor/{vendor}/changes{query}")
}

/// Reads the feed from `after` (long-polling) until `done` holds for what was read; every entry
/// read, and the last `next`.
async fn follow(
    api: &Api,
    reader: &Account,
    after: &str,
    mut done: impl FnMut(&[Value]) -> bool,
) -> (Vec<Value>, String) {
    let started = tokio::time::Instant::now();
    let mut entries = Vec::new();
    let mut next = after.to_owned();
    while !done(&entries) {
        assert!(
            started.elapsed() < WAIT,
            "the feed did not get there in {WAIT:?}: {entries:#?}"
        );
        let reply = api
            .get(
                &changes_of(reader.vendor(), &format!("?after={next}&wait=5")),
                reader.token(),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
        assert_valid("ChangeFeed", &reply.body);
        entries.extend(
            reply.body["changes"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        );
        next = reply.body["next"]
            .as_str()
            .expect("a next cursor")
            .to_owned();
    }
    (entries, next)
}

fn of<'a>(entries: &'a [Value], id: &str) -> Vec<&'a Value> {
    entries.iter().filter(|e| e["aggregate_id"] == id).collect()
}

fn types(entries: &[&Value]) -> Vec<String> {
    entries
        .iter()
        .map(|e| e["detail_type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn versions(entries: &[&Value]) -> Vec<u64> {
    entries
        .iter()
        .filter_map(|e| e["version"].as_u64())
        .collect()
}

/// A one-night hold `days` from today of `room`; the booking id.
async fn hold(api: &Api, guest: &Account, vendor: &str, room: &str, days: i64) -> String {
    let check_in = Utc::now().date_naive() + Days::days(days);
    let body = json!({
        "resource_id": room,
        "party_size": 2,
        "check_in": check_in.to_string(),
        "check_out": (check_in + Days::days(1)).to_string(),
    });
    let reply = api
        .send_with(
            Method::POST,
            &format!("/booking/vendor/{vendor}"),
            guest.token(),
            Some(&body),
            &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
    reply.body["id"].as_str().expect("a booking id").to_owned()
}

#[tokio::test]
async fn a_hold_its_confirmation_its_cancellation_and_a_room_type_change_appear_in_order_and_a_cursor_reads_only_what_is_newer()
 {
    let api = Api::start().await;
    let deps = deps(&api).await;
    let _backbone = backbone(&deps).await;
    let manager = api.vendor("hotel").await;
    let desk = api.staff(&manager, false).await;
    let room = api
        .resource(&manager, &resource_body("Double", 2, 10, 12_900))
        .await;
    let guest = api.guest().await;

    let booking = hold(&api, &guest, manager.vendor(), &room, 30).await;
    engine::transition(
        &deps.store,
        BookingId::parse(&booking).expect("a booking id"),
        BookingAction::Confirm,
        &Requester::System,
        Utc::now(),
    )
    .await
    .expect("payment confirms the hold");
    let cancelled = api
        .put(
            &format!("/booking/{booking}/status"),
            guest.token(),
            &json!({"status": "CANCELLED"}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{cancelled:#?}");
    let renamed = api
        .put(
            &format!("/vendor/{}/resource/{room}", manager.vendor()),
            manager.token(),
            &json!({"description": "Renovated, facing the courtyard"}),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{renamed:#?}");

    // Read by a member of the desk staff (not a manager), from the start of the log.
    let (entries, next) = follow(&api, &desk, &Position::START.cursor(), |entries| {
        types(&of(entries, &booking)).last().map(String::as_str) == Some("BookingCancelled")
            && versions(&of(entries, &room)).contains(&2)
    })
    .await;

    let positions: Vec<&str> = entries
        .iter()
        .map(|e| e["position"].as_str().expect("a position"))
        .collect();
    assert!(
        positions.windows(2).all(|p| p[0] < p[1]),
        "positions increase: {positions:?}"
    );
    assert_eq!(positions.first(), Some(&"00000000000000000001"));
    let bookings = of(&entries, &booking);
    let booking_versions = versions(&bookings);
    assert_eq!(
        booking_versions,
        (1..=booking_versions.len() as u64).collect::<Vec<_>>(),
        "every version once, in order"
    );
    let seen = types(&bookings);
    let milestones: Vec<&String> = seen
        .iter()
        .filter(|t| ["BookingHeld", "BookingConfirmed", "BookingCancelled"].contains(&t.as_str()))
        .collect();
    assert_eq!(
        milestones,
        ["BookingHeld", "BookingConfirmed", "BookingCancelled"],
        "{seen:?}"
    );
    assert!(bookings.iter().all(|e| e["kind"] == "booking"
        && e["detail"]["booking_id"] == booking.as_str()
        && e["occurred_at"].is_string()
        && e["recorded_at"].is_string()
        && e["event_id"] == e["detail"]["event_id"]));
    let rooms = of(&entries, &room);
    assert_eq!(versions(&rooms), [1, 2]);
    assert!(
        rooms
            .iter()
            .all(|e| e["kind"] == "resource" && e["detail_type"] == "ResourceChanged")
    );
    assert_eq!(
        rooms[1]["detail"]["resource_id"],
        room.as_str(),
        "{:#?}",
        rooms[1]
    );
    // Events carry ids, not people.
    let text = serde_json::to_string(&entries).expect("JSON");
    assert!(!text.contains(&guest.email) && !text.contains("Test Guest"));

    // With `next`, nothing is new; from the second entry's cursor, only what came after it.
    let nothing_new = api
        .get(
            &changes_of(manager.vendor(), &format!("?after={next}&wait=0")),
            manager.token(),
        )
        .await;
    let from_second = api
        .get(
            &changes_of(
                manager.vendor(),
                &format!("?after={}&wait=0&limit=2", positions[1]),
            ),
            desk.token(),
        )
        .await;

    assert_eq!(nothing_new.status, StatusCode::OK, "{nothing_new:#?}");
    assert_eq!(nothing_new.body, json!({"changes": [], "next": next}));
    let newer: Vec<&str> = from_second.body["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|e| e["position"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(newer, positions[2..4]);
    assert_eq!(from_second.body["next"], positions[3]);
}

#[tokio::test]
async fn a_long_poll_started_before_a_change_answers_with_that_change() {
    let api = Api::start().await;
    let deps = deps(&api).await;
    let _backbone = backbone(&deps).await;
    let manager = api.vendor("hotel").await;
    let room = api
        .resource(&manager, &resource_body("Double", 2, 10, 12_900))
        .await;
    let (_, head) = follow(&api, &manager, &Position::START.cursor(), |entries| {
        !of(entries, &room).is_empty()
    })
    .await;

    let path = changes_of(manager.vendor(), &format!("?after={head}"));
    let poll = {
        let (api, token) = (api.from_another_source(), manager.token.clone());
        tokio::spawn(async move { api.get(&path, Some(&token)).await })
    };
    // The poll is waiting (nothing is newer than `head`) when the change is made.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let changed = api
        .put(
            &format!("/vendor/{}/resource/{room}", manager.vendor()),
            manager.token(),
            &json!({"description": "Now with a view"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:#?}");
    let answer = poll.await.expect("the poll ends");

    // An answer at the end of the wait would be empty: this one came with the change.
    assert_eq!(answer.status, StatusCode::OK, "{answer:#?}");
    let entries = answer.body["changes"].as_array().expect("changes");
    assert_eq!(entries.len(), 1, "{answer:#?}");
    assert_eq!(entries[0]["aggregate_id"], room.as_str());
    assert_eq!(entries[0]["version"], 2);
    assert_eq!(answer.body["next"], entries[0]["position"]);
    assert!(answer.body["next"].as_str() > Some(head.as_str()));
}

#[tokio::test]
async fn only_the_vendors_staff_read_its_changes() {
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;
    let neighbour = api.vendor("hotel").await;
    let guest = api.guest().await;
    let housekeeper = api.staff_as(&manager, "housekeeping").await;
    let path = changes_of(manager.vendor(), "?wait=0");

    let own = api.get(&path, manager.token()).await;
    let other_staff = api.get(&path, neighbour.token()).await;
    let as_guest = api.get(&path, guest.token()).await;
    // Housekeepers read the feed too, its rooms and tables only (see the test below).
    let as_housekeeper = api.get(&path, housekeeper.token()).await;
    let anonymous = api.get(&path, None).await;
    let unknown_vendor = api
        .get(
            &changes_of(&VendorId::generate().to_string(), "?wait=0"),
            manager.token(),
        )
        .await;

    assert_eq!(own.status, StatusCode::OK, "{own:#?}");
    assert_eq!(
        own.body,
        json!({"changes": [], "next": Position::START.cursor()})
    );
    other_staff.assert_problem(403);
    as_guest.assert_problem(403);
    assert_eq!(as_housekeeper.status, StatusCode::OK, "{as_housekeeper:#?}");
    anonymous.assert_problem(401);
    unknown_vendor.assert_problem(403);
}

#[tokio::test]
async fn bad_parameters_are_422_naming_each_parameter() {
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;
    let cases = [
        ("?after=yesterday", vec!["after"]),
        ("?after=-3", vec!["after"]),
        // A cursor past the end of this vendor's (empty) log never came from it.
        ("?after=00000000000000000007&wait=0", vec!["after"]),
        ("?limit=0", vec!["limit"]),
        ("?limit=501", vec!["limit"]),
        ("?limit=many", vec!["limit"]),
        ("?wait=21", vec!["wait"]),
        ("?after=x&limit=x&wait=x", vec!["after", "limit", "wait"]),
    ];
    for (query, named) in cases {
        let reply = api
            .get(&changes_of(manager.vendor(), query), manager.token())
            .await;

        reply.assert_problem(422);
        assert_eq!(reply.parameters(), named, "{query}: {reply:#?}");
    }
}

/// A booking fact of `vendor`'s, as the bus delivers it: a fresh booking's first version.
fn booking_fact(vendor: &str) -> ReceivedEvent {
    let mut sample: ReceivedEvent =
        serde_json::from_str(include_str!("../../events/samples/BookingHeld.json"))
            .expect("the sample reads");
    let booking = BookingId::generate();
    sample.detail["vendor_id"] = json!(vendor);
    sample.detail["booking_id"] = json!(booking.to_string());
    sample.detail["event_id"] = json!(EventId::for_booking(booking, 1).to_string());
    let event = sample.event().expect("the fact reads");
    received(&event)
}

#[tokio::test]
async fn a_fact_delivered_twice_is_one_entry() {
    let api = Api::start().await;
    let deps = deps(&api).await;
    let manager = api.vendor("hotel").await;
    let (_, handler) = consumer(&deps);
    let fact = serde_json::to_string(&booking_fact(manager.vendor())).expect("JSON");

    // Twice in one batch, then again in a later one (a redelivery).
    let first = handler(sqs_event(&[("a", fact.clone()), ("b", fact.clone())]))
        .await
        .expect("the batch is handled");
    let again = handler(sqs_event(&[("c", fact)]))
        .await
        .expect("the batch is handled");

    assert!(first.batch_item_failures.is_empty(), "{first:?}");
    assert!(again.batch_item_failures.is_empty(), "{again:?}");
    let read = api
        .get(&changes_of(manager.vendor(), "?wait=0"), manager.token())
        .await;
    assert_eq!(read.status, StatusCode::OK, "{read:#?}");
    let entries = read.body["changes"].as_array().expect("changes");
    assert_eq!(entries.len(), 1, "{read:#?}");
    assert_eq!(entries[0]["position"], "00000000000000000001");
}

fn change(version: u64) -> Change {
    let booking = BookingId::generate();
    Change {
        kind: ChangeKind::Booking,
        aggregate_id: booking.to_string(),
        version,
        detail_type: "BookingHeld".into(),
        event_id: EventId::for_booking(booking, version),
        occurred_at: Utc::now(),
        detail: json!({}),
    }
}

async fn feed() -> Feed<DynamoFeed> {
    let sdk = shared::aws::sdk_config().await;
    Feed::new(DynamoFeed::from_env(&sdk).expect("INVENTORY_TABLE is set: run via tests/run.sh"))
}

#[tokio::test]
async fn concurrent_writers_each_take_their_own_position_with_no_gaps() {
    api_tests::require_env();
    let feed = feed().await;
    let vendor = VendorId::generate();

    let taken =
        futures::future::join_all((0..20).map(|_| feed.record(vendor, change(1), Utc::now())))
            .await;

    let positions: HashSet<u64> = taken
        .into_iter()
        .map(|p| p.expect("recorded").expect("new").get())
        .collect();
    assert_eq!(positions, (1..=20).collect());
    let all = feed
        .changes(
            vendor,
            Position::START,
            100,
            shared::feed::Audience::Everything,
            Utc::now(),
        )
        .await
        .expect("read");
    let read: Vec<u64> = all.changes.iter().map(|e| e.position.get()).collect();
    assert_eq!(read, (1..=20).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_cursor_whose_changes_expired_is_410_with_where_to_follow_from_after_reloading() {
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;
    let vendor = VendorId::parse(manager.vendor()).expect("a vendor id");
    let feed = feed().await;
    let long_ago = Utc::now() - Days::days(shared::feed::RETENTION_DAYS + 1);
    for at in [long_ago, long_ago, Utc::now()] {
        feed.record(vendor, change(1), at).await.expect("recorded");
    }

    let expired = api
        .get(
            &changes_of(manager.vendor(), "?after=00000000000000000001&wait=0"),
            manager.token(),
        )
        .await;
    let from_the_start = api
        .get(&changes_of(manager.vendor(), "?wait=0"), manager.token())
        .await;

    expired.assert_problem(410);
    assert_valid("Problem", &expired.body);
    assert_eq!(expired.body["next"], "00000000000000000003", "{expired:#?}");
    assert_eq!(from_the_start.status, StatusCode::OK, "{from_the_start:#?}");
    let kept: Vec<&Value> = from_the_start.body["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .collect();
    assert_eq!(kept.len(), 1, "{from_the_start:#?}");
    assert_eq!(kept[0]["position"], "00000000000000000003");
}

#[tokio::test]
async fn rooms_their_housekeeping_and_blocks_reach_the_feed_and_housekeepers_see_nothing_else() {
    let api = Api::start().await;
    let deps = deps(&api).await;
    let _backbone = backbone(&deps).await;
    let manager = api.vendor("hotel").await;
    let housekeeper = api.staff_as(&manager, "housekeeping").await;
    let guest = api.guest().await;
    let room_type = api
        .resource(&manager, &resource_body("Double", 2, 10, 12_900))
        .await;
    let vendor = manager.vendor().to_owned();
    let registered = api
        .post(
            &format!("/vendor/{vendor}/unit"),
            manager.token(),
            &json!({"resource_id": room_type, "number": "214"}),
        )
        .await;
    assert_eq!(registered.status, StatusCode::CREATED, "{registered:#?}");
    let unit = registered.body["id"]
        .as_str()
        .expect("a unit id")
        .to_owned();
    let booking = hold(&api, &guest, &vendor, &room_type, 30).await;
    let dirty = api
        .put(
            &format!("/vendor/{vendor}/unit/{unit}/housekeeping"),
            housekeeper.token(),
            &json!({"status": "dirty"}),
        )
        .await;
    assert_eq!(dirty.status, StatusCode::OK, "{dirty:#?}");
    let from = Utc::now().date_naive() + Days::days(40);
    let blocked = api
        .post(
            &format!("/vendor/{vendor}/unit/{unit}/blocks"),
            manager.token(),
            &json!({"from": from, "to": from + Days::days(2), "reason": "new carpet"}),
        )
        .await;
    assert_eq!(blocked.status, StatusCode::CREATED, "{blocked:#?}");
    let block = blocked.body["id"].as_str().expect("a block id").to_owned();

    let start = Position::START.cursor();
    let (staff_sees, _) = follow(&api, &manager, &start, |entries| {
        !of(entries, &block).is_empty() && !of(entries, &booking).is_empty()
    })
    .await;
    let (housekeeper_sees, _) = follow(&api, &housekeeper, &start, |entries| {
        !of(entries, &block).is_empty()
    })
    .await;

    // The room as registered, then dirty; its block with the nights it takes.
    assert_eq!(
        types(&of(&staff_sees, &unit)),
        ["UnitChanged", "UnitChanged"]
    );
    let room_facts = of(&staff_sees, &unit);
    assert_eq!(room_facts[1]["detail"]["housekeeping"], "dirty");
    assert_eq!(room_facts[1]["kind"], "unit");
    let block_facts = of(&staff_sees, &block);
    assert_eq!(types(&block_facts), ["UnitBlockChanged"]);
    assert_eq!(block_facts[0]["kind"], "block");
    assert_eq!(
        block_facts[0]["detail"]["buckets"],
        json!([format!("N#{from}"), format!("N#{}", from + Days::days(1))])
    );
    assert!(block_facts[0]["detail"].get("reason").is_none());
    // The housekeeper: the same room and block entries, and no booking (nor the room type).
    assert!(
        housekeeper_sees
            .iter()
            .all(|e| e["kind"] == "unit" || e["kind"] == "block"),
        "{housekeeper_sees:#?}"
    );
    assert_eq!(of(&housekeeper_sees, &unit).len(), 2);
    assert!(of(&housekeeper_sees, &booking).is_empty());
}
