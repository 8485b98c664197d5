//! A booking's history (`GET /booking/{id}/history`) through the real backbone: the bookings
//! stream -> the outbox publisher -> LocalStack's bus -> the booking-history queue -> the
//! consumer's inbox -> the history log in the inventory table. The test reads the shared
//! bookings stream with a publisher of its own, so `.config/nextest.toml` runs it with the
//! backbone tests, one at a time.
use super::*;
use api_tests::bookings_to_consumer;

/// How long the facts may take to reach the history before the test gives up (about a second
/// each; a bound on a stuck test, not an assertion on speed).
const WAIT: std::time::Duration = std::time::Duration::from_secs(90);

async fn history(front: &Front, who: &Account, booking: &str) -> Reply {
    front
        .api
        .get(&format!("/booking/{booking}/history"), who.token())
        .await
}

/// Reads the history until it has `count` entries; its body.
async fn history_of(front: &Front, booking: &str, count: usize) -> Value {
    let started = tokio::time::Instant::now();
    loop {
        let reply = history(front, &front.desk, booking).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
        let items = reply.body["items"].as_array().map_or(0, Vec::len);
        if items >= count {
            return reply.body;
        }
        assert!(
            started.elapsed() < WAIT,
            "the history did not reach {count} entries in {WAIT:?}: {reply:#?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// Checks `body` against the documented `BookingHistory` schema.
#[track_caller]
fn assert_documented(body: &Value) {
    let openapi: Value =
        serde_json::from_str(include_str!("../../../shared/api/openapi.json")).expect("openapi");
    let schema = json!({
        "$ref": "#/components/schemas/BookingHistory",
        "components": openapi["components"],
    });
    let validator = jsonschema::draft202012::options()
        .build(&schema)
        .expect("the schema builds");
    let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?} in {body:#}");
}

#[test]
fn the_documented_example_is_a_valid_answer() {
    let openapi: Value =
        serde_json::from_str(include_str!("../../../shared/api/openapi.json")).expect("openapi");
    assert_documented(
        &openapi["paths"]["/booking/{bookingid}/history"]["get"]["responses"]["200"]["content"]["application/json"]
            ["example"],
    );
}

#[tokio::test]
async fn a_walk_in_paid_checked_in_moved_and_checked_out_lists_each_fact_in_order_with_its_room() {
    let front = Front::open("hotel").await;
    let _backbone =
        bookings_to_consumer(&front.api, "booking-history", "BOOKING_HISTORY_QUEUE_URL").await;
    let double = front.room_type("Double", 2, 5, json!({})).await;
    front.rooms(&double, "7", 2).await;
    let walk_in = front
        .hold(
            &front.desk,
            &merged(
                stay(&double, front.today(), 2),
                &json!({"channel": "walk_in", "guest_id": front.guest.id}),
            ),
        )
        .await;
    assert_eq!(walk_in.status, StatusCode::CREATED, "{walk_in:#?}");
    assert_eq!(walk_in.body["status"], "HELD", "a desk hold: {walk_in:#?}");
    let booking = id_of(&walk_in.body);
    let total = walk_in.body["quote"]["total"].clone();

    let paid = front
        .api
        .send_with(
            Method::POST,
            &format!("/booking/{booking}/payments"),
            front.desk.token(),
            Some(
                &json!({"amount_minor": total["amount_minor"], "currency": total["currency"],
                         "method": "card_terminal", "confirm": true}),
            ),
            &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{paid:#?}");
    let arrived = front
        .check_in(
            &front.desk,
            &booking,
            &json!({"method": "desk", "id_checked": true, "early": true}),
        )
        .await;
    assert_eq!(arrived.status, StatusCode::OK, "{arrived:#?}");
    let first_room = arrived.body["booking"]["unit"]["number"]
        .as_str()
        .expect("checked in to a room")
        .to_owned();
    let other_room = if first_room == "701" { "702" } else { "701" };
    let units = front.units_on(&front.manager, front.today()).await;
    let moved = front
        .assign(
            &front.desk,
            &booking,
            &json!({"unit_id": units[other_room]["id"]}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{moved:#?}");
    let left = front.check_out(&front.desk, &booking).await;
    assert_eq!(left.status, StatusCode::OK, "{left:#?}");

    let body = history_of(&front, &booking, 5).await;

    assert_documented(&body);
    assert_eq!(body["booking_id"], booking.as_str(), "{body:#}");
    let items = body["items"].as_array().expect("a list of facts");
    let read: Vec<(u64, &str, &str, Value, Option<&str>)> = items
        .iter()
        .map(|e| {
            (
                e["version"].as_u64().unwrap_or_default(),
                e["detail_type"].as_str().unwrap_or_default(),
                e["status"].as_str().unwrap_or_default(),
                e["previous_status"].clone(),
                e["unit"]["number"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        read,
        [
            (1, "BookingHeld", "HELD", Value::Null, None),
            (2, "BookingConfirmed", "CONFIRMED", json!("HELD"), None),
            (
                3,
                "BookingCheckedIn",
                "CHECKED_IN",
                json!("CONFIRMED"),
                Some(first_room.as_str())
            ),
            (
                4,
                "BookingUpdated",
                "CHECKED_IN",
                json!("CHECKED_IN"),
                Some(other_room)
            ),
            (
                5,
                "BookingCompleted",
                "COMPLETED",
                json!("CHECKED_IN"),
                Some(other_room)
            ),
        ],
        "{body:#}"
    );
    for entry in items {
        assert_eq!(entry["channel"], "walk_in", "{entry:#}");
        assert_eq!(entry["booked_by"], "staff", "{entry:#}");
        assert!(entry["occurred_at"].is_string(), "{entry:#}");
        assert_eq!(entry["time"]["kind"], "stay", "{entry:#}");
    }
    assert_eq!(items[0]["total"], total, "{body:#}");
    assert_eq!(items[0]["desk_payments"], json!([]), "{body:#}");
    let payment = &items[1]["desk_payments"][0];
    assert_eq!(payment["method"], "card_terminal", "{body:#}");
    assert_eq!(payment["taken_by"], "staff", "{body:#}");
    assert_eq!(payment["amount"], total, "{body:#}");
    // Roles only: neither the guest's nor the member of staff's id.
    let text = body.to_string();
    assert!(!text.contains(&front.guest.id), "{body:#}");
    assert!(!text.contains(&front.desk.id), "{body:#}");

    // The guest it is for reads the same history.
    let own = history(&front, &front.guest, &booking).await;
    assert_eq!(own.status, StatusCode::OK, "{own:#?}");
    assert_eq!(own.body, body);
}

#[tokio::test]
async fn another_guest_another_vendor_s_staff_and_a_housekeeper_are_told_the_history_does_not_exist()
 {
    let front = Front::open("hotel").await;
    let double = front.room_type("Double", 2, 5, json!({})).await;
    let booking = id_of(
        &front
            .book(&double, front.today() + Duration::days(3), 1)
            .await,
    );
    let (neighbour, stranger) = tokio::join!(front.neighbour(), front.api.guest());

    for who in [
        &stranger,
        &neighbour.desk,
        &neighbour.manager,
        &front.housekeeper,
    ] {
        let reply = history(&front, who, &booking).await;
        assert_type(&reply, 404, "not-found");
    }
    for who in [&front.guest, &front.desk, &front.manager] {
        let reply = history(&front, who, &booking).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{} reads it: {reply:#?}",
            who.email
        );
        assert_eq!(reply.body["booking_id"], booking.as_str(), "{reply:#?}");
    }
    let unknown = shared::domain::ids::BookingId::generate().to_string();
    assert_type(
        &history(&front, &front.manager, &unknown).await,
        404,
        "not-found",
    );
    assert_type(
        &history(&front, &front.manager, "yesterday").await,
        404,
        "not-found",
    );
    let anonymous = front
        .api
        .get(&format!("/booking/{booking}/history"), None)
        .await;
    anonymous.assert_problem(401);
}
