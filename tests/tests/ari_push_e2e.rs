//! The ARI push end to end (issue 22 item 4) on the local stack: a test receiver on 127.0.0.1 is
//! a channel's webhook; a burst of holds and a cancel goes through the bookings stream, the
//! outbox publisher, EventBridge and the ari-push queue to the dirty marks, then one delayed
//! flush (the ari-flush queue) posts each changed type and night once, signed with the secret the
//! channel's manager was shown, with the figures `GET /channel/ari` gives that channel (its
//! allotment, or the general free units less the protected ones), retried after a 500. A
//! restaurant's burst of seatings is one update per table type and date.
use api_tests::{Account, Api, resource_body};
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use chrono::{Duration, NaiveDate, Utc};
use local_gateway::pump::QueueHandler;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const UNITS: i64 = 5;
const PRICE: i64 = 12_900;
/// How long the pipeline may take before the test gives up (not an assertion on speed).
const DEADLINE: std::time::Duration = std::time::Duration::from_secs(180);

/// One POST the receiver got: its ARI-Signature, raw body and the status it answered.
#[derive(Clone, Debug)]
struct Delivery {
    signature: String,
    body: Vec<u8>,
    answered: u16,
}

/// A channel's webhook on 127.0.0.1 answering `first` in turn, then 200.
async fn receiver(first: Vec<u16>) -> (String, Arc<Mutex<Vec<Delivery>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a port");
    let url = format!(
        "http://{}/ari",
        listener.local_addr().expect("a bound port")
    );
    let got = Arc::new(Mutex::new(Vec::new()));
    let seen = got.clone();
    let answers = Arc::new(Mutex::new(first.into_iter()));
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (seen, answers) = (seen.clone(), answers.clone());
            tokio::spawn(async move {
                let Some((signature, body)) = read_request(&mut socket).await else {
                    return;
                };
                let answered = answers.lock().unwrap().next().unwrap_or(200);
                seen.lock().unwrap().push(Delivery {
                    signature,
                    body,
                    answered,
                });
                let reply = format!(
                    "HTTP/1.1 {answered} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    (url, got)
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<(String, Vec<u8>)> {
    let mut raw = Vec::new();
    let mut chunk = [0u8; 8192];
    let end = loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        raw.extend_from_slice(&chunk[..n]);
        if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let header = |name: &str| {
        head.split("\r\n")
            .filter_map(|line| line.split_once(':'))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
    };
    let length: usize = header("content-length")?.parse().ok()?;
    while raw.len() < end + length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        raw.extend_from_slice(&chunk[..n]);
    }
    Some((
        header("ari-signature").unwrap_or_default(),
        raw[end..end + length].to_vec(),
    ))
}

/// `inner` on this vendor's messages only: the ari-push and ari-flush queues are shared by every
/// test run, and another vendor's channels are not this test's. Each message handled without
/// failure is reported to `done` (its body).
fn only_vendor(vendor: &str, inner: QueueHandler, done: Arc<Mutex<Vec<Value>>>) -> QueueHandler {
    let vendor = vendor.to_owned();
    Arc::new(move |mut event: SqsEvent| {
        let (vendor, inner, done) = (vendor.clone(), inner.clone(), done.clone());
        Box::pin(async move {
            event.records.retain(|m| {
                m.body
                    .as_deref()
                    .is_some_and(|body| body.contains(vendor.as_str()))
            });
            if event.records.is_empty() {
                return Ok(SqsBatchResponse::default());
            }
            let records = event.records.clone();
            let response = inner(event).await?;
            let failed: HashSet<String> = response
                .batch_item_failures
                .iter()
                .map(|f| f.item_identifier.clone())
                .collect();
            let mut done = done.lock().unwrap();
            for message in records {
                if !failed.contains(message.message_id.as_deref().unwrap_or_default()) {
                    done.extend(
                        message
                            .body
                            .as_deref()
                            .and_then(|b| serde_json::from_str::<Value>(b).ok()),
                    );
                }
            }
            Ok(response)
        })
    })
}

/// Polls `ready` until it holds or the deadline passes (then fails, saying what was awaited).
async fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !ready() {
        assert!(start.elapsed() < DEADLINE, "gave up waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// The stack's path for one vendor: the streams of the tables named by `streams` (their env
/// vars) -> publisher -> bus -> ari-push queue, and on `flush` the ari-flush queue.
struct Pipeline {
    backbone: local_gateway::Backbone,
    consumers: std::collections::HashMap<&'static str, QueueHandler>,
    /// The facts ari-push marked.
    marked: Arc<Mutex<Vec<Value>>>,
}

fn queue_url(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set"))
}

impl Pipeline {
    async fn marking(api: &Api, vendor: &str, streams: &[&str]) -> Self {
        let deps = Arc::new(
            local_gateway::Deps::from_env(&api.base)
                .await
                .expect("the local stack's env is set: run via tests/run.sh"),
        );
        let mut backbone = local_gateway::Backbone::default();
        let publisher = local_gateway::streams(deps.clone())
            .remove("outbox-publisher")
            .expect("the publisher is registered");
        for table in streams {
            let table = std::env::var(table).expect("the table's name is set");
            backbone
                .stream("outbox-publisher", &table, publisher.clone())
                .await
                .expect("the stream opens");
        }
        let mut consumers = local_gateway::consumers(deps);
        let marked = Arc::new(Mutex::new(Vec::new()));
        let push = only_vendor(
            vendor,
            consumers
                .remove("ari-push")
                .expect("ari-push is registered"),
            marked.clone(),
        );
        backbone
            .queue("ari-push", &queue_url("ARI_PUSH_QUEUE_URL"), push)
            .await;
        Self {
            backbone,
            consumers,
            marked,
        }
    }

    /// Waits until ari-push has marked a fact of `detail_type` about `booking`.
    async fn wait_marked(&self, detail_type: &str, booking: &str) {
        wait_until(&format!("ari-push to mark {detail_type} {booking}"), || {
            self.marked
                .lock()
                .unwrap()
                .iter()
                .any(|m| m["detail-type"] == detail_type && m["detail"]["booking_id"] == booking)
        })
        .await;
    }

    /// Starts the flushes and waits until the vendor's flush went through.
    async fn flush(&mut self, vendor: &str) {
        let flushed = Arc::new(Mutex::new(Vec::new()));
        let flush = only_vendor(
            vendor,
            self.consumers
                .remove("ari-flush")
                .expect("ari-flush is registered"),
            flushed.clone(),
        );
        self.backbone
            .queue("ari-flush", &queue_url("ARI_FLUSH_QUEUE_URL"), flush)
            .await;
        wait_until("the vendor's delayed flush", || {
            !flushed.lock().unwrap().is_empty()
        })
        .await;
    }
}

/// A guest's hold of `room` for the two nights from `night`.
async fn hold(api: &Api, vendor: &str, room: &str, night: NaiveDate) -> (Account, String) {
    let body = json!({
        "resource_id": room,
        "party_size": 2,
        "check_in": night.to_string(),
        "check_out": (night + Duration::days(2)).to_string(),
    });
    book(api, vendor, &body).await
}

/// A new guest's hold as `body` asks; the guest and the booking's id.
async fn book(api: &Api, vendor: &str, body: &Value) -> (Account, String) {
    let guest = api.guest().await;
    let reply = api
        .send_with(
            Method::POST,
            &format!("/booking/vendor/{vendor}"),
            guest.token(),
            Some(body),
            &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
    let id = reply.body["id"].as_str().expect("a booking id").to_owned();
    (guest, id)
}

/// A connected channel's token, from its connect reply.
async fn token_of(api: &Api, connected: &Value) -> String {
    api.channel_token(
        connected["client_id"].as_str().expect("a client id"),
        connected["client_secret"].as_str().expect("a secret"),
        None,
    )
    .await
}

/// Connects a channel manager per name to the manager's vendor, each with its own receiver
/// (answering 200) as its webhook: its connect reply and what its receiver gets.
async fn connect_receivers(
    api: &Api,
    manager: &Account,
    names: &[&str],
) -> Vec<(Value, Arc<Mutex<Vec<Delivery>>>)> {
    let channels = format!("/vendor/{}/channels", manager.vendor());
    let mut connected = Vec::new();
    for name in names {
        let (url, deliveries) = receiver(Vec::new()).await;
        let body = json!({"kind": "channel_manager", "name": name, "webhook_url": url});
        let reply = api.post(&channels, manager.token(), &body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
        connected.push((reply.body, deliveries));
    }
    connected
}

/// The ARI messages a receiver accepted.
fn accepted(deliveries: &Mutex<Vec<Delivery>>) -> Vec<Value> {
    deliveries
        .lock()
        .unwrap()
        .iter()
        .filter(|d| d.answered == 200)
        .map(|d| serde_json::from_slice(&d.body).expect("ARI JSON"))
        .collect()
}

/// The (date, booking_limit, rate) of `room` in one ARI message.
fn days_of(ari: &Value, room: &str) -> Vec<(String, i64, Value)> {
    ari["room_types"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["inv_type_code"] == room)
        .flat_map(|r| r["days"].as_array().cloned().unwrap_or_default())
        .map(|d| {
            (
                d["date"].as_str().unwrap_or_default().to_owned(),
                d["booking_limit"].as_i64().unwrap_or(-1),
                d["rate"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_burst_of_holds_and_a_cancel_is_pushed_once_per_night_signed_and_retried_after_a_500() {
    let api = Api::start().await;
    let manager = api.vendor("hotel").await;
    let vendor = manager.vendor().to_owned();
    let room = api
        .resource(&manager, &resource_body("Double", 2, UNITS, PRICE))
        .await;
    let first = Utc::now().date_naive() + Duration::days(25);
    let nights = [first, first + Duration::days(1)];

    let mut pipeline = Pipeline::marking(&api, &vendor, &["BOOKINGS_TABLE"]).await;
    let marked = pipeline.marked.clone();

    // The channel: its webhook is the receiver, which answers the first POST with a 500.
    let (url, deliveries) = receiver(vec![500]).await;
    let channels = format!("/vendor/{vendor}/channels");
    let body = json!({"kind": "channel_manager", "name": "Receiver", "webhook_url": url});
    let connected = api.post(&channels, manager.token(), &body).await;
    assert_eq!(connected.status, StatusCode::CREATED, "{connected:#?}");
    let push_secret = connected.body["push_signing_secret"]
        .as_str()
        .expect("the push signing secret, shown once")
        .to_owned();
    let body = json!({"kind": "ota", "name": "Another channel"});
    let other = api.post(&channels, manager.token(), &body).await;
    assert_eq!(other.status, StatusCode::CREATED, "{other:#?}");
    let other_secret = other.body["push_signing_secret"]
        .as_str()
        .expect("every channel has its own")
        .to_owned();
    assert_ne!(push_secret, other_secret);

    // The burst: three holds on the same two nights, and one of them cancelled.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(hold(&api, &vendor, &room, first).await);
    }
    let (guest, cancelled) = &held[1];
    let reply = api
        .put(
            &format!("/booking/{cancelled}/status"),
            guest.token(),
            &json!({"status": "CANCELLED"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");

    // Every fact of the burst marked before the flush runs, so the burst is one flush.
    let mut awaited: HashSet<(String, String)> = held
        .iter()
        .map(|(_, id)| ("BookingHeld".to_owned(), id.clone()))
        .collect();
    awaited.insert(("BookingCancelled".to_owned(), cancelled.clone()));
    wait_until("ari-push to mark every fact of the burst", || {
        let marked: HashSet<(String, String)> = marked
            .lock()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["detail-type"].as_str().unwrap_or_default().to_owned(),
                    m["detail"]["booking_id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
            })
            .collect();
        awaited.is_subset(&marked)
    })
    .await;

    pipeline.flush(&vendor).await;
    let got = deliveries.lock().unwrap().clone();
    drop(pipeline);

    // Retried after the 500, with the same body; every POST signed with the channel's secret.
    assert!(got.len() >= 2, "{got:#?}");
    assert_eq!(got[0].answered, 500);
    assert_eq!(got[1].body, got[0].body, "the retry sends the same update");
    let now = Utc::now();
    for delivery in &got {
        assert!(
            shared::ari_push::sign::verify(&push_secret, &delivery.signature, &delivery.body, now),
            "{delivery:?}"
        );
        assert!(!shared::ari_push::sign::verify(
            &other_secret,
            &delivery.signature,
            &delivery.body,
            now
        ));
    }

    // One update per night for the burst, with what the pull says now.
    let pushed: Vec<(String, i64, Value)> = accepted(&deliveries)
        .iter()
        .flat_map(|ari| days_of(ari, &room))
        .collect();
    let token = token_of(&api, &connected.body).await;
    let pulled = api
        .get(
            &format!("/channel/ari?from={}&to={}", nights[0], nights[1]),
            Some(&token),
        )
        .await;
    assert_eq!(pulled.status, StatusCode::OK, "{pulled:#?}");
    assert_documented_ari(&pulled.body);
    let pulled = days_of(&pulled.body, &room);
    for night in nights {
        let night = night.to_string();
        let sent: Vec<_> = pushed.iter().filter(|(d, ..)| *d == night).collect();
        assert_eq!(sent.len(), 1, "one update for {night}: {pushed:?}");
        let pull = pulled
            .iter()
            .find(|(d, ..)| *d == night)
            .expect("the pull has the night");
        assert_eq!(sent[0], pull, "the push equals the pull for {night}");
        assert_eq!(sent[0].1, UNITS - 2, "two holds live on {night}");
    }
}

/// A hotel with a room type of 6, two channels with receivers ("Allotted" and "General") and
/// the two nights from 25 days ahead.
struct TwoChannels {
    api: Api,
    manager: Account,
    vendor: String,
    room: String,
    first: NaiveDate,
    from: String,
    to: String,
    connected: Vec<(Value, Arc<Mutex<Vec<Delivery>>>)>,
}

impl TwoChannels {
    async fn new() -> Self {
        let api = Api::start().await;
        let manager = api.vendor("hotel").await;
        let room = api
            .resource(&manager, &resource_body("Double", 2, 6, PRICE))
            .await;
        let first = Utc::now().date_naive() + Duration::days(25);
        let connected = connect_receivers(&api, &manager, &["Allotted", "General"]).await;
        Self {
            vendor: manager.vendor().to_owned(),
            from: first.to_string(),
            to: (first + Duration::days(1)).to_string(),
            api,
            manager,
            room,
            first,
            connected,
        }
    }

    /// Allots `units` of the room on both nights to the "Allotted" channel.
    async fn allot(&self, units: i64) {
        let allotted = self.connected[0].0["client_id"]
            .as_str()
            .expect("a client id");
        let body = json!({
            "resource_id": self.room, "from": self.from, "to": self.to,
            "units": units, "release_days": 3,
        });
        let reply = self
            .api
            .put(
                &format!("/vendor/{}/channels/{allotted}/allotments", self.vendor),
                self.manager.token(),
                &body,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
    }
}

/// Each channel is pushed what its own pull gives it: the rest of its allotment where it has
/// one, elsewhere the general free units less those protected for our app.
#[tokio::test]
async fn each_channel_is_pushed_its_own_pull_with_an_allotment_and_a_protection() {
    let hotel = TwoChannels::new().await;
    let (api, manager, vendor, room) = (&hotel.api, &hotel.manager, &hotel.vendor, &hotel.room);
    let (from, to) = (&hotel.from, &hotel.to);
    hotel.allot(3).await;
    let reply = api
        .put(
            &format!("/vendor/{vendor}/resource/{room}/protection"),
            manager.token(),
            &json!({"from": from, "to": to, "units": 1}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");

    // One of our guests' holds on both nights marks them.
    let mut pipeline = Pipeline::marking(api, vendor, &["BOOKINGS_TABLE"]).await;
    let (_guest, held) = hold(api, vendor, room, hotel.first).await;
    pipeline.wait_marked("BookingHeld", &held).await;
    pipeline.flush(vendor).await;
    drop(pipeline);

    // 6 units, 3 allotted, 1 held: the allotted channel may sell its 3, the other 2 - 1 protected.
    for ((account, deliveries), expected) in hotel.connected.iter().zip([3, 1]) {
        let pushed: Vec<(String, i64, Value)> = accepted(deliveries)
            .iter()
            .flat_map(|ari| days_of(ari, room))
            .collect();
        let token = token_of(api, account).await;
        let pulled = api
            .get(&format!("/channel/ari?from={from}&to={to}"), Some(&token))
            .await;
        assert_eq!(pulled.status, StatusCode::OK, "{pulled:#?}");
        let pulled = days_of(&pulled.body, room);
        assert_eq!(pulled.len(), 2, "{pulled:?}");
        for pull in &pulled {
            let sent: Vec<_> = pushed.iter().filter(|(d, ..)| *d == pull.0).collect();
            assert_eq!(
                sent,
                [pull],
                "{}: the push equals the pull",
                account["name"]
            );
            assert_eq!(pull.1, expected, "{}: {}", account["name"], pull.0);
        }
    }
}

/// Setting an allotment is pushed without any booking: the inventory table's stream makes it an
/// `AllotmentChanged` per night, which marks that night.
#[tokio::test]
async fn setting_an_allotment_pushes_each_night_once_with_the_new_figures() {
    let hotel = TwoChannels::new().await;
    let (api, vendor, room) = (&hotel.api, &hotel.vendor, &hotel.room);
    let (from, to) = (hotel.from.as_str(), hotel.to.as_str());

    let mut pipeline = Pipeline::marking(api, vendor, &["INVENTORY_TABLE"]).await;
    hotel.allot(2).await;
    let marked = pipeline.marked.clone();
    wait_until("ari-push to mark both nights' AllotmentChanged", || {
        let marked = marked.lock().unwrap();
        [&from, &to].iter().all(|night| {
            marked
                .iter()
                .any(|m| m["detail-type"] == "AllotmentChanged" && m["detail"]["night"] == **night)
        })
    })
    .await;
    pipeline.flush(vendor).await;
    drop(pipeline);

    // 6 units, 2 allotted: the allotted channel may sell its 2, the other the 4 left.
    for ((account, deliveries), expected) in hotel.connected.iter().zip([2, 4]) {
        let pushed: Vec<(String, i64, Value)> = accepted(deliveries)
            .iter()
            .flat_map(|ari| days_of(ari, room))
            .collect();
        assert_eq!(
            pushed.len(),
            2,
            "{}: one push per night: {pushed:?}",
            account["name"]
        );
        for night in [&from, &to] {
            let sent: Vec<_> = pushed.iter().filter(|(d, ..)| d == night).collect();
            assert_eq!(sent.len(), 1, "{}: {night}", account["name"]);
            assert_eq!(sent[0].1, expected, "{}: {night}", account["name"]);
        }
    }
}

/// A restaurant's channel: a burst of seatings on one date is one update for that table type and
/// date, equal to what the channel's pull says for it.
#[tokio::test]
async fn a_burst_of_seatings_is_pushed_once_per_table_type_and_date_as_the_pull_says() {
    let api = Api::start().await;
    let manager = api.vendor("restaurant").await;
    let vendor = manager.vendor().to_owned();
    // 30-minute slots, 90-minute seatings (the default grid).
    let table = api
        .resource(&manager, &resource_body("Window", 4, UNITS, 5_000))
        .await;
    let date = Utc::now().date_naive() + Duration::days(25);
    let connected = connect_receivers(&api, &manager, &["Receiver"]).await;
    let (account, deliveries) = &connected[0];

    let mut pipeline = Pipeline::marking(&api, &vendor, &["BOOKINGS_TABLE"]).await;
    let mut held = Vec::new();
    for time in ["19:00", "19:00", "19:00", "19:30"] {
        let body = json!({"resource_id": table, "party_size": 2, "date": date, "time": time});
        held.push(book(&api, &vendor, &body).await.1);
    }
    for booking in &held {
        pipeline.wait_marked("BookingHeld", booking).await;
    }
    pipeline.flush(&vendor).await;
    drop(pipeline);

    let pushed: Vec<Value> = accepted(deliveries)
        .iter()
        .flat_map(|ari| seating_days_of(ari, &table))
        .collect();
    let token = token_of(&api, account).await;
    let pulled = api
        .get(&format!("/channel/ari?from={date}&to={date}"), Some(&token))
        .await;
    assert_eq!(pulled.status, StatusCode::OK, "{pulled:#?}");
    assert_documented_ari(&pulled.body);
    assert_eq!(pulled.body["room_types"], json!([]));
    let pulled = seating_days_of(&pulled.body, &table);
    assert_eq!(pushed, pulled, "one update for {date}, equal to the pull");

    let limit_at = |time: &str| {
        pulled[0]["slots"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|slot| slot["time"] == time)
            .and_then(|slot| slot["booking_limit"].as_i64())
    };
    // Three seatings hold 19:00-20:30 and one 19:30-21:00: 4 of 5 tables are taken at 19:30.
    assert_eq!(limit_at("17:30"), Some(UNITS));
    assert_eq!(limit_at("18:00"), Some(UNITS - 3));
    assert_eq!(limit_at("19:00"), Some(UNITS - 4));
    assert_eq!(limit_at("20:30"), Some(UNITS - 1));
    assert_eq!(limit_at("21:00"), Some(UNITS));

    // A restaurant pulls at most 62 dates at once.
    let too_long = api
        .get(
            &format!("/channel/ari?from={date}&to={}", date + Duration::days(62)),
            Some(&token),
        )
        .await;
    too_long.assert_problem(422);
    assert_eq!(too_long.parameters(), ["to"]);
}

/// The days of `table` in one ARI message, whole.
fn seating_days_of(ari: &Value, table: &str) -> Vec<Value> {
    ari["table_types"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["inv_type_code"] == table)
        .flat_map(|t| t["days"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// `body` is what the OpenAPI document's `Ari` schema allows.
#[track_caller]
fn assert_documented_ari(body: &Value) {
    let document: Value =
        serde_json::from_str(include_str!("../../shared/api/openapi.json")).expect("openapi.json");
    let schema = json!({"$ref": "#/components/schemas/Ari", "components": document["components"]});
    let validator = jsonschema::draft202012::options()
        .build(&schema)
        .expect("the Ari schema compiles");
    let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?} in {body:#}");
}

#[test]
fn the_documented_pull_examples_are_valid_answers() {
    let document: Value =
        serde_json::from_str(include_str!("../../shared/api/openapi.json")).expect("openapi.json");
    let examples = &document["paths"]["/channel/ari"]["get"]["responses"]["200"]["content"]["application/json"]
        ["examples"];
    for name in ["two_nights", "restaurant"] {
        assert_documented_ari(&examples[name]["value"]);
    }
}
