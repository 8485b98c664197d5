//! Sharded counters end to end: many concurrent holds on one night of a type whose counter is
//! split into shard items sell exactly its limit, a lowered limit sells nothing until enough is
//! cancelled, and raising the shard count of a type with sales keeps its total exact. The shard
//! items are read back from DynamoDB Local and summed.
use api_tests::{Account, Api, Reply, merged, resource_body};
use aws_sdk_dynamodb::types::AttributeValue;
use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::domain::calendar::Bucket;
use shared::domain::ids::{ResourceId, VendorId};
use shared::store::{BookingStore, DynamoStore};
use std::sync::Arc;

const NIGHT: &str = "2027-02-14";

struct Tables {
    store: DynamoStore,
    dynamo: aws_sdk_dynamodb::Client,
    inventory: String,
}

/// One shard item of a night as stored.
#[derive(Debug)]
struct Shard {
    sk: String,
    sold: i64,
    room: Option<i64>,
}

impl Tables {
    async fn connect() -> Self {
        let sdk = shared::aws::sdk_config().await;
        Self {
            store: DynamoStore::from_env(&sdk).expect("the table names are set"),
            dynamo: aws_sdk_dynamodb::Client::new(&sdk),
            inventory: std::env::var("INVENTORY_TABLE")
                .expect("INVENTORY_TABLE is not set: run via tests/run.sh"),
        }
    }

    /// The night's counter items (shard 0 is the night's own key), read consistently.
    async fn shards(&self, vendor: &str, resource: &str) -> Vec<Shard> {
        let page = self
            .dynamo
            .query()
            .table_name(&self.inventory)
            .key_condition_expression("pk = :pk AND begins_with(sk, :night)")
            .expression_attribute_values(
                ":pk",
                AttributeValue::S(format!("INV#{vendor}#{resource}")),
            )
            .expression_attribute_values(":night", AttributeValue::S(format!("N#{NIGHT}")))
            .consistent_read(true)
            .send()
            .await
            .expect("query the night's shards");
        let number = |item: &std::collections::HashMap<String, AttributeValue>, name: &str| {
            item.get(name)
                .and_then(|v| v.as_n().ok())
                .map(|n| n.parse::<i64>().expect("a whole number"))
        };
        page.items()
            .iter()
            .map(|item| Shard {
                sk: item["sk"].as_s().expect("a sort key").clone(),
                sold: number(item, "sold").unwrap_or(0),
                room: number(item, "room"),
            })
            .collect()
    }

    /// What every reader sees: the store's sum over the night's shards.
    async fn sold(&self, vendor: &str, resource: &str) -> u32 {
        let night = Bucket::parse_key(&format!("N#{NIGHT}")).expect("a night");
        let sold = self
            .store
            .sold(
                VendorId::parse(vendor).expect("a vendor id"),
                ResourceId::parse(resource).expect("a resource id"),
                &[night],
            )
            .await
            .expect("read what is sold");
        sold[&night]
    }
}

fn night_stay(room: &str) -> Value {
    json!({"resource_id": room, "party_size": 2, "check_in": NIGHT, "check_out": "2027-02-15"})
}

/// A hold under a fresh Idempotency-Key. A 503 asks the client to retry shortly: it does, so
/// what is counted is each hold's final answer.
async fn hold(api: &Api, guest: &Account, vendor: &str, body: &Value) -> Reply {
    let key = uuid::Uuid::new_v4().to_string();
    for _ in 0..5 {
        let reply = api
            .send_with(
                Method::POST,
                &format!("/booking/vendor/{vendor}"),
                guest.token(),
                Some(body),
                &[("idempotency-key", key.as_str())],
            )
            .await;
        if reply.status != StatusCode::SERVICE_UNAVAILABLE {
            return reply;
        }
    }
    panic!("a hold was asked to retry five times");
}

/// `count` holds of one unit at once; the replies.
async fn race(
    api: &Arc<Api>,
    guests: &[Account],
    vendor: &str,
    room: &str,
    count: usize,
) -> Vec<Reply> {
    let tasks: Vec<_> = (0..count)
        .map(|n| {
            let (api, guest, vendor, body) = (
                api.clone(),
                guests[n % guests.len()].clone(),
                vendor.to_owned(),
                night_stay(room),
            );
            tokio::spawn(async move { hold(&api, &guest, &vendor, &body).await })
        })
        .collect();
    join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.expect("the task ran"))
        .collect()
}

/// The ids of the holds that won; every other reply must be a sold-out 409.
#[track_caller]
fn winners(replies: &[Reply]) -> Vec<String> {
    let mut won = Vec::new();
    for reply in replies {
        if reply.status == StatusCode::CREATED {
            won.push(reply.body["id"].as_str().expect("a booking id").to_owned());
        } else {
            reply.assert_problem(409);
            assert!(
                reply.body["type"]
                    .as_str()
                    .is_some_and(|t| t.ends_with("/sold-out")),
                "{reply:#?}"
            );
        }
    }
    won
}

async fn sharded_room(api: &Api, hotel: &Account, units: i64, shards: i64) -> String {
    let body = merged(
        resource_body("Double", 4, units, 10_000),
        &json!({"shards": shards}),
    );
    api.resource(hotel, &body).await
}

async fn cancel(api: &Api, guest: &Account, booking: &str) {
    let reply = api
        .put(
            &format!("/booking/{booking}/status"),
            guest.token(),
            &json!({"status": "CANCELLED"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn a_hundred_and_twenty_concurrent_holds_on_four_shards_sell_exactly_thirty_seven() {
    let api = Arc::new(Api::start().await);
    let tables = Tables::connect().await;
    let hotel = api.vendor("hotel").await;
    let room = sharded_room(&api, &hotel, 37, 4).await;
    let guests = join_all((0..12).map(|_| api.guest())).await;

    let replies = race(&api, &guests, hotel.vendor(), &room, 120).await;

    let won = winners(&replies);
    assert_eq!(
        won.len(),
        37,
        "no oversell and no refusal while a shard had room"
    );
    let shards = tables.shards(hotel.vendor(), &room).await;
    let keys: Vec<&str> = shards.iter().map(|s| s.sk.as_str()).collect();
    let night = format!("N#{NIGHT}");
    let expected: Vec<String> = (0..4)
        .map(|i| match i {
            0 => night.clone(),
            i => format!("{night}#{i}"),
        })
        .collect();
    assert_eq!(keys, expected, "shard 0 is the night's own item");
    assert_eq!(
        shards.iter().map(|s| s.sold).sum::<i64>(),
        37,
        "{shards:#?}"
    );
    assert!(
        shards.iter().all(|s| s.room == Some(0)),
        "every shard sold out: {shards:#?}"
    );
    assert_eq!(tables.sold(hotel.vendor(), &room).await, 37);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn a_lowered_limit_sells_nothing_until_enough_is_cancelled_then_exactly_the_freed_room() {
    let api = Arc::new(Api::start().await);
    let tables = Tables::connect().await;
    let hotel = api.vendor("hotel").await;
    let room = sharded_room(&api, &hotel, 12, 4).await;
    let guest = api.guest().await;
    let guests = vec![guest.clone()];
    let sold = winners(&race(&api, &guests, hotel.vendor(), &room, 6).await);
    assert_eq!(sold.len(), 6);
    let room_path = format!("/vendor/{}/resource/{room}", hotel.vendor());

    // 6 sold, the limit now 4; the warm copy of the type still says 12, and its shards have
    // room for 6 more at the version that copy was read at.
    let lowered = api
        .put(&room_path, hotel.token(), &json!({"units": 4}))
        .await;
    let over = race(&api, &guests, hotel.vendor(), &room, 6).await;
    for booking in &sold[..2] {
        cancel(&api, &guest, booking).await;
    }
    let at_the_limit = race(&api, &guests, hotel.vendor(), &room, 6).await;
    for booking in &sold[2..5] {
        cancel(&api, &guest, booking).await;
    }
    let freed = race(&api, &guests, hotel.vendor(), &room, 10).await;

    assert_eq!(lowered.status, StatusCode::OK, "{lowered:#?}");
    assert!(winners(&over).is_empty(), "over the new limit: {over:#?}");
    assert!(winners(&at_the_limit).is_empty(), "at the new limit");
    assert_eq!(
        winners(&freed).len(),
        3,
        "the three cancelled under the limit sell again"
    );
    let shards = tables.shards(hotel.vendor(), &room).await;
    assert_eq!(shards.iter().map(|s| s.sold).sum::<i64>(), 4, "{shards:#?}");
    assert_eq!(tables.sold(hotel.vendor(), &room).await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn raising_the_shards_of_a_type_with_sales_keeps_its_total_and_lowering_them_is_refused() {
    let api = Arc::new(Api::start().await);
    let tables = Tables::connect().await;
    let hotel = api.vendor("hotel").await;
    let room = sharded_room(&api, &hotel, 10, 1).await;
    let guests = join_all((0..4).map(|_| api.guest())).await;
    let room_path = format!("/vendor/{}/resource/{room}", hotel.vendor());
    let before = winners(&race(&api, &guests, hotel.vendor(), &room, 6).await);
    let unsharded = tables.shards(hotel.vendor(), &room).await;

    let to_four = api
        .put(&room_path, hotel.token(), &json!({"shards": 4}))
        .await;
    let after = winners(&race(&api, &guests, hotel.vendor(), &room, 30).await);
    let to_sixteen = api
        .put(&room_path, hotel.token(), &json!({"shards": 16}))
        .await;
    let none_left = winners(&race(&api, &guests, hotel.vendor(), &room, 5).await);
    let to_two = api
        .put(&room_path, hotel.token(), &json!({"shards": 2}))
        .await;

    assert_eq!(before.len(), 6);
    assert_eq!(
        unsharded.len(),
        1,
        "one item before sharding: {unsharded:#?}"
    );
    assert_eq!(to_four.status, StatusCode::OK, "{to_four:#?}");
    assert_eq!(to_four.body["shards"], 4);
    assert_eq!(after.len(), 4, "what shard 0 had sold still counts");
    assert_eq!(to_sixteen.status, StatusCode::OK, "{to_sixteen:#?}");
    assert!(none_left.is_empty());
    to_two.assert_problem(422);
    assert_eq!(to_two.pointers(), vec!["/shards".to_owned()], "{to_two:#?}");
    let shards = tables.shards(hotel.vendor(), &room).await;
    assert_eq!(
        shards.iter().map(|s| s.sold).sum::<i64>(),
        10,
        "{shards:#?}"
    );
    assert_eq!(tables.sold(hotel.vendor(), &room).await, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn rooms_taken_out_of_service_under_a_warm_copy_do_not_let_it_oversell() {
    let api = Arc::new(Api::start().await);
    let tables = Tables::connect().await;
    let hotel = api.vendor("hotel").await;
    let room = sharded_room(&api, &hotel, 4, 4).await;
    let mut units = Vec::new();
    for number in ["101", "102", "103", "104"] {
        let reply = api
            .post(
                &format!("/vendor/{}/unit", hotel.vendor()),
                hotel.token(),
                &json!({"resource_id": room, "number": number, "floor": 1}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
        units.push(reply.body["id"].as_str().expect("a unit id").to_owned());
    }
    let guest = api.guest().await;
    let guests = vec![guest.clone()];
    let sold = winners(&race(&api, &guests, hotel.vendor(), &room, 3).await);
    assert_eq!(sold.len(), 3);

    // Two of the four rooms out of service: 3 sold against 2, the warm copy still says 4.
    for (unit, number) in units[2..].iter().zip(["103", "104"]) {
        let reply = api
            .put(
                &format!("/vendor/{}/unit/{unit}", hotel.vendor()),
                hotel.token(),
                &json!({"number": number, "floor": 1, "in_service": false}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
    }
    let over = race(&api, &guests, hotel.vendor(), &room, 4).await;
    for booking in &sold[..2] {
        cancel(&api, &guest, booking).await;
    }
    let freed = race(&api, &guests, hotel.vendor(), &room, 4).await;

    assert!(winners(&over).is_empty(), "over the new count: {over:#?}");
    assert_eq!(winners(&freed).len(), 1, "one room under the new count");
    assert_eq!(tables.sold(hotel.vendor(), &room).await, 2);
}
