//! The waitlist on the local stack: guests refused as sold out join through the API; the
//! bookings and inventory streams, the bus and the waitlist and notifier queues run as their
//! Lambdas would (`local_gateway::Backbone`); offers are read back through the API, the counters
//! from DynamoDB and the offer mails from LocalStack's SES. Each test has its own vendor and guests.
use api_tests::{Account, Api, Reply, mailbox, resource_body};
use chrono::{Duration, NaiveDate, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::domain::booking::{BookingAction, BookingStatus};
use shared::domain::calendar::Bucket;
use shared::domain::ids::{BookingId, ResourceId, VendorId};
use shared::engine::{self, Requester};
use shared::store::{AllotmentRelease, BookingStore, DynamoStore};
use std::sync::Arc;

/// How long the backbone may take to carry a fact to its effect before the test gives up (about
/// a second a hop; a bound on a stuck test, not an assertion on speed).
const WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// The publisher on the bookings and inventory streams, and the waitlist and notifier consumers
/// on their queues.
async fn backbone(api: &Api) -> local_gateway::Backbone {
    let deps = Arc::new(
        local_gateway::Deps::from_env(&api.base)
            .await
            .expect("the local stack's env is set: run via tests/run.sh"),
    );
    let mut backbone = local_gateway::Backbone::default();
    let publisher = local_gateway::streams(deps.clone())
        .remove("outbox-publisher")
        .expect("the publisher is registered");
    // Bookings' facts free units; the inventory table's carry the offers the notifier mails.
    for var in ["BOOKINGS_TABLE", "INVENTORY_TABLE"] {
        let table = std::env::var(var).unwrap_or_else(|_| panic!("{var} is set"));
        backbone
            .stream("outbox-publisher", &table, publisher.clone())
            .await
            .expect("the stream opens");
    }
    let mut consumers = local_gateway::consumers(deps);
    for (name, url_var) in [
        ("waitlist", "WAITLIST_QUEUE_URL"),
        ("notifier", "NOTIFIER_QUEUE_URL"),
    ] {
        let handler = consumers.remove(name).expect("the consumer is registered");
        let url = std::env::var(url_var).unwrap_or_else(|_| panic!("{url_var} is set"));
        backbone.queue(name, &url, handler).await;
    }
    backbone
}

struct Hotel {
    manager: Account,
    room: String,
    check_in: NaiveDate,
    check_out: NaiveDate,
}

impl Hotel {
    /// A hotel with a type of `units` rooms taking a 20 % deposit (so holds wait for payment).
    async fn new(api: &Api, units: i64) -> Self {
        let manager = api.vendor("hotel").await;
        let room = api
            .resource(&manager, &resource_body("Double", 2, units, 10_000))
            .await;
        let check_in = Utc::now().date_naive() + Duration::days(30);
        Self {
            manager,
            room,
            check_in,
            check_out: check_in + Duration::days(2),
        }
    }

    fn stay(&self) -> Value {
        json!({"party_size": 2, "check_in": self.check_in, "check_out": self.check_out})
    }

    fn waitlist(&self) -> String {
        format!(
            "/vendor/{}/resource/{}/waitlist",
            self.manager.vendor(),
            self.room
        )
    }

    async fn hold(&self, api: &Api, guest: &Account) -> Reply {
        let mut body = self.stay();
        body["resource_id"] = json!(self.room);
        api.send_with(
            Method::POST,
            &format!("/booking/vendor/{}", self.manager.vendor()),
            guest.token(),
            Some(&body),
            &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
        )
        .await
    }

    async fn join(&self, api: &Api, guest: &Account) -> Reply {
        api.post(&self.waitlist(), guest.token(), &self.stay())
            .await
    }

    /// Rooms sold on each night of the stay, by the counters.
    async fn sold(&self, store: &DynamoStore) -> Vec<u32> {
        let nights: Vec<Bucket> = self
            .check_in
            .iter_days()
            .take_while(|d| *d < self.check_out)
            .map(Bucket::Night)
            .collect();
        let vendor = VendorId::parse(self.manager.vendor()).expect("a vendor id");
        let room = ResourceId::parse(&self.room).expect("a resource id");
        let sold = store
            .sold(vendor, room, &nights)
            .await
            .expect("the counters read");
        nights
            .iter()
            .map(|n| sold.get(n).copied().unwrap_or(0))
            .collect()
    }
}

/// The guest's entries as they see them.
async fn entries(api: &Api, guest: &Account) -> Vec<Value> {
    let reply = api
        .get(&format!("/waitlist/user/{}", guest.id), guest.token())
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
    reply.body["entries"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn status_of(api: &Api, guest: &Account) -> String {
    let found = entries(api, guest).await;
    assert_eq!(found.len(), 1, "{found:#?}");
    found[0]["status"].as_str().unwrap_or_default().to_owned()
}

/// Waits until the guest's one entry has `status`; its entry then.
async fn until_status(api: &Api, guest: &Account, status: &str) -> Value {
    let started = std::time::Instant::now();
    loop {
        let found = entries(api, guest).await;
        if found.first().is_some_and(|e| e["status"] == status) {
            return found[0].clone();
        }
        assert!(
            started.elapsed() < WAIT,
            "the entry never became {status}: {found:#?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
}

async fn until_mail(address: &str, booking: &str) -> api_tests::Mail {
    let started = std::time::Instant::now();
    loop {
        if let Some(mail) = mailbox(address)
            .await
            .into_iter()
            .find(|m| m.subject.contains("has come free") && m.body.contains(booking))
        {
            return mail;
        }
        assert!(started.elapsed() < WAIT, "no offer mail to {address}");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

async fn cancel(api: &Api, guest: &Account, booking: &str) -> Reply {
    api.put(
        &format!("/booking/{booking}/status"),
        guest.token(),
        &json!({"status": "CANCELLED"}),
    )
    .await
}

#[tokio::test]
async fn two_freed_rooms_are_offered_to_the_first_two_of_three_waiting_and_a_lapse_to_the_third() {
    api_tests::require_env();
    let api = Api::start().await;
    let _backbone = backbone(&api).await;
    let store = DynamoStore::from_env(&shared::aws::sdk_config().await).expect("the store's env");
    let hotel = Hotel::new(&api, 2).await;
    let (first_booker, second_booker) = (api.guest().await, api.guest().await);
    let mut held = Vec::new();
    for guest in [&first_booker, &second_booker] {
        let reply = hotel.hold(&api, guest).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
        held.push(reply.body["id"].as_str().unwrap_or_default().to_owned());
    }
    let waiting = [api.guest().await, api.guest().await, api.guest().await];
    let refused = hotel.hold(&api, &waiting[0]).await;
    refused.assert_problem(409);
    for guest in &waiting {
        let joined = hotel.join(&api, guest).await;
        assert_eq!(joined.status, StatusCode::CREATED, "{joined:#?}");
        assert_eq!(joined.body["status"], "waiting");
    }
    assert_eq!(hotel.sold(&store).await, vec![2, 2]);

    // Both rooms free at once.
    let (a, b) = tokio::join!(
        cancel(&api, &first_booker, &held[0]),
        cancel(&api, &second_booker, &held[1])
    );
    assert_eq!(a.status, StatusCode::OK, "{a:#?}");
    assert_eq!(b.status, StatusCode::OK, "{b:#?}");

    let offers = [
        until_status(&api, &waiting[0], "offered").await,
        until_status(&api, &waiting[1], "offered").await,
    ];
    for (offer, guest) in offers.iter().zip(&waiting) {
        let booking = offer["booking_id"].as_str().expect("the offer's booking");
        let read = api.get(&format!("/booking/{booking}"), guest.token()).await;
        assert_eq!(read.status, StatusCode::OK, "{read:#?}");
        assert_eq!(read.body["status"], "HELD", "{read:#?}");
        assert_eq!(read.body["guest_id"], json!(guest.id));
        assert_eq!(read.body["hold_expires_at"], offer["hold_expires_at"]);
        let mail = until_mail(&guest.email, booking).await;
        assert!(mail.body.contains("Double"), "{}", mail.body);
    }
    assert_eq!(status_of(&api, &waiting[2]).await, "waiting");
    assert_eq!(hotel.sold(&store).await, vec![2, 2]);

    // The first offer is not paid: its hold expires (as the hold-expiry consumer expires it once
    // its time is up), which frees the room for the third guest.
    let lapsing = BookingId::parse(offers[0]["booking_id"].as_str().unwrap_or_default())
        .expect("a booking id");
    let expired = engine::transition(
        &store,
        lapsing,
        BookingAction::Expire,
        &Requester::System,
        Utc::now() + Duration::minutes(11),
    )
    .await
    .expect("the hold expires");
    assert_eq!(expired.status, BookingStatus::Expired);

    let third = until_status(&api, &waiting[2], "offered").await;
    until_status(&api, &waiting[0], "lapsed").await;
    assert_eq!(status_of(&api, &waiting[1]).await, "offered");
    let third_booking =
        BookingId::parse(third["booking_id"].as_str().unwrap_or_default()).expect("a booking id");
    let stored = store
        .booking(third_booking)
        .await
        .expect("the store answers")
        .expect("the third offer's hold");
    assert_eq!(stored.status, BookingStatus::Held);
    assert_eq!(hotel.sold(&store).await, vec![2, 2]);
}

#[tokio::test]
async fn joining_names_bad_fields_and_is_refused_while_rooms_are_free_or_to_staff() {
    api_tests::require_env();
    let api = Api::start().await;
    let hotel = Hotel::new(&api, 1).await;
    let guest = api.guest().await;

    let bad = api
        .post(
            &hotel.waitlist(),
            guest.token(),
            &json!({"party_size": 0, "units": 0, "check_in": hotel.check_in}),
        )
        .await;
    bad.assert_problem(422);
    let pointers = bad.pointers();
    assert!(pointers.contains(&"/party_size".to_owned()), "{bad:#?}");
    assert!(pointers.contains(&"/units".to_owned()), "{bad:#?}");
    assert!(pointers.contains(&"/check_out".to_owned()), "{bad:#?}");

    let too_big = api
        .post(
            &hotel.waitlist(),
            guest.token(),
            &json!({"party_size": 5, "check_in": hotel.check_in, "check_out": hotel.check_out}),
        )
        .await;
    too_big.assert_problem(422);
    assert_eq!(too_big.pointers(), vec!["/party_size".to_owned()]);

    let free = hotel.join(&api, &guest).await;
    free.assert_problem(409);
    assert_eq!(free.body["units_left"], 1, "{free:#?}");

    let staff = hotel.join(&api, &hotel.manager).await;
    staff.assert_problem(403);
}

#[tokio::test]
async fn guests_see_and_leave_only_their_own_entries_and_only_the_vendors_staff_see_the_list() {
    api_tests::require_env();
    let api = Api::start().await;
    let hotel = Hotel::new(&api, 1).await;
    let booker = api.guest().await;
    let held = hotel.hold(&api, &booker).await;
    assert_eq!(held.status, StatusCode::CREATED, "{held:#?}");
    let (mine, theirs) = (api.guest().await, api.guest().await);
    let joined = hotel.join(&api, &mine).await;
    assert_eq!(joined.status, StatusCode::CREATED, "{joined:#?}");
    let again = hotel.join(&api, &mine).await;
    assert_eq!(again.status, StatusCode::OK, "{again:#?}");
    assert_eq!(again.body["id"], joined.body["id"]);
    let other = hotel.join(&api, &theirs).await;
    assert_eq!(other.status, StatusCode::CREATED, "{other:#?}");
    let entry = joined.body["id"].as_str().expect("an entry id").to_owned();

    // Guests: their own entries only.
    let listed = entries(&api, &mine).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], json!(entry));
    api.get(&format!("/waitlist/user/{}", mine.id), theirs.token())
        .await
        .assert_problem(403);
    let path = format!("{}/{entry}", hotel.waitlist());
    api.send(Method::DELETE, &path, theirs.token(), None)
        .await
        .assert_problem(404);

    // Staff: their own vendor's list, in order, with names; not another vendor's.
    let desk = api.staff_as(&hotel.manager, "desk").await;
    let list = api.get(&hotel.waitlist(), desk.token()).await;
    assert_eq!(list.status, StatusCode::OK, "{list:#?}");
    let ids: Vec<&str> = list.body["entries"]
        .as_array()
        .map(|e| e.iter().filter_map(|e| e["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        ids,
        vec![
            entry.as_str(),
            other.body["id"].as_str().unwrap_or_default()
        ]
    );
    assert_eq!(list.body["entries"][0]["guest_name"], "Test Guest");
    let elsewhere = api.vendor("hotel").await;
    api.get(&hotel.waitlist(), elsewhere.token())
        .await
        .assert_problem(403);
    api.get(&hotel.waitlist(), mine.token())
        .await
        .assert_problem(403);

    let left = api.send(Method::DELETE, &path, mine.token(), None).await;
    assert_eq!(left.status, StatusCode::NO_CONTENT, "{left:#?}");
    assert!(entries(&api, &mine).await.is_empty());
    assert_eq!(entries(&api, &theirs).await.len(), 1);
}

#[tokio::test]
async fn a_channels_released_allotment_is_offered_to_the_first_guest_waiting_and_no_more() {
    api_tests::require_env();
    let api = Api::start().await;
    let _backbone = backbone(&api).await;
    let store = DynamoStore::from_env(&shared::aws::sdk_config().await).expect("the store's env");
    let hotel = Hotel::new(&api, 3).await;
    let (channel, secret) = api
        .connect_channel(&hotel.manager, "channel_manager", "Waitlist test")
        .await;
    let channel_token = api.channel_token(&channel, &secret, None).await;
    // Two rooms each night for the channel, released ten days before the night.
    let allotted = api
        .put(
            &format!(
                "/vendor/{}/channels/{channel}/allotments",
                hotel.manager.vendor()
            ),
            hotel.manager.token(),
            &json!({"resource_id": hotel.room, "from": hotel.check_in, "to": hotel.check_in + Duration::days(1), "units": 2, "release_days": 10}),
        )
        .await;
    assert_eq!(allotted.status, StatusCode::OK, "{allotted:#?}");
    let sold = api
        .post(
            "/channel/reservations",
            Some(&channel_token),
            &json!({
                "res_status": "commit",
                "reservation_id": format!("wl-{}", uuid::Uuid::new_v4()),
                "room_type_code": hotel.room,
                "arrival": hotel.check_in,
                "departure": hotel.check_out,
                "guest_count": 2,
                "guest": {"name": "Ada Lovelace", "email": "ada@example.com"},
                "total": {"amount_minor": 20_000, "currency": "EUR"},
            }),
        )
        .await;
    assert_eq!(sold.status, StatusCode::CREATED, "{sold:#?}");
    let booker = api.guest().await;
    let held = hotel.hold(&api, &booker).await;
    assert_eq!(held.status, StatusCode::CREATED, "{held:#?}");
    // Our one general room is held; the channel's unsold one is not ours to sell.
    let waiting = [api.guest().await, api.guest().await];
    hotel.hold(&api, &waiting[0]).await.assert_problem(409);
    for guest in &waiting {
        let joined = hotel.join(&api, guest).await;
        assert_eq!(joined.status, StatusCode::CREATED, "{joined:#?}");
    }
    assert_eq!(hotel.sold(&store).await, vec![3, 3]);

    // The night audit of the later night's release date releases both nights' unsold room.
    let vendor = VendorId::parse(hotel.manager.vendor()).expect("a vendor id");
    let released = store
        .release_due(vendor, hotel.check_in - Duration::days(9))
        .await
        .expect("the release runs");
    assert_eq!(released, 2, "one channel night each");

    let offer = until_status(&api, &waiting[0], "offered").await;
    let booking = offer["booking_id"].as_str().expect("the offer's booking");
    let read = api
        .get(&format!("/booking/{booking}"), waiting[0].token())
        .await;
    assert_eq!(read.status, StatusCode::OK, "{read:#?}");
    assert_eq!(read.body["status"], "HELD", "{read:#?}");
    assert_eq!(
        read.body["time"]["check_in"],
        json!(hotel.check_in),
        "{read:#?}"
    );
    assert_eq!(
        read.body["time"]["check_out"],
        json!(hotel.check_out),
        "{read:#?}"
    );
    until_mail(&waiting[0].email, booking).await;
    assert_eq!(status_of(&api, &waiting[1]).await, "waiting");
    // Each night: our guest's hold, the channel's booking and the offer's hold.
    for (who, id) in [
        (&booker, held.body["id"].as_str().unwrap_or_default()),
        (&waiting[0], booking),
    ] {
        let read = api.get(&format!("/booking/{id}"), who.token()).await;
        assert_eq!(read.body["status"], "HELD", "{read:#?}");
    }
    let channel_booking = BookingId::parse(sold.body["booking"]["id"].as_str().unwrap_or_default())
        .expect("the channel's booking id");
    let stored = store
        .booking(channel_booking)
        .await
        .expect("the store answers")
        .expect("the channel's booking");
    assert_eq!(stored.status, BookingStatus::Confirmed);
    assert_eq!(hotel.sold(&store).await, vec![3, 3]);
}
