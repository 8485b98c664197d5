//! The money and lifecycle rules on every path, end to end through the real handlers on the local
//! stack (issue 16): a change re-derives its terms and may not need a larger deposit than was
//! paid, a guest may not move a booking out of the late window, a guest's cancel after arrival
//! is settled as a no-show, a no-show waits for arrival plus grace, the vendor cancelling refunds
//! everything, an early check-out frees the nights not stayed, an archived booking's key is
//! expired, and a change too big for one transaction is a 422.
//!
//! Bookings whose arrival has passed are arranged through the engine with an earlier `now` (the
//! handlers always act at the real time), and a paid deposit is recorded on the booking as the
//! payment webhook records it; everything under test is then done through the API.
use api_tests::{Account, Api, Reply, resource_body};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::auth::Caller;
use shared::domain::booking::{Booking, BookingAction, BookingTime};
use shared::domain::ids::{BookingId, ResourceId, UserId, VendorId};
use shared::domain::party::PartySize;
use shared::domain::payment::{DepositPayment, IntentId};
use shared::engine::{self, Creator, Held, HoldRequest, NewHold, Requester};
use shared::store::{ArchiveEntry, ArchiveIndex, BookingStore, DynamoArchive, DynamoStore};

const NIGHTLY: i64 = 10_000;

struct Desk {
    api: Api,
    store: DynamoStore,
    archive: DynamoArchive,
    hotel: Account,
    guest: Account,
    staff: Account,
}

impl Desk {
    async fn open() -> Self {
        let api = Api::start().await;
        let sdk = shared::aws::sdk_config().await;
        let store = DynamoStore::from_env(&sdk).expect("the table names are set");
        let archive = DynamoArchive::from_env(&store).expect("BOOKING_ARCHIVE_TABLE is set");
        let (hotel, guest) = tokio::join!(api.vendor("hotel"), api.guest());
        let staff = api.staff(&hotel, false).await;
        Self {
            api,
            store,
            archive,
            hotel,
            guest,
            staff,
        }
    }

    /// A room type with `policy` (deposit, cancellation) written over a plain double.
    async fn room(&self, name: &str, policy: Value) -> String {
        let body = api_tests::merged(resource_body(name, 2, 5, NIGHTLY), &policy);
        self.api.resource(&self.hotel, &body).await
    }

    async fn hold(&self, body: &Value) -> Reply {
        self.api
            .send_with(
                Method::POST,
                &format!("/booking/vendor/{}", self.hotel.vendor()),
                self.guest.token(),
                Some(body),
                &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
            )
            .await
    }

    async fn held(&self, body: &Value) -> Value {
        let reply = self.hold(body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
        reply.body
    }

    async fn change(&self, who: &Account, id: &str, body: &Value) -> Reply {
        self.api
            .put(&format!("/booking/{id}"), who.token(), body)
            .await
    }

    async fn set_status(&self, who: &Account, id: &str, status: &str) -> Reply {
        self.api
            .put(
                &format!("/booking/{id}/status"),
                who.token(),
                &json!({ "status": status }),
            )
            .await
    }

    async fn get(&self, id: &str) -> Value {
        let reply = self
            .api
            .get(&format!("/booking/{id}"), self.guest.token())
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
        reply.body
    }

    async fn stored(&self, id: &str) -> Booking {
        self.store
            .booking(BookingId::parse(id).expect("a booking id"))
            .await
            .expect("DynamoDB answers")
            .expect("the booking exists")
    }

    /// The guest's stay in `room` from `check_in` for `nights`, held as if it were `now` (the
    /// past, for an arrival that has passed), with its deposit paid if it takes one.
    async fn arranged(
        &self,
        room: &str,
        check_in: NaiveDate,
        nights: i64,
        now: DateTime<Utc>,
    ) -> String {
        let vendor = VendorId::parse(self.hotel.vendor()).expect("a vendor id");
        let guest = Caller::Guest(UserId::parse(&self.guest.id).expect("a guest id"));
        let creator = Creator::from_caller(&guest, vendor).expect("a guest may book");
        let key = uuid::Uuid::new_v4().to_string();
        let held = engine::hold(
            &self.store,
            &self.archive,
            NewHold {
                creator: &creator,
                idempotency_key: &key,
                request_hash: "arranged",
                request: HoldRequest {
                    vendor,
                    resource: Some(ResourceId::parse(room).expect("a room id")),
                    party: PartySize::new(2).expect("a party"),
                    units: None,
                    time: BookingTime::Stay {
                        check_in,
                        check_out: check_in + Duration::days(nights),
                    },
                },
                now,
                hold_seconds: 600,
            },
        )
        .await
        .expect("the arranged hold is taken");
        let Held::Created(booking) = held else {
            panic!("a fresh key replayed a booking")
        };
        if let Some(deposit) = booking.payment.deposit {
            engine::transition_with(
                &self.store,
                booking.id,
                BookingAction::Confirm,
                &Requester::System,
                now,
                |b| {
                    let mut paid = DepositPayment::awaiting(
                        IntentId::parse(&format!("pi_arranged{}", uuid::Uuid::new_v4().simple()))
                            .expect("an intent id"),
                    );
                    paid.pay(deposit);
                    b.deposit_payment = Some(paid);
                    Ok(())
                },
            )
            .await
            .expect("the deposit is recorded as paid");
        }
        booking.id.to_string()
    }

    /// Units of `room` left for the night of `night`, by the public availability.
    async fn free_on(&self, room: &str, night: NaiveDate) -> i64 {
        let path = format!(
            "/vendor/{}/availability?party_size=1&check_in={night}&check_out={}",
            self.hotel.vendor(),
            night + Duration::days(1)
        );
        let reply = self.api.get(&path, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
        reply.body["items"]
            .as_array()
            .expect("a list of offers")
            .iter()
            .find(|offer| offer["resource_id"] == room)
            .and_then(|offer| offer["units_left"].as_i64())
            .expect("the room is offered")
    }
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn stay(room: &str, check_in: NaiveDate, nights: i64) -> Value {
    json!({
        "resource_id": room,
        "party_size": 2,
        "check_in": check_in,
        "check_out": check_in + Duration::days(nights),
    })
}

fn dates(check_in: NaiveDate, nights: i64) -> Value {
    json!({"check_in": check_in, "check_out": check_in + Duration::days(nights)})
}

fn minor(money: &Value) -> i64 {
    money["amount_minor"]
        .as_i64()
        .unwrap_or_else(|| panic!("minor units in {money}"))
}

fn problem_type(reply: &Reply) -> &str {
    reply.body["type"].as_str().unwrap_or_default()
}

/// 20% down, free until 48 hours before arrival, then 10% of the stay.
fn strict() -> Value {
    json!({
        "deposit": {"kind": "percent", "percent": 20},
        "cancellation": {"free_until_hours": 48, "late_fee": {"kind": "percent", "percent": 10}},
    })
}

fn no_deposit() -> Value {
    json!({"deposit": {"kind": "none"}})
}

#[tokio::test]
async fn changing_to_a_type_that_takes_a_deposit_is_refused_and_changes_nothing() {
    let desk = Desk::open().await;
    let (cheap, suite) = tokio::join!(
        desk.room("Cheap", no_deposit()),
        desk.room("Suite", strict())
    );
    let booking = desk
        .held(&stay(&cheap, today() + Duration::days(30), 2))
        .await;
    assert_eq!(booking["status"], "CONFIRMED", "{booking:#}");
    let id = booking["id"].as_str().expect("an id");

    let upgrade = desk
        .change(&desk.guest, id, &json!({"resource_id": suite}))
        .await;

    upgrade.assert_problem(409);
    assert!(
        problem_type(&upgrade).ends_with("/deposit-increase"),
        "{upgrade:#?}"
    );
    assert_eq!(
        minor(&upgrade.body["deposit_required"]),
        2 * NIGHTLY * 20 / 100
    );
    assert_eq!(minor(&upgrade.body["deposit_paid"]), 0);
    let after = desk.get(id).await;
    assert_eq!(after["resource_id"], cheap.as_str());
    assert_eq!(after["version"], booking["version"]);
    assert!(after["payment"]["deposit"].is_null(), "{after:#}");
}

#[tokio::test]
async fn a_guest_cannot_move_a_booking_out_of_the_late_window_but_staff_can() {
    let desk = Desk::open().await;
    let late_fee_only = json!({
        "deposit": {"kind": "none"},
        "cancellation": {"free_until_hours": 72, "late_fee": {"kind": "percent", "percent": 50}},
    });
    let room = desk.room("Non-refundable-ish", late_fee_only).await;
    let booking = desk
        .held(&stay(&room, today() + Duration::days(2), 2))
        .await;
    let id = booking["id"].as_str().expect("an id");

    let month_out = dates(today() + Duration::days(32), 2);
    let moved = desk.change(&desk.guest, id, &month_out).await;

    moved.assert_problem(409);
    assert!(problem_type(&moved).ends_with("/late-change"), "{moved:#?}");
    assert!(moved.body["free_until"].is_string(), "{moved:#?}");
    assert_eq!(desk.get(id).await["time"], booking["time"]);

    let by_staff = desk.change(&desk.staff, id, &month_out).await;
    assert_eq!(by_staff.status, StatusCode::OK, "{by_staff:#?}");
    assert_eq!(
        by_staff.body["time"]["check_in"],
        json!(today() + Duration::days(32))
    );
}

#[tokio::test]
async fn a_longer_stay_cannot_keep_the_deposit_of_a_shorter_one() {
    let desk = Desk::open().await;
    let suite = desk.room("Suite", strict()).await;
    let check_in = today() + Duration::days(20);
    let id = desk.arranged(&suite, check_in, 1, Utc::now()).await;
    assert_eq!(desk.get(&id).await["deposit_payment"]["status"], "PAID");

    let longer = desk.change(&desk.guest, &id, &dates(check_in, 30)).await;

    longer.assert_problem(409);
    assert!(
        problem_type(&longer).ends_with("/deposit-increase"),
        "{longer:#?}"
    );
    assert_eq!(
        minor(&longer.body["deposit_required"]),
        30 * NIGHTLY * 20 / 100
    );
    assert_eq!(minor(&longer.body["deposit_paid"]), NIGHTLY * 20 / 100);
    assert_eq!(desk.free_on(&suite, check_in + Duration::days(1)).await, 5);

    // A hold still waiting for its deposit may not change the amount under the guest either.
    let held = desk
        .held(&stay(&suite, check_in + Duration::days(40), 1))
        .await;
    let pending = desk
        .change(
            &desk.guest,
            held["id"].as_str().expect("an id"),
            &dates(check_in + Duration::days(40), 3),
        )
        .await;
    pending.assert_problem(409);
    assert!(
        problem_type(&pending).ends_with("/deposit-pending"),
        "{pending:#?}"
    );
}

#[tokio::test]
async fn a_change_takes_the_new_types_terms() {
    let desk = Desk::open().await;
    let flexible_terms = json!({
        "deposit": {"kind": "fixed", "amount": {"amount_minor": 1_000, "currency": "EUR"}},
        "cancellation": {"free_until_hours": 0},
    });
    let (suite, flexible) = tokio::join!(
        desk.room("Suite", strict()),
        desk.room("Flexible", flexible_terms)
    );
    let id = desk
        .arranged(&suite, today() + Duration::days(20), 2, Utc::now())
        .await;

    let changed = desk
        .change(&desk.guest, &id, &json!({"resource_id": flexible}))
        .await;

    assert_eq!(changed.status, StatusCode::OK, "{changed:#?}");
    assert_eq!(minor(&changed.body["payment"]["deposit"]), 1_000);
    assert_eq!(
        changed.body["payment"]["cancellation"]["free_until_hours"],
        0
    );
    assert!(
        changed.body["payment"]["cancellation"]["late_fee"].is_null(),
        "{changed:#?}"
    );
}

#[tokio::test]
async fn a_guest_who_cancels_after_arrival_is_settled_as_a_no_show() {
    let desk = Desk::open().await;
    // Cancelling is free at any time before arrival: only arrival itself ends that.
    let room = desk
        .room(
            "Lenient",
            json!({"deposit": {"kind": "percent", "percent": 20}}),
        )
        .await;
    let arrival_day = today() - Duration::days(2);
    let id = desk
        .arranged(&room, arrival_day, 4, Utc::now() - Duration::days(3))
        .await;

    let cancelled = desk.set_status(&desk.guest, &id, "CANCELLED").await;

    assert_eq!(cancelled.status, StatusCode::OK, "{cancelled:#?}");
    let settlement = &cancelled.body["deposit_payment"]["settlement"];
    assert_eq!(
        settlement["rule"], "CANCELLED_AFTER_ARRIVAL",
        "{settlement:#}"
    );
    assert_eq!(minor(&settlement["kept"]), 4 * NIGHTLY * 20 / 100);
    assert_eq!(minor(&settlement["refund"]), 0);
    assert_eq!(settlement["acted_by"], format!("guest:{}", desk.guest.id));
    assert_eq!(cancelled.body["deposit_payment"]["status"], "KEPT");
}

#[tokio::test]
async fn a_no_show_waits_for_the_arrival_time_and_its_grace() {
    let desk = Desk::open().await;
    let room = desk.room("Suite", strict()).await;
    let check_in = today() + Duration::days(3);
    let id = desk.arranged(&room, check_in, 2, Utc::now()).await;
    let free_before = desk.free_on(&room, check_in).await;

    let early = desk.set_status(&desk.staff, &id, "NO_SHOW").await;

    early.assert_problem(409);
    assert!(
        problem_type(&early).ends_with("/no-show-too-early"),
        "{early:#?}"
    );
    assert!(early.body["allowed_from"].is_string(), "{early:#?}");
    assert_eq!(desk.get(&id).await["status"], "CONFIRMED");
    assert_eq!(desk.free_on(&room, check_in).await, free_before);

    // Arrived two days ago: the grace is long over.
    let past = desk
        .arranged(
            &room,
            today() - Duration::days(2),
            4,
            Utc::now() - Duration::days(3),
        )
        .await;
    let no_show = desk.set_status(&desk.staff, &past, "NO_SHOW").await;
    assert_eq!(no_show.status, StatusCode::OK, "{no_show:#?}");
    assert_eq!(
        no_show.body["deposit_payment"]["settlement"]["rule"],
        "NO_SHOW"
    );
    assert_eq!(
        no_show.body["deposit_payment"]["settlement"]["acted_by"],
        format!("staff:{}", desk.staff.id)
    );
}

#[tokio::test]
async fn the_vendor_cancelling_refunds_everything_even_inside_the_late_window() {
    let desk = Desk::open().await;
    let room = desk.room("Suite", strict()).await;
    let id = desk
        .arranged(&room, today() + Duration::days(1), 2, Utc::now())
        .await;

    let cancelled = desk.set_status(&desk.staff, &id, "CANCELLED").await;

    assert_eq!(cancelled.status, StatusCode::OK, "{cancelled:#?}");
    let settlement = &cancelled.body["deposit_payment"]["settlement"];
    assert_eq!(settlement["rule"], "VENDOR_CANCELLATION", "{settlement:#}");
    assert_eq!(minor(&settlement["refund"]), 2 * NIGHTLY * 20 / 100);
    assert_eq!(minor(&settlement["kept"]), 0);
    assert_eq!(settlement["acted_by"], format!("staff:{}", desk.staff.id));

    // A cancellation the guest phoned in is settled by the guest's terms, and names who took it.
    let phoned = desk
        .arranged(&room, today() + Duration::days(1), 2, Utc::now())
        .await;
    let for_guest = desk
        .api
        .put(
            &format!("/booking/{phoned}/status"),
            desk.staff.token(),
            &json!({"status": "CANCELLED", "requested_by": "guest"}),
        )
        .await;
    let settlement = &for_guest.body["deposit_payment"]["settlement"];
    assert_eq!(settlement["rule"], "LATE_CANCELLATION", "{for_guest:#?}");
    assert_eq!(settlement["acted_by"], format!("staff:{}", desk.staff.id));
    let not_a_cancel = desk
        .api
        .put(
            &format!("/booking/{own_stay}/status", own_stay = phoned),
            desk.staff.token(),
            &json!({"status": "NO_SHOW", "requested_by": "guest"}),
        )
        .await;
    not_a_cancel.assert_problem(422);
    assert_eq!(not_a_cancel.pointers(), ["/requested_by"]);

    // The guest cancelling the same kind of booking pays the late fee: 10% of the stay.
    let own = desk
        .arranged(&room, today() + Duration::days(1), 2, Utc::now())
        .await;
    let by_guest = desk.set_status(&desk.guest, &own, "CANCELLED").await;
    let settlement = &by_guest.body["deposit_payment"]["settlement"];
    assert_eq!(settlement["rule"], "LATE_CANCELLATION", "{by_guest:#?}");
    assert_eq!(minor(&settlement["kept"]), 2 * NIGHTLY * 10 / 100);
}

#[tokio::test]
async fn checking_out_early_frees_the_nights_not_stayed_and_charges_the_nights_kept() {
    let desk = Desk::open().await;
    let room = desk.room("Double", no_deposit()).await;
    let arrived = today() - Duration::days(1);
    let id = desk
        .arranged(&room, arrived, 4, Utc::now() - Duration::days(2))
        .await;
    let checked_in = desk.set_status(&desk.staff, &id, "CHECKED_IN").await;
    assert_eq!(checked_in.status, StatusCode::OK, "{checked_in:#?}");
    let tonight = desk.free_on(&room, today()).await;

    let out = desk.set_status(&desk.staff, &id, "COMPLETED").await;

    assert_eq!(out.status, StatusCode::OK, "{out:#?}");
    // The vendor's zone is Berlin; around midnight UTC its date may be a day ahead of ours.
    let departed = out.body["time"]["check_out"]
        .as_str()
        .and_then(|d| d.parse::<NaiveDate>().ok())
        .expect("a check-out date");
    assert!(
        departed == today() || departed == today() + Duration::days(1),
        "{out:#?}"
    );
    let nights = (departed - arrived).num_days();
    assert_eq!(minor(&out.body["quote"]["total"]), nights * NIGHTLY);
    assert_eq!(
        out.body["quote"]["lines"].as_array().map(Vec::len),
        Some(nights as usize)
    );
    let stored = desk.stored(&id).await;
    assert_eq!(stored.buckets.len() as i64, nights);
    if departed == today() {
        assert_eq!(desk.free_on(&room, today()).await, tonight + 1);
    }
    assert_eq!(desk.free_on(&room, arrived + Duration::days(3)).await, 5);
}

#[tokio::test]
async fn reusing_the_key_of_an_archived_booking_is_a_422_not_a_second_booking() {
    let desk = Desk::open().await;
    let room = desk.room("Double", no_deposit()).await;
    let body = stay(&room, today() + Duration::days(10), 1);
    let key = uuid::Uuid::new_v4().to_string();
    let path = format!("/booking/vendor/{}", desk.hotel.vendor());
    let headers = [("idempotency-key", key.as_str())];
    let send = || {
        desk.api.send_with(
            Method::POST,
            &path,
            desk.guest.token(),
            Some(&body),
            &headers,
        )
    };
    let first = send().await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:#?}");
    let id = first.body["id"].as_str().expect("an id").to_owned();
    let cancelled = desk.set_status(&desk.guest, &id, "CANCELLED").await;
    assert_eq!(cancelled.status, StatusCode::OK, "{cancelled:#?}");
    let booking = desk.stored(&id).await;
    let entry = ArchiveEntry::of(&booking, format!("bookings/test/{id}.json"), Utc::now());
    desk.archive
        .move_out(&booking, &entry)
        .await
        .expect("the booking moves to the archive");

    let again = send().await;

    again.assert_problem(422);
    assert!(
        problem_type(&again).ends_with("/idempotency-key-expired"),
        "{again:#?}"
    );
    assert!(
        desk.store
            .booking(booking.id)
            .await
            .expect("DynamoDB answers")
            .is_none(),
        "no second booking with the archived one's id"
    );
}

#[tokio::test]
async fn a_change_too_big_for_one_transaction_is_a_422_naming_the_time() {
    let api = Api::start().await;
    let (restaurant, guest) = tokio::join!(api.vendor("restaurant"), api.guest());
    let mut table = resource_body("Banquet", 10, 2, 5_000);
    table["deposit"] = json!({"kind": "none"});
    table["seating"] = json!({"slot_minutes": 5, "seating_minutes": 360});
    let table = api.resource(&restaurant, &table).await;
    let date = today() + Duration::days(10);
    let held = api
        .send_with(
            Method::POST,
            &format!("/booking/vendor/{}", restaurant.vendor()),
            guest.token(),
            Some(&json!({"resource_id": table, "party_size": 8, "date": date, "time": "08:00"})),
            &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
        )
        .await;
    assert_eq!(held.status, StatusCode::CREATED, "{held:#?}");
    let id = held.body["id"].as_str().expect("an id");

    let moved = api
        .put(
            &format!("/booking/{id}"),
            guest.token(),
            &json!({"date": date, "time": "15:00"}),
        )
        .await;

    moved.assert_problem(422);
    assert_eq!(moved.pointers(), ["/time"], "{moved:#?}");
}

#[tokio::test]
async fn the_vendors_grace_decides_when_a_no_show_may_be_marked() {
    let desk = Desk::open().await;
    let bad = desk
        .api
        .post(
            &format!("/vendor/{}/resource", desk.hotel.vendor()),
            desk.hotel.token(),
            &api_tests::merged(
                resource_body("Late", 2, 5, NIGHTLY),
                &json!({"cancellation": {"free_until_hours": 0, "no_show_grace_minutes": 2000}}),
            ),
        )
        .await;
    bad.assert_problem(422);
    assert_eq!(bad.pointers(), ["/cancellation/no_show_grace_minutes"]);

    // Guests arrive from midnight and are no-shows the moment it passes: the stay below arrived
    // at midnight, Berlin time, today.
    let strict_door = json!({
        "deposit": {"kind": "none"},
        "check_in_time": "00:00",
        "cancellation": {"free_until_hours": 0, "no_show_grace_minutes": 0},
    });
    let room = desk.room("Strict door", strict_door).await;
    let berlin = shared::domain::vendor::TimeZone::parse("Europe/Berlin").expect("a zone");
    let arrival_day = Utc::now().with_timezone(&berlin.tz()).date_naive();
    let id = desk
        .arranged(&room, arrival_day, 1, Utc::now() - Duration::days(1))
        .await;
    let stored = desk.stored(&id).await;
    assert_eq!(
        stored
            .payment
            .cancellation
            .no_show_grace_minutes
            .map(|g| g.get()),
        Some(0)
    );

    let no_show = desk.set_status(&desk.staff, &id, "NO_SHOW").await;

    assert_eq!(no_show.status, StatusCode::OK, "{no_show:#?}");
}
