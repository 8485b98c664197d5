//! Desk actions sent again with their `Idempotency-Key`, as the offline desk does when an answer
//! was lost: check-in, check-out and a room's housekeeping status are done once and answered
//! again with the current state. Each write is one new version of the booking or unit, and each
//! version is one fact on the bus (its event id is the aggregate's id and version), so an
//! unchanged version is proof that no second change and no second event was made.
use super::*;

fn key() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A key with a space in it, and one too long.
fn malformed() -> [String; 2] {
    ["two words".to_owned(), "k".repeat(256)]
}

impl Front {
    async fn keyed(
        &self,
        method: Method,
        path: &str,
        who: &Account,
        body: &Value,
        key: &str,
    ) -> Reply {
        self.api
            .send_with(
                method,
                path,
                who.token(),
                Some(body),
                &[("idempotency-key", key)],
            )
            .await
    }

    async fn check_in_keyed(&self, booking: &str, key: &str) -> Reply {
        let body = json!({"method": "desk", "early": true});
        let path = format!("/booking/{booking}/check-in");
        self.keyed(Method::POST, &path, &self.desk, &body, key)
            .await
    }

    async fn check_out_keyed(&self, booking: &str, key: &str) -> Reply {
        let path = format!("/booking/{booking}/check-out");
        self.keyed(Method::POST, &path, &self.desk, &json!({}), key)
            .await
    }

    async fn housekeeping_keyed(&self, unit: &str, status: &str, key: &str) -> Reply {
        let path = format!("/vendor/{}/unit/{unit}/housekeeping", self.vendor());
        let body = json!({ "status": status });
        self.keyed(Method::PUT, &path, &self.housekeeper, &body, key)
            .await
    }
}

#[track_caller]
fn assert_names_the_header(reply: &Reply) {
    reply.assert_problem(400);
    assert_eq!(
        reply.body["errors"][0]["header"], "Idempotency-Key",
        "{reply:#?}"
    );
}

#[tokio::test]
async fn a_check_in_sent_twice_with_one_key_checks_the_guest_in_once() {
    let front = Front::open("hotel").await;
    let double = front.room_type("Double", 2, 5, json!({})).await;
    front.rooms(&double, "3", 2).await;
    let booking = id_of(&front.book(&double, front.today(), 2).await);
    for bad in malformed() {
        let refused = front.check_in_keyed(&booking, &bad).await;
        assert_names_the_header(&refused);
    }
    assert_eq!(front.booking(&booking).await["status"], "CONFIRMED");
    let sent = key();

    let first = front.check_in_keyed(&booking, &sent).await;
    let again = front.check_in_keyed(&booking, &sent).await;

    assert_eq!(first.status, StatusCode::OK, "{first:#?}");
    assert_eq!(first.header("idempotent-replayed"), None, "{first:#?}");
    assert_eq!(again.status, StatusCode::OK, "{again:#?}");
    assert_eq!(
        again.header("idempotent-replayed"),
        Some("true"),
        "{again:#?}"
    );
    assert_eq!(again.body, first.body, "the same answer");
    let stored = front.booking(&booking).await;
    assert_eq!(stored["status"], "CHECKED_IN", "{stored:#}");
    assert_eq!(
        stored["version"], first.body["booking"]["version"],
        "one write"
    );
    assert_eq!(stored["check_in"]["idempotency_key"], sent.as_str());

    // Another key is another check-in: refused, as for a guest checked in already.
    let other = front.check_in_keyed(&booking, &key()).await;
    assert_type(&other, 409, "invalid-transition");
    // Without a key, as before keys: the booking as it is.
    let keyless = front
        .check_in(
            &front.desk,
            &booking,
            &json!({"method": "desk", "early": true}),
        )
        .await;
    assert_eq!(keyless.status, StatusCode::OK, "{keyless:#?}");
    assert_eq!(front.booking(&booking).await["version"], stored["version"]);

    // Checked out meanwhile: the check-in sent again still answers, with the stay as it is.
    let out = front.check_out(&front.desk, &booking).await;
    assert_eq!(out.status, StatusCode::OK, "{out:#?}");
    let late = front.check_in_keyed(&booking, &sent).await;
    assert_eq!(late.status, StatusCode::OK, "{late:#?}");
    assert_eq!(late.body["booking"]["status"], "COMPLETED", "{late:#?}");
    assert_eq!(late.body["booking"]["version"], out.body["version"]);
}

#[tokio::test]
async fn a_check_out_sent_twice_with_one_key_checks_the_guest_out_once() {
    let front = Front::open("hotel").await;
    let double = front.room_type("Double", 2, 5, json!({})).await;
    let rooms = front.rooms(&double, "4", 1).await;
    let booking = id_of(&front.book(&double, front.today(), 1).await);
    let arrived = front.check_in_keyed(&booking, &key()).await;
    assert_eq!(arrived.status, StatusCode::OK, "{arrived:#?}");
    for bad in malformed() {
        let refused = front.check_out_keyed(&booking, &bad).await;
        assert_names_the_header(&refused);
    }
    assert_eq!(front.booking(&booking).await["status"], "CHECKED_IN");
    let sent = key();

    let first = front.check_out_keyed(&booking, &sent).await;
    assert_eq!(first.status, StatusCode::OK, "{first:#?}");
    assert_eq!(first.body["status"], "COMPLETED", "{first:#?}");
    // The room is cleaned before the check-out comes again: it must not be made dirty again.
    let cleaned = front
        .housekeeping(&front.housekeeper, &rooms[0], "clean")
        .await;
    assert_eq!(cleaned.status, StatusCode::OK, "{cleaned:#?}");
    let again = front.check_out_keyed(&booking, &sent).await;

    assert_eq!(again.status, StatusCode::OK, "{again:#?}");
    assert_eq!(
        again.header("idempotent-replayed"),
        Some("true"),
        "{again:#?}"
    );
    assert_eq!(again.body, first.body, "the same answer");
    let stored = front.booking(&booking).await;
    assert_eq!(stored["version"], first.body["version"], "one write");
    assert_eq!(stored["check_in"]["check_out_key"], sent.as_str());
    let listed = front.units_on(&front.housekeeper, front.today()).await;
    assert_eq!(listed["401"]["status"], "clean", "{listed:#?}");

    let other = front.check_out_keyed(&booking, &key()).await;
    assert_type(&other, 409, "invalid-transition");
    let keyless = front.check_out(&front.desk, &booking).await;
    assert_eq!(
        keyless.status,
        StatusCode::OK,
        "as before keys: {keyless:#?}"
    );
    assert_eq!(front.booking(&booking).await["version"], stored["version"]);
}

#[tokio::test]
async fn a_room_status_sent_twice_with_one_key_is_set_once_and_a_later_status_stands() {
    let front = Front::open("hotel").await;
    let double = front.room_type("Double", 2, 5, json!({})).await;
    let rooms = front.rooms(&double, "5", 1).await;
    for bad in malformed() {
        let refused = front.housekeeping_keyed(&rooms[0], "dirty", &bad).await;
        assert_names_the_header(&refused);
    }
    let sent = key();

    let first = front
        .housekeeping_keyed(&rooms[0], "inspected", &sent)
        .await;
    let again = front
        .housekeeping_keyed(&rooms[0], "inspected", &sent)
        .await;

    assert_eq!(first.status, StatusCode::OK, "{first:#?}");
    assert_eq!(first.body["housekeeping"], "inspected", "{first:#?}");
    assert_eq!(again.status, StatusCode::OK, "{again:#?}");
    assert_eq!(
        again.header("idempotent-replayed"),
        Some("true"),
        "{again:#?}"
    );
    assert_eq!(again.body, first.body, "the same answer, one write");
    assert!(
        first.body.get("housekeeping_reports").is_none(),
        "the keys are not shown: {first:#?}"
    );

    // Another desk marks it dirty; the first report comes again: the later status stands.
    let dirty = front.housekeeping_keyed(&rooms[0], "dirty", &key()).await;
    assert_eq!(dirty.status, StatusCode::OK, "{dirty:#?}");
    let late = front
        .housekeeping_keyed(&rooms[0], "inspected", &sent)
        .await;
    assert_eq!(late.status, StatusCode::OK, "{late:#?}");
    assert_eq!(
        late.header("idempotent-replayed"),
        Some("true"),
        "{late:#?}"
    );
    assert_eq!(late.body["housekeeping"], "dirty", "{late:#?}");
    assert_eq!(
        late.body["version"], dirty.body["version"],
        "nothing written"
    );
    let listed = front.units_on(&front.housekeeper, front.today()).await;
    assert_eq!(listed["501"]["status"], "dirty", "{listed:#?}");

    // The key of one report sent with another status is a mistake, not a replay.
    let reused = front.housekeeping_keyed(&rooms[0], "clean", &sent).await;
    assert_type(&reused, 422, "idempotency-key-reused");
    let keyless = front
        .housekeeping(&front.housekeeper, &rooms[0], "clean")
        .await;
    assert_eq!(keyless.status, StatusCode::OK, "{keyless:#?}");
    assert_eq!(keyless.body["housekeeping"], "clean", "{keyless:#?}");
}
