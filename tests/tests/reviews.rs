//! `POST /booking/{id}/review` on the local stack: the guest of a completed stay reviews the
//! hotel once, the vendor's rating counts every review exactly once (also when copies race), and
//! the vendor's profile and search (once the indexer hears of it) show the rating. Every test onboards its own hotel.
use api_tests::{Account, Api, Reply, received, resource_body, today_in, zone_at_noon};
use chrono::{Duration, Utc};
use futures::future::join_all;
use reqwest::{Method, StatusCode};
use search_indexer::Indexer;
use serde_json::{Value, json};
use shared::domain::ids::VendorId;
use shared::domain::review::Rating;
use shared::events::{Event, rating_event};
use shared::inbox::Effect;
use shared::search::DynamoSearchIndex;
use shared::store::{DynamoStore, ReviewStore};

/// A hotel (no deposit: a hold is confirmed at once) in a city of its own, and its manager.
struct Hotel {
    api: Api,
    store: DynamoStore,
    manager: Account,
    room: String,
    city: String,
    /// The hotel's time zone, one where it is about noon now: its guests' stays begin today
    /// (staff check guests in from their arrival day only), and today lasts the whole test.
    zone: &'static str,
}

impl Hotel {
    async fn open() -> Self {
        let api = Api::start().await;
        let sdk = shared::aws::sdk_config().await;
        let city = format!(
            "Reviewtown {}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
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
        let mut room = resource_body("Double", 2, 50, 12_900);
        room.as_object_mut().expect("an object").remove("deposit");
        let room = api.resource(&manager, &room).await;
        Self {
            store: DynamoStore::from_env(&sdk).expect("the table names are set"),
            api,
            manager,
            room,
            city,
            zone,
        }
    }

    fn vendor(&self) -> VendorId {
        VendorId::parse(self.manager.vendor()).expect("a vendor id")
    }

    /// A confirmed one-night stay of `guest`, `days` from the hotel's today; its id.
    async fn book(&self, guest: &Account, days: i64) -> String {
        let check_in = today_in(self.zone) + Duration::days(days);
        let body = json!({
            "resource_id": self.room,
            "party_size": 2,
            "check_in": check_in.to_string(),
            "check_out": (check_in + Duration::days(1)).to_string(),
        });
        let reply = self
            .api
            .send_with(
                Method::POST,
                &format!("/booking/vendor/{}", self.manager.vendor()),
                guest.token(),
                Some(&body),
                &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
        assert_eq!(reply.body["status"], "CONFIRMED");
        reply.body["id"].as_str().expect("a booking id").to_owned()
    }

    /// A stay of `guest` from today that is over (checked in and completed by the manager, on
    /// its one day, so no early departure); its id.
    async fn stayed(&self, guest: &Account) -> String {
        let booking = self.book(guest, 0).await;
        self.api.complete(&self.manager, &booking).await;
        booking
    }

    async fn rating(&self) -> Option<Rating> {
        self.store
            .rating(self.vendor())
            .await
            .expect("the rating reads")
    }
}

fn stars(n: i64) -> Value {
    json!({ "stars": n })
}

#[tokio::test]
async fn guests_review_their_completed_stays_and_search_shows_the_vendors_rating() {
    let hotel = Hotel::open().await;
    let (ada, bob) = (hotel.api.guest().await, hotel.api.guest().await);
    let ada_stay = hotel.stayed(&ada).await;
    let bob_stay = hotel.stayed(&bob).await;
    assert_eq!(hotel.rating().await, None);
    let profile_path = format!("/vendor/{}", hotel.manager.vendor());
    let unreviewed = hotel.api.get(&profile_path, None).await;
    assert_eq!(unreviewed.status, StatusCode::OK, "{unreviewed:#?}");
    assert_eq!(unreviewed.body.get("rating"), None);

    let first = hotel
        .api
        .review(
            &ada,
            &ada_stay,
            &json!({"stars": 5, "comment": "  Quiet room over the courtyard.\n"}),
        )
        .await;
    let second = hotel.api.review(&bob, &bob_stay, &stars(4)).await;

    assert_eq!(first.status, StatusCode::CREATED, "{first:#?}");
    assert_eq!(first.body["stars"], 5);
    assert_eq!(first.body["comment"], "Quiet room over the courtyard.");
    assert_eq!(first.body["booking_id"], ada_stay.as_str());
    assert_eq!(first.body["vendor_id"], hotel.manager.vendor());
    assert_eq!(first.body["guest_id"], ada.id.as_str());
    assert_eq!(second.status, StatusCode::CREATED, "{second:#?}");
    assert_eq!(second.body.get("comment"), None);
    let rating = hotel.rating().await.expect("rated");
    assert_eq!(
        (rating.stars_total, rating.count, rating.version),
        (9, 2, 2)
    );
    // The vendor's public profile shows it at once; its ETag is still the profile's version.
    let profile = hotel.api.get(&profile_path, None).await;
    assert_eq!(profile.body["rating"], json!({"average": 4.5, "count": 2}));
    assert_eq!(profile.body["name"], unreviewed.body["name"]);
    assert_eq!(profile.headers.get("etag"), unreviewed.headers.get("etag"));

    // The indexer hears of the rating (as the backbone delivers VendorRated) and relists.
    let sdk = shared::aws::sdk_config().await;
    let indexer = Indexer {
        store: hotel.store.clone(),
        index: DynamoSearchIndex::from_env(&sdk).expect("SEARCH_TABLE is set"),
    };
    let fact = Event::Vendor(rating_event(None, Some(&rating)).expect("a rating fact"));
    indexer
        .apply(&fact, &received(&fact))
        .await
        .expect("indexed");
    let check_in = Utc::now().date_naive() + Duration::days(40);
    let found = hotel
        .api
        .get(
            &format!(
                "/vendors?city={}&country=DE&party_size=2&check_in={check_in}&check_out={}&sort=rating",
                hotel.city.replace(' ', "%20"),
                check_in + Duration::days(1)
            ),
            None,
        )
        .await;
    assert_eq!(found.status, StatusCode::OK, "{found:#?}");
    assert_eq!(found.body["items"][0]["vendor_id"], hotel.manager.vendor());
    assert_eq!(
        found.body["items"][0]["rating"],
        json!({"average": 4.5, "count": 2})
    );
}

#[tokio::test]
async fn only_the_bookings_own_guest_may_review_it() {
    let hotel = Hotel::open().await;
    let guest = hotel.api.guest().await;
    let stranger = hotel.api.guest().await;
    let booking = hotel.stayed(&guest).await;
    let desk = hotel.api.staff(&hotel.manager, false).await;

    let by_stranger = hotel.api.review(&stranger, &booking, &stars(1)).await;
    let by_staff = hotel.api.review(&desk, &booking, &stars(5)).await;
    let by_nobody = hotel
        .api
        .post(&format!("/booking/{booking}/review"), None, &stars(5))
        .await;
    let unknown = hotel
        .api
        .review(&guest, &uuid::Uuid::now_v7().to_string(), &stars(5))
        .await;

    // Someone else's booking does not exist for them, as everywhere else.
    by_stranger.assert_problem(404);
    by_staff.assert_problem(403);
    by_nobody.assert_problem(401);
    unknown.assert_problem(404);
    assert_eq!(hotel.rating().await, None);
}

#[tokio::test]
async fn a_booking_that_is_not_completed_is_refused_with_its_status() {
    let hotel = Hotel::open().await;
    let guest = hotel.api.guest().await;
    let confirmed = hotel.book(&guest, 13).await;
    // Checked in on its arrival day.
    let checked_in = hotel.book(&guest, 0).await;
    let checked = hotel
        .api
        .put(
            &format!("/booking/{checked_in}/status"),
            hotel.manager.token(),
            &json!({"status": "CHECKED_IN"}),
        )
        .await;
    assert_eq!(checked.status, StatusCode::OK, "{checked:#?}");
    let cancelled = hotel.book(&guest, 15).await;
    let cancel = hotel
        .api
        .put(
            &format!("/booking/{cancelled}/status"),
            guest.token(),
            &json!({"status": "CANCELLED"}),
        )
        .await;
    assert_eq!(cancel.status, StatusCode::OK, "{cancel:#?}");

    for (booking, status) in [
        (&confirmed, "CONFIRMED"),
        (&checked_in, "CHECKED_IN"),
        (&cancelled, "CANCELLED"),
    ] {
        let reply = hotel.api.review(&guest, booking, &stars(5)).await;

        reply.assert_problem(409);
        assert_eq!(
            reply.body["type"],
            "https://reservations.example/problems/not-completed"
        );
        assert_eq!(reply.body["booking_status"], status);
        assert!(
            reply.body["detail"]
                .as_str()
                .is_some_and(|d| d.contains("COMPLETED") && d.contains(status)),
            "{reply:#?}"
        );
    }
    assert_eq!(hotel.rating().await, None);
}

#[tokio::test]
async fn bad_stars_and_comments_are_named_in_a_problem() {
    let hotel = Hotel::open().await;
    let guest = hotel.api.guest().await;
    let booking = hotel.stayed(&guest).await;
    let cases = [
        (json!({}), vec!["/stars"]),
        (json!({"stars": 0}), vec!["/stars"]),
        (json!({"stars": 6}), vec!["/stars"]),
        (json!({"stars": 4.5}), vec!["/stars"]),
        (json!({"stars": "five"}), vec!["/stars"]),
        (json!({"stars": 4, "comment": 7}), vec!["/comment"]),
        (
            json!({"stars": 4, "comment": "x".repeat(2001)}),
            vec!["/comment"],
        ),
        (
            json!({"stars": 9, "comment": "bell\u{7}"}),
            vec!["/stars", "/comment"],
        ),
    ];

    for (body, pointers) in cases {
        let reply = hotel.api.review(&guest, &booking, &body).await;

        reply.assert_problem(422);
        assert_eq!(reply.pointers(), pointers, "{body}: {reply:#?}");
    }
    // 2000 characters (after trimming) are fine, and nothing before was counted.
    let long = hotel
        .api
        .review(
            &guest,
            &booking,
            &json!({"stars": 3, "comment": format!("  {}  ", "x".repeat(2000))}),
        )
        .await;
    assert_eq!(long.status, StatusCode::CREATED, "{long:#?}");
    let rating = hotel.rating().await.expect("rated");
    assert_eq!((rating.stars_total, rating.count), (3, 1));
}

#[tokio::test]
async fn a_booking_is_reviewed_once_and_a_repeat_is_answered_with_the_first_review() {
    let hotel = Hotel::open().await;
    let guest = hotel.api.guest().await;
    let booking = hotel.stayed(&guest).await;
    let body = json!({"stars": 4, "comment": "Good beds."});

    let first = hotel.api.review(&guest, &booking, &body).await;
    let repeat = hotel.api.review(&guest, &booking, &body).await;
    let changed_mind = hotel.api.review(&guest, &booking, &stars(1)).await;

    assert_eq!(first.status, StatusCode::CREATED, "{first:#?}");
    assert_eq!(repeat.status, StatusCode::OK, "{repeat:#?}");
    assert_eq!(repeat.header("idempotent-replayed"), Some("true"));
    assert_eq!(repeat.body, first.body);
    changed_mind.assert_problem(409);
    assert_eq!(
        changed_mind.body["type"],
        "https://reservations.example/problems/already-reviewed"
    );
    let rating = hotel.rating().await.expect("rated");
    assert_eq!(
        (rating.stars_total, rating.count, rating.version),
        (4, 1, 1)
    );
}

#[tokio::test]
async fn ten_identical_reviews_at_once_are_counted_once() {
    let hotel = Hotel::open().await;
    let guest = hotel.api.guest().await;
    let booking = hotel.stayed(&guest).await;
    let body = json!({"stars": 5, "comment": "Worth it."});

    let replies: Vec<Reply> =
        join_all((0..10).map(|_| hotel.api.review(&guest, &booking, &body))).await;

    let mut statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [200, 200, 200, 200, 200, 200, 200, 200, 200, 201],
        "{replies:#?}"
    );
    let created_at = &replies[0].body["created_at"];
    assert!(replies.iter().all(|r| r.body["created_at"] == *created_at));
    let rating = hotel.rating().await.expect("rated");
    assert_eq!(
        (rating.stars_total, rating.count, rating.version),
        (5, 1, 1)
    );
}

#[tokio::test]
async fn ten_guests_reviewing_the_same_hotel_at_once_are_all_counted() {
    let hotel = Hotel::open().await;
    let guests: Vec<Account> = join_all((0..10).map(|_| hotel.api.guest())).await;
    let mut stays = Vec::new();
    for guest in &guests {
        stays.push(hotel.stayed(guest).await);
    }

    let bodies: Vec<Value> = (0..10).map(|i| stars(1 + i % 5)).collect();

    let replies: Vec<Reply> = join_all(
        guests
            .iter()
            .zip(&stays)
            .zip(&bodies)
            .map(|((guest, stay), body)| hotel.api.review(guest, stay, body)),
    )
    .await;

    for reply in &replies {
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
    }
    let rating = hotel.rating().await.expect("rated");
    // Stars 1, 2, 3, 4, 5 twice over.
    assert_eq!(
        (rating.stars_total, rating.count, rating.version),
        (30, 10, 10)
    );
}
