//! Rooms and tables registered as units, and their type's count in step with those in service.
use super::*;

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
