//! `GET /vendors` on the local stack with the DynamoDB search index: what guests find by city or
//! by point and radius, with facets, party sizes, hotel nights and restaurant times (each in the
//! vendor's own time zone), as bookings sell types out and cancellations free them. The
//! search-indexer's effect is driven directly with the facts of what the test stored. Every test
//! searches a city or a spot of its own, so tests don't see each other's vendors.
use api_tests::{Account, Api, Reply, received, resource_body, today_in, zone_at_noon};
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{Duration, NaiveDate, Utc};
use reqwest::{Method, StatusCode};
use search_indexer::Indexer;
use serde_json::{Value, json};
use shared::domain::ids::{BookingId, VendorId};
use shared::events::{Event, booking_event, rating_event, vendor_event};
use shared::inbox::Effect;
use shared::search::DynamoSearchIndex;
use shared::store::{BookingStore, DynamoStore, ReviewStore, VendorStore};
use std::collections::BTreeSet;

struct Finder {
    api: Api,
    indexer: Indexer<DynamoStore, DynamoSearchIndex>,
    guest: Account,
    /// A city nobody else's test uses.
    city: String,
    /// A spot in the South Atlantic nobody else's test uses.
    spot: (f64, f64),
}

/// A room or table type: name, capacity, units, price, amenities.
struct Kind<'a>(&'a str, i64, i64, i64, &'a [&'a str]);

impl Finder {
    async fn open() -> Self {
        let api = Api::start().await;
        let sdk = shared::aws::sdk_config().await;
        let tag = uuid::Uuid::new_v4().simple().to_string();
        // Two independent draws: a spot on a line would meet another test's within a radius
        // far more often than one anywhere in the square.
        let draw =
            |hex: &str| u64::from_str_radix(hex, 16).unwrap_or(0) as f64 / f64::from(u32::MAX);
        let (lat_draw, lon_draw) = (draw(&tag[..8]), draw(&tag[8..16]));
        Self {
            indexer: Indexer {
                store: DynamoStore::from_env(&sdk).expect("the table names are set"),
                index: DynamoSearchIndex::from_env(&sdk).expect("SEARCH_TABLE is set"),
            },
            guest: api.guest().await,
            api,
            city: format!("Testburg {}", &tag[..12]),
            spot: (-40.0 + 20.0 * lat_draw, -30.0 + 20.0 * lon_draw),
        }
    }

    /// A point `east_km` east of the test's spot.
    fn east_of_spot(&self, east_km: f64) -> (f64, f64) {
        let (lat, lon) = self.spot;
        (lat, lon + east_km / (111.32 * lat.to_radians().cos()))
    }

    /// Onboards a vendor in the test's city at `at` with its types, and indexes it.
    async fn vendor(
        &self,
        kind: &str,
        at: (f64, f64),
        extra: Value,
        types: &[Kind<'_>],
    ) -> (Account, Vec<String>) {
        let mut overrides = json!({
            "address": {"line1": "Hauptstrasse 1", "postal_code": "10117", "city": self.city, "country": "DE"},
            "location": {"lat": at.0, "lon": at.1},
        });
        for (field, value) in extra.as_object().into_iter().flatten() {
            overrides[field] = value.clone();
        }
        let manager = self.api.vendor_with(kind, overrides).await;
        let mut ids = Vec::new();
        for Kind(name, capacity, units, price, amenities) in types {
            let mut body = resource_body(name, *capacity, *units, *price);
            body["amenities"] = json!(amenities);
            // No deposit: a hold is confirmed at once, which is all search cares about.
            body.as_object_mut().unwrap().remove("deposit");
            if kind == "restaurant" {
                body["seating"] = json!({"slot_minutes": 30, "seating_minutes": 90});
            }
            ids.push(self.api.resource(&manager, &body).await);
        }
        self.index_vendor(manager.vendor()).await;
        (manager, ids)
    }

    async fn index_vendor(&self, id: &str) {
        let vendor = self
            .indexer
            .store
            .vendor(VendorId::parse(id).unwrap())
            .await
            .unwrap()
            .expect("the vendor is stored");
        let fact = Event::Vendor(vendor_event(None, Some(&vendor)).unwrap());
        self.indexer
            .apply(&fact, &received(&fact))
            .await
            .expect("indexed");
    }

    async fn index_booking(&self, id: &str) {
        let booking = self
            .indexer
            .store
            .booking(BookingId::parse(id).unwrap())
            .await
            .unwrap()
            .expect("the booking is stored");
        let fact = Event::Booking(booking_event(None, Some(&booking)).unwrap());
        self.indexer
            .apply(&fact, &received(&fact))
            .await
            .expect("indexed");
    }

    /// The guest stays at `vendor` (in time zone `zone`) once per entry of `stars`, each a night
    /// from today as staff check guests in from their arrival day only, and reviews each stay
    /// with those stars; then the indexer hears of the vendor's rating.
    async fn rate(&self, vendor: &Account, zone: &str, room: &str, stars: &[i64]) {
        let today = today_in(zone);
        for n in stars {
            let body = json!({
                "resource_id": room,
                "party_size": 2,
                "check_in": today.to_string(),
                "check_out": (today + Duration::days(1)).to_string(),
            });
            let booking = self.book(vendor, body).await;
            self.api.complete(vendor, &booking).await;
            let reviewed = self
                .api
                .review(&self.guest, &booking, &json!({ "stars": n }))
                .await;
            assert_eq!(reviewed.status, StatusCode::CREATED, "{reviewed:#?}");
        }
        let rating = self
            .indexer
            .store
            .rating(VendorId::parse(vendor.vendor()).unwrap())
            .await
            .unwrap()
            .expect("the vendor is rated");
        let fact = Event::Vendor(rating_event(None, Some(&rating)).unwrap());
        self.indexer
            .apply(&fact, &received(&fact))
            .await
            .expect("indexed");
    }

    async fn book(&self, vendor: &Account, body: Value) -> String {
        let reply = self
            .api
            .send_with(
                Method::POST,
                &format!("/booking/vendor/{}", vendor.vendor()),
                self.guest.token(),
                Some(&body),
                &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
        assert_eq!(reply.body["status"], "CONFIRMED");
        reply.body["id"].as_str().unwrap().to_owned()
    }

    async fn search(&self, query: &str) -> Reply {
        self.api.get(&format!("/vendors?{query}"), None).await
    }

    /// A search that must succeed; the vendor ids found, in order.
    async fn found(&self, query: &str) -> Vec<String> {
        let reply = self.search(query).await;
        assert_eq!(reply.status, StatusCode::OK, "{query}: {reply:#?}");
        ids(&reply)
    }

    fn in_city(&self) -> String {
        format!("city={}&country=DE", self.city.replace(' ', "%20"))
    }

    fn near(&self, radius_km: f64) -> String {
        format!(
            "lat={}&lon={}&radius_km={radius_km}",
            self.spot.0, self.spot.1
        )
    }
}

fn ids(reply: &Reply) -> Vec<String> {
    reply.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["vendor_id"].as_str().unwrap().to_owned())
        .collect()
}

fn nights(from_today: i64, count: i64) -> String {
    let check_in = Utc::now().date_naive() + Duration::days(from_today);
    format!(
        "check_in={check_in}&check_out={}",
        check_in + Duration::days(count)
    )
}

fn day(from_today: i64) -> NaiveDate {
    Utc::now().date_naive() + Duration::days(from_today)
}

fn stay_body(room: &str, from_today: i64, count: i64) -> Value {
    json!({
        "resource_id": room,
        "party_size": 2,
        "check_in": day(from_today).to_string(),
        "check_out": day(from_today + count).to_string(),
    })
}

const DOUBLE: Kind = Kind("Double", 2, 3, 12_900, &["balcony"]);

#[tokio::test]
async fn a_city_search_finds_its_hotels_cheapest_first_with_their_price() {
    let finder = Finder::open().await;
    let spot = finder.spot;
    let (dear, _) = finder
        .vendor(
            "hotel",
            spot,
            json!({}),
            &[Kind("Suite", 2, 1, 30_000, &[])],
        )
        .await;
    let (cheap, _) = finder
        .vendor(
            "hotel",
            spot,
            json!({}),
            &[Kind("Single", 2, 1, 8_000, &[])],
        )
        .await;
    let (middle, _) = finder
        .vendor(
            "hotel",
            spot,
            json!({}),
            &[DOUBLE, Kind("Family", 4, 2, 20_000, &[])],
        )
        .await;

    let reply = finder
        .search(&format!(
            "{}&party_size=2&{}",
            finder.in_city(),
            nights(40, 2)
        ))
        .await;

    assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
    assert_eq!(
        ids(&reply),
        [cheap.vendor(), middle.vendor(), dear.vendor()]
    );
    let first = &reply.body["items"][0];
    assert_eq!(first["offer"]["quote"]["total"]["amount_minor"], 2 * 8_000);
    assert_eq!(first["offer"]["units_left"], 1);
    assert_eq!(first["kind"], "hotel");
    // The cheapest type that fits is offered: the double, not the family room.
    assert_eq!(reply.body["items"][1]["offer"]["name"], "Double");
    assert_eq!(first.get("distance_km"), None);
    assert_eq!(reply.header("cache-control"), Some("public, max-age=5"));
}

#[tokio::test]
async fn a_radius_search_finds_what_lies_inside_it_nearest_first() {
    let finder = Finder::open().await;
    let mut at = Vec::new();
    for km in [7.5, 1.0, 3.0] {
        let (hotel, _) = finder
            .vendor("hotel", finder.east_of_spot(km), json!({}), &[DOUBLE])
            .await;
        at.push(hotel.vendor().to_owned());
    }
    let (far, near, middle) = (&at[0], &at[1], &at[2]);
    let when = format!("party_size=2&{}", nights(30, 1));

    let within_five = finder.found(&format!("{}&{when}", finder.near(5.0))).await;
    let within_ten = finder
        .search(&format!("{}&{when}", finder.near(10.0)))
        .await;

    assert_eq!(within_five, [near.as_str(), middle.as_str()]);
    assert_eq!(
        ids(&within_ten),
        [near.as_str(), middle.as_str(), far.as_str()]
    );
    let distances: Vec<f64> = within_ten.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["distance_km"].as_f64().unwrap())
        .collect();
    for (got, want) in distances.iter().zip([1.0, 3.0, 7.5]) {
        assert!((got - want).abs() < 0.05, "{distances:?}");
    }
}

#[tokio::test]
async fn facilities_amenities_cuisines_and_party_size_narrow_the_results() {
    let finder = Finder::open().await;
    let spot = finder.spot;
    let (spa_hotel, _) = finder
        .vendor(
            "hotel",
            spot,
            json!({"facilities": ["spa", "wifi"]}),
            &[DOUBLE],
        )
        .await;
    let (plain_hotel, _) = finder
        .vendor(
            "hotel",
            spot,
            json!({"facilities": ["wifi"]}),
            &[
                Kind("Double", 2, 3, 9_900, &[]),
                Kind("Family", 4, 1, 19_900, &[]),
            ],
        )
        .await;
    let (vegan, _) = finder
        .vendor(
            "restaurant",
            spot,
            json!({"cuisines": ["vegan"]}),
            &[Kind("Table for 4", 4, 2, 0, &[])],
        )
        .await;
    let (grill, _) = finder
        .vendor(
            "restaurant",
            spot,
            json!({"cuisines": ["steak"]}),
            &[Kind("Table for 2", 2, 2, 0, &[])],
        )
        .await;
    let city = finder.in_city();
    let stay = nights(20, 1);
    let table = format!("date={}&time=19:30", day(20));

    let hotels = finder.found(&format!("{city}&party_size=2&{stay}")).await;
    let with_spa = finder
        .found(&format!("{city}&party_size=2&{stay}&facilities=spa,wifi"))
        .await;
    let with_balcony = finder
        .found(&format!("{city}&party_size=2&{stay}&amenities=Balcony"))
        .await;
    let for_four = finder.found(&format!("{city}&party_size=4&{stay}")).await;
    let for_five = finder.found(&format!("{city}&party_size=5&{stay}")).await;
    let restaurants = finder.found(&format!("{city}&party_size=2&{table}")).await;
    let vegan_or_thai = finder
        .found(&format!("{city}&party_size=2&{table}&cuisines=thai,vegan"))
        .await;
    let table_for_three = finder.found(&format!("{city}&party_size=3&{table}")).await;

    let set = |v: Vec<String>| v.into_iter().collect::<BTreeSet<_>>();
    let of = |accounts: &[&Account]| {
        accounts
            .iter()
            .map(|a| a.vendor().to_owned())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(set(hotels), of(&[&spa_hotel, &plain_hotel]));
    assert_eq!(with_spa, [spa_hotel.vendor()]);
    assert_eq!(with_balcony, [spa_hotel.vendor()]);
    assert_eq!(for_four, [plain_hotel.vendor()]);
    assert!(for_five.is_empty(), "{for_five:?}");
    assert_eq!(set(restaurants), of(&[&vegan, &grill]));
    assert_eq!(vegan_or_thai, [vegan.vendor()]);
    assert_eq!(table_for_three, [vegan.vendor()]);
}

#[tokio::test]
async fn a_name_search_finds_vendors_whose_words_start_with_every_word_asked() {
    let finder = Finder::open().await;
    let (grand, _) = finder
        .vendor(
            "hotel",
            finder.spot,
            json!({"name": "Grand Hotel am Spreeufer"}),
            &[DOUBLE],
        )
        .await;
    let (garden, _) = finder
        .vendor(
            "hotel",
            finder.spot,
            json!({"name": "Gartenhaus Pension"}),
            &[DOUBLE],
        )
        .await;
    let search = |name: &str| {
        format!(
            "{}&party_size=2&{}&name={name}",
            finder.in_city(),
            nights(20, 1)
        )
    };

    let gran_hot = finder.found(&search("GRAN%20hot")).await;
    let ga = finder.found(&search("ga")).await;
    let inside_a_word = finder.found(&search("rand")).await;

    assert_eq!(gran_hot, [grand.vendor()]);
    assert_eq!(ga, [garden.vendor()]);
    assert!(inside_a_word.is_empty(), "{inside_a_word:?}");
}

#[tokio::test]
async fn a_sold_out_hotel_disappears_for_those_nights_and_reappears_after_a_cancellation() {
    let finder = Finder::open().await;
    let spot = finder.spot;
    let (full, rooms) = finder
        .vendor(
            "hotel",
            spot,
            json!({}),
            &[Kind("Only room", 2, 1, 10_000, &[])],
        )
        .await;
    let (other, _) = finder.vendor("hotel", spot, json!({}), &[DOUBLE]).await;
    let city = finder.in_city();
    // Night 50 is taken; 49-51 includes it, 51-53 does not.
    let booking = finder.book(&full, stay_body(&rooms[0], 50, 1)).await;
    let before_indexing = finder
        .found(&format!("{city}&party_size=2&{}", nights(49, 2)))
        .await;
    finder.index_booking(&booking).await;

    let over_it = finder
        .found(&format!("{city}&party_size=2&{}", nights(49, 2)))
        .await;
    let after_it = finder
        .found(&format!("{city}&party_size=2&{}", nights(51, 2)))
        .await;
    let cancelled = finder
        .api
        .put(
            &format!("/booking/{booking}/status"),
            finder.guest.token(),
            &json!({"status": "CANCELLED"}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{cancelled:#?}");
    finder.index_booking(&booking).await;
    let freed = finder
        .found(&format!("{city}&party_size=2&{}", nights(49, 2)))
        .await;

    // Even before the indexer heard of it, the counters kept the full hotel out.
    assert_eq!(before_indexing, [other.vendor()]);
    assert_eq!(over_it, [other.vendor()]);
    assert_eq!(after_it.len(), 2, "{after_it:?}");
    assert!(after_it.contains(&full.vendor().to_owned()));
    assert!(freed.contains(&full.vendor().to_owned()), "{freed:?}");
}

#[tokio::test]
async fn a_restaurant_time_is_read_in_the_restaurants_own_time_zone() {
    let finder = Finder::open().await;
    let (new_york, tables) = finder
        .vendor(
            "restaurant",
            finder.spot,
            json!({"time_zone": "America/New_York"}),
            &[Kind("Table", 2, 1, 0, &[])],
        )
        .await;
    let date = day(25);
    let body = json!({"resource_id": tables[0], "party_size": 2, "date": date.to_string(), "time": "19:30"});
    let booking = finder.book(&new_york, body).await;
    finder.index_booking(&booking).await;
    let at = |time: &str| format!("{}&party_size=2&date={date}&time={time}", finder.in_city());

    // 19:30 to 21:00 New York time is taken (a 90-minute seating); 21:00 is free. Read as UTC,
    // 19:30 would have been free.
    let taken = finder.found(&at("19:30")).await;
    let overlapping = finder.found(&at("20:30")).await;
    let after = finder.found(&at("21:00")).await;

    assert!(taken.is_empty(), "{taken:?}");
    assert!(overlapping.is_empty(), "{overlapping:?}");
    assert_eq!(after, [new_york.vendor()]);
}

#[tokio::test]
async fn pages_follow_each_other_without_duplicates_or_gaps() {
    let finder = Finder::open().await;
    let mut expected = Vec::new();
    for i in 0..7 {
        let (hotel, _) = finder
            .vendor(
                "hotel",
                finder.spot,
                json!({}),
                &[Kind("Room", 2, 2, 10_000 + (i % 3) * 1_000, &[])],
            )
            .await;
        expected.push(hotel.vendor().to_owned());
    }
    let query = format!(
        "{}&party_size=2&{}&limit=3",
        finder.in_city(),
        nights(60, 1)
    );

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = match &cursor {
            None => finder.search(&query).await,
            Some(c) => finder.search(&format!("{query}&cursor={c}")).await,
        };
        assert_eq!(page.status, StatusCode::OK, "{page:#?}");
        pages += 1;
        let items = ids(&page);
        assert!(items.len() <= 3);
        seen.extend(items);
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(pages < 10, "the pages never end");
    }

    assert_eq!(pages, 3);
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a duplicate: {seen:?}");
    assert_eq!(unique, expected.iter().collect::<BTreeSet<_>>());
    // Cheapest first throughout the pages.
    let one_page = finder
        .found(&format!(
            "{}&party_size=2&{}&limit=50",
            finder.in_city(),
            nights(60, 1)
        ))
        .await;
    assert_eq!(seen, one_page);
}

#[tokio::test]
async fn sorted_by_rating_the_best_reviewed_come_first_and_the_unreviewed_last_across_pages() {
    let finder = Finder::open().await;
    // Where it is about noon now, so the stays reviewed arrive today and are over today.
    let zone = zone_at_noon();
    let mut hotels = Vec::new();
    for _ in 0..6 {
        hotels.push(
            finder
                .vendor("hotel", finder.spot, json!({"time_zone": zone}), &[DOUBLE])
                .await,
        );
    }
    // Averages 5.0, 4.0, 4.0, 2.5 and none twice.
    let reviews: [&[i64]; 6] = [&[4], &[2, 3], &[], &[5], &[4], &[]];
    for ((hotel, rooms), stars) in hotels.iter().zip(reviews) {
        if !stars.is_empty() {
            finder.rate(hotel, zone, &rooms[0], stars).await;
        }
    }
    let id = |i: usize| hotels[i].0.vendor().to_owned();
    let by_id = |mut ids: Vec<String>| {
        ids.sort();
        ids
    };
    let expected: Vec<String> = [
        vec![id(3)],
        by_id(vec![id(0), id(4)]),
        vec![id(1)],
        by_id(vec![id(2), id(5)]),
    ]
    .concat();
    let query = format!(
        "{}&party_size=2&{}&sort=rating&limit=2",
        finder.in_city(),
        nights(60, 1)
    );

    let mut seen = Vec::new();
    let mut ratings = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let page = match &cursor {
            None => finder.search(&query).await,
            Some(c) => finder.search(&format!("{query}&cursor={c}")).await,
        };
        assert_eq!(page.status, StatusCode::OK, "{page:#?}");
        seen.extend(ids(&page));
        ratings.extend(
            page.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i.get("rating").cloned()),
        );
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }

    assert_eq!(seen, expected);
    assert_eq!(
        ratings,
        [
            Some(json!({"average": 5.0, "count": 1})),
            Some(json!({"average": 4.0, "count": 1})),
            Some(json!({"average": 4.0, "count": 1})),
            Some(json!({"average": 2.5, "count": 2})),
            None,
            None,
        ]
    );
}

#[tokio::test]
async fn bad_filters_are_named_in_a_problem() {
    let finder = Finder::open().await;
    let city = finder.in_city();
    let cases = [
        (format!("{city}&{}", nights(10, 1)), vec!["party_size"]),
        (format!("{city}&party_size=2"), vec!["check_in"]),
        (format!("party_size=2&{}", nights(10, 1)), vec!["city"]),
        (
            format!("{city}&lat=1&lon=2&party_size=2&{}", nights(10, 1)),
            vec!["lat", "lon"],
        ),
        (
            format!("{}&party_size=2&{}", finder.near(500.0), nights(10, 1)),
            vec!["radius_km"],
        ),
        (
            format!("lat=95&lon=2&party_size=2&{}", nights(10, 1)),
            vec!["lat"],
        ),
        (
            format!("{city}&party_size=2&{}&sort=distance", nights(10, 1)),
            vec!["sort"],
        ),
        (
            format!("{city}&party_size=2&{}&sort=stars", nights(10, 1)),
            vec!["sort"],
        ),
        (
            format!("{city}&party_size=2&{}&kind=restaurant", nights(10, 1)),
            vec!["kind"],
        ),
        (
            format!("{city}&party_size=2&{}&limit=500", nights(10, 1)),
            vec!["limit"],
        ),
        (
            format!(
                "{city}&party_size=2&{}&cursor=bm90LWEtY3Vyc29y",
                nights(10, 1)
            ),
            vec!["cursor"],
        ),
        (
            format!("{city}&party_size=2&check_in=2026-13-01&check_out=2026-12-02"),
            vec!["check_in"],
        ),
        (
            format!("{city}&party_size=2&check_in={}", day(10)),
            vec!["check_out"],
        ),
        (
            format!("{city}&party_size=2&{}&date={}", nights(10, 1), day(10)),
            vec!["date"],
        ),
        (
            format!("city=Berlin&party_size=2&{}", nights(10, 1)),
            vec!["country"],
        ),
        (
            format!("{city}&party_size=2&{}&name=%20-%20", nights(10, 1)),
            vec!["name"],
        ),
        (
            format!(
                "{city}&party_size=2&{}&name={}",
                nights(10, 1),
                "a".repeat(101)
            ),
            vec!["name"],
        ),
    ];
    for (query, pointers) in cases {
        let reply = finder.search(&query).await;
        reply.assert_problem(422);
        for pointer in pointers {
            assert!(
                reply.parameters().contains(&pointer.to_owned()),
                "{query}: {pointer:?} not in {reply:#?}"
            );
        }
    }
    // A cursor from another search is refused too.
    for _ in 0..2 {
        finder
            .vendor("hotel", finder.spot, json!({}), &[DOUBLE])
            .await;
    }
    let first = finder
        .search(&format!("{city}&party_size=2&{}&limit=1", nights(10, 1)))
        .await;
    let cursor = first.body["next_cursor"].as_str().expect("more pages");
    let elsewhere = finder
        .search(&format!(
            "{city}&party_size=2&{}&cursor={cursor}",
            nights(11, 1)
        ))
        .await;
    elsewhere.assert_problem(422);
    assert_eq!(elsewhere.parameters(), ["cursor"]);
}

#[tokio::test]
async fn a_stay_no_hotel_could_sell_is_refused_as_availability_refuses_it() {
    let finder = Finder::open().await;
    let city = finder.in_city();
    finder
        .vendor("hotel", finder.spot, json!({}), &[DOUBLE])
        .await;
    let backwards = format!("check_in={}&check_out={}", day(12), day(10));
    let same_day = format!("check_in={}&check_out={}", day(10), day(10));
    let five_years = format!("check_in={}&check_out={}", day(10), day(10 + 5 * 365));
    let thirty_one = nights(10, 31);

    for stay in [&backwards, &same_day, &five_years, &thirty_one] {
        let reply = finder.search(&format!("{city}&party_size=2&{stay}")).await;
        reply.assert_problem(422);
        assert_eq!(reply.parameters(), ["check_out"], "{stay}: {reply:#?}");
    }
    // The longest stay a hotel sells is still a search.
    let thirty = finder
        .search(&format!("{city}&party_size=2&{}", nights(10, 30)))
        .await;
    assert_eq!(thirty.status, StatusCode::OK, "{thirty:#?}");
}

#[tokio::test]
async fn a_restaurant_is_found_near_a_point_by_the_cuisines_it_has_now() {
    let finder = Finder::open().await;
    let table = [Kind("Table", 2, 2, 0, &[])];
    let (bistro, _) = finder
        .vendor(
            "restaurant",
            finder.east_of_spot(1.0),
            json!({"cuisines": ["vegan", "thai"]}),
            &table,
        )
        .await;
    let (grill, _) = finder
        .vendor(
            "restaurant",
            finder.east_of_spot(2.0),
            json!({"cuisines": ["steak"]}),
            &table,
        )
        .await;
    // Another radius after the change: the same search would come from the gateway's cache.
    let at = |radius_km: f64, cuisines: &str| {
        format!(
            "{}&party_size=2&date={}&time=19:30&cuisines={cuisines}",
            finder.near(radius_km),
            day(20)
        )
    };
    let vegan_before = finder.found(&at(5.0, "vegan")).await;
    let vegan_or_steak = finder.found(&at(5.0, "Vegan,steak")).await;
    let path = format!("/vendor/{}", bistro.vendor());
    let current = finder.api.get(&path, bistro.token()).await;
    let etag = current.header("etag").expect("an etag").to_owned();
    let edited = finder
        .api
        .send_with(
            Method::PUT,
            &path,
            bistro.token(),
            Some(&json!({"cuisines": ["steak"]})),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{edited:#?}");
    finder.index_vendor(bistro.vendor()).await;
    let vegan_after = finder.found(&at(4.0, "vegan")).await;
    let steak_after = finder.found(&at(4.0, "steak")).await;
    let thai_after = finder.found(&at(4.0, "thai")).await;

    assert_eq!(vegan_before, [bistro.vendor()]);
    assert_eq!(vegan_or_steak, [bistro.vendor(), grill.vendor()]);
    assert!(vegan_after.is_empty(), "{vegan_after:?}");
    assert!(thai_after.is_empty(), "{thai_after:?}");
    assert_eq!(steak_after, [bistro.vendor(), grill.vendor()]);
    // The pointers of the cuisines it dropped are gone, the new one is there.
    let sdk = shared::aws::sdk_config().await;
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let table = std::env::var("SEARCH_TABLE").expect("SEARCH_TABLE is set");
    let mut pointers = Vec::new();
    for cuisine in ["vegan", "thai", "steak"] {
        let item = dynamo
            .get_item()
            .table_name(&table)
            .key(
                "pk",
                AttributeValue::S(format!("VENDOR#{}", bistro.vendor())),
            )
            .key("sk", AttributeValue::S(format!("CUISINE#{cuisine}")))
            .consistent_read(true)
            .send()
            .await
            .expect("GetItem a pointer");
        pointers.push(item.item.is_some());
    }
    assert_eq!(pointers, [false, false, true]);
}
