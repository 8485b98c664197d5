//! Checking guests in at the desk and on their phone, and out again.
use super::*;

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
