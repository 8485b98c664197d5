//! The front desk end to end (issue 17): rooms and tables registered as units keep their type's
//! sellable count in step, a booking is put in a unit, moved and taken out (never two bookings in
//! one unit for a night, even under 50 concurrent requests), guests are checked in at the desk or
//! on their phone and checked out, housekeeping marks rooms clean, and an out-of-order block takes
//! a unit out of the counters so it can never oversell. Who may do what is checked on each.
use api_tests::{Account, Api, Reply, merged, resource_body, today_in, zone_at_noon};
use chrono::{Duration, NaiveDate, Utc};
use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::auth::{DoorKeyRejected, Jwks, verify_door_key};
use shared::domain::ids::UnitId;
use std::collections::{BTreeSet, HashMap};

const NIGHTLY: i64 = 10_000;

/// A hotel (or restaurant) with its manager, a desk member, a housekeeper and a guest.
struct Front {
    api: Api,
    zone: &'static str,
    manager: Account,
    desk: Account,
    housekeeper: Account,
    guest: Account,
}

impl Front {
    async fn open(kind: &str) -> Self {
        Self::open_on(Api::start().await, kind).await
    }

    /// Another vendor behind the same gateway (so the same token issuer).
    async fn neighbour(&self) -> Self {
        Self::open_on(self.api.from_another_source(), "hotel").await
    }

    /// The vendor is in a zone where it is about noon, so a stay from today never straddles its
    /// midnight while the test runs.
    async fn open_on(api: Api, kind: &str) -> Self {
        let zone = zone_at_noon();
        let (manager, guest) = tokio::join!(
            api.vendor_with(kind, json!({ "time_zone": zone })),
            api.guest()
        );
        let (desk, housekeeper) = tokio::join!(
            api.staff_as(&manager, "desk"),
            api.staff_as(&manager, "housekeeping")
        );
        Self {
            api,
            zone,
            manager,
            desk,
            housekeeper,
            guest,
        }
    }

    fn vendor(&self) -> &str {
        self.manager.vendor()
    }

    /// Today at the vendor: a guest arriving today checks in today.
    fn today(&self) -> NaiveDate {
        today_in(self.zone)
    }

    /// A room or table type for two (or `capacity`) that takes no deposit, so a guest's hold is
    /// CONFIRMED at once; `extra` is written over it.
    async fn room_type(&self, name: &str, capacity: i64, units: i64, extra: Value) -> String {
        let body = merged(
            merged(
                resource_body(name, capacity, units, NIGHTLY),
                &json!({"deposit": {"kind": "none"}}),
            ),
            &extra,
        );
        self.api.resource(&self.manager, &body).await
    }

    async fn register(&self, who: &Account, body: &Value) -> Reply {
        self.api
            .post(
                &format!("/vendor/{}/unit", self.vendor()),
                who.token(),
                body,
            )
            .await
    }

    /// Registers room `number` of `room_type` in service; the unit.
    async fn room(&self, room_type: &str, number: &str) -> Value {
        let reply = self
            .register(
                &self.manager,
                &json!({"resource_id": room_type, "number": number, "floor": 2}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
        reply.body
    }

    /// Registers `count` rooms of `room_type` numbered `<prefix>01`, `<prefix>02`, ...; their ids
    /// in that order.
    async fn rooms(&self, room_type: &str, prefix: &str, count: usize) -> Vec<String> {
        let mut ids = Vec::with_capacity(count);
        for n in 1..=count {
            let unit = self.room(room_type, &format!("{prefix}{n:02}")).await;
            ids.push(id_of(&unit));
        }
        ids
    }

    async fn edit_unit(&self, who: &Account, unit: &str, body: &Value) -> Reply {
        self.api
            .put(
                &format!("/vendor/{}/unit/{unit}", self.vendor()),
                who.token(),
                body,
            )
            .await
    }

    async fn resource(&self, room_type: &str) -> Value {
        let reply = self
            .api
            .get(
                &format!("/vendor/{}/resource/{room_type}", self.vendor()),
                self.manager.token(),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
        reply.body
    }

    /// `who` holds `body` at this vendor.
    async fn hold(&self, who: &Account, body: &Value) -> Reply {
        self.api
            .send_with(
                Method::POST,
                &format!("/booking/vendor/{}", self.vendor()),
                who.token(),
                Some(body),
                &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
            )
            .await
    }

    /// The guest's stay of `nights` from `check_in` in `room_type`; the booking.
    async fn book(&self, room_type: &str, check_in: NaiveDate, nights: i64) -> Value {
        let reply = self
            .hold(&self.guest, &stay(room_type, check_in, nights))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:#?}");
        reply.body
    }

    async fn booking(&self, id: &str) -> Value {
        let reply = self
            .api
            .get(&format!("/booking/{id}"), self.manager.token())
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
        reply.body
    }

    async fn assign(&self, who: &Account, booking: &str, body: &Value) -> Reply {
        self.api
            .put(&format!("/booking/{booking}/unit"), who.token(), body)
            .await
    }

    async fn unassign(&self, who: &Account, booking: &str) -> Reply {
        self.api
            .send(
                Method::DELETE,
                &format!("/booking/{booking}/unit"),
                who.token(),
                None,
            )
            .await
    }

    async fn check_in(&self, who: &Account, booking: &str, body: &Value) -> Reply {
        self.api
            .post(&format!("/booking/{booking}/check-in"), who.token(), body)
            .await
    }

    async fn check_out(&self, who: &Account, booking: &str) -> Reply {
        self.api
            .post(
                &format!("/booking/{booking}/check-out"),
                who.token(),
                &json!({}),
            )
            .await
    }

    async fn housekeeping(&self, who: &Account, unit: &str, status: &str) -> Reply {
        self.api
            .put(
                &format!("/vendor/{}/unit/{unit}/housekeeping", self.vendor()),
                who.token(),
                &json!({ "status": status }),
            )
            .await
    }

    async fn block(&self, who: &Account, unit: &str, from: NaiveDate, to: NaiveDate) -> Reply {
        self.api
            .post(
                &format!("/vendor/{}/unit/{unit}/blocks", self.vendor()),
                who.token(),
                &json!({"from": from, "to": to, "reason": "leak"}),
            )
            .await
    }

    async fn unblock(&self, who: &Account, unit: &str, block: &str) -> Reply {
        self.api
            .send(
                Method::DELETE,
                &format!("/vendor/{}/unit/{unit}/blocks/{block}", self.vendor()),
                who.token(),
                None,
            )
            .await
    }

    /// The vendor's units on `date` as `who` sees them, by number.
    async fn units_on(&self, who: &Account, date: NaiveDate) -> HashMap<String, Value> {
        let reply = self
            .api
            .get(
                &format!("/vendor/{}/units?date={date}", self.vendor()),
                who.token(),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
        reply.body["units"]
            .as_array()
            .unwrap_or_else(|| panic!("a list of units: {reply:#?}"))
            .iter()
            .map(|u| {
                (
                    u["number"].as_str().unwrap_or_default().to_owned(),
                    u.clone(),
                )
            })
            .collect()
    }

    /// Units of `room_type` left for the night of `night`, by the public availability.
    async fn free_on(&self, room_type: &str, night: NaiveDate) -> i64 {
        let path = format!(
            "/vendor/{}/availability?party_size=1&check_in={night}&check_out={}",
            self.vendor(),
            night + Duration::days(1)
        );
        let reply = self.api.get(&path, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
        reply.body["items"]
            .as_array()
            .expect("a list of offers")
            .iter()
            .find(|offer| offer["resource_id"] == room_type)
            .and_then(|offer| offer["units_left"].as_i64())
            .unwrap_or_else(|| panic!("{room_type} is offered: {reply:#?}"))
    }
}

fn stay(room_type: &str, check_in: NaiveDate, nights: i64) -> Value {
    json!({
        "resource_id": room_type,
        "party_size": 2,
        "check_in": check_in,
        "check_out": check_in + Duration::days(nights),
    })
}

fn id_of(body: &Value) -> String {
    body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("an id in {body:#}"))
        .to_owned()
}

fn problem_type(reply: &Reply) -> &str {
    reply.body["type"].as_str().unwrap_or_default()
}

#[track_caller]
fn assert_type(reply: &Reply, status: u16, ending: &str) {
    reply.assert_problem(status);
    assert!(
        problem_type(reply).ends_with(ending),
        "a problem of type …{ending}: {reply:#?}"
    );
}

/// A 403 or a 404: either way the caller learns nothing and changes nothing.
#[track_caller]
fn assert_refused(reply: &Reply, who: &Account) {
    assert!(
        matches!(reply.status.as_u16(), 403 | 404),
        "{} is refused with 403 or 404: {reply:#?}",
        who.email
    );
}

fn ids(list: &Value) -> BTreeSet<String> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn dates_in(list: &Value) -> BTreeSet<NaiveDate> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().and_then(|d| d.parse().ok()))
                .collect()
        })
        .unwrap_or_default()
}

/// The nights of a booking as its body gives them.
fn nights_of(booking: &Value) -> BTreeSet<NaiveDate> {
    let day = |field: &str| -> NaiveDate {
        booking["time"][field]
            .as_str()
            .and_then(|d| d.parse().ok())
            .unwrap_or_else(|| panic!("time.{field} in {booking:#}"))
    };
    let (from, to) = (day("check_in"), day("check_out"));
    from.iter_days().take_while(|d| *d < to).collect()
}

// Units and their type's count.

#[tokio::test]
async fn registered_rooms_set_their_types_units_and_one_out_of_service_lowers_it() {
    let front = Front::open("hotel").await;
    let double = front.room_type("Double", 2, 20, json!({})).await;

    let rooms = front.rooms(&double, "2", 3).await;

    let registered = front.resource(&double).await;
    assert_eq!(registered["units"], 3, "{registered:#}");
    assert_eq!(registered["units_in_service"], 3, "{registered:#}");
    assert_eq!(
        front
            .free_on(&double, front.today() + Duration::days(5))
            .await,
        3
    );

    let out = front
        .edit_unit(
            &front.manager,
            &rooms[2],
            &json!({"number": "203", "floor": 2, "in_service": false}),
        )
        .await;
    assert_eq!(out.status, StatusCode::OK, "{out:#?}");
    assert_eq!(out.body["in_service"], false, "{out:#?}");
    let after = front.resource(&double).await;
    assert_eq!(after["units"], 2, "{after:#}");
    assert_eq!(after["units_in_service"], 2, "{after:#}");
    assert_eq!(
        front
            .free_on(&double, front.today() + Duration::days(5))
            .await,
        2
    );

    // While rooms are registered, their type's count is theirs alone to move.
    let forced = front
        .api
        .put(
            &format!("/vendor/{}/resource/{double}", front.vendor()),
            front.manager.token(),
            &json!({"units": 7}),
        )
        .await;
    forced.assert_problem(422);
    assert_eq!(forced.pointers(), ["/units"], "{forced:#?}");
    assert_eq!(front.resource(&double).await["units"], 2);

    let back = front
        .edit_unit(
            &front.manager,
            &rooms[2],
            &json!({"number": "203", "floor": 2, "in_service": true}),
        )
        .await;
    assert_eq!(back.status, StatusCode::OK, "{back:#?}");
    assert_eq!(front.resource(&double).await["units"], 3);

    // Staff, the housekeeper included, see the rooms of the day without any guest in them.
    let listed = front.units_on(&front.housekeeper, front.today()).await;
    assert_eq!(listed.len(), 3, "{listed:#?}");
    for number in ["201", "202", "203"] {
        let unit = &listed[number];
        assert_eq!(unit["resource_id"], double.as_str(), "{unit:#}");
        assert_eq!(unit["status"], "clean", "{unit:#}");
        assert_eq!(unit["occupied"], false, "{unit:#}");
    }
}

#[tokio::test]
async fn a_unit_is_refused_naming_the_field_for_a_taken_number_a_foreign_type_or_seats_on_a_room() {
    let front = Front::open("hotel").await;
    let other = front.api.vendor("hotel").await;
    let theirs = resource_body("Theirs", 2, 5, NIGHTLY);
    let (double, foreign) = tokio::join!(
        front.room_type("Double", 2, 5, json!({})),
        front.api.resource(&other, &theirs)
    );
    let first = front.room(&double, "12a").await;
    assert_eq!(first["number"], "12a");
    assert_eq!(first["vendor_id"], front.vendor());
    assert_eq!(first["housekeeping"], "clean", "{first:#}");
    assert_eq!(first["in_service"], true, "{first:#}");

    let taken = front
        .register(
            &front.manager,
            &json!({"resource_id": double, "number": "12A"}),
        )
        .await;
    assert_type(&taken, 409, "unit-number-taken");

    for resource_id in [foreign.clone(), uuid::Uuid::new_v4().to_string()] {
        let stray = front
            .register(
                &front.manager,
                &json!({"resource_id": resource_id, "number": "99"}),
            )
            .await;
        stray.assert_problem(422);
        assert_eq!(stray.pointers(), ["/resource_id"], "{stray:#?}");
    }

    let seated = front
        .register(
            &front.manager,
            &json!({"resource_id": double, "number": "14", "seats": 4}),
        )
        .await;
    seated.assert_problem(422);
    assert_eq!(seated.pointers(), ["/seats"], "{seated:#?}");

    let moved = front
        .edit_unit(
            &front.manager,
            &id_of(&first),
            &json!({"resource_id": foreign, "number": "12a"}),
        )
        .await;
    moved.assert_problem(422);
    assert_eq!(moved.pointers(), ["/resource_id"], "{moved:#?}");

    // Nothing of the refused requests was written: one room, and the type counts it alone.
    assert_eq!(front.resource(&double).await["units"], 1);
    let listed = front.units_on(&front.manager, front.today()).await;
    assert_eq!(listed.keys().collect::<Vec<_>>(), ["12a"], "{listed:#?}");
}

#[tokio::test]
async fn taking_a_room_with_a_guest_put_in_it_out_of_service_is_409_naming_the_booking() {
    let front = Front::open("hotel").await;
    let double = front.room_type("Double", 2, 5, json!({})).await;
    let rooms = front.rooms(&double, "3", 2).await;
    let booking = front
        .book(&double, front.today() + Duration::days(4), 2)
        .await;
    let id = id_of(&booking);
    let put = front
        .assign(&front.desk, &id, &json!({"unit_id": rooms[0]}))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{put:#?}");

    let out = front
        .edit_unit(
            &front.manager,
            &rooms[0],
            &json!({"number": "301", "in_service": false}),
        )
        .await;

    assert_type(&out, 409, "unit-occupied");
    assert_eq!(ids(&out.body["bookings"]), BTreeSet::from([id]));
    assert_eq!(front.resource(&double).await["units"], 2);
}

// Assignment.

#[tokio::test]
async fn a_booking_is_put_in_a_room_moved_and_taken_out_and_a_taken_room_is_409_naming_it() {
    let front = Front::open("hotel").await;
    let double = front.room_type("Double", 2, 5, json!({})).await;
    let rooms = front.rooms(&double, "4", 2).await;
    let check_in = front.today() + Duration::days(10);
    let first = id_of(&front.book(&double, check_in, 3).await);
    let second = id_of(&front.book(&double, check_in + Duration::days(2), 2).await);

    let put = front
        .assign(&front.desk, &first, &json!({"unit_id": rooms[0]}))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{put:#?}");
    assert_eq!(put.body["unit"]["unit_id"], rooms[0].as_str(), "{put:#?}");
    assert_eq!(put.body["unit"]["number"], "401", "{put:#?}");
    assert_eq!(front.booking(&first).await["unit"]["number"], "401");

    // The second stay shares one night (check_in + 2) with the first.
    let clash = front
        .assign(&front.desk, &second, &json!({"unit_id": rooms[0]}))
        .await;
    assert_type(&clash, 409, "unit-taken");
    assert_eq!(clash.body["unit_id"], rooms[0].as_str(), "{clash:#?}");
    assert_eq!(clash.body["unit_number"], "401", "{clash:#?}");
    assert_eq!(
        dates_in(&clash.body["nights"]),
        BTreeSet::from([check_in + Duration::days(2)]),
        "{clash:#?}"
    );
    assert!(front.booking(&second).await["unit"].is_null());

    // Moving takes the new room and frees the old one together.
    let moved = front
        .assign(&front.manager, &first, &json!({"unit_id": rooms[1]}))
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:#?}");
    assert_eq!(moved.body["unit"]["number"], "402", "{moved:#?}");
    let freed = front
        .assign(&front.desk, &second, &json!({"unit_id": rooms[0]}))
        .await;
    assert_eq!(freed.status, StatusCode::OK, "{freed:#?}");
    assert_eq!(freed.body["unit"]["number"], "401", "{freed:#?}");

    let out = front.unassign(&front.desk, &first).await;
    assert_eq!(out.status, StatusCode::OK, "{out:#?}");
    assert!(out.body["unit"].is_null(), "{out:#?}");
    assert!(front.booking(&first).await["unit"].is_null());
    // 402 is free again: the second booking may move there.
    let again = front
        .assign(&front.desk, &second, &json!({"unit_id": rooms[1]}))
        .await;
    assert_eq!(again.status, StatusCode::OK, "{again:#?}");

    // Auto-assignment finds the free room for the first booking (401, since 402 is taken).
    let auto = front
        .assign(&front.desk, &first, &json!({"auto": true}))
        .await;
    assert_eq!(auto.status, StatusCode::OK, "{auto:#?}");
    assert_eq!(auto.body["unit"]["number"], "401", "{auto:#?}");
}

#[tokio::test]
async fn a_change_of_dates_keeps_the_room_when_free_and_a_cancel_frees_it() {
    let front = Front::open("hotel").await;
    let double = front.room_type("Double", 2, 5, json!({})).await;
    let rooms = front.rooms(&double, "5", 2).await;
    let first_stay = front.today() + Duration::days(8);
    let a = id_of(&front.book(&double, first_stay, 2).await);
    let b = id_of(&front.book(&double, first_stay, 2).await);
    let put = front
        .assign(&front.desk, &a, &json!({"unit_id": rooms[0]}))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{put:#?}");

    let later = first_stay + Duration::days(4);
    let moved = front
        .api
        .put(
            &format!("/booking/{a}"),
            front.guest.token(),
            &json!({"check_in": later, "check_out": later + Duration::days(2)}),
        )
        .await;

    assert_eq!(moved.status, StatusCode::OK, "{moved:#?}");
    assert_eq!(moved.body["unit"]["number"], "501", "{moved:#?}");
    // Its old nights in 501 are free again.
    let into_old = front
        .assign(&front.desk, &b, &json!({"unit_id": rooms[0]}))
        .await;
    assert_eq!(into_old.status, StatusCode::OK, "{into_old:#?}");

    // Cancelled, `a` gives 501 back for its new nights too.
    let c = id_of(&front.book(&double, later, 1).await);
    let clash = front
        .assign(&front.desk, &c, &json!({"unit_id": rooms[0]}))
        .await;
    assert_type(&clash, 409, "unit-taken");
    let cancelled = front
        .api
        .put(
            &format!("/booking/{a}/status"),
            front.guest.token(),
            &json!({"status": "CANCELLED"}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{cancelled:#?}");
    let freed = front
        .assign(&front.desk, &c, &json!({"unit_id": rooms[0]}))
        .await;
    assert_eq!(freed.status, StatusCode::OK, "{freed:#?}");
}

#[tokio::test]
async fn staying_longer_keeps_the_room_or_is_409_naming_the_room_and_the_night_it_is_taken() {
    let front = Front::open("hotel").await;
    let double = front.room_type("Double", 2, 5, json!({})).await;
    let rooms = front.rooms(&double, "9", 2).await;
    let today = front.today();
    let tomorrow = today + Duration::days(1);
    let staying = id_of(&front.book(&double, today, 1).await);
    let arrived = front
        .check_in(
            &front.desk,
            &staying,
            &json!({"method": "desk", "unit_id": rooms[0], "early": true}),
        )
        .await;
    assert_eq!(arrived.status, StatusCode::OK, "{arrived:#?}");
    let next_guest = id_of(&front.book(&double, tomorrow, 1).await);
    let put = front
        .assign(&front.desk, &next_guest, &json!({"unit_id": rooms[0]}))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{put:#?}");
    let longer = json!({"check_in": today, "check_out": today + Duration::days(2)});

    let refused = front
        .api
        .put(&format!("/booking/{staying}"), front.desk.token(), &longer)
        .await;

    assert_type(&refused, 409, "unit-taken");
    assert_eq!(refused.body["unit_number"], "901", "{refused:#?}");
    assert_eq!(
        dates_in(&refused.body["nights"]),
        BTreeSet::from([tomorrow]),
        "{refused:#?}"
    );
    let unchanged = front.booking(&staying).await;
    assert_eq!(
        unchanged["time"]["check_out"],
        json!(tomorrow),
        "{unchanged:#}"
    );
    assert_eq!(front.free_on(&double, tomorrow).await, 1);

    // With the next guest moved to 902, the stay goes on in 901.
    let moved = front
        .assign(&front.desk, &next_guest, &json!({"unit_id": rooms[1]}))
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:#?}");
    let extended = front
        .api
        .put(&format!("/booking/{staying}"), front.desk.token(), &longer)
        .await;
    assert_eq!(extended.status, StatusCode::OK, "{extended:#?}");
    assert_eq!(extended.body["unit"]["number"], "901", "{extended:#?}");
    assert_eq!(extended.body["status"], "CHECKED_IN", "{extended:#?}");
    assert_eq!(front.free_on(&double, tomorrow).await, 0);
}

#[tokio::test]
async fn putting_a_booking_in_an_unknown_foreign_or_other_types_room_is_422_naming_unit_id() {
    let front = Front::open("hotel").await;
    let other = front.neighbour().await;
    let (double, suite, theirs) = tokio::join!(
        front.room_type("Double", 2, 5, json!({})),
        front.room_type("Suite", 2, 5, json!({})),
        other.room_type("Theirs", 2, 5, json!({}))
    );
    let _double_room = front.room(&double, "501").await;
    let retired = id_of(&front.room(&double, "502").await);
    let suite_room = id_of(&front.room(&suite, "601").await);
    let their_room = id_of(&other.room(&theirs, "501").await);
    let out = front
        .edit_unit(
            &front.manager,
            &retired,
            &json!({"number": "502", "in_service": false}),
        )
        .await;
    assert_eq!(out.status, StatusCode::OK, "{out:#?}");
    let booking = id_of(
        &front
            .book(&double, front.today() + Duration::days(6), 1)
            .await,
    );

    for unit in [
        uuid::Uuid::new_v4().to_string(),
        their_room,
        suite_room,
        retired,
        "not-an-id".to_owned(),
    ] {
        let reply = front
            .assign(&front.desk, &booking, &json!({ "unit_id": unit }))
            .await;
        reply.assert_problem(422);
        assert_eq!(reply.pointers(), ["/unit_id"], "{unit}: {reply:#?}");
    }
    assert!(front.booking(&booking).await["unit"].is_null());
}

#[tokio::test]
async fn a_table_too_small_is_422_naming_unit_id_and_a_taken_table_names_the_shared_slots() {
    let front = Front::open("restaurant").await;
    let tables = front.room_type("Long table", 6, 4, json!({})).await;
    let small = front
        .register(
            &front.manager,
            &json!({"resource_id": tables, "number": "T2", "seats": 2, "area": "terrace"}),
        )
        .await;
    assert_eq!(small.status, StatusCode::CREATED, "{small:#?}");
    assert_eq!(small.body["seats"], 2, "{small:#?}");
    let large = front
        .register(
            &front.manager,
            &json!({"resource_id": tables, "number": "T6", "seats": 6}),
        )
        .await;
    assert_eq!(large.status, StatusCode::CREATED, "{large:#?}");
    let date = front.today() + Duration::days(9);
    let held = front
        .hold(
            &front.guest,
            &json!({"resource_id": tables, "party_size": 4, "date": date, "time": "19:00"}),
        )
        .await;
    assert_eq!(held.status, StatusCode::CREATED, "{held:#?}");
    let booking = id_of(&held.body);

    let cramped = front
        .assign(
            &front.desk,
            &booking,
            &json!({"unit_id": id_of(&small.body)}),
        )
        .await;
    cramped.assert_problem(422);
    assert_eq!(cramped.pointers(), ["/unit_id"], "{cramped:#?}");

    let fits = front
        .assign(&front.desk, &booking, &json!({"auto": true}))
        .await;
    assert_eq!(fits.status, StatusCode::OK, "{fits:#?}");
    assert_eq!(fits.body["unit"]["number"], "T6", "{fits:#?}");

    // A seating half an hour later overlaps: the table is taken for the slots they share.
    let later = front
        .hold(
            &front.guest,
            &json!({"resource_id": tables, "party_size": 2, "date": date, "time": "19:30"}),
        )
        .await;
    assert_eq!(later.status, StatusCode::CREATED, "{later:#?}");
    let taken = front
        .assign(
            &front.desk,
            &id_of(&later.body),
            &json!({"unit_id": id_of(&large.body)}),
        )
        .await;
    assert_type(&taken, 409, "unit-taken");
    assert_eq!(taken.body["unit_number"], "T6", "{taken:#?}");
    // 19:00 and 19:30 for 90 minutes share two slots: named as the bookings name their
    // buckets (`S#<start>`), under `slots` as the OpenAPI document has it.
    let of = |booking: &Value| ids(&booking["buckets"]);
    let first_slots = of(&front.booking(&booking).await);
    let later_slots = of(&later.body);
    let shared: BTreeSet<String> = first_slots.intersection(&later_slots).cloned().collect();
    assert_eq!(shared.len(), 2, "{first_slots:?} {later_slots:?}");
    assert_eq!(ids(&taken.body["slots"]), shared, "{taken:#?}");
}

/// 50 bookings whose stays all share one night, each put at once in one of 5 rooms (ten per
/// room): exactly one per room can win. The type sells 50 rooms, so every hold fits.
#[tokio::test]
async fn fifty_concurrent_assignments_across_five_rooms_never_put_two_guests_in_one_room() {
    let front = Front::open("hotel").await;
    let double = front.room_type("Double", 2, 50, json!({})).await;
    let rooms = front.rooms(&double, "7", 50).await;
    let contested = &rooms[..5];
    let first_night = front.today() + Duration::days(20);
    let mut bookings = Vec::with_capacity(50);
    for k in 0..50 {
        // Three nights from first_night, +1 or +2: every stay has first_night + 2.
        let booking = front
            .book(&double, first_night + Duration::days(k % 3), 3)
            .await;
        bookings.push(id_of(&booking));
    }

    let replies = join_all(bookings.iter().enumerate().map(|(k, booking)| {
        let unit = contested[k % 5].clone();
        let front = &front;
        async move {
            front
                .assign(&front.desk, booking, &json!({ "unit_id": unit }))
                .await
        }
    }))
    .await;

    let mut stored = Vec::with_capacity(50);
    for booking in &bookings {
        stored.push(front.booking(booking).await);
    }
    // No room has two bookings with a common night, by the bookings themselves.
    let mut nights_by_room: HashMap<String, Vec<(String, BTreeSet<NaiveDate>)>> = HashMap::new();
    for booking in &stored {
        if let Some(unit) = booking["unit"]["unit_id"].as_str() {
            nights_by_room
                .entry(unit.to_owned())
                .or_default()
                .push((id_of(booking), nights_of(booking)));
        }
    }
    for (room, held) in &nights_by_room {
        for (i, (a, a_nights)) in held.iter().enumerate() {
            for (b, b_nights) in &held[i + 1..] {
                assert!(
                    a_nights.is_disjoint(b_nights),
                    "{a} and {b} are both in room {room} on a common night"
                );
            }
        }
    }
    let winners: HashMap<&str, &Value> = stored
        .iter()
        .filter_map(|b| b["unit"]["unit_id"].as_str().map(|u| (u, b)))
        .collect();
    let successes = replies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!(successes, 5, "one booking per room: {replies:#?}");
    assert_eq!(winners.len(), 5, "every contested room has its booking");
    for (k, reply) in replies.iter().enumerate() {
        let room = &contested[k % 5];
        if reply.status == StatusCode::OK {
            assert_eq!(stored[k]["unit"]["unit_id"], room.as_str(), "{reply:#?}");
            continue;
        }
        // Every failure is a 409 naming the room and the nights it lost.
        assert_type(reply, 409, "unit-taken");
        assert_eq!(reply.body["unit_id"], room.as_str(), "{reply:#?}");
        let number = format!("7{:02}", k % 5 + 1);
        assert_eq!(reply.body["unit_number"], number.as_str(), "{reply:#?}");
        let named = dates_in(&reply.body["nights"]);
        let winner = winners[room.as_str()];
        let common: BTreeSet<NaiveDate> = nights_of(&stored[k])
            .intersection(&nights_of(winner))
            .copied()
            .collect();
        assert!(
            !named.is_empty() && named.is_subset(&common),
            "the nights named {named:?} are among those shared with the room's booking {common:?}: {reply:#?}"
        );
        assert!(stored[k]["unit"].is_null(), "{:#}", stored[k]);
    }
    // The board agrees: on the shared night the five contested rooms are occupied, no other.
    let board = front
        .units_on(&front.desk, first_night + Duration::days(2))
        .await;
    let occupied: BTreeSet<&str> = board
        .iter()
        .filter(|(_, unit)| unit["occupied"] == true)
        .map(|(number, _)| number.as_str())
        .collect();
    assert_eq!(
        occupied,
        BTreeSet::from(["701", "702", "703", "704", "705"]),
        "{board:#?}"
    );
    // Assignment moves rooms, never the type's counters: every hold still counts once.
    assert_eq!(
        front
            .free_on(&double, first_night + Duration::days(2))
            .await,
        0
    );
    assert_eq!(front.free_on(&double, first_night).await, 50 - 17);
}

// Check-in and check-out.

#[tokio::test]
async fn checking_in_at_the_desk_puts_the_guest_in_a_clean_room_not_a_dirty_one() {
    let front = Front::open("hotel").await;
    let double = front.room_type("Double", 2, 5, json!({})).await;
    let rooms = front.rooms(&double, "8", 2).await;
    let dirty = front
        .housekeeping(&front.housekeeper, &rooms[0], "dirty")
        .await;
    assert_eq!(dirty.status, StatusCode::OK, "{dirty:#?}");
    assert_eq!(dirty.body["housekeeping"], "dirty", "{dirty:#?}");
    let booking = id_of(&front.book(&double, front.today(), 2).await);

    let arrived = front
        .check_in(
            &front.desk,
            &booking,
            &json!({"method": "desk", "id_checked": true, "early": true}),
        )
        .await;

    assert_eq!(arrived.status, StatusCode::OK, "{arrived:#?}");
    let checked_in = &arrived.body["booking"];
    assert_eq!(checked_in["status"], "CHECKED_IN", "{arrived:#?}");
    assert_eq!(
        checked_in["unit"]["unit_id"],
        rooms[1].as_str(),
        "{arrived:#?}"
    );
    assert_eq!(checked_in["unit"]["number"], "802", "{arrived:#?}");
    let record = &checked_in["check_in"];
    assert_eq!(record["method"], "desk", "{record:#}");
    assert_eq!(
        record["by"],
        format!("staff:{}", front.desk.id),
        "{record:#}"
    );
    assert_eq!(
        record["id_checked_by"],
        format!("staff:{}", front.desk.id),
        "{record:#}"
    );
    assert!(record["at"].is_string(), "{record:#}");
    let today = front.units_on(&front.housekeeper, front.today()).await;
    assert_eq!(today["802"]["occupied"], true, "{today:#?}");
    assert_eq!(today["801"]["occupied"], false, "{today:#?}");
    assert_eq!(today["801"]["status"], "dirty", "{today:#?}");

    // A checked-in guest is moved, never just taken out of their room.
    let out = front.unassign(&front.desk, &booking).await;
    assert_type(&out, 409, "checked-in");
    assert_eq!(front.booking(&booking).await["unit"]["number"], "802");

    // Only the dirty room is left: the next guest waits for it to be cleaned.
    let next = id_of(&front.book(&double, front.today(), 1).await);
    let waits = front
        .check_in(
            &front.desk,
            &next,
            &json!({"method": "desk", "early": true}),
        )
        .await;
    assert_type(&waits, 409, "no-unit-free");
    assert_eq!(front.booking(&next).await["status"], "CONFIRMED");
    let cleaned = front
        .housekeeping(&front.housekeeper, &rooms[0], "clean")
        .await;
    assert_eq!(cleaned.status, StatusCode::OK, "{cleaned:#?}");
    let now_in = front
        .check_in(
            &front.desk,
            &next,
            &json!({"method": "desk", "early": true}),
        )
        .await;
    assert_eq!(now_in.status, StatusCode::OK, "{now_in:#?}");
    assert_eq!(
        now_in.body["booking"]["unit"]["number"], "801",
        "{now_in:#?}"
    );
}

#[tokio::test]
async fn staff_check_a_guest_in_before_the_check_in_time_only_when_they_say_early() {
    let front = Front::open("hotel").await;
    // It is about noon at the vendor: before the default 15:00 check-in.
    let double = front.room_type("Double", 2, 5, json!({})).await;
    front.rooms(&double, "L", 1).await;
    let booking = id_of(&front.book(&double, front.today(), 1).await);

    let phone = front
        .check_in(
            &front.guest,
            &booking,
            &json!({"method": "mobile", "early": true}),
        )
        .await;
    // The guest on their phone waits for the check-in time: only staff let a guest in early.
    assert_type(&phone, 409, "check-in-too-early");
    assert_eq!(front.booking(&booking).await["status"], "CONFIRMED");

    let unasked = front
        .check_in(&front.desk, &booking, &json!({"method": "desk"}))
        .await;

    assert_type(&unasked, 409, "check-in-too-early");
    assert!(unasked.body["opens_at"].is_string(), "{unasked:#?}");
    assert_eq!(front.booking(&booking).await["status"], "CONFIRMED");
    let allowed = front
        .check_in(
            &front.desk,
            &booking,
            &json!({"method": "desk", "early": true}),
        )
        .await;
    assert_eq!(allowed.status, StatusCode::OK, "{allowed:#?}");
    assert_eq!(
        allowed.body["booking"]["check_in"]["early"], true,
        "{allowed:#?}"
    );
    assert_eq!(
        allowed.body["booking"]["unit"]["number"], "L01",
        "{allowed:#?}"
    );
}

#[tokio::test]
async fn checking_in_through_the_status_puts_the_guest_in_a_room_too() {
    let front = Front::open("hotel").await;
    let double = front.room_type("Double", 2, 5, json!({})).await;
    front.rooms(&double, "6", 1).await;
    let booking = id_of(&front.book(&double, front.today(), 1).await);

    let arrived = front
        .api
        .put(
            &format!("/booking/{booking}/status"),
            front.desk.token(),
            &json!({"status": "CHECKED_IN"}),
        )
        .await;

    assert_eq!(arrived.status, StatusCode::OK, "{arrived:#?}");
    let stored = front.booking(&booking).await;
    assert_eq!(stored["status"], "CHECKED_IN", "{stored:#}");
    assert_eq!(stored["unit"]["number"], "601", "{stored:#}");
}

#[tokio::test]
async fn checking_in_before_the_arrival_day_or_a_held_booking_is_409_and_changes_nothing() {
    let front = Front::open("hotel").await;
    // A 20 % deposit: the guest's hold of a suite stays HELD until it is paid.
    let suite = resource_body("Suite", 2, 5, NIGHTLY);
    let (double, suite) = tokio::join!(
        front.room_type("Double", 2, 5, json!({})),
        front.api.resource(&front.manager, &suite)
    );
    front.rooms(&double, "9", 1).await;
    front.rooms(&suite, "S", 1).await;
    let tomorrow = id_of(
        &front
            .book(&double, front.today() + Duration::days(1), 1)
            .await,
    );

    let early = front
        .check_in(
            &front.desk,
            &tomorrow,
            &json!({"method": "desk", "early": true}),
        )
        .await;

    assert_type(&early, 409, "check-in-too-early");
    let unchanged = front.booking(&tomorrow).await;
    assert_eq!(unchanged["status"], "CONFIRMED", "{unchanged:#}");
    assert!(unchanged["unit"].is_null(), "{unchanged:#}");

    let held = front.book(&suite, front.today(), 1).await;
    assert_eq!(held["status"], "HELD", "{held:#}");
    let refused = front
        .check_in(
            &front.desk,
            &id_of(&held),
            &json!({"method": "desk", "early": true}),
        )
        .await;
    refused.assert_problem(409);
    assert!(
        problem_type(&refused).ends_with("invalid-transition"),
        "{refused:#?}"
    );
    assert_eq!(front.booking(&id_of(&held)).await["status"], "HELD");

    let not_in = front.check_out(&front.desk, &tomorrow).await;
    not_in.assert_problem(409);
    assert_eq!(front.booking(&tomorrow).await["status"], "CONFIRMED");
}

#[tokio::test]
async fn a_guest_checks_in_on_their_phone_and_gets_a_key_but_not_at_the_desk_nor_for_another() {
    let front = Front::open("hotel").await;
    // Check-in from midnight, so the phone check-in is open on the arrival day whatever the hour.
    let double = front
        .room_type("Double", 2, 5, json!({"check_in_time": "00:00"}))
        .await;
    let room = front.rooms(&double, "1", 1).await.remove(0);
    let booking = id_of(&front.book(&double, front.today(), 1).await);
    let stranger = front.api.guest().await;

    let at_desk = front
        .check_in(&front.guest, &booking, &json!({"method": "desk"}))
        .await;
    assert!(
        matches!(at_desk.status.as_u16(), 403 | 422),
        "a guest does not check in at the desk: {at_desk:#?}"
    );
    let other = front
        .check_in(&stranger, &booking, &json!({"method": "mobile"}))
        .await;
    other.assert_problem(404);
    assert_eq!(front.booking(&booking).await["status"], "CONFIRMED");

    let arrived = front
        .check_in(&front.guest, &booking, &json!({"method": "mobile"}))
        .await;

    assert_eq!(arrived.status, StatusCode::OK, "{arrived:#?}");
    assert_eq!(
        arrived.body["booking"]["status"], "CHECKED_IN",
        "{arrived:#?}"
    );
    assert_eq!(
        arrived.body["booking"]["unit"]["number"], "101",
        "{arrived:#?}"
    );
    assert_eq!(
        arrived.body["booking"]["check_in"]["by"],
        format!("guest:{}", front.guest.id)
    );
    let key = &arrived.body["key"];
    assert!(
        key["token"]
            .as_str()
            .is_some_and(|t| t.split('.').count() == 3),
        "{key:#}"
    );
    assert!(
        key["valid_from"].is_string() && key["valid_to"].is_string(),
        "{key:#}"
    );
    // The door checks it offline against the issuer's keys: it opens room 101 and no other.
    let served = front.api.get("/.well-known/jwks.json", None).await;
    assert_eq!(served.status, StatusCode::OK, "{served:#?}");
    let jwks: Jwks = serde_json::from_value(served.body).expect("a JWKS");
    let token = key["token"].as_str().unwrap_or_default();
    let room = UnitId::parse(&room).expect("a unit id");
    let claims = verify_door_key(&jwks, &front.api.base, token, room, Utc::now())
        .unwrap_or_else(|e| panic!("the key opens room 101: {e:?} {key:#}"));
    assert_eq!(claims.unit, "101");
    assert_eq!(claims.sub.to_string(), format!("booking:{booking}"));
    // It opens until noon of the departure day at the vendor.
    let zone = shared::domain::vendor::TimeZone::parse(front.zone)
        .expect("a zone")
        .tz();
    let noon_of_departure = (front.today() + Duration::days(1))
        .and_hms_opt(12, 0, 0)
        .and_then(|t| t.and_local_timezone(zone).single())
        .expect("noon in the vendor's zone")
        .with_timezone(&Utc);
    assert_eq!(
        key["valid_to"].as_str().and_then(|t| t.parse().ok()),
        Some(noon_of_departure),
        "{key:#}"
    );
    assert_eq!(claims.exp, noon_of_departure.timestamp(), "{claims:?}");
    assert_eq!(
        verify_door_key(
            &jwks,
            &front.api.base,
            token,
            UnitId::generate(),
            Utc::now()
        ),
        Err(DoorKeyRejected::WrongUnit)
    );

    let again = front
        .api
        .get(&format!("/booking/{booking}/key"), front.guest.token())
        .await;
    assert_eq!(again.status, StatusCode::OK, "{again:#?}");
    assert!(again.body["token"].is_string(), "{again:#?}");
    let theirs = front
        .api
        .get(&format!("/booking/{booking}/key"), stranger.token())
        .await;
    theirs.assert_problem(404);

    // A cancelled booking has no key.
    let cancelled = id_of(
        &front
            .book(&double, front.today() + Duration::days(3), 1)
            .await,
    );
    let cancel = front
        .api
        .put(
            &format!("/booking/{cancelled}/status"),
            front.guest.token(),
            &json!({"status": "CANCELLED"}),
        )
        .await;
    assert_eq!(cancel.status, StatusCode::OK, "{cancel:#?}");
    let none = front
        .api
        .get(&format!("/booking/{cancelled}/key"), front.guest.token())
        .await;
    none.assert_problem(409);
}

#[tokio::test]
async fn a_room_given_in_advance_that_is_dirty_is_refused_at_the_desk_and_swapped_on_the_phone() {
    let front = Front::open("hotel").await;
    let double = front
        .room_type("Double", 2, 5, json!({"check_in_time": "00:00"}))
        .await;
    let rooms = front.rooms(&double, "3", 2).await;
    let booking = id_of(&front.book(&double, front.today(), 1).await);
    let put = front
        .assign(&front.desk, &booking, &json!({"unit_id": rooms[0]}))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{put:#?}");
    let dirty = front
        .housekeeping(&front.housekeeper, &rooms[0], "dirty")
        .await;
    assert_eq!(dirty.status, StatusCode::OK, "{dirty:#?}");

    let at_desk = front
        .check_in(&front.desk, &booking, &json!({"method": "desk"}))
        .await;

    assert_type(&at_desk, 409, "unit-not-ready");
    assert_eq!(at_desk.body["unit_number"], "301", "{at_desk:#?}");
    assert_eq!(front.booking(&booking).await["status"], "CONFIRMED");
    let on_phone = front
        .check_in(&front.guest, &booking, &json!({"method": "mobile"}))
        .await;
    assert_eq!(on_phone.status, StatusCode::OK, "{on_phone:#?}");
    assert_eq!(
        on_phone.body["booking"]["unit"]["number"], "302",
        "{on_phone:#?}"
    );
    assert!(on_phone.body["key"]["token"].is_string(), "{on_phone:#?}");
    // 301 was given back: it is free tonight.
    let board = front.units_on(&front.housekeeper, front.today()).await;
    assert_eq!(board["301"]["occupied"], false, "{board:#?}");
    assert_eq!(board["302"]["occupied"], true, "{board:#?}");
}

#[tokio::test]
async fn a_guest_checks_in_on_the_phone_only_once_the_deposit_is_paid_even_at_the_desk() {
    let front = Front::open("hotel").await;
    // A 20 % deposit, check-in from midnight.
    let suite = merged(
        resource_body("Suite", 2, 5, NIGHTLY),
        &json!({"check_in_time": "00:00"}),
    );
    let suite = front.api.resource(&front.manager, &suite).await;
    front.rooms(&suite, "S", 1).await;
    // Booked by phone at the desk for the guest's account, confirmed before anything is paid.
    let phoned = front
        .hold(
            &front.desk,
            &merged(
                stay(&suite, front.today(), 1),
                &json!({"channel": "phone", "guest_id": front.guest.id}),
            ),
        )
        .await;
    assert_eq!(phoned.status, StatusCode::CREATED, "{phoned:#?}");
    let booking = id_of(&phoned.body);
    let confirmed = front
        .api
        .put(
            &format!("/booking/{booking}/status"),
            front.desk.token(),
            &json!({"status": "CONFIRMED"}),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{confirmed:#?}");
    let deposit = confirmed.body["payment"]["deposit"]["amount_minor"]
        .as_i64()
        .unwrap_or_else(|| panic!("the type's deposit: {confirmed:#?}"));

    let unpaid = front
        .check_in(&front.guest, &booking, &json!({"method": "mobile"}))
        .await;

    assert_type(&unpaid, 409, "deposit-unpaid");
    assert_eq!(front.booking(&booking).await["status"], "CONFIRMED");

    // The guest pays the deposit in cash at the desk: it is paid.
    let paid = front
        .api
        .send_with(
            Method::POST,
            &format!("/booking/{booking}/payments"),
            front.desk.token(),
            Some(&json!({"amount_minor": deposit, "currency": "EUR", "method": "cash"})),
            &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:#?}");
    let arrived = front
        .check_in(&front.guest, &booking, &json!({"method": "mobile"}))
        .await;
    assert_eq!(arrived.status, StatusCode::OK, "{arrived:#?}");
    assert_eq!(
        arrived.body["booking"]["status"], "CHECKED_IN",
        "{arrived:#?}"
    );
}

#[tokio::test]
async fn checking_out_leaves_the_room_dirty_until_housekeeping_marks_it_clean() {
    let front = Front::open("hotel").await;
    let double = front.room_type("Double", 2, 5, json!({})).await;
    let rooms = front.rooms(&double, "2", 1).await;
    let booking = id_of(&front.book(&double, front.today(), 1).await);
    let arrived = front
        .check_in(
            &front.desk,
            &booking,
            &json!({"method": "desk", "early": true}),
        )
        .await;
    assert_eq!(arrived.status, StatusCode::OK, "{arrived:#?}");

    let out = front.check_out(&front.desk, &booking).await;

    assert_eq!(out.status, StatusCode::OK, "{out:#?}");
    assert_eq!(out.body["status"], "COMPLETED", "{out:#?}");
    let listed = front.units_on(&front.housekeeper, front.today()).await;
    assert_eq!(listed["201"]["status"], "dirty", "{listed:#?}");
    let listed_text = serde_json::to_string(&listed).expect("JSON");
    assert!(
        !listed_text.contains("Test Guest") && !listed_text.contains(&front.guest.email),
        "housekeeping sees no guest: {listed_text}"
    );

    let clean = front
        .housekeeping(&front.housekeeper, &rooms[0], "clean")
        .await;
    assert_eq!(clean.status, StatusCode::OK, "{clean:#?}");
    assert_eq!(clean.body["housekeeping"], "clean", "{clean:#?}");
    let inspected = front
        .housekeeping(&front.desk, &rooms[0], "inspected")
        .await;
    assert_eq!(inspected.status, StatusCode::OK, "{inspected:#?}");
    let listed = front.units_on(&front.housekeeper, front.today()).await;
    assert_eq!(listed["201"]["status"], "inspected", "{listed:#?}");

    let nonsense = front
        .housekeeping(&front.housekeeper, &rooms[0], "sparkling")
        .await;
    nonsense.assert_problem(422);
    assert_eq!(nonsense.pointers(), ["/status"], "{nonsense:#?}");

    // A repeated check-out (a desk syncing late) changes nothing, as any repeated status does.
    let twice = front.check_out(&front.desk, &booking).await;
    assert_eq!(twice.status, StatusCode::OK, "{twice:#?}");
    assert_eq!(twice.body["version"], out.body["version"], "{twice:#?}");
    let listed = front.units_on(&front.housekeeper, front.today()).await;
    assert_eq!(listed["201"]["status"], "inspected", "{listed:#?}");
}

#[tokio::test]
async fn an_early_departure_frees_the_rest_of_the_stay_and_the_room() {
    let front = Front::open("hotel").await;
    let double = front.room_type("Double", 2, 2, json!({})).await;
    let rooms = front.rooms(&double, "3", 2).await;
    let today = front.today();
    let tomorrow = today + Duration::days(1);
    let booking = id_of(&front.book(&double, today, 3).await);
    let arrived = front
        .check_in(
            &front.desk,
            &booking,
            &json!({"method": "desk", "unit_id": rooms[0], "early": true}),
        )
        .await;
    assert_eq!(arrived.status, StatusCode::OK, "{arrived:#?}");
    assert_eq!(
        arrived.body["booking"]["unit"]["number"], "301",
        "{arrived:#?}"
    );
    assert_eq!(front.free_on(&double, tomorrow).await, 1);
    let later = id_of(&front.book(&double, tomorrow, 1).await);
    let clash = front
        .assign(&front.desk, &later, &json!({"unit_id": rooms[0]}))
        .await;
    assert_type(&clash, 409, "unit-taken");

    let out = front.check_out(&front.desk, &booking).await;

    assert_eq!(out.status, StatusCode::OK, "{out:#?}");
    assert_eq!(out.body["status"], "COMPLETED", "{out:#?}");
    // The stay is re-priced to the night kept.
    assert_eq!(out.body["time"]["check_out"], json!(tomorrow), "{out:#?}");
    assert_eq!(
        out.body["quote"]["total"]["amount_minor"], NIGHTLY,
        "{out:#?}"
    );
    // Only `later` holds tomorrow now; the guest's two remaining nights went back.
    assert_eq!(front.free_on(&double, tomorrow).await, 1);
    assert_eq!(front.free_on(&double, today + Duration::days(2)).await, 2);
    let freed = front
        .assign(&front.desk, &later, &json!({"unit_id": rooms[0]}))
        .await;
    assert_eq!(freed.status, StatusCode::OK, "{freed:#?}");
    assert_eq!(freed.body["unit"]["number"], "301", "{freed:#?}");
}

// Out of order.

#[tokio::test]
async fn an_out_of_order_block_takes_one_unit_until_it_is_lifted_exactly_once() {
    let front = Front::open("hotel").await;
    let double = front.room_type("Double", 2, 5, json!({})).await;
    let rooms = front.rooms(&double, "4", 3).await;
    let from = front.today() + Duration::days(12);
    let to = from + Duration::days(2);

    let block = front.block(&front.housekeeper, &rooms[1], from, to).await;

    assert_eq!(block.status, StatusCode::CREATED, "{block:#?}");
    assert_eq!(block.body["unit_id"], rooms[1].as_str(), "{block:#?}");
    assert_eq!(block.body["resource_id"], double.as_str(), "{block:#?}");
    assert_eq!(block.body["from"], json!(from), "{block:#?}");
    assert_eq!(block.body["to"], json!(to), "{block:#?}");
    assert_eq!(block.body["reason"], "leak", "{block:#?}");
    assert_eq!(front.free_on(&double, from).await, 2);
    assert_eq!(front.free_on(&double, from + Duration::days(1)).await, 2);
    assert_eq!(front.free_on(&double, to).await, 3);
    let listed = front.units_on(&front.desk, from).await;
    assert_eq!(listed["402"]["status"], "out_of_order", "{listed:#?}");
    assert_eq!(listed["401"]["status"], "clean", "{listed:#?}");
    // A guest is not put in a room that is out of order.
    let booking = id_of(&front.book(&double, from, 1).await);
    let into_block = front
        .assign(&front.desk, &booking, &json!({"unit_id": rooms[1]}))
        .await;
    into_block.assert_problem(409);

    let block_id = id_of(&block.body);
    let lifted = front.unblock(&front.manager, &rooms[1], &block_id).await;
    assert_eq!(lifted.status, StatusCode::NO_CONTENT, "{lifted:#?}");
    assert_eq!(front.free_on(&double, from + Duration::days(1)).await, 3);
    assert_eq!(
        front.free_on(&double, from).await,
        2,
        "the booking holds one"
    );
    let twice = front.unblock(&front.manager, &rooms[1], &block_id).await;
    twice.assert_problem(404);
    assert_eq!(front.free_on(&double, from + Duration::days(1)).await, 3);
}

#[tokio::test]
async fn a_block_on_a_sold_out_type_or_an_occupied_room_is_409_naming_the_bookings() {
    let front = Front::open("hotel").await;
    let double = front.room_type("Double", 2, 5, json!({})).await;
    let rooms = front.rooms(&double, "5", 2).await;
    let night = front.today() + Duration::days(15);
    let first = id_of(&front.book(&double, night, 2).await);
    let second = id_of(&front.book(&double, night + Duration::days(1), 1).await);
    assert_eq!(front.free_on(&double, night + Duration::days(1)).await, 0);

    let sold_out = front
        .block(&front.manager, &rooms[1], night, night + Duration::days(2))
        .await;

    assert_type(&sold_out, 409, "sold-out");
    let named = ids(&sold_out.body["bookings"]);
    assert!(
        !named.is_empty() && named.is_subset(&BTreeSet::from([first.clone(), second.clone()])),
        "the bookings that would have to move: {sold_out:#?}"
    );
    let nights = if sold_out.body["nights"].is_null() {
        &sold_out.body["buckets"]
    } else {
        &sold_out.body["nights"]
    };
    assert!(
        dates_in(nights).contains(&(night + Duration::days(1)))
            || nights
                .to_string()
                .contains(&(night + Duration::days(1)).to_string()),
        "the sold-out night is named: {sold_out:#?}"
    );
    assert_eq!(front.free_on(&double, night).await, 1, "nothing was taken");

    // A room a guest is put in is occupied, whatever the type has left.
    let put = front
        .assign(&front.desk, &first, &json!({"unit_id": rooms[0]}))
        .await;
    assert_eq!(put.status, StatusCode::OK, "{put:#?}");
    let occupied = front
        .block(&front.desk, &rooms[0], night, night + Duration::days(1))
        .await;
    assert_type(&occupied, 409, "unit-occupied");
    assert_eq!(ids(&occupied.body["bookings"]), BTreeSet::from([first]));
    assert_eq!(front.free_on(&double, night).await, 1);
}

/// The type has one room left for the night; six holds and three blocks (of three different
/// rooms, none with a guest in it) race for it. Exactly one wins: the night never sells more
/// than its rooms, and every loser is told it is sold out.
#[tokio::test]
async fn blocks_racing_holds_for_the_last_room_never_oversell() {
    let front = Front::open("hotel").await;
    let double = front.room_type("Double", 2, 5, json!({})).await;
    let rooms = front.rooms(&double, "6", 4).await;
    let night = front.today() + Duration::days(25);
    for _ in 0..3 {
        front.book(&double, night, 1).await;
    }
    assert_eq!(front.free_on(&double, night).await, 1);
    let guests = join_all((0..6).map(|_| front.api.guest())).await;

    let body = stay(&double, night, 1);
    let holds = join_all(guests.iter().map(|g| front.hold(g, &body)));
    let blocks = join_all(
        rooms[1..]
            .iter()
            .map(|room| front.block(&front.manager, room, night, night + Duration::days(1))),
    );
    let (holds, blocks) = tokio::join!(holds, blocks);

    let held = holds
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    let blocked = blocks
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    assert_eq!(
        held + blocked,
        1,
        "one room, {held} holds and {blocked} blocks: {holds:#?} {blocks:#?}"
    );
    for reply in holds
        .iter()
        .chain(&blocks)
        .filter(|r| r.status != StatusCode::CREATED)
    {
        assert_type(reply, 409, "sold-out");
    }
    assert_eq!(front.free_on(&double, night).await, 0);
    assert_eq!(front.resource(&double).await["units"], 4);
    // A block that lost took nothing: lifting the winner (if a block) gives exactly one back.
    if let Some(won) = blocks.iter().position(|r| r.status == StatusCode::CREATED) {
        let lifted = front
            .unblock(&front.manager, &rooms[1 + won], &id_of(&blocks[won].body))
            .await;
        assert_eq!(lifted.status, StatusCode::NO_CONTENT, "{lifted:#?}");
        assert_eq!(front.free_on(&double, night).await, 1);
    }
}

// Who may do what.

#[tokio::test]
async fn guests_other_vendors_staff_and_housekeepers_are_refused() {
    let front = Front::open("hotel").await;
    let other = front.neighbour().await;
    let double = front.room_type("Double", 2, 5, json!({})).await;
    let rooms = front.rooms(&double, "7", 2).await;
    let booking = id_of(&front.book(&double, front.today(), 1).await);
    let repairs = front.today() + Duration::days(30);
    let block = front
        .block(
            &front.manager,
            &rooms[1],
            repairs,
            repairs + Duration::days(1),
        )
        .await;
    assert_eq!(block.status, StatusCode::CREATED, "{block:#?}");
    let strangers = [
        &front.guest,
        &other.manager,
        &other.desk,
        &other.housekeeper,
    ];
    for who in strangers {
        let lift = front.unblock(who, &rooms[1], &id_of(&block.body)).await;
        assert_refused(&lift, who);
    }
    assert_eq!(front.free_on(&double, repairs).await, 1, "the block stands");

    // Units are managed by the vendor's manager only.
    for who in [
        &front.guest,
        &front.desk,
        &front.housekeeper,
        &other.manager,
    ] {
        let add = front
            .register(who, &json!({"resource_id": double, "number": "799"}))
            .await;
        assert_refused(&add, who);
        let edit = front
            .edit_unit(
                who,
                &rooms[0],
                &json!({"number": "700", "in_service": false}),
            )
            .await;
        assert_refused(&edit, who);
    }
    for who in strangers {
        let list = front
            .api
            .get(&format!("/vendor/{}/units", front.vendor()), who.token())
            .await;
        assert_refused(&list, who);
        assert_refused(&front.housekeeping(who, &rooms[0], "dirty").await, who);
        assert_refused(
            &front
                .block(
                    who,
                    &rooms[0],
                    front.today(),
                    front.today() + Duration::days(1),
                )
                .await,
            who,
        );
    }
    // Bookings are the desk's: not a guest's, not another vendor's, not a housekeeper's.
    for who in [
        &front.guest,
        &other.manager,
        &other.desk,
        &front.housekeeper,
    ] {
        assert_refused(
            &front
                .assign(who, &booking, &json!({"unit_id": rooms[0]}))
                .await,
            who,
        );
        assert_refused(&front.unassign(who, &booking).await, who);
        assert_refused(&front.check_out(who, &booking).await, who);
    }
    // The guest's own check-in is on their phone (see the phone test); the rest may not at all.
    for who in [&other.manager, &other.desk, &front.housekeeper] {
        assert_refused(
            &front
                .check_in(who, &booking, &json!({"method": "desk", "early": true}))
                .await,
            who,
        );
    }

    // Nothing changed.
    let after = front.booking(&booking).await;
    assert_eq!(after["status"], "CONFIRMED", "{after:#}");
    assert!(after["unit"].is_null(), "{after:#}");
    let listed = front.units_on(&front.manager, front.today()).await;
    assert_eq!(listed.len(), 2, "{listed:#?}");
    assert_eq!(listed["701"]["status"], "clean", "{listed:#?}");
    assert_eq!(listed["701"]["in_service"], true, "{listed:#?}");
    assert_eq!(front.free_on(&double, front.today()).await, 1);
}

/// A stay that was put in a room, checked in and out, then moved to the archive still says
/// which room it had and how the guest was checked in, for its guest and its staff.
#[tokio::test]
async fn an_archived_stay_still_says_which_room_it_had_and_how_the_guest_checked_in() {
    use archiver::{ArchivePolicy, Archived, Archiver};
    use shared::store::{DynamoArchive, DynamoStore, S3Records};
    let front = Front::open("hotel").await;
    let double = front.room_type("Double", 2, 5, json!({})).await;
    front.room(&double, "301").await;
    let booking = front.book(&double, front.today(), 1).await;
    let id = id_of(&booking);
    let checked_in = front
        .check_in(
            &front.desk,
            &id,
            &json!({"method": "desk", "early": true, "id_checked": true}),
        )
        .await;
    assert_eq!(checked_in.status, StatusCode::OK, "{checked_in:#?}");
    let out = front.check_out(&front.desk, &id).await;
    assert_eq!(out.status, StatusCode::OK, "{out:#?}");
    let live = front.booking(&id).await;

    let sdk = shared::aws::sdk_config().await;
    let store = DynamoStore::from_env(&sdk).expect("the table names are set");
    let archiver = Archiver {
        index: DynamoArchive::from_env(&store).expect("BOOKING_ARCHIVE_TABLE is set"),
        records: S3Records::from_env(&sdk).expect("ARCHIVE_BUCKET is set"),
        store,
        policy: ArchivePolicy {
            after: Duration::days(180),
            batch: 500,
        },
    };
    let booking_id = shared::domain::ids::BookingId::parse(&id).expect("a booking id");
    let moved = archiver
        .archive_by_id(booking_id, Utc::now() + Duration::days(181))
        .await;
    assert_eq!(moved.expect("archived"), Archived::Moved);

    for reader in [&front.guest, &front.desk] {
        let reply = front
            .api
            .get(&format!("/booking/{id}"), reader.token())
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
        assert_eq!(reply.body["archived"], true);
        assert_eq!(reply.body["unit"]["number"], "301");
        assert_eq!(reply.body["unit"], live["unit"]);
        assert_eq!(reply.body["check_in"], live["check_in"]);
        assert_eq!(reply.body["check_in"]["method"], "desk");
    }
}

/// Moving a 30-night stay that is in a room 30 nights later swaps 60 counters and would swap 60
/// room buckets: more than one transaction takes. The booking leaves its room first, then moves;
/// nothing is half written and the room is free on the old nights.
#[tokio::test]
async fn a_long_stay_moved_far_leaves_its_room_first_and_frees_it() {
    let front = Front::open("hotel").await;
    let double = front.room_type("Double", 2, 5, json!({})).await;
    let room = id_of(&front.room(&double, "401").await);
    let start = front.today() + Duration::days(10);
    let booking = front.book(&double, start, 30).await;
    let id = id_of(&booking);
    let assigned = front
        .assign(&front.desk, &id, &json!({ "unit_id": room }))
        .await;
    assert_eq!(assigned.status, StatusCode::OK, "{assigned:#?}");

    let later = start + Duration::days(40);
    let moved = front
        .api
        .put(
            &format!("/booking/{id}"),
            front.desk.token(),
            &json!({"check_in": later, "check_out": later + Duration::days(30)}),
        )
        .await;

    assert_eq!(moved.status, StatusCode::OK, "{moved:#?}");
    assert!(moved.body.get("unit").is_none(), "{moved:#?}");
    let board = front.units_on(&front.desk, start).await;
    assert_eq!(board["401"]["occupied"], false, "{board:#?}");
    let again = front
        .assign(&front.desk, &id, &json!({ "unit_id": room }))
        .await;
    assert_eq!(again.status, StatusCode::OK, "{again:#?}");
}
