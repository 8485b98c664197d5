//! Staff roles end to end: a manager adds a desk member and a housekeeper; the housekeeper's
//! token opens none of the booking, property or staff endpoints, the desk's opens the bookings.
use api_tests::{Account, Api, PASSWORD, Reply, resource_body, unique_email};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A hotel with a room type that takes no deposit, its manager, a desk member and a housekeeper.
struct Hotel {
    api: Api,
    manager: Account,
    desk: Account,
    housekeeper: Account,
    room: String,
}

impl Hotel {
    async fn open() -> Self {
        let api = Api::start().await;
        let manager = api.vendor("hotel").await;
        let mut room = resource_body("Double", 2, 20, 12_900);
        room.as_object_mut().expect("an object").remove("deposit");
        let room = api.resource(&manager, &room).await;
        let desk = api.staff_as(&manager, "desk").await;
        let housekeeper = api.staff_as(&manager, "housekeeping").await;
        Self {
            api,
            manager,
            desk,
            housekeeper,
            room,
        }
    }

    fn vendor(&self) -> &str {
        self.manager.vendor()
    }

    /// A one-night stay `days` from today, booked by `by`: a guest for themself, or staff at the
    /// desk for a walk-in (`walk_in`).
    async fn book(&self, by: &Account, days: i64, walk_in: bool) -> Reply {
        let check_in = Utc::now().date_naive() + Duration::days(days);
        let mut body = json!({
            "resource_id": self.room,
            "party_size": 2,
            "check_in": check_in.to_string(),
            "check_out": (check_in + Duration::days(1)).to_string(),
        });
        if walk_in {
            body["guest"] = json!({"name": "Wanda Walkin"});
        }
        self.api
            .send_with(
                Method::POST,
                &format!("/booking/vendor/{}", self.vendor()),
                by.token(),
                Some(&body),
                &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
            )
            .await
    }

    async fn bookings(&self, by: &Account) -> Reply {
        self.api
            .get(&format!("/bookings/vendor/{}", self.vendor()), by.token())
            .await
    }

    async fn staff_list(&self) -> Vec<Value> {
        let list = self
            .api
            .get(
                &format!("/vendor/{}/staff", self.vendor()),
                self.manager.token(),
            )
            .await;
        assert_eq!(list.status, StatusCode::OK, "{list:#?}");
        list.body["items"].as_array().cloned().unwrap_or_default()
    }

    async fn edit_vendor(&self, by: &Account) -> Reply {
        self.api
            .send_with(
                Method::PUT,
                &format!("/vendor/{}", self.vendor()),
                by.token(),
                Some(&json!({"name": "Hotel Taken Over"})),
                &[("if-match", "\"1\"")],
            )
            .await
    }

    /// Tries to add a member of staff; the reply, and whether the new account can sign in.
    async fn add_staff(&self, by: &Account) -> (Reply, bool) {
        let email = unique_email("extra");
        let reply = self
            .api
            .post(
                &format!("/vendor/{}/staff", self.vendor()),
                by.token(),
                &json!({"name": "Eve Extra", "email": email, "password": PASSWORD}),
            )
            .await;
        let signed_in = self
            .api
            .post(
                "/vendor/login",
                None,
                &json!({"email": email, "password": PASSWORD}),
            )
            .await;
        (reply, signed_in.status == StatusCode::OK)
    }
}

/// A refusal as the endpoint gives it to anyone who is not the vendor's staff: 403, or the 404
/// with which booking endpoints hide what a caller may not see.
#[track_caller]
fn refused(reply: &Reply, what: &str) {
    assert!(
        matches!(reply.status.as_u16(), 403 | 404),
        "{what}: {reply:#?}"
    );
    reply.assert_problem(reply.status.as_u16());
}

#[tokio::test]
async fn a_housekeeper_is_refused_every_booking_property_and_staff_endpoint() {
    let hotel = Hotel::open().await;
    let guest = hotel.api.guest().await;
    let booked = hotel.book(&guest, 20, false).await;
    assert_eq!(booked.status, StatusCode::CREATED, "{booked:#?}");
    assert_eq!(booked.body["status"], "CONFIRMED");
    let booking = booked.body["id"].as_str().expect("a booking id").to_owned();
    let hk = &hotel.housekeeper;

    // Its token says what it is, and no manager flag.
    let payload = hk.token.split('.').nth(1).expect("a JWT");
    let claims: Value =
        serde_json::from_slice(&B64.decode(payload).expect("base64url")).expect("JSON claims");
    assert_eq!(claims["role"], "housekeeping");
    assert_eq!(claims["vendor_id"], hotel.vendor());
    assert!(claims.get("manager").is_none(), "{claims}");

    refused(&hotel.bookings(hk).await, "the vendor's booking list");
    let read = hotel
        .api
        .get(&format!("/booking/{booking}"), hk.token())
        .await;
    refused(&read, "a booking");
    assert!(read.body.get("guest_id").is_none(), "{read:#?}");
    let status = hotel
        .api
        .get(&format!("/booking/{booking}/status"), hk.token())
        .await;
    refused(&status, "a booking's status");
    let checked_in = hotel
        .api
        .put(
            &format!("/booking/{booking}/status"),
            hk.token(),
            &json!({"status": "CHECKED_IN"}),
        )
        .await;
    refused(&checked_in, "checking a booking in");
    let cancelled = hotel
        .api
        .put(
            &format!("/booking/{booking}/status"),
            hk.token(),
            &json!({"status": "CANCELLED"}),
        )
        .await;
    refused(&cancelled, "cancelling a booking");
    refused(&hotel.book(hk, 21, true).await, "booking for the vendor");
    refused(&hotel.edit_vendor(hk).await, "editing the vendor");
    let (added, extra_signs_in) = hotel.add_staff(hk).await;
    refused(&added, "adding staff");
    assert!(!extra_signs_in, "the refused member of staff exists");
    let room_type = hotel
        .api
        .post(
            &format!("/vendor/{}/resource", hotel.vendor()),
            hk.token(),
            &resource_body("Suite", 2, 2, 30_000),
        )
        .await;
    refused(&room_type, "creating a room type");
    let staff_list = hotel
        .api
        .get(&format!("/vendor/{}/staff", hotel.vendor()), hk.token())
        .await;
    refused(&staff_list, "the staff list");

    // Nothing was written: the booking is as it was, the list holds it alone, the vendor and its
    // types are unchanged.
    let after = hotel
        .api
        .get(&format!("/booking/{booking}"), hotel.manager.token())
        .await;
    assert_eq!(after.status, StatusCode::OK, "{after:#?}");
    assert_eq!(after.body["status"], "CONFIRMED");
    let listed = hotel.bookings(&hotel.manager).await;
    assert_eq!(listed.status, StatusCode::OK, "{listed:#?}");
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
    let profile = hotel
        .api
        .get(&format!("/vendor/{}", hotel.vendor()), None)
        .await;
    assert_ne!(profile.body["name"], "Hotel Taken Over");
    let types = hotel
        .api
        .get(&format!("/vendor/{}/resources", hotel.vendor()), None)
        .await;
    assert_eq!(types.body["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn the_desk_books_and_lists_bookings_but_does_not_manage() {
    let hotel = Hotel::open().await;
    let desk = &hotel.desk;

    let booked = hotel.book(desk, 20, true).await;
    assert_eq!(booked.status, StatusCode::CREATED, "{booked:#?}");
    let booking = booked.body["id"].as_str().expect("a booking id").to_owned();
    let listed = hotel.bookings(desk).await;
    assert_eq!(listed.status, StatusCode::OK, "{listed:#?}");
    let ids: Vec<_> = listed.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|b| b["id"].as_str())
        .collect();
    assert_eq!(ids, [booking.as_str()]);
    let read = hotel
        .api
        .get(&format!("/booking/{booking}"), desk.token())
        .await;
    assert_eq!(read.status, StatusCode::OK, "{read:#?}");

    let (added, extra_signs_in) = hotel.add_staff(desk).await;
    added.assert_problem(403);
    assert!(!extra_signs_in, "the refused member of staff exists");
    hotel.edit_vendor(desk).await.assert_problem(403);
    let desk_list = hotel
        .api
        .get(&format!("/vendor/{}/staff", hotel.vendor()), desk.token())
        .await;
    assert_eq!(desk_list.status, StatusCode::OK, "{desk_list:#?}");
}

#[tokio::test]
async fn the_staff_list_shows_each_members_role() {
    let hotel = Hotel::open().await;
    let old_style = hotel
        .api
        .post(
            &format!("/vendor/{}/staff", hotel.vendor()),
            hotel.manager.token(),
            &json!({"name": "Max Old", "email": unique_email("old"), "password": PASSWORD, "manager": true}),
        )
        .await;
    assert_eq!(old_style.status, StatusCode::CREATED, "{old_style:#?}");
    assert_eq!(old_style.body["role"], "manager");
    assert_eq!(old_style.body["manager"], true);

    // The index behind the list is eventually consistent.
    let mut roles = Vec::new();
    for _ in 0..50 {
        let mut listed: Vec<(String, String, bool)> = hotel
            .staff_list()
            .await
            .iter()
            .map(|s| {
                (
                    s["id"].as_str().unwrap_or_default().to_owned(),
                    s["role"].as_str().unwrap_or_default().to_owned(),
                    s["manager"].as_bool().unwrap_or_default(),
                )
            })
            .collect();
        listed.sort();
        roles = listed;
        if roles.len() == 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut expected = vec![
        (hotel.manager.id.clone(), "manager".to_owned(), true),
        (hotel.desk.id.clone(), "desk".to_owned(), false),
        (
            hotel.housekeeper.id.clone(),
            "housekeeping".to_owned(),
            false,
        ),
        (
            old_style.body["id"].as_str().unwrap_or_default().to_owned(),
            "manager".to_owned(),
            true,
        ),
    ];
    expected.sort();
    assert_eq!(roles, expected);
}

#[tokio::test]
async fn a_role_that_contradicts_the_manager_flag_or_is_unknown_is_a_422_naming_role() {
    let hotel = Hotel::open().await;
    for (role, manager) in [
        (json!("housekeeping"), json!(true)),
        (json!("manager"), json!(false)),
        (json!("chef"), Value::Null),
    ] {
        let mut body = json!({"name": "Ann Other", "email": unique_email("bad"), "password": PASSWORD, "role": role});
        if !manager.is_null() {
            body["manager"] = manager;
        }
        let reply = hotel
            .api
            .post(
                &format!("/vendor/{}/staff", hotel.vendor()),
                hotel.manager.token(),
                &body,
            )
            .await;
        reply.assert_problem(422);
        assert_eq!(reply.pointers(), ["/role"], "{reply:#?}");
        let signed_in = hotel
            .api
            .post(
                "/vendor/login",
                None,
                &json!({"email": body["email"], "password": PASSWORD}),
            )
            .await;
        assert_eq!(signed_in.status, StatusCode::UNAUTHORIZED, "{signed_in:#?}");
    }
}
