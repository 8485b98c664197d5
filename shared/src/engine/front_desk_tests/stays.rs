//! Stays at the desk: check-in into a clean room (at the desk or on the phone), moves and
//! extensions while the guest is in house, check-out leaving the room dirty.
use super::*;

#[tokio::test]
async fn check_in_gives_a_clean_room_and_check_out_leaves_it_dirty() {
    let hotel = Hotel::new().await;
    hotel.register("101", Housekeeping::Dirty).await;
    let clean = hotel.register("102", Housekeeping::Clean).await;
    let stay = hotel.stay("2027-03-20", "2027-03-23").await;

    let too_early = check_in(
        &hotel.store,
        stay.id,
        &hotel.desk(true),
        &hotel.staff,
        at("2027-03-19T20:00:00Z"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            too_early,
            AssignError::CheckIn(CheckInRefused::TooEarly {
                arrival_day: false,
                ..
            })
        ),
        "{too_early:?}"
    );

    let checked_in = check_in(
        &hotel.store,
        stay.id,
        &hotel.desk(false),
        &hotel.staff,
        at(ARRIVAL),
    )
    .await
    .unwrap();
    assert_eq!(checked_in.status, BookingStatus::CheckedIn);
    assert_eq!(checked_in.unit.as_ref().unwrap().unit_id, clean.id);
    let record = checked_in.check_in.unwrap();
    assert_eq!(record.method, CheckInMethod::Desk);
    assert!(record.id_checked_by.unwrap().starts_with("staff:"));

    // Leaves after the first night: the rest of the stay is free, the room is dirty.
    transition(
        &hotel.store,
        stay.id,
        BookingAction::Complete,
        &hotel.staff,
        at("2027-03-21T09:00:00Z"),
    )
    .await
    .unwrap();
    assert_eq!(hotel.unit(&clean).await.housekeeping, Housekeeping::Dirty);
    assert_eq!(
        hotel.occupant(&clean, "2027-03-20").await,
        Some(Occupant::Booking(stay.id))
    );
    assert_eq!(hotel.occupant(&clean, "2027-03-21").await, None);
    assert_eq!(hotel.occupant(&clean, "2027-03-22").await, None);
}

#[tokio::test]
async fn a_guest_checks_in_on_their_phone_only_from_the_check_in_time() {
    let hotel = Hotel::new().await;
    hotel.register("101", Housekeeping::Inspected).await;
    let stay = hotel.stay("2027-03-20", "2027-03-21").await;
    let guest = Requester::Caller(Caller::Guest(stay.guest_id.unwrap()));
    let mobile = CheckIn {
        method: CheckInMethod::Mobile,
        unit: None,
        id_checked: false,
        early: true,
    };

    let morning = at("2027-03-20T08:00:00Z");
    let refused = check_in(&hotel.store, stay.id, &mobile, &guest, morning).await;
    assert!(
        matches!(
            refused,
            Err(AssignError::CheckIn(CheckInRefused::TooEarly {
                arrival_day: true,
                ..
            }))
        ),
        "a guest cannot let themself in early: {refused:?}"
    );

    let desk = CheckIn {
        method: CheckInMethod::Desk,
        ..mobile.clone()
    };
    let wrong_method = check_in(&hotel.store, stay.id, &desk, &guest, at(ARRIVAL)).await;
    assert!(matches!(
        wrong_method,
        Err(AssignError::CheckIn(CheckInRefused::Method))
    ));

    let checked_in = check_in(&hotel.store, stay.id, &mobile, &guest, at(ARRIVAL))
        .await
        .unwrap();
    let key = guest_key(&checked_in, at(ARRIVAL)).expect("a key to the room");
    assert_eq!(key.unit_number, "101");
    assert_eq!(key.valid_to, at("2027-03-21T11:00:00Z"), "noon in Berlin");
}

#[tokio::test]
async fn a_checked_in_guest_is_moved_not_taken_out_and_their_old_room_is_left_dirty() {
    let hotel = Hotel::new().await;
    let (a, b) = (
        hotel.register("101", Housekeeping::Clean).await,
        hotel.register("102", Housekeeping::Clean).await,
    );
    let stay = hotel.stay("2027-03-20", "2027-03-22").await;
    hotel.assign(&stay, &a).await.unwrap();
    check_in(
        &hotel.store,
        stay.id,
        &hotel.desk(false),
        &hotel.staff,
        at(ARRIVAL),
    )
    .await
    .unwrap();

    let refused = unassign(&hotel.store, stay.id, &hotel.staff, at(ARRIVAL)).await;
    assert!(
        matches!(refused, Err(AssignError::CheckedIn)),
        "{refused:?}"
    );

    hotel.assign(&stay, &b).await.unwrap();
    assert_eq!(hotel.unit(&a).await.housekeeping, Housekeeping::Dirty);
    assert_eq!(hotel.occupant(&a, "2027-03-21").await, None);
}

#[tokio::test]
async fn staff_extend_a_stay_in_progress_in_the_same_room_at_the_prices_agreed() {
    let hotel = Hotel::new().await;
    let (a, b) = (
        hotel.register("101", Housekeeping::Clean).await,
        hotel.register("102", Housekeeping::Clean).await,
    );
    let stay = hotel.stay("2027-03-20", "2027-03-22").await;
    hotel.assign(&stay, &a).await.unwrap();
    check_in(
        &hotel.store,
        stay.id,
        &hotel.desk(false),
        &hotel.staff,
        at(ARRIVAL),
    )
    .await
    .unwrap();
    let guest = Requester::Caller(Caller::Guest(stay.guest_id.unwrap()));
    let wanted = departure("2027-03-20", "2027-03-23");
    let next_day = at("2027-03-21T08:00:00Z");

    let by_guest = change(&hotel.store, stay.id, &wanted, &guest, next_day).await;
    assert!(
        matches!(
            by_guest,
            Err(ChangeError::NotChangeable(BookingStatus::CheckedIn))
        ),
        "{by_guest:?}"
    );
    let moved_arrival = departure("2027-03-21", "2027-03-23");
    let refused = change(
        &hotel.store,
        stay.id,
        &moved_arrival,
        &hotel.staff,
        next_day,
    )
    .await;
    assert!(
        matches!(refused, Err(ChangeError::Rejected(_))),
        "{refused:?}"
    );

    // Room 101 is someone else's on the 22nd: the guest keeps their room, so no extension.
    let next = hotel.stay("2027-03-22", "2027-03-23").await;
    hotel.assign(&next, &a).await.unwrap();
    let taken = change(&hotel.store, stay.id, &wanted, &hotel.staff, next_day).await;
    let Err(ChangeError::UnitTaken {
        number, buckets, ..
    }) = taken
    else {
        panic!("expected unit-taken, got {taken:?}");
    };
    assert_eq!(
        (number.as_str(), buckets),
        ("101", vec![Bucket::Night(date("2027-03-22"))])
    );

    // Moved to 102, the next guest leaves 101 free: the extension goes through.
    hotel.assign(&next, &b).await.unwrap();
    let extended = change(&hotel.store, stay.id, &wanted, &hotel.staff, next_day)
        .await
        .unwrap();
    assert_eq!(extended.status, BookingStatus::CheckedIn);
    assert_eq!(extended.unit.as_ref().unwrap().unit_id, a.id);
    assert_eq!(extended.quote.lines.len(), 3);
    assert_eq!(
        &extended.quote.lines[..2],
        &stay.quote.lines[..],
        "the nights agreed keep their prices"
    );
    assert_eq!(
        hotel.occupant(&a, "2027-03-22").await,
        Some(Occupant::Booking(stay.id))
    );
}
