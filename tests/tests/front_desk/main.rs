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

mod access;
mod assignment;
mod check_in;
mod history;
mod out_of_order;
mod replays;
mod units;

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
