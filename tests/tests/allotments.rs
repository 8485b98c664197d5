//! Allotments end to end (issue 22 item 2): a manager gives channels units of a room type per
//! night and holds units back for our app; channels commit through `POST /channel/reservations`,
//! our guests hold through `POST /booking/vendor/{id}`, all at once; afterwards the type's counter
//! and each channel's items are read back and checked against what was answered. Releases move
//! the unsold units back exactly once, however many run together.
use api_tests::{Account, Api, Reply, resource_body};
use chrono::{Duration, NaiveDate, Utc};
use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::domain::calendar::Bucket;
use shared::domain::ids::{ResourceId, VendorId};
use shared::store::{AllotmentRelease, BookingStore, DynamoStore};

const PRICE: i64 = 12_900;

struct Hotel {
    api: Api,
    manager: Account,
    room: String,
    night: NaiveDate,
    store: DynamoStore,
}

struct Channel {
    id: String,
    secret: String,
    token: String,
}

impl Hotel {
    async fn open(units: i64) -> Self {
        Self::open_sharded(units, 1).await
    }

    /// A hotel whose room type keeps each night's counter in `shards` items.
    async fn open_sharded(units: i64, shards: i64) -> Self {
        let api = Api::start().await;
        let manager = api.vendor("hotel").await;
        let mut body = resource_body("Double", 2, units, PRICE);
        body["shards"] = json!(shards);
        let room = api.resource(&manager, &body).await;
        let sdk = shared::aws::sdk_config().await;
        Self {
            api,
            manager,
            room,
            night: Utc::now().date_naive() + Duration::days(60),
            store: DynamoStore::from_env(&sdk).expect("the table names are set"),
        }
    }

    async fn channel(&self) -> Channel {
        let (id, secret) = self
            .api
            .connect_channel(&self.manager, "channel_manager", "Allotment test")
            .await;
        let token = self.api.channel_token(&id, &secret, None).await;
        Channel { id, secret, token }
    }

    async fn allot(&self, who: &Account, channel: &Channel, body: &Value) -> Reply {
        self.api
            .put(
                &format!(
                    "/vendor/{}/channels/{}/allotments",
                    self.manager.vendor(),
                    channel.id
                ),
                who.token(),
                body,
            )
            .await
    }

    /// `units` for the channel on the night `from` nights after `self.night`, released
    /// `release_days` before it.
    async fn set_allotment(&self, channel: &Channel, from: i64, units: i64, release_days: i64) {
        let reply = self
            .allot_range(channel, from, from, units, release_days)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
    }

    /// The manager's request for `units` on the nights `from` to `to` after `self.night`.
    async fn allot_range(
        &self,
        channel: &Channel,
        from: i64,
        to: i64,
        units: i64,
        release_days: i64,
    ) -> Reply {
        let night = |days: i64| (self.night + Duration::days(days)).to_string();
        let body = json!({"resource_id": self.room, "from": night(from), "to": night(to), "units": units, "release_days": release_days});
        self.allot(&self.manager, channel, &body).await
    }

    /// An allotment of 3 on the first night, released tomorrow where the hotel is (vendor_body:
    /// Europe/Berlin), one of it sold; the hotel's today.
    async fn allot_three_due_tomorrow_and_sell_one(
        &self,
        channel: &Channel,
        reservation: &str,
    ) -> NaiveDate {
        let today = api_tests::today_in("Europe/Berlin");
        let release_days = (self.night - today).num_days() - 1;
        self.set_allotment(channel, 0, 3, release_days).await;
        let sold = self.send(channel, &self.commit(reservation, 0)).await;
        assert_eq!(sold.status, StatusCode::CREATED, "{sold:#?}");
        assert_eq!(self.sold(0).await, 3);
        today
    }

    /// Business time a day on; the manager signs in again (yesterday's token has expired).
    async fn next_day(mut self) -> Self {
        self.api.set_clock_offset(Duration::days(1)).await;
        self.manager.token = self
            .api
            .login("/vendor/login", &self.manager.email, api_tests::PASSWORD)
            .await;
        self
    }

    /// `units` held back for our app on the first two nights.
    async fn protect(&self, units: i64) {
        let reply = self
            .api
            .put(
                &format!(
                    "/vendor/{}/resource/{}/protection",
                    self.manager.vendor(),
                    self.room
                ),
                self.manager.token(),
                &json!({"from": self.night.to_string(), "to": (self.night + Duration::days(1)).to_string(), "units": units}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
    }

    /// The manager's view of a night: protect, and each channel's item by id.
    async fn allotments(&self, from: i64) -> Value {
        let night = self.night + Duration::days(from);
        let reply = self
            .api
            .get(
                &format!(
                    "/vendor/{}/allotments?resource_id={}&from={night}&to={night}",
                    self.manager.vendor(),
                    self.room
                ),
                self.manager.token(),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
        reply.body["nights"][0].clone()
    }

    async fn channel_night(&self, channel: &Channel, from: i64) -> Value {
        let night = self.allotments(from).await;
        night["channels"]
            .as_array()
            .expect("channels")
            .iter()
            .find(|c| c["channel_id"] == channel.id.as_str())
            .cloned()
            .unwrap_or(Value::Null)
    }

    /// What the channel's ARI pull says it may sell on the night.
    async fn ari(&self, channel: &Channel, from: i64) -> i64 {
        let night = self.night + Duration::days(from);
        let limits = self
            .api
            .ari_limits(&channel.token, &self.room, night, night)
            .await;
        limits.first().copied().expect("the night")
    }

    /// The type counter's sold on the night, summed over its items as every reader sums them.
    async fn sold(&self, from: i64) -> u32 {
        let night = Bucket::Night(self.night + Duration::days(from));
        let sold = self
            .store
            .sold(self.vendor_id(), self.room_id(), &[night])
            .await
            .expect("read the counter");
        sold[&night]
    }

    fn vendor_id(&self) -> VendorId {
        VendorId::parse(self.manager.vendor()).expect("a vendor id")
    }

    fn room_id(&self) -> ResourceId {
        ResourceId::parse(&self.room).expect("a resource id")
    }

    fn commit(&self, reservation: &str, from: i64) -> Value {
        json!({
            "res_status": "commit",
            "reservation_id": reservation,
            "room_type_code": self.room,
            "arrival": (self.night + Duration::days(from)).to_string(),
            "departure": (self.night + Duration::days(from + 1)).to_string(),
            "guest_count": 2,
            "guest": {"name": "Ada Lovelace", "email": "ada@example.com"},
            "total": {"amount_minor": PRICE, "currency": "EUR"},
        })
    }

    /// A channel's message; a 503 (contention outlasting our retries) is sent again, as a
    /// channel manager does.
    async fn send(&self, channel: &Channel, body: &Value) -> Reply {
        for _ in 0..8 {
            let reply = self
                .api
                .post("/channel/reservations", Some(&channel.token), body)
                .await;
            if reply.status != StatusCode::SERVICE_UNAVAILABLE {
                return reply;
            }
        }
        panic!("a reservation was asked to retry eight times");
    }

    /// A guest's hold of one unit on the night, under a fresh key (a 503 is retried).
    async fn hold(&self, guest: &Account, from: i64) -> Reply {
        let key = uuid::Uuid::new_v4().to_string();
        let check_in = self.night + Duration::days(from);
        let body = json!({"resource_id": self.room, "party_size": 2, "check_in": check_in.to_string(), "check_out": (check_in + Duration::days(1)).to_string()});
        for _ in 0..8 {
            let reply = self
                .api
                .send_with(
                    Method::POST,
                    &format!("/booking/vendor/{}", self.manager.vendor()),
                    guest.token(),
                    Some(&body),
                    &[("idempotency-key", key.as_str())],
                )
                .await;
            if reply.status != StatusCode::SERVICE_UNAVAILABLE {
                return reply;
            }
        }
        panic!("a hold was asked to retry eight times");
    }
}

fn created(replies: &[Reply]) -> usize {
    for reply in replies {
        assert!(
            reply.status == StatusCode::CREATED || reply.status == StatusCode::CONFLICT,
            "{reply:#?}"
        );
    }
    replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count()
}

#[tokio::test]
async fn two_hundred_concurrent_channel_commits_sell_each_allotment_exactly_and_never_the_protected_units()
 {
    const LIMIT: u32 = 20;
    const ALLOTMENTS: [i64; 3] = [5, 4, 3];
    const PROTECT: u32 = 2;
    let hotel = Hotel::open(i64::from(LIMIT)).await;
    let allotted = [
        hotel.channel().await,
        hotel.channel().await,
        hotel.channel().await,
    ];
    let general = hotel.channel().await;
    for (channel, units) in allotted.iter().zip(ALLOTMENTS) {
        hotel.set_allotment(channel, 0, units, 7).await;
    }
    hotel.protect(i64::from(PROTECT)).await;
    assert_eq!(hotel.sold(0).await, 12, "the allotments are taken when set");
    let guests = join_all((0..10).map(|_| hotel.api.guest())).await;

    // 200 commits over the allotted channels, 30 from a channel without an allotment, 10 holds
    // of our own guests: all at once.
    let hotel = &hotel;
    let commits = (0..200).map(|i| {
        let channel = &allotted[i % 3];
        let body = hotel.commit(&format!("A-{i}"), 0);
        async move { hotel.send(channel, &body).await }
    });
    let general_commits = (0..30).map(|i| {
        let body = hotel.commit(&format!("G-{i}"), 0);
        let general = &general;
        async move { hotel.send(general, &body).await }
    });
    let holds = guests.iter().map(|guest| hotel.hold(guest, 0));
    let (commits, general_commits, holds) = tokio::join!(
        join_all(commits),
        join_all(general_commits),
        join_all(holds)
    );

    let mut per_channel = [0usize; 3];
    for (i, reply) in commits.iter().enumerate() {
        assert!(
            reply.status == StatusCode::CREATED || reply.status == StatusCode::CONFLICT,
            "{reply:#?}"
        );
        if reply.status == StatusCode::CREATED {
            per_channel[i % 3] += 1;
        }
    }
    let general_sold = created(&general_commits);
    let app_held = created(&holds);

    // Each allotted channel sold its allotment exactly (demand was far above it) and no more.
    for ((channel, units), sold) in allotted.iter().zip(ALLOTMENTS).zip(per_channel) {
        assert_eq!(sold as i64, units, "answered 201 to {}", channel.id);
        let item = hotel.channel_night(channel, 0).await;
        assert_eq!(item["sold"], units, "{item}");
        assert_eq!(item["allot"], units, "{item}");
        assert_eq!(item["released"], false, "{item}");
    }
    // The channel without an allotment sold only from the general pool less the protected units.
    assert!(
        general_sold as u32 <= LIMIT - PROTECT - 12,
        "{general_sold} sold by the general channel"
    );
    let item = hotel.channel_night(&general, 0).await;
    assert_eq!(
        item["sold"].as_u64().unwrap_or(0),
        general_sold as u64,
        "{item}"
    );
    // Our guests wanted more than was left: the type is exactly full, the counter equals the
    // bookings answered, and the channels together never reached into the last two units.
    let total = hotel.sold(0).await;
    assert_eq!(total, LIMIT);
    assert_eq!(total as usize, 12 + general_sold + app_held);
    assert!(12 + general_sold as u32 <= LIMIT - PROTECT);
    assert!(app_held as u32 >= PROTECT);
    assert_eq!(hotel.allotments(0).await["protect"], PROTECT);

    // The next night, one by one, without allotments: a channel sells all but the protected
    // units, our guests those too.
    assert_eq!(hotel.ari(&general, 1).await, i64::from(LIMIT - PROTECT));
    assert_eq!(hotel.ari(&allotted[0], 0).await, 0, "its allotment is sold");
    let mut sold = 0;
    loop {
        let reply = hotel
            .send(&general, &hotel.commit(&format!("N-{sold}"), 1))
            .await;
        if reply.status == StatusCode::CONFLICT {
            break;
        }
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
        sold += 1;
        assert!(sold <= LIMIT, "the channel kept selling");
    }
    assert_eq!(sold, LIMIT - PROTECT);
    for guest in &guests[..2] {
        let held = hotel.hold(guest, 1).await;
        assert_eq!(held.status, StatusCode::CREATED, "{held:#?}");
    }
    hotel.hold(&guests[2], 1).await.assert_problem(409);
    assert_eq!(hotel.sold(1).await, LIMIT);
}

#[tokio::test]
async fn a_release_moves_the_unsold_units_back_once_and_cancels_go_where_the_unit_came_from() {
    let hotel = Hotel::open(6).await;
    let channel = hotel.channel().await;
    hotel.set_allotment(&channel, 0, 4, 3).await;
    let release_on = hotel.night - Duration::days(3);
    for reservation in ["R-1", "R-2"] {
        let reply = hotel.send(&channel, &hotel.commit(reservation, 0)).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
    }
    let guest = hotel.api.guest().await;
    for _ in 0..2 {
        let held = hotel.hold(&guest, 0).await;
        assert_eq!(held.status, StatusCode::CREATED, "{held:#?}");
    }
    hotel.hold(&guest, 0).await.assert_problem(409);
    assert_eq!(hotel.sold(0).await, 6);
    assert_eq!(hotel.ari(&channel, 0).await, 2, "the rest of its allotment");

    // Before the release, a cancelled unit goes back to the channel's allotment, not to us.
    let cancel = json!({"res_status": "cancel", "reservation_id": "R-2"});
    let cancelled = hotel.send(&channel, &cancel).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{cancelled:#?}");
    assert_eq!(hotel.channel_night(&channel, 0).await["sold"], 1);
    assert_eq!(hotel.sold(0).await, 6);
    hotel.hold(&guest, 0).await.assert_problem(409);

    // Two release runs at once, on the release date: the 3 unsold units move back once.
    let (first, second) = tokio::join!(
        hotel.store.release_due(hotel.vendor_id(), release_on),
        hotel.store.release_due(hotel.vendor_id(), release_on)
    );
    let released = first.expect("a release run") + second.expect("a release run");
    assert_eq!(released, 1, "the night is released by one run only");
    assert_eq!(hotel.sold(0).await, 3);
    let item = hotel.channel_night(&channel, 0).await;
    assert_eq!(item["released"], true, "{item}");
    assert_eq!(item["sold"], 1, "{item}");
    assert_eq!(hotel.ari(&channel, 0).await, 3, "the general pool");
    let again = hotel
        .store
        .release_due(hotel.vendor_id(), release_on + Duration::days(1))
        .await
        .expect("a later run");
    assert_eq!(again, 0);
    assert_eq!(hotel.sold(0).await, 3);

    // Our app can now hold exactly those units, and no more.
    for _ in 0..3 {
        let held = hotel.hold(&guest, 0).await;
        assert_eq!(held.status, StatusCode::CREATED, "{held:#?}");
    }
    hotel.hold(&guest, 0).await.assert_problem(409);

    // After the release, the desk's cancel of the channel's booking frees a unit for everyone.
    let booking = hotel.send(&channel, &hotel.commit("R-1", 0)).await.body["booking"]["id"]
        .as_str()
        .expect("the replayed booking")
        .to_owned();
    let cancelled = hotel
        .api
        .put(
            &format!("/booking/{booking}/status"),
            hotel.manager.token(),
            &json!({"status": "CANCELLED"}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{cancelled:#?}");
    assert_eq!(hotel.channel_night(&channel, 0).await["sold"], 0);
    assert_eq!(hotel.sold(0).await, 5);
    let held = hotel.hold(&guest, 0).await;
    assert_eq!(held.status, StatusCode::CREATED, "{held:#?}");
    hotel.hold(&guest, 0).await.assert_problem(409);
}

#[tokio::test]
async fn a_modify_gives_the_allotted_night_back_to_the_channel_and_takes_the_new_night_from_the_pool()
 {
    let hotel = Hotel::open(4).await;
    let channel = hotel.channel().await;
    hotel.set_allotment(&channel, 0, 2, 7).await;
    let reply = hotel.send(&channel, &hotel.commit("M-1", 0)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
    let booking = reply.body["booking"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    assert_eq!(hotel.channel_night(&channel, 0).await["sold"], 1);
    assert_eq!((hotel.sold(0).await, hotel.sold(1).await), (2, 0));

    let modify = json!({
        "res_status": "modify",
        "reservation_id": "M-1",
        "arrival": (hotel.night + Duration::days(1)).to_string(),
        "departure": (hotel.night + Duration::days(2)).to_string(),
    });
    let moved = hotel.send(&channel, &modify).await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:#?}");
    assert_eq!(hotel.channel_night(&channel, 0).await["sold"], 0);
    assert_eq!(hotel.channel_night(&channel, 1).await["sold"], 1);
    assert_eq!((hotel.sold(0).await, hotel.sold(1).await), (2, 1));

    // The desk cancels it: the night it holds now was the general pool's, and goes back there.
    let cancelled = hotel
        .api
        .put(
            &format!("/booking/{booking}/status"),
            hotel.manager.token(),
            &json!({"status": "CANCELLED"}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{cancelled:#?}");
    assert_eq!(hotel.channel_night(&channel, 1).await["sold"], 0);
    assert_eq!((hotel.sold(0).await, hotel.sold(1).await), (2, 0));

    // Removing the allotment (units 0) gives its two unsold units back at once.
    hotel.set_allotment(&channel, 0, 0, 7).await;
    assert_eq!(hotel.sold(0).await, 0);
    assert_eq!(hotel.channel_night(&channel, 0).await["released"], true);
}

#[tokio::test]
async fn only_the_vendors_manager_sets_allotments_and_bad_input_names_the_field() {
    let hotel = Hotel::open(5).await;
    let channel = hotel.channel().await;
    let night = hotel.night.to_string();
    let body = json!({"resource_id": hotel.room, "from": night, "to": night, "units": 2, "release_days": 3});

    let guest = hotel.api.guest().await;
    let desk = hotel.api.staff(&hotel.manager, false).await;
    let other = hotel.api.vendor("hotel").await;
    for who in [&guest, &desk, &other] {
        hotel.allot(who, &channel, &body).await.assert_problem(403);
    }
    // Another vendor's manager on its own path does not find this vendor's channel.
    let elsewhere = hotel
        .api
        .put(
            &format!(
                "/vendor/{}/channels/{}/allotments",
                other.vendor(),
                channel.id
            ),
            other.token(),
            &body,
        )
        .await;
    elsewhere.assert_problem(404);
    let as_channel = hotel
        .api
        .put(
            &format!(
                "/vendor/{}/channels/{}/allotments",
                hotel.manager.vendor(),
                channel.id
            ),
            Some(&channel.token),
            &body,
        )
        .await;
    assert!(
        as_channel.status == StatusCode::FORBIDDEN || as_channel.status == StatusCode::UNAUTHORIZED,
        "{as_channel:#?}"
    );
    let listed = hotel
        .api
        .get(
            &format!(
                "/vendor/{}/allotments?resource_id={}&from={night}&to={night}",
                hotel.manager.vendor(),
                hotel.room
            ),
            desk.token(),
        )
        .await;
    listed.assert_problem(403);
    assert_eq!(hotel.sold(0).await, 0, "nothing was set");

    let bad = json!({"resource_id": hotel.room, "from": night, "to": (hotel.night - Duration::days(1)).to_string(), "units": 6, "release_days": 366});
    let refused = hotel.allot(&hotel.manager, &channel, &bad).await;
    refused.assert_problem(422);
    let mut pointers = refused.pointers();
    pointers.sort();
    assert_eq!(
        pointers,
        vec!["/release_days", "/to", "/units"],
        "{refused:#?}"
    );

    // A restaurant's table type has no nights to allot or protect.
    let restaurant = hotel.api.vendor("restaurant").await;
    let table = hotel
        .api
        .resource(&restaurant, &resource_body("Window table", 4, 3, 0))
        .await;
    let refused = hotel
        .api
        .put(
            &format!(
                "/vendor/{}/resource/{table}/protection",
                restaurant.vendor()
            ),
            restaurant.token(),
            &json!({"from": night, "to": night, "units": 1}),
        )
        .await;
    refused.assert_problem(422);
    let refused = hotel
        .api
        .get(
            &format!(
                "/vendor/{}/allotments?resource_id={table}&from={night}&to={night}",
                restaurant.vendor()
            ),
            restaurant.token(),
        )
        .await;
    refused.assert_problem(422);
    assert_eq!(refused.parameters(), vec!["resource_id"]);

    // A release date not after today is refused: nothing would be held back.
    let today = Utc::now().date_naive().to_string();
    let late = json!({"resource_id": hotel.room, "from": today, "to": today, "units": 1, "release_days": 0});
    let refused = hotel.allot(&hotel.manager, &channel, &late).await;
    refused.assert_problem(422);
    assert_eq!(refused.pointers(), vec!["/release_days"]);

    // More than the free units: a 409 saying how many are free.
    hotel.protect(1).await;
    let greedy = json!({"resource_id": hotel.room, "from": night, "to": night, "units": 5, "release_days": 3});
    let refused = hotel.allot(&hotel.manager, &channel, &greedy).await;
    refused.assert_problem(409);
    assert_eq!(refused.body["free"], 4, "{refused:#?}");
    assert_eq!(hotel.sold(0).await, 0);
}

#[tokio::test]
async fn a_channels_next_booking_releases_a_due_allotment_itself_when_the_release_job_is_late() {
    let hotel = Hotel::open(5).await;
    let channel = hotel.channel().await;
    let today = hotel
        .allot_three_due_tomorrow_and_sell_one(&channel, "L-1")
        .await;

    // A day later no release job has run; the channel's next commit releases the night first
    // (its 2 unsold units go back), then takes its unit from the general pool.
    let hotel = hotel.next_day().await;
    // Tokens issued a day ago have expired.
    let channel = Channel {
        token: hotel
            .api
            .channel_token(&channel.id, &channel.secret, None)
            .await,
        ..channel
    };
    let second = hotel.send(&channel, &hotel.commit("L-2", 0)).await;
    assert_eq!(second.status, StatusCode::CREATED, "{second:#?}");
    let item = hotel.channel_night(&channel, 0).await;
    assert_eq!(item["released"], true, "{item}");
    assert_eq!(item["sold"], 2, "{item}");
    assert_eq!(hotel.sold(0).await, 2);
    assert_eq!(hotel.ari(&channel, 0).await, 3);
    let late = hotel
        .store
        .release_due(hotel.vendor_id(), today + Duration::days(1))
        .await
        .expect("the late job");
    assert_eq!(late, 0, "nothing left to release");
    assert_eq!(hotel.sold(0).await, 2);
}

#[tokio::test]
async fn the_night_audit_releases_the_allotments_due_by_the_hotels_today() {
    let hotel = Hotel::open(5).await;
    let channel = hotel.channel().await;
    let today = hotel
        .allot_three_due_tomorrow_and_sell_one(&channel, "NA-1")
        .await;

    // The next day the manager closes the day before; its audit releases what is due.
    let hotel = hotel.next_day().await;
    let audit = hotel
        .api
        .post(
            &format!("/vendor/{}/night-audit", hotel.manager.vendor()),
            hotel.manager.token(),
            &json!({"day": today.to_string()}),
        )
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{audit:#?}");
    let item = hotel.channel_night(&channel, 0).await;
    assert_eq!(item["released"], true, "{item}");
    assert_eq!(item["sold"], 1, "{item}");
    assert_eq!(hotel.sold(0).await, 1);
}

#[tokio::test]
async fn on_a_sharded_type_concurrent_channels_never_take_the_protected_units_and_our_app_still_sells_them()
 {
    const LIMIT: u32 = 20;
    const PROTECT: u32 = 4;
    let hotel = Hotel::open_sharded(i64::from(LIMIT), 4).await;
    let channels = [hotel.channel().await, hotel.channel().await];
    hotel.protect(i64::from(PROTECT)).await;
    let guests = join_all((0..10).map(|_| hotel.api.guest())).await;

    // 40 channel commits over two channels without allotments and 10 holds of our guests, all
    // at once, on a type whose night is split into 4 counter items.
    let hotel = &hotel;
    let commits = (0..40).map(|i| {
        let channel = &channels[i % 2];
        let body = hotel.commit(&format!("S-{i}"), 0);
        async move { hotel.send(channel, &body).await }
    });
    let holds = guests.iter().map(|guest| hotel.hold(guest, 0));
    let (commits, holds) = tokio::join!(join_all(commits), join_all(holds));
    let channel_sold = created(&commits);
    let app_held = created(&holds);

    // The channels never reached into the protected units; the counter is what was answered;
    // nothing is above the limit; our guests got at least the protected units.
    assert!(
        channel_sold as u32 <= LIMIT - PROTECT,
        "{channel_sold} sold by the channels"
    );
    let mut items = 0;
    for channel in &channels {
        items += hotel.channel_night(channel, 0).await["sold"]
            .as_u64()
            .unwrap_or(0);
    }
    assert_eq!(items, channel_sold as u64);
    let total = hotel.sold(0).await;
    assert_eq!(total as usize, channel_sold + app_held);
    assert!(total <= LIMIT);
    assert!(app_held as u32 >= PROTECT.min(10));
    // Our app sells whatever is left, to the limit; a channel nothing more.
    hotel
        .send(&channels[0], &hotel.commit("S-late", 0))
        .await
        .assert_problem(409);
    for i in total..LIMIT {
        let held = hotel.hold(&guests[i as usize % 10], 0).await;
        assert_eq!(held.status, StatusCode::CREATED, "{held:#?}");
    }
    hotel.hold(&guests[0], 0).await.assert_problem(409);
    assert_eq!(hotel.sold(0).await, LIMIT);

    // The next night one by one: a channel sells exactly the unprotected units, our app the rest.
    let mut sold = 0;
    loop {
        let reply = hotel
            .send(&channels[1], &hotel.commit(&format!("SN-{sold}"), 1))
            .await;
        if reply.status == StatusCode::CONFLICT {
            break;
        }
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
        sold += 1;
        assert!(sold <= LIMIT, "the channel kept selling");
    }
    assert_eq!(sold, LIMIT - PROTECT);
    for guest in &guests[..4] {
        let held = hotel.hold(guest, 1).await;
        assert_eq!(held.status, StatusCode::CREATED, "{held:#?}");
    }
    hotel.hold(&guests[4], 1).await.assert_problem(409);
    assert_eq!(hotel.sold(1).await, LIMIT);
}

#[tokio::test]
async fn an_allotment_range_is_set_all_or_nothing_and_a_longer_one_than_a_transaction_is_refused() {
    let hotel = Hotel::open(5).await;
    let channel = hotel.channel().await;
    let guest = hotel.api.guest().await;

    // 21 nights do not fit one transaction on a type kept in one item: refused, naming /to.
    let refused = hotel.allot_range(&channel, 0, 20, 1, 7).await;
    refused.assert_problem(422);
    assert_eq!(refused.pointers(), vec!["/to"], "{refused:#?}");
    assert_eq!(refused.body["max_nights"], 20, "{refused:#?}");
    assert_eq!(hotel.sold(0).await, 0);

    // Night 2 has 1 unit free for an allotment of 2: the whole range is refused, nothing set.
    for _ in 0..4 {
        let held = hotel.hold(&guest, 2).await;
        assert_eq!(held.status, StatusCode::CREATED, "{held:#?}");
    }
    let refused = hotel.allot_range(&channel, 0, 4, 2, 7).await;
    refused.assert_problem(409);
    assert_eq!(
        refused.body["night"],
        (hotel.night + Duration::days(2)).to_string()
    );
    assert_eq!(refused.body["free"], 1, "{refused:#?}");
    for night in 0..5 {
        assert_eq!(hotel.channel_night(&channel, night).await, Value::Null);
        let held = if night == 2 { 4 } else { 0 };
        assert_eq!(hotel.sold(night).await, held, "night {night}");
    }
    // 20 nights fit: all set.
    let set = hotel.allot_range(&channel, 0, 19, 1, 7).await;
    assert_eq!(set.status, StatusCode::OK, "{set:#?}");
    assert_eq!(set.body["nights"].as_array().map(Vec::len), Some(20));
    for night in [0, 2, 19] {
        assert_eq!(hotel.channel_night(&channel, night).await["allot"], 1);
        assert_eq!(hotel.sold(night).await, if night == 2 { 5 } else { 1 });
    }

    // Raising it to 3 on nights 5 to 9 while our guests hold units of night 7 at once: either
    // every night has 3 or every night still has 1, never some of each.
    let guests = join_all((0..4).map(|_| hotel.api.guest())).await;
    let hotel = &hotel;
    let holds = guests.iter().map(|guest| hotel.hold(guest, 7));
    let (raised, holds) = tokio::join!(hotel.allot_range(&channel, 5, 9, 3, 7), join_all(holds));
    let app_held = created(&holds) as u32;
    let allot = if raised.status == StatusCode::OK {
        3
    } else {
        1
    };
    if raised.status != StatusCode::OK {
        raised.assert_problem(409);
    }
    for night in 5..10 {
        assert_eq!(
            hotel.channel_night(&channel, night).await["allot"],
            allot,
            "night {night}: {raised:#?}"
        );
        let held = if night == 7 { app_held } else { 0 };
        assert_eq!(hotel.sold(night).await, allot + held, "night {night}");
    }
    assert!(hotel.sold(7).await <= 5);
}
