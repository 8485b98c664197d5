//! The warm `vendor-search` cache through the local gateway: it keeps the first batch of
//! listings (and their sold-out markers) of a recent search, never availability. A page read
//! from a stale batch is still checked against the counters, so a place sold out since is not
//! offered, and a hold on it is refused with nothing oversold.
//!
//! One test in its own file (its own process under nextest and cargo test alike): it sets the
//! cache's lifetime for its gateway, long enough that "within the lifetime" never depends on how
//! fast the machine is.
use api_tests::{Api, Reply, received, resource_body};
use chrono::{Duration, NaiveDate, Utc};
use reqwest::{Method, StatusCode};
use search_indexer::Indexer;
use serde_json::{Value, json};
use shared::domain::calendar::Bucket;
use shared::domain::ids::{BookingId, ResourceId, VendorId};
use shared::events::{Event, booking_event, vendor_event};
use shared::inbox::Effect;
use shared::search::DynamoSearchIndex;
use shared::store::{BookingStore, DynamoStore, VendorStore};

fn ids(reply: &Reply) -> Vec<String> {
    reply.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["vendor_id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn day(from_today: i64) -> NaiveDate {
    Utc::now().date_naive() + Duration::days(from_today)
}

#[tokio::test]
async fn a_stale_cached_batch_never_offers_a_place_sold_out_since_and_a_hold_on_it_is_refused() {
    // SAFETY: set before the gateway starts or anything else runs; this file's only test.
    unsafe { std::env::set_var("SEARCH_CACHE_TTL_MS", "600000") };
    let api = Api::start().await;
    let sdk = shared::aws::sdk_config().await;
    let indexer = Indexer {
        store: DynamoStore::from_env(&sdk).expect("the table names are set"),
        index: DynamoSearchIndex::from_env(&sdk).expect("SEARCH_TABLE is set"),
    };
    let city = format!(
        "Cacheburg {}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let hotel = |price: i64, units: i64| {
        let (api, indexer, city) = (&api, &indexer, &city);
        async move {
            let manager = api
                .vendor_with(
                    "hotel",
                    json!({"address": {"line1": "Hauptstrasse 1", "postal_code": "10117", "city": city, "country": "DE"}}),
                )
                .await;
            let mut body = resource_body("Room", 2, units, price);
            // No deposit: a hold is confirmed at once.
            body.as_object_mut().map(|b| b.remove("deposit"));
            let room = api.resource(&manager, &body).await;
            let vendor = indexer
                .store
                .vendor(VendorId::parse(manager.vendor()).expect("a vendor id"))
                .await
                .expect("read the vendor")
                .expect("the vendor is stored");
            let fact = Event::Vendor(vendor_event(None, Some(&vendor)).expect("a vendor fact"));
            indexer
                .apply(&fact, &received(&fact))
                .await
                .expect("indexed");
            (manager, room)
        }
    };
    let (last_room, last_room_type) = hotel(8_000, 1).await;
    let (roomy, _) = hotel(12_000, 3).await;
    let night = day(45);
    let stay = json!({
        "resource_id": last_room_type,
        "party_size": 2,
        "check_in": night.to_string(),
        "check_out": day(46).to_string(),
    });
    let search = |party: u16| {
        format!(
            "/vendors?city={}&country=DE&party_size={party}&check_in={night}&check_out={}",
            city.replace(' ', "%20"),
            day(46)
        )
    };
    let hold = |guest: Option<String>, body: Value| {
        let (api, vendor) = (&api, last_room.vendor().to_owned());
        async move {
            api.send_with(
                Method::POST,
                &format!("/booking/vendor/{vendor}"),
                guest.as_deref(),
                Some(&body),
                &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
            )
            .await
        }
    };

    // The first search fills the cache with the city's batch: both hotels, no markers.
    let first = api.get(&search(2), None).await;
    // Another guest takes the last room (not through search), and the indexer marks it sold out
    // in the index; a hotel opens in the city after the batch was cached.
    let other = api.guest().await;
    let sold = hold(other.token().map(str::to_owned), stay.clone()).await;
    assert_eq!(sold.status, StatusCode::CREATED, "{sold:#?}");
    let booking = indexer
        .store
        .booking(BookingId::parse(sold.body["id"].as_str().unwrap_or_default()).expect("an id"))
        .await
        .expect("read the booking")
        .expect("the booking is stored");
    let fact = Event::Booking(booking_event(None, Some(&booking)).expect("a booking fact"));
    indexer
        .apply(&fact, &received(&fact))
        .await
        .expect("indexed");
    let (newcomer, _) = hotel(10_000, 2).await;
    // The same search again, within the cache's lifetime, and one the cache has not seen (a
    // party of one is another batch: the whole city, read now).
    let again = api.get(&search(2), None).await;
    let fresh = api.get(&search(1), None).await;
    let guest = api.guest().await;
    let refused = hold(guest.token().map(str::to_owned), stay).await;

    assert_eq!(first.status, StatusCode::OK, "{first:#?}");
    assert_eq!(ids(&first), [last_room.vendor(), roomy.vendor()]);
    assert_eq!(first.body["items"][0]["offer"]["units_left"], 1);
    // The second page came from the cached batch: the newcomer, in the index since, is not in
    // it, and the sold-out hotel is in it without the marker the indexer has set since. It is
    // left out all the same, because the page's availability is read from the counters.
    assert_eq!(again.status, StatusCode::OK, "{again:#?}");
    assert_eq!(ids(&again), [roomy.vendor()]);
    assert_eq!(fresh.status, StatusCode::OK, "{fresh:#?}");
    assert_eq!(ids(&fresh), [newcomer.vendor(), roomy.vendor()]);
    // A guest who saw it in a page before still cannot hold it, and nothing is oversold.
    refused.assert_problem(409);
    assert_eq!(
        refused.body["type"]
            .as_str()
            .and_then(|t| t.rsplit('/').next()),
        Some("sold-out"),
        "{refused:#?}"
    );
    let counters = indexer
        .store
        .sold(
            VendorId::parse(last_room.vendor()).expect("a vendor id"),
            ResourceId::parse(&last_room_type).expect("a type id"),
            &[Bucket::Night(night)],
        )
        .await
        .expect("read the counters");
    assert_eq!(counters.get(&Bucket::Night(night)), Some(&1));
}
