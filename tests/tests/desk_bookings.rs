//! The front desk end to end: walk-in and phone bookings (a guest by name and contact, or by
//! account), desk holds that lapse after the vendor's minutes or are confirmed by staff, and
//! money taken at the desk, through the gateway, the hold-expiry consumer and DynamoDB Local.
use api_tests::{Account, Api, Reply, merged, resource_body, sqs_event};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::domain::booking::Booking;
use shared::domain::ids::BookingId;
use shared::store::{BookingStore, DynamoStore};
use std::path::Path;

/// A hotel with its manager, a member of its desk staff and a room type of `units` rooms.
struct Desk {
    api: Api,
    store: DynamoStore,
    hotel: Account,
    staff: Account,
    room: String,
}

impl Desk {
    async fn open(units: i64) -> Self {
        let api = Api::start().await;
        let sdk = shared::aws::sdk_config().await;
        let store = DynamoStore::from_env(&sdk).expect("the table names are set");
        let hotel = api.vendor("hotel").await;
        let staff = api.staff(&hotel, false).await;
        let room = api
            .resource(&hotel, &resource_body("Double", 2, units, 12_000))
            .await;
        Self {
            api,
            store,
            hotel,
            staff,
            room,
        }
    }

    fn stay(&self, days_ahead: i64, extra: Value) -> Value {
        merged(
            json!({"resource_id": self.room, "party_size": 2,
                   "check_in": day(days_ahead), "check_out": day(days_ahead + 1)}),
            &extra,
        )
    }

    async fn book(&self, who: &Account, body: &Value) -> Reply {
        self.book_with_key(who, body, &uuid::Uuid::new_v4().to_string())
            .await
    }

    async fn book_with_key(&self, who: &Account, body: &Value, key: &str) -> Reply {
        self.api
            .send_with(
                Method::POST,
                &format!("/booking/vendor/{}", self.hotel.vendor()),
                who.token(),
                Some(body),
                &[("idempotency-key", key)],
            )
            .await
    }

    /// A walk-in desk hold that must succeed; its body.
    async fn walk_in(&self, days_ahead: i64) -> Value {
        let body = self.stay(days_ahead, json!({"guest": {"name": "Ana Quaresma"}}));
        let reply = self.book(&self.staff, &body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
        reply.body
    }

    async fn pay(&self, who: &Account, booking: &str, body: &Value, key: &str) -> Reply {
        self.api
            .send_with(
                Method::POST,
                &format!("/booking/{booking}/payments"),
                who.token(),
                Some(body),
                &[("idempotency-key", key)],
            )
            .await
    }

    async fn set_status(&self, who: &Account, booking: &str, status: &str) -> Reply {
        self.api
            .put(
                &format!("/booking/{booking}/status"),
                who.token(),
                &json!({ "status": status }),
            )
            .await
    }

    async fn stored(&self, id: &str) -> Booking {
        self.store
            .booking(BookingId::parse(id).expect("a booking id"))
            .await
            .expect("DynamoDB answers")
            .expect("the booking is stored")
    }

    /// Hands the hold-expiry consumer the message a hold's timer sends, run at `now`.
    async fn expire_at(&self, booking: &Value, now: DateTime<Utc>) {
        let sdk = shared::aws::sdk_config().await;
        let payments = shared::payments::StripeSettings::load(&sdk)
            .await
            .expect("the Stripe settings are provisioned")
            .client()
            .expect("a Stripe client");
        let due = json!({"booking_id": booking["id"], "expires_at": booking["hold_expires_at"]});
        hold_expiry::expire_due(
            &self.store,
            &payments,
            sqs_event(&[("m1", due.to_string())]),
            now,
        )
        .await;
    }
}

fn day(days_ahead: i64) -> NaiveDate {
    Utc::now().date_naive() + Duration::days(days_ahead)
}

fn id_of(body: &Value) -> String {
    body["id"].as_str().expect("a booking id").to_owned()
}

fn instant(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("not a time: {value}"))
}

#[track_caller]
fn assert_problem_type(reply: &Reply, status: u16, slug: &str) {
    reply.assert_problem(status);
    assert!(
        reply.body["type"]
            .as_str()
            .is_some_and(|t| t.ends_with(&format!("/{slug}"))),
        "{reply:#?}"
    );
}

/// The booking fact the outbox publishes for a stored booking, checked against its schema.
fn held_fact(booking: &Booking) -> Value {
    let event = shared::events::booking_event(None, Some(booking)).expect("a hold is a fact");
    assert_eq!(event.detail_type(), "BookingHeld");
    let detail = event.detail().expect("the fact serialises");
    let schema_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../events/schemas/BookingHeld.json");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(&schema_path).expect("the BookingHeld schema"),
    )
    .expect("the schema is JSON");
    // The schema is of the whole EventBridge event; the detail is its `$defs/detail`.
    let detail_schema = json!({"$ref": "#/$defs/detail", "$defs": schema["$defs"]});
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&detail_schema)
        .expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&detail)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{detail:#}");
    detail
}

#[tokio::test]
async fn a_walk_in_booking_keeps_the_guest_s_name_and_phone_for_staff_and_out_of_its_facts() {
    let desk = Desk::open(3).await;
    let stranger = desk.api.guest().await;
    let body = desk.stay(
        14,
        json!({"guest": {"name": "Ana Quaresma", "phone": "+351 912 345 678",
                         "email": "Ana.Quaresma@example.org", "locale": "pt-PT"}}),
    );

    let reply = desk.book(&desk.staff, &body).await;

    assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
    let booking = &reply.body;
    assert_eq!(booking["status"], "HELD");
    assert_eq!(booking["channel"], "walk_in", "walk_in is the default");
    assert_eq!(booking["booked_by"], format!("staff:{}", desk.staff.id));
    assert_eq!(
        booking["desk_guest"],
        json!({"name": "Ana Quaresma", "phone": "+351912345678",
               "email": "ana.quaresma@example.org", "locale": "pt-PT"})
    );
    assert!(booking.get("guest_id").is_none(), "{booking:#}");
    // The room type takes a deposit, but a desk hold asks Stripe for nothing.
    assert!(booking.get("checkout").is_none(), "{booking:#}");
    assert!(booking.get("deposit_payment").is_none(), "{booking:#}");
    assert!(booking["payment"]["deposit"].is_object(), "{booking:#}");
    let held_for = instant(&booking["hold_expires_at"]) - instant(&booking["created_at"]);
    assert_eq!(held_for, Duration::minutes(5), "the default desk minutes");

    let id = id_of(booking);
    let by_staff = desk
        .api
        .get(&format!("/booking/{id}"), desk.staff.token())
        .await;
    assert_eq!(by_staff.status, StatusCode::OK, "{by_staff:#?}");
    assert_eq!(by_staff.body["desk_guest"]["name"], "Ana Quaresma");
    desk.api
        .get(&format!("/booking/{id}"), stranger.token())
        .await
        .assert_problem(404);
    let strangers_list = desk
        .api
        .get(&format!("/bookings/user/{}", stranger.id), stranger.token())
        .await;
    assert_eq!(strangers_list.status, StatusCode::OK, "{strangers_list:#?}");
    assert!(
        !strangers_list.body.to_string().contains(&id),
        "{strangers_list:#?}"
    );

    let fact = held_fact(&desk.stored(&id).await);
    let text = fact.to_string();
    assert_eq!(fact["channel"], "walk_in");
    assert_eq!(fact["booked_by"], "staff");
    for personal in [
        "Ana",
        "Quaresma",
        "912345678",
        "example.org",
        &desk.staff.id,
    ] {
        assert!(
            !text.contains(personal),
            "{personal} is in the fact: {text}"
        );
    }
}

#[tokio::test]
async fn a_phone_booking_for_a_guest_with_an_account_is_in_that_guest_s_list() {
    let desk = Desk::open(3).await;
    let guest = desk.api.guest().await;
    let body = desk.stay(15, json!({"channel": "phone", "guest_id": guest.id}));

    let reply = desk.book(&desk.staff, &body).await;

    assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
    assert_eq!(reply.body["channel"], "phone");
    assert_eq!(reply.body["guest_id"], guest.id.as_str());
    assert!(reply.body.get("desk_guest").is_none(), "{reply:#?}");
    let id = id_of(&reply.body);
    let list = desk
        .api
        .get(&format!("/bookings/user/{}", guest.id), guest.token())
        .await;
    assert_eq!(list.status, StatusCode::OK, "{list:#?}");
    let ids: Vec<&str> = list.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|b| b["id"].as_str())
        .collect();
    assert_eq!(ids, [id.as_str()]);
    let read = desk.api.get(&format!("/booking/{id}"), guest.token()).await;
    assert_eq!(read.status, StatusCode::OK, "{read:#?}");
    let fact = held_fact(&desk.stored(&id).await);
    assert_eq!(fact["channel"], "phone");
    assert_eq!(fact["guest_id"], guest.id.as_str());
}

#[tokio::test]
async fn bad_desk_bookings_are_422s_naming_the_field_and_hold_nothing() {
    let desk = Desk::open(1).await;
    let guest = desk.api.guest().await;
    let unknown_guest = shared::domain::ids::UserId::generate().to_string();
    let cases = [
        (json!({}), "/guest/name"),
        (json!({"guest": {"phone": "+351912345678"}}), "/guest/name"),
        (json!({"guest": {"name": ""}}), "/guest/name"),
        (
            json!({"guest": {"name": "Ana", "phone": "12"}}),
            "/guest/phone",
        ),
        (
            json!({"guest": {"name": "Ana", "email": "ana@"}}),
            "/guest/email",
        ),
        (
            json!({"guest": {"name": "Ana", "locale": "portuguese"}}),
            "/guest/locale",
        ),
        (
            json!({"guest": {"name": "Ana"}, "channel": "fax"}),
            "/channel",
        ),
        (
            json!({"guest": {"name": "Ana"}, "channel": "online"}),
            "/channel",
        ),
        (
            json!({"guest": {"name": "Ana"}, "guest_id": guest.id}),
            "/guest",
        ),
        (json!({"guest_id": "not-an-id"}), "/guest_id"),
        (json!({"guest_id": unknown_guest}), "/guest_id"),
    ];
    for (extra, pointer) in cases {
        let reply = desk.book(&desk.staff, &desk.stay(16, extra.clone())).await;
        reply.assert_problem(422);
        assert_eq!(reply.pointers(), [pointer], "{extra}: {reply:#?}");
    }
    // A guest books for themself online: the desk fields are staff's.
    for (extra, pointer) in [
        (json!({"channel": "phone"}), "/channel"),
        (json!({"guest": {"name": "Someone Else"}}), "/guest"),
        (json!({"guest_id": guest.id}), "/guest_id"),
    ] {
        let reply = desk.book(&guest, &desk.stay(16, extra.clone())).await;
        reply.assert_problem(422);
        assert_eq!(reply.pointers(), [pointer], "{extra}: {reply:#?}");
    }

    // Staff of another vendor do not book here.
    let other_hotel = desk.api.vendor("hotel").await;
    desk.book(
        &other_hotel,
        &desk.stay(16, json!({"guest": {"name": "Ana"}})),
    )
    .await
    .assert_problem(403);

    // Nothing was held: the one room is still free.
    let room = desk.walk_in(16).await;
    assert_eq!(room["status"], "HELD");
}

#[tokio::test]
async fn a_desk_hold_lapses_after_the_vendor_s_minutes_and_frees_its_room() {
    let desk = Desk::open(1).await;
    let vendor_path = format!("/vendor/{}", desk.hotel.vendor());
    for wrong in [json!(0), json!(61), json!("5"), json!(2.5)] {
        let reply = desk
            .api
            .put(
                &vendor_path,
                desk.hotel.token(),
                &json!({"desk_hold_minutes": wrong}),
            )
            .await;
        reply.assert_problem(422);
        assert_eq!(
            reply.pointers(),
            ["/desk_hold_minutes"],
            "{wrong}: {reply:#?}"
        );
    }
    desk.api
        .put(
            &vendor_path,
            desk.staff.token(),
            &json!({"desk_hold_minutes": 1}),
        )
        .await
        .assert_problem(403);
    let set = desk
        .api
        .put(
            &vendor_path,
            desk.hotel.token(),
            &json!({"desk_hold_minutes": 1}),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{set:#?}");
    assert_eq!(set.body["desk_hold_minutes"], 1);

    let hold = desk.walk_in(20).await;
    let expires_at = instant(&hold["hold_expires_at"]);
    assert_eq!(
        expires_at - instant(&hold["created_at"]),
        Duration::minutes(1)
    );
    let second = desk
        .book(
            &desk.staff,
            &desk.stay(20, json!({"guest": {"name": "Bo"}})),
        )
        .await;
    assert_problem_type(&second, 409, "sold-out");

    // Delivered early (SQS delays by whole seconds), the hold stays; once due, it lapses.
    desk.expire_at(&hold, expires_at - Duration::seconds(30))
        .await;
    assert_eq!(desk.stored(&id_of(&hold)).await.status.as_str(), "HELD");
    desk.expire_at(&hold, expires_at + Duration::seconds(1))
        .await;

    assert_eq!(desk.stored(&id_of(&hold)).await.status.as_str(), "EXPIRED");
    let again = desk.walk_in(20).await;
    assert_eq!(again["status"], "HELD", "the room was freed");
}

#[tokio::test]
async fn staff_confirm_a_desk_hold_but_not_a_guest_s_online_hold() {
    let desk = Desk::open(3).await;
    let guest = desk.api.guest().await;
    let other_hotel = desk.api.vendor("hotel").await;
    let hold = desk.walk_in(21).await;
    let id = id_of(&hold);

    desk.set_status(&other_hotel, &id, "CONFIRMED")
        .await
        .assert_problem(404);
    let confirmed = desk.set_status(&desk.staff, &id, "CONFIRMED").await;

    assert_eq!(confirmed.status, StatusCode::OK, "{confirmed:#?}");
    assert_eq!(confirmed.body["status"], "CONFIRMED");
    assert!(
        confirmed.body.get("hold_expires_at").is_none(),
        "{confirmed:#?}"
    );
    let again = desk.set_status(&desk.staff, &id, "CONFIRMED").await;
    assert_eq!(
        again.status,
        StatusCode::OK,
        "confirming twice changes nothing"
    );
    assert_eq!(again.body["version"], confirmed.body["version"]);

    let online = desk.book(&guest, &desk.stay(21, json!({}))).await;
    assert_eq!(online.status, StatusCode::CREATED, "{online:#?}");
    assert_eq!(online.body["channel"], "online");
    let online_id = id_of(&online.body);
    let refused = desk.set_status(&desk.staff, &online_id, "CONFIRMED").await;
    assert_problem_type(&refused, 409, "awaits-online-deposit");
    desk.set_status(&guest, &online_id, "CONFIRMED")
        .await
        .assert_problem(403);
    assert_eq!(desk.stored(&online_id).await.status.as_str(), "HELD");
}

#[tokio::test]
async fn a_desk_payment_is_recorded_once_however_often_it_is_sent() {
    let desk = Desk::open(3).await;
    let hold = desk.walk_in(22).await;
    let id = id_of(&hold);
    let currency = hold["quote"]["total"]["currency"].clone();
    let body = json!({"amount_minor": 5_000, "currency": currency, "method": "cash",
                      "reference": "TILL-4-0042"});
    let key = uuid::Uuid::new_v4().to_string();

    let replies =
        futures::future::join_all((0..4).map(|_| desk.pay(&desk.staff, &id, &body, &key))).await;

    for reply in &replies {
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
    }
    let stored = desk.stored(&id).await;
    assert_eq!(stored.desk_payments.len(), 1, "{stored:#?}");
    let payment = &stored.desk_payments[0];
    assert_eq!(payment.amount.amount_minor, 5_000);
    assert_eq!(payment.taken_by, format!("staff:{}", desk.staff.id));
    assert_eq!(stored.version, 2, "one write for four requests");
    assert_eq!(stored.status.as_str(), "HELD", "paying does not confirm");
    let replayed = replies
        .iter()
        .filter(|r| r.header("idempotent-replayed") == Some("true"))
        .count();
    assert_eq!(replayed, 3);

    let reused = desk
        .pay(
            &desk.staff,
            &id,
            &merged(body.clone(), &json!({"amount_minor": 4_000})),
            &key,
        )
        .await;
    assert_problem_type(&reused, 422, "idempotency-key-reused");

    // A second payment by card confirms the desk hold in the same write.
    let card = json!({"amount_minor": 7_000, "currency": currency,
                      "method": "card_terminal", "confirm": true});
    let paid = desk.pay(&desk.staff, &id, &card, "card-1").await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:#?}");
    assert_eq!(paid.body["status"], "CONFIRMED");
    assert_eq!(paid.body["version"], 3);
    let methods: Vec<&str> = paid.body["desk_payments"]
        .as_array()
        .expect("the desk payments")
        .iter()
        .filter_map(|p| p["method"].as_str())
        .collect();
    assert_eq!(methods, ["cash", "card_terminal"]);
    let fact = shared::events::booking_event(Some(&stored), Some(&desk.stored(&id).await))
        .expect("a fact")
        .detail()
        .expect("the fact serialises");
    assert_eq!(fact["desk_payments"][1]["taken_by"], "staff");
    assert!(!fact.to_string().contains(&desk.staff.id), "{fact:#}");
    assert!(!fact.to_string().contains("TILL-4-0042"), "{fact:#}");
}

#[tokio::test]
async fn bad_desk_payments_are_refused_naming_the_field_and_write_nothing() {
    let desk = Desk::open(3).await;
    let guest = desk.api.guest().await;
    let other_hotel = desk.api.vendor("hotel").await;
    let hold = desk.walk_in(23).await;
    let id = id_of(&hold);
    let good = json!({"amount_minor": 5_000, "currency": "EUR", "method": "cash"});
    let cases = [
        (json!({"currency": "USD"}), "/currency"),
        (json!({"currency": "XXY"}), "/currency"),
        (json!({"amount_minor": 0}), "/amount_minor"),
        (json!({"amount_minor": -100}), "/amount_minor"),
        (json!({"amount_minor": "5000"}), "/amount_minor"),
        (json!({"method": "cheque"}), "/method"),
        (json!({"reference": "has spaces"}), "/reference"),
    ];
    for (extra, pointer) in cases {
        let reply = desk
            .pay(
                &desk.staff,
                &id,
                &merged(good.clone(), &extra),
                &uuid::Uuid::new_v4().to_string(),
            )
            .await;
        reply.assert_problem(422);
        assert_eq!(reply.pointers(), [pointer], "{extra}: {reply:#?}");
    }
    let no_key = desk
        .api
        .post(
            &format!("/booking/{id}/payments"),
            desk.staff.token(),
            &good,
        )
        .await;
    assert_problem_type(&no_key, 400, "idempotency-key-required");
    desk.pay(&guest, &id, &good, "k").await.assert_problem(403);
    desk.pay(&other_hotel, &id, &good, "k")
        .await
        .assert_problem(404);

    let stored = desk.stored(&id).await;
    assert_eq!(stored.version, 1, "nothing was written");
    assert!(stored.desk_payments.is_empty());
}

#[tokio::test]
async fn a_cancelled_booking_takes_no_payment_and_nothing_is_written() {
    let desk = Desk::open(3).await;
    let hold = desk.walk_in(24).await;
    let id = id_of(&hold);
    let cancelled = desk.set_status(&desk.staff, &id, "CANCELLED").await;
    assert_eq!(cancelled.status, StatusCode::OK, "{cancelled:#?}");
    let before = desk.stored(&id).await;

    for confirm in [false, true] {
        let reply = desk
            .pay(
                &desk.staff,
                &id,
                &json!({"amount_minor": 5_000, "currency": "EUR", "method": "cash",
                        "confirm": confirm}),
                &uuid::Uuid::new_v4().to_string(),
            )
            .await;
        reply.assert_problem(409);
    }

    assert_eq!(desk.stored(&id).await, before);
}

#[tokio::test]
async fn a_desk_guest_with_an_email_hears_of_the_confirmation_in_their_language_and_no_payment_link()
 {
    let desk = Desk::open(3).await;
    let sdk = shared::aws::sdk_config().await;
    let notifier = notifier::Notifier::from_env(desk.store.clone(), &sdk)
        .expect("the notifier's settings are set: eval \"$(localstack/local.sh env)\"");
    let email = api_tests::unique_email("desk-guest");
    let body = desk.stay(
        25,
        json!({"channel": "phone",
               "guest": {"name": "Lena Vogel", "email": email, "locale": "de-AT"}}),
    );
    let reply = desk.book(&desk.staff, &body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
    let id = id_of(&reply.body);
    let held = desk.stored(&id).await;

    let hold_fact = shared::events::booking_event(None, Some(&held)).expect("a fact");
    notifier
        .on_fact(&hold_fact, Utc::now())
        .await
        .expect("the hold is handled");
    assert!(
        api_tests::mailbox(&email).await.is_empty(),
        "a desk hold's deposit is due at the desk: no payment link"
    );

    let confirmed = desk.set_status(&desk.staff, &id, "CONFIRMED").await;
    assert_eq!(confirmed.status, StatusCode::OK, "{confirmed:#?}");
    let confirmed = desk.stored(&id).await;
    let fact = shared::events::booking_event(Some(&held), Some(&confirmed)).expect("a fact");
    notifier
        .on_fact(&fact, Utc::now())
        .await
        .expect("the confirmation is handled");
    notifier
        .on_fact(&fact, Utc::now())
        .await
        .expect("a copy of the fact is handled");

    let mails = api_tests::mailbox(&email).await;
    assert_eq!(mails.len(), 1, "{mails:#?}");
    assert!(mails[0].subject.contains("ist bestätigt"), "{mails:#?}");
    assert!(
        mails[0].body.starts_with("Guten Tag Lena Vogel,"),
        "{mails:#?}"
    );
    assert!(mails[0].body.contains(&id), "{mails:#?}");
}

#[tokio::test]
async fn staff_change_a_desk_booking_whose_deposit_is_due_at_the_desk() {
    let desk = Desk::open(3).await;
    let hold = desk.walk_in(26).await;
    let id = id_of(&hold);
    let longer = json!({"check_in": day(26), "check_out": day(28)});

    // Held: no Stripe intent fixes the deposit, so the new terms' deposit is simply taken.
    let changed = desk
        .api
        .put(&format!("/booking/{id}"), desk.staff.token(), &longer)
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:#?}");
    let deposit = |body: &Value| body["payment"]["deposit"]["amount_minor"].as_i64();
    assert!(
        deposit(&changed.body) > deposit(&hold),
        "two nights ask a larger deposit: {changed:#?}"
    );

    // Confirmed: nothing was paid online, and a longer stay is not a "deposit increase".
    let confirmed = desk.set_status(&desk.staff, &id, "CONFIRMED").await;
    assert_eq!(confirmed.status, StatusCode::OK, "{confirmed:#?}");
    let longest = desk
        .api
        .put(
            &format!("/booking/{id}"),
            desk.staff.token(),
            &json!({"check_in": day(26), "check_out": day(29)}),
        )
        .await;
    assert_eq!(longest.status, StatusCode::OK, "{longest:#?}");
    assert!(
        deposit(&longest.body) > deposit(&changed.body),
        "{longest:#?}"
    );
    assert!(
        longest.body.get("deposit_payment").is_none(),
        "{longest:#?}"
    );
}
