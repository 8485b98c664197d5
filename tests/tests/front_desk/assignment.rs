//! Putting a booking in a unit, moving it and taking it out; never two in one unit for a night.
use super::*;

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
