//! Bookings from channels end to end (issue 22 item 3): a channel commits, re-sends, modifies and
//! cancels its reservations through `POST /channel/reservations`; its reservation id is the key;
//! every message takes or gives back inventory through the counters (read back through the ARI
//! pull, which reads them); a message that cannot be honoured writes nothing and says why.
use api_tests::{Account, Api, Reply, resource_body};
use chrono::{Duration, NaiveDate, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::channels::ChannelId;
use shared::channels::import::ReservationId;

const UNITS: i64 = 3;
const PRICE: i64 = 12_900;

struct Hotel {
    api: Api,
    manager: Account,
    room: String,
    first: NaiveDate,
}

struct Channel {
    id: String,
    token: String,
}

impl Hotel {
    async fn open(units: i64) -> Self {
        let api = Api::start().await;
        let manager = api.vendor("hotel").await;
        let room = api
            .resource(&manager, &resource_body("Double", 2, units, PRICE))
            .await;
        Self {
            api,
            manager,
            room,
            first: Utc::now().date_naive() + Duration::days(30),
        }
    }

    /// A connected channel manager and its token (every scope).
    async fn channel(&self) -> Channel {
        let (id, secret) = self
            .api
            .connect_channel(&self.manager, "channel_manager", "Import test")
            .await;
        let token = self.api.channel_token(&id, &secret, None).await;
        Channel { id, token }
    }

    async fn send(&self, token: Option<&str>, body: &Value) -> Reply {
        self.api.post("/channel/reservations", token, body).await
    }

    /// Free units per night from `first` for `nights` nights, as the counters say.
    async fn free(&self, channel: &Channel, nights: i64) -> Vec<i64> {
        let to = self.first + Duration::days(nights - 1);
        self.api
            .ari_limits(&channel.token, &self.room, self.first, to)
            .await
    }

    fn commit(&self, reservation: &str, from: i64, nights: i64) -> Value {
        json!({
            "res_status": "commit",
            "reservation_id": reservation,
            "room_type_code": self.room,
            "arrival": (self.first + Duration::days(from)).to_string(),
            "departure": (self.first + Duration::days(from + nights)).to_string(),
            "guest_count": 2,
            "guest": {"name": "Grace Hopper", "email": "grace@example.com"},
            "total": {"amount_minor": 2 * PRICE - 1_000, "currency": "EUR"},
        })
    }

    /// The manager's list of the channel's refused messages, and its path.
    async fn rejections(&self, channel: &Channel) -> (String, Reply) {
        let path = format!(
            "/vendor/{}/channels/{}/rejections",
            self.manager.vendor(),
            channel.id
        );
        let reply = self.api.get(&path, self.manager.token()).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
        (path, reply)
    }

    async fn booking(&self, id: &str) -> Reply {
        self.api
            .get(&format!("/booking/{id}"), self.manager.token())
            .await
    }
}

/// The booking a channel's reservation is, computed as the platform does.
fn booking_of(channel: &Channel, reservation: &str) -> String {
    ReservationId::parse(reservation)
        .expect("an id")
        .booking_id(ChannelId::parse(&channel.id).expect("a client id"))
        .to_string()
}

#[tokio::test]
async fn a_commit_books_once_however_often_it_is_sent_and_modify_and_cancel_move_the_counters() {
    let hotel = Hotel::open(UNITS).await;
    let channel = hotel.channel().await;
    assert_eq!(hotel.free(&channel, 4).await, vec![UNITS; 4]);

    // Commit: nights 0 and 1, confirmed at once, marked as the channel's.
    let commit = hotel.commit("CM-1001", 0, 2);
    let first = hotel.send(Some(&channel.token), &commit).await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:#?}");
    let booking = first.body["booking"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    assert_eq!(booking, booking_of(&channel, "CM-1001"));
    assert_eq!(first.body["booking"]["status"], "CONFIRMED");
    assert_eq!(first.body["booking"]["channel"], "channel_manager");
    assert_eq!(first.body["reservation_id"], "CM-1001");
    assert_eq!(
        first.body["sold_total"],
        json!({"amount_minor": 2 * PRICE - 1_000, "currency": "EUR"})
    );
    assert_eq!(
        hotel.free(&channel, 4).await,
        vec![UNITS - 1, UNITS - 1, UNITS, UNITS]
    );

    // Re-sent: the same booking, nothing more taken.
    let again = hotel.send(Some(&channel.token), &commit).await;
    assert_eq!(again.status, StatusCode::OK, "{again:#?}");
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body["booking"]["id"], booking.as_str());
    assert_eq!(
        hotel.free(&channel, 4).await,
        vec![UNITS - 1, UNITS - 1, UNITS, UNITS]
    );

    // The vendor sees it with the guest the channel named (on the booking record only).
    let seen = hotel.booking(&booking).await;
    assert_eq!(seen.status, StatusCode::OK, "{seen:#?}");
    assert_eq!(seen.body["desk_guest"]["name"], "Grace Hopper");
    assert_eq!(seen.body["channel"], "channel_manager");

    // Modify: nights 2 and 3 instead.
    let modify = json!({
        "res_status": "modify",
        "reservation_id": "CM-1001",
        "arrival": (hotel.first + Duration::days(2)).to_string(),
        "departure": (hotel.first + Duration::days(4)).to_string(),
    });
    let moved = hotel.send(Some(&channel.token), &modify).await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:#?}");
    assert_eq!(moved.body["booking"]["id"], booking.as_str());
    assert_eq!(
        moved.body["booking"]["time"]["check_in"],
        (hotel.first + Duration::days(2)).to_string()
    );
    assert_eq!(
        hotel.free(&channel, 4).await,
        vec![UNITS, UNITS, UNITS - 1, UNITS - 1]
    );

    // Cancel: everything back, the booking cancelled; nothing charged (it never had a payment).
    let cancel = json!({"res_status": "cancel", "reservation_id": "CM-1001"});
    let cancelled = hotel.send(Some(&channel.token), &cancel).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{cancelled:#?}");
    assert_eq!(cancelled.body["booking"]["status"], "CANCELLED");
    assert!(cancelled.body["booking"]["deposit_payment"].is_null());
    assert_eq!(hotel.free(&channel, 4).await, vec![UNITS; 4]);

    // A cancelled reservation can no longer be modified.
    let late = hotel.send(Some(&channel.token), &modify).await;
    late.assert_problem(409);
    assert_eq!(late.body["ota_error"]["code"], 356, "{late:#?}");
    assert_eq!(hotel.free(&channel, 4).await, vec![UNITS; 4]);
}

#[tokio::test]
async fn a_sold_out_commit_writes_nothing_and_says_no_availability() {
    let hotel = Hotel::open(1).await;
    let channel = hotel.channel().await;
    let taken = hotel
        .send(Some(&channel.token), &hotel.commit("SO-1", 0, 2))
        .await;
    assert_eq!(taken.status, StatusCode::CREATED, "{taken:#?}");

    // Overlapping the second night only.
    let refused = hotel
        .send(Some(&channel.token), &hotel.commit("SO-2", 1, 2))
        .await;
    refused.assert_problem(409);
    assert!(
        refused.body["type"]
            .as_str()
            .unwrap()
            .ends_with("/sold-out")
    );
    assert_eq!(refused.body["ota_error"], json!({"type": 3, "code": 322}));
    assert_eq!(refused.pointers(), vec!["/room_type_code"]);
    assert_eq!(hotel.free(&channel, 3).await, vec![0, 0, 1]);
    let none = hotel.booking(&booking_of(&channel, "SO-2")).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND, "{none:#?}");

    // A modify moving the first reservation onto a sold-out night is refused whole too.
    let other = hotel.channel().await;
    let blocker = hotel
        .send(Some(&other.token), &hotel.commit("X-1", 2, 1))
        .await;
    assert_eq!(blocker.status, StatusCode::CREATED, "{blocker:#?}");
    let modify = json!({
        "res_status": "modify",
        "reservation_id": "SO-1",
        "departure": (hotel.first + Duration::days(3)).to_string(),
        "arrival": hotel.first.to_string(),
    });
    let refused = hotel.send(Some(&channel.token), &modify).await;
    refused.assert_problem(409);
    assert_eq!(refused.body["ota_error"]["code"], 322);
    assert_eq!(hotel.free(&channel, 3).await, vec![0, 0, 0]);
    let kept = hotel.booking(&booking_of(&channel, "SO-1")).await;
    assert_eq!(
        kept.body["time"]["check_out"],
        (hotel.first + Duration::days(2)).to_string()
    );
}

#[tokio::test]
async fn messages_that_cannot_be_honoured_name_the_field_and_the_ota_code() {
    let hotel = Hotel::open(UNITS).await;
    let channel = hotel.channel().await;
    let elsewhere = Hotel::open(UNITS).await;

    let mut unknown = hotel.commit("U-1", 0, 1);
    unknown["room_type_code"] = json!(uuid::Uuid::new_v4().to_string());
    let reply = hotel.send(Some(&channel.token), &unknown).await;
    reply.assert_problem(422);
    assert!(
        reply.body["type"]
            .as_str()
            .unwrap()
            .ends_with("/unknown-room-type")
    );
    assert_eq!(reply.body["ota_error"]["code"], 402);
    assert_eq!(reply.pointers(), vec!["/room_type_code"]);

    // Another hotel's room type is not this channel's hotel's.
    let mut foreign = hotel.commit("U-2", 0, 1);
    foreign["room_type_code"] = json!(elsewhere.room);
    let reply = hotel.send(Some(&channel.token), &foreign).await;
    reply.assert_problem(422);
    assert_eq!(reply.body["ota_error"]["code"], 402, "{reply:#?}");
    let free = elsewhere.channel().await;
    assert_eq!(elsewhere.free(&free, 1).await, vec![UNITS]);

    let mut past = hotel.commit("U-3", 0, 1);
    let yesterday = Utc::now().date_naive() - Duration::days(1);
    past["arrival"] = json!((yesterday - Duration::days(1)).to_string());
    past["departure"] = json!(yesterday.to_string());
    let reply = hotel.send(Some(&channel.token), &past).await;
    reply.assert_problem(422);
    assert_eq!(reply.body["ota_error"]["code"], 15, "{reply:#?}");
    assert!(
        reply
            .pointers()
            .iter()
            .any(|p| p == "/arrival" || p == "/departure"),
        "{reply:#?}"
    );

    let modify = json!({"res_status": "modify", "reservation_id": "NEVER", "guest_count": 1});
    let reply = hotel.send(Some(&channel.token), &modify).await;
    reply.assert_problem(404);
    assert_eq!(reply.body["ota_error"]["code"], 245);
    assert_eq!(reply.pointers(), vec!["/reservation_id"]);

    let bad = json!({"res_status": "book", "reservation_id": "has space", "guest_count": 0});
    let reply = hotel.send(Some(&channel.token), &bad).await;
    reply.assert_problem(422);
    let mut pointers = reply.pointers();
    pointers.sort();
    assert_eq!(
        pointers,
        vec!["/guest_count", "/res_status", "/reservation_id"]
    );

    let mut no_guest = hotel.commit("U-4", 0, 1);
    no_guest.as_object_mut().unwrap().remove("guest");
    let reply = hotel.send(Some(&channel.token), &no_guest).await;
    reply.assert_problem(422);
    assert_eq!(reply.pointers(), vec!["/guest/name"]);

    // Nothing of all that took a room.
    assert_eq!(hotel.free(&channel, 2).await, vec![UNITS; 2]);
}

#[tokio::test]
async fn only_a_channel_token_with_bookings_write_sends_reservations() {
    let hotel = Hotel::open(UNITS).await;
    let commit = hotel.commit("T-1", 0, 1);

    let staff = hotel.api.staff(&hotel.manager, false).await;
    let guest = hotel.api.guest().await;
    for (who, token) in [
        ("manager", hotel.manager.token()),
        ("desk", staff.token()),
        ("guest", guest.token()),
    ] {
        let reply = hotel.send(token, &commit).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{who}: {reply:#?}");
    }
    let reply = hotel.send(None, &commit).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{reply:#?}");

    // A token asked for ari:read only.
    let (id, secret) = hotel
        .api
        .connect_channel(&hotel.manager, "ota", "Read only")
        .await;
    let reader = hotel
        .api
        .channel_token(&id, &secret, Some("ari:read"))
        .await;
    let reply = hotel.send(Some(&reader), &commit).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:#?}");

    let channel = Channel {
        token: hotel.api.channel_token(&id, &secret, None).await,
        id,
    };
    assert_eq!(hotel.free(&channel, 1).await, vec![UNITS]);
    let booked = hotel.send(Some(&channel.token), &commit).await;
    assert_eq!(booked.status, StatusCode::CREATED, "{booked:#?}");
    assert_eq!(booked.body["booking"]["channel"], "ota");
}

#[tokio::test]
async fn the_vendors_manager_reads_a_channels_refused_messages_without_the_guest() {
    let hotel = Hotel::open(1).await;
    let channel = hotel.channel().await;
    let taken = hotel
        .send(Some(&channel.token), &hotel.commit("R-1", 0, 1))
        .await;
    assert_eq!(taken.status, StatusCode::CREATED, "{taken:#?}");
    hotel
        .send(Some(&channel.token), &hotel.commit("R-2", 0, 1))
        .await
        .assert_problem(409);
    hotel
        .send(
            Some(&channel.token),
            &json!({"res_status": "cancel", "reservation_id": "R-9"}),
        )
        .await
        .assert_problem(404);

    let (path, reply) = hotel.rejections(&channel).await;
    let items = reply.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{reply:#?}");
    assert_eq!(items[0]["reservation_id"], "R-9");
    assert_eq!(items[0]["refusal"], "unknown_reservation");
    assert_eq!(items[0]["ota_error_code"], 245);
    assert_eq!(items[1]["reservation_id"], "R-2");
    assert_eq!(items[1]["refusal"], "sold_out");
    assert_eq!(items[1]["pointers"], json!(["/room_type_code"]));
    assert!(!reply.body.to_string().contains("Grace"), "{reply:#?}");

    let desk = hotel.api.staff(&hotel.manager, false).await;
    let refused = hotel.api.get(&path, desk.token()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:#?}");
    let refused = hotel.api.get(&path, Some(&channel.token)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:#?}");
}

#[tokio::test]
async fn a_body_that_is_no_message_is_answered_with_an_ota_error_and_recorded_without_its_content()
{
    let hotel = Hotel::open(1).await;
    let channel = hotel.channel().await;
    let send_raw = |content_type: &'static str, body: String| {
        let (api, token) = (&hotel.api, channel.token.clone());
        async move {
            api.send_raw(
                Method::POST,
                "/channel/reservations",
                Some(&token),
                content_type,
                &body,
            )
            .await
        }
    };

    let not_json = r#"{"res_status": "commit", "guest": {"name": "Ada Lovelace""#.to_owned();
    let reply = send_raw("application/json", not_json.clone()).await;
    reply.assert_problem(400);
    assert_eq!(reply.body["ota_error"], json!({"type": 7, "code": 450}));

    let wrong_type = json!({
        "res_status": "commit", "reservation_id": "R-7", "room_type_code": hotel.room,
        "arrival": hotel.first.to_string(), "departure": (hotel.first + Duration::days(1)).to_string(),
        "guest_count": "two", "guest": {"name": "Ada Lovelace"},
    })
    .to_string();
    let reply = send_raw("application/json", wrong_type.clone()).await;
    reply.assert_problem(422);
    assert_eq!(reply.pointers(), vec!["/guest_count"]);
    assert_eq!(reply.body["ota_error"], json!({"type": 7, "code": 450}));

    let reply = send_raw("text/plain", "Ada Lovelace, 2 guests".to_owned()).await;
    reply.assert_problem(415);
    assert_eq!(reply.body["ota_error"]["code"], 450);
    assert_eq!(hotel.free(&channel, 1).await, vec![1], "nothing was booked");

    let (_, reply) = hotel.rejections(&channel).await;
    let items = reply.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 3, "{reply:#?}");
    for item in items {
        assert_eq!(item["refusal"], "unreadable", "{item:#?}");
        assert_eq!(item["ota_error_code"], 450, "{item:#?}");
    }
    assert_eq!(items[0]["unreadable"], "content_type");
    assert_eq!(items[0]["body_bytes"], "Ada Lovelace, 2 guests".len());
    assert_eq!(items[1]["unreadable"], "shape");
    assert_eq!(items[1]["body_bytes"], wrong_type.len());
    assert_eq!(items[1]["pointers"], json!(["/guest_count"]));
    assert_eq!(items[1]["reservation_id"], "R-7");
    assert_eq!(items[1]["res_status"], "commit");
    assert_eq!(items[2]["unreadable"], "syntax");
    assert_eq!(items[2]["body_bytes"], not_json.len());
    assert!(!reply.body.to_string().contains("Ada"), "{reply:#?}");
}

#[tokio::test]
async fn a_restaurants_channel_commits_modifies_and_cancels_a_seating() {
    let api = Api::start().await;
    let manager = api.vendor("restaurant").await;
    let table = api
        .resource(&manager, &resource_body("Window table", 4, 1, 4_500))
        .await;
    let (id, secret) = api.connect_channel(&manager, "ota", "Table site").await;
    let channel = Channel {
        token: api.channel_token(&id, &secret, None).await,
        id,
    };
    let send = |body: Value| {
        let (api, token) = (&api, channel.token.clone());
        async move { api.post("/channel/reservations", Some(&token), &body).await }
    };
    let date = (Utc::now().date_naive() + Duration::days(30)).to_string();
    let commit = json!({
        "res_status": "commit", "reservation_id": "TS-1", "table_type_code": table,
        "date": date, "time": "19:00", "guest_count": 3,
        "guest": {"name": "Grace Hopper", "email": "grace@example.com"},
        "total": {"amount_minor": 4_500, "currency": "EUR"},
    });

    let committed = send(commit.clone()).await;
    assert_eq!(committed.status, StatusCode::CREATED, "{committed:#?}");
    let booking = &committed.body["booking"];
    assert_eq!(booking["id"], booking_of(&channel, "TS-1").as_str());
    assert_eq!(booking["status"], "CONFIRMED");
    assert_eq!(booking["resource_id"], table.as_str());
    assert_eq!(booking["party_size"], 3);
    assert_eq!(booking["time"]["date"], date.as_str());
    assert_eq!(booking["time"]["time"], "19:00");

    let again = send(commit).await;
    assert_eq!(again.status, StatusCode::OK, "{again:#?}");
    assert_eq!(again.header("idempotent-replayed"), Some("true"));

    // The only table is taken at 19:00: another channel reservation then is refused.
    let other = json!({
        "res_status": "commit", "reservation_id": "TS-2", "table_type_code": table,
        "date": date, "time": "19:00", "guest_count": 2, "guest": {"name": "Alan Turing"},
    });
    let refused = send(other).await;
    refused.assert_problem(409);
    assert_eq!(refused.pointers(), vec!["/table_type_code"]);
    assert_eq!(refused.body["ota_error"]["code"], 322);

    let moved = send(json!({
        "res_status": "modify", "reservation_id": "TS-1", "date": date, "time": "20:30",
        "guest_count": 4,
    }))
    .await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:#?}");
    assert_eq!(moved.body["booking"]["time"]["time"], "20:30");
    assert_eq!(moved.body["booking"]["party_size"], 4);

    let hotel_terms = send(json!({
        "res_status": "modify", "reservation_id": "TS-1", "arrival": date,
    }))
    .await;
    hotel_terms.assert_problem(422);
    assert!(hotel_terms.pointers().contains(&"/arrival".to_owned()));

    let cancelled = send(json!({"res_status": "cancel", "reservation_id": "TS-1"})).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{cancelled:#?}");
    assert_eq!(cancelled.body["booking"]["status"], "CANCELLED");
}

#[tokio::test]
async fn a_stay_longer_than_a_modify_can_move_is_refused_up_front_at_commit_and_at_modify() {
    let hotel = Hotel::open(UNITS).await;
    let channel = hotel.channel().await;

    // 19 nights of a type kept in one counter item: the longest a channel books, and a modify
    // moves all of them to 19 other nights in one transaction (1 + 19 * 2 + 19 * 3 items).
    let long = hotel
        .send(Some(&channel.token), &hotel.commit("LONG-1", 0, 19))
        .await;
    assert_eq!(long.status, StatusCode::CREATED, "{long:#?}");
    let night = |days: i64| (hotel.first + Duration::days(days)).to_string();
    let moved = hotel
        .send(
            Some(&channel.token),
            &json!({"res_status": "modify", "reservation_id": "LONG-1", "arrival": night(19), "departure": night(38)}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:#?}");
    let mut free = vec![UNITS; 19];
    free.extend(vec![UNITS - 1; 19]);
    free.push(UNITS);
    assert_eq!(hotel.free(&channel, 39).await, free);

    // 20 nights: refused before anything is written, naming the departure and the most.
    let refused = hotel
        .send(Some(&channel.token), &hotel.commit("LONG-2", 0, 20))
        .await;
    refused.assert_problem(422);
    assert_eq!(refused.body["ota_error"], json!({"type": 3, "code": 15}));
    assert_eq!(refused.pointers(), vec!["/departure"]);
    assert_eq!(refused.body["max_nights"], 19, "{refused:#?}");
    let none = hotel.booking(&booking_of(&channel, "LONG-2")).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND, "{none:#?}");
    let longer = json!({"res_status": "modify", "reservation_id": "LONG-1", "arrival": night(19), "departure": night(39)});
    let refused = hotel.send(Some(&channel.token), &longer).await;
    refused.assert_problem(422);
    assert_eq!(refused.body["ota_error"]["code"], 15);
    assert_eq!(refused.pointers(), vec!["/departure"]);
    assert_eq!(hotel.free(&channel, 39).await, free);

    // A type split into 4 counter items takes at most 12 nights, and 19 nights moved to 12 of
    // it do not fit one transaction (1 + 19 * 2 + 12 * 6 items): refused too, nothing moved.
    let mut body = resource_body("Suite", 2, UNITS, PRICE);
    body["shards"] = json!(4);
    let suite = hotel.api.resource(&hotel.manager, &body).await;
    let to_suite = |nights: i64| json!({"res_status": "modify", "reservation_id": "LONG-1", "room_type_code": suite, "arrival": night(19), "departure": night(19 + nights)});
    let refused = hotel.send(Some(&channel.token), &to_suite(13)).await;
    refused.assert_problem(422);
    assert_eq!(refused.body["max_nights"], 12, "{refused:#?}");
    let refused = hotel.send(Some(&channel.token), &to_suite(12)).await;
    refused.assert_problem(422);
    assert_eq!(refused.pointers(), vec!["/departure"]);
    let kept = hotel.booking(&booking_of(&channel, "LONG-1")).await;
    assert_eq!(kept.body["resource_id"], hotel.room.as_str());
    assert_eq!(kept.body["time"]["check_out"], night(38));
    // Shortened first, it moves.
    let shorter = hotel
        .send(
            Some(&channel.token),
            &json!({"res_status": "modify", "reservation_id": "LONG-1", "arrival": night(19), "departure": night(31)}),
        )
        .await;
    assert_eq!(shorter.status, StatusCode::OK, "{shorter:#?}");
    let moved = hotel.send(Some(&channel.token), &to_suite(12)).await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:#?}");
    assert_eq!(hotel.free(&channel, 39).await, vec![UNITS; 39]);

    // Each refusal is recorded as an invalid date (ERR 15) naming the departure.
    let (_, reply) = hotel.rejections(&channel).await;
    let items = reply.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 4, "{reply:#?}");
    for item in items {
        assert_eq!(item["refusal"], "invalid_date", "{item}");
        assert_eq!(item["ota_error_code"], 15, "{item}");
        assert_eq!(item["pointers"], json!(["/departure"]), "{item}");
    }
}
