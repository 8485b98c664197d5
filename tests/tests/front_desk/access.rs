//! Who may do what at the front desk.
use super::*;

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

/// The desk sees who is arriving: the vendor's list and a booking's GET name the guest, by their
/// profile or by the name given at the desk; the guest's own answers and other readers do not.
#[tokio::test]
async fn staff_read_their_guests_names_and_nobody_else_does() {
    let front = Front::open("hotel").await;
    let double = front.room_type("Double", 2, 5, json!({})).await;
    let online = front.book(&double, front.today(), 1).await;
    let walk_in = front
        .api
        .send_with(
            Method::POST,
            &format!("/booking/vendor/{}", front.vendor()),
            front.desk.token(),
            Some(&merged(
                stay(&double, front.today(), 2),
                &json!({"guest": {"name": "Grace Hopper"}}),
            )),
            &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
        )
        .await;
    assert_eq!(walk_in.status, StatusCode::CREATED, "{walk_in:#?}");
    let profile = front
        .api
        .get(&format!("/user/{}", front.guest.id), front.guest.token())
        .await;
    let guest_name = profile.body["name"].as_str().expect("a name").to_owned();

    let listed = front
        .api
        .get(
            &format!("/bookings/vendor/{}", front.vendor()),
            front.desk.token(),
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{listed:#?}");
    let name_of = |id: &str| {
        listed.body["items"]
            .as_array()
            .and_then(|items| items.iter().find(|i| i["id"] == id))
            .map(|i| i["guest_name"].clone())
    };
    assert_eq!(name_of(&id_of(&online)), Some(json!(guest_name)));
    assert_eq!(name_of(&id_of(&walk_in.body)), Some(json!("Grace Hopper")));

    let for_staff = front.booking(&id_of(&online)).await;
    assert_eq!(for_staff["guest_name"], json!(guest_name));
    let own = front
        .api
        .get(&format!("/booking/{}", id_of(&online)), front.guest.token())
        .await;
    assert_eq!(own.status, StatusCode::OK, "{own:#?}");
    assert!(own.body.get("guest_name").is_none(), "{own:#?}");
}
