//! Giving rooms: a type's units follow its rooms in service, a room is never given to two
//! bookings for one night, and moving a booking takes its room along or leaves it.
use super::*;

#[tokio::test]
async fn the_types_units_follow_its_units_in_service() {
    let hotel = Hotel::new().await;
    assert_eq!(
        hotel.units_of_type().await,
        5,
        "set by hand before any room"
    );

    let first = hotel.register("101", Housekeeping::Clean).await;
    hotel.register("102", Housekeeping::Clean).await;
    assert_eq!(hotel.units_of_type().await, 2);

    edit_unit(&hotel.store, hotel.hotel.id, first.id, at(BOOKED_AT), |u| {
        Ok(Unit {
            in_service: false,
            ..u.clone()
        })
    })
    .await
    .unwrap();
    assert_eq!(hotel.units_of_type().await, 1);

    let clash = Unit {
        id: UnitId::generate(),
        number: UnitNumber::parse("102").unwrap(),
        ..first.clone()
    };
    let refused = register_unit(&hotel.store, &clash, at(BOOKED_AT)).await;
    assert!(
        matches!(refused, Err(UnitError::NumberTaken)),
        "{refused:?}"
    );
    assert_eq!(
        hotel.units_of_type().await,
        1,
        "a refused unit moves nothing"
    );
}

#[tokio::test]
async fn a_room_is_never_given_to_two_bookings_for_one_night() {
    let hotel = Hotel::new().await;
    let room = hotel.register("214", Housekeeping::Clean).await;
    hotel.register("215", Housekeeping::Clean).await;
    let first = hotel.stay("2027-03-20", "2027-03-23").await;
    let overlapping = hotel.stay("2027-03-22", "2027-03-24").await;
    let after = hotel.stay("2027-03-23", "2027-03-25").await;

    hotel.assign(&first, &room).await.unwrap();
    let refused = hotel.assign(&overlapping, &room).await.unwrap_err();
    let AssignError::UnitTaken {
        number, buckets, ..
    } = refused
    else {
        panic!("expected unit-taken, got {refused:?}");
    };
    assert_eq!(number, "214");
    assert_eq!(buckets, [Bucket::Night(date("2027-03-22"))]);
    assert!(
        hotel
            .store
            .booking(overlapping.id)
            .await
            .unwrap()
            .unwrap()
            .unit
            .is_none()
    );

    // The departure day is free for the next guest.
    hotel.assign(&after, &room).await.unwrap();
}

#[tokio::test]
async fn a_move_frees_the_old_room_and_a_cancellation_frees_the_new_one() {
    let hotel = Hotel::new().await;
    let (a, b) = (
        hotel.register("101", Housekeeping::Clean).await,
        hotel.register("102", Housekeeping::Clean).await,
    );
    let stay = hotel.stay("2027-03-20", "2027-03-22").await;

    hotel.assign(&stay, &a).await.unwrap();
    let moved = hotel.assign(&stay, &b).await.unwrap();
    assert_eq!(moved.unit.unwrap().unit_id, b.id);
    assert_eq!(hotel.occupant(&a, "2027-03-20").await, None);
    assert_eq!(
        hotel.occupant(&b, "2027-03-21").await,
        Some(Occupant::Booking(stay.id))
    );

    transition(
        &hotel.store,
        stay.id,
        BookingAction::Cancel,
        &hotel.staff,
        at(BOOKED_AT),
    )
    .await
    .unwrap();
    assert_eq!(hotel.occupant(&b, "2027-03-20").await, None);
    assert_eq!(hotel.occupant(&b, "2027-03-21").await, None);
}

#[tokio::test]
async fn a_booking_moved_to_dates_its_room_is_taken_on_keeps_the_dates_and_loses_the_room() {
    let hotel = Hotel::new().await;
    let (a, _b) = (
        hotel.register("101", Housekeeping::Clean).await,
        hotel.register("102", Housekeeping::Clean).await,
    );
    let first = hotel.stay("2027-03-20", "2027-03-22").await;
    let second = hotel.stay("2027-03-22", "2027-03-24").await;
    hotel.assign(&first, &a).await.unwrap();
    hotel.assign(&second, &a).await.unwrap();

    let later = change(
        &hotel.store,
        first.id,
        &departure("2027-03-20", "2027-03-23"),
        &hotel.staff,
        at(BOOKED_AT),
    )
    .await
    .unwrap();
    assert_eq!(later.unit, None, "room 101 is the next guest's on the 22nd");
    assert_eq!(hotel.occupant(&a, "2027-03-20").await, None);
    assert_eq!(
        hotel.occupant(&a, "2027-03-22").await,
        Some(Occupant::Booking(second.id))
    );

    // Earlier dates where the room is free keep it.
    hotel.assign(&later, &a).await.unwrap_err();
    let kept = change(
        &hotel.store,
        second.id,
        &departure("2027-03-22", "2027-03-25"),
        &hotel.staff,
        at(BOOKED_AT),
    )
    .await
    .unwrap();
    assert_eq!(kept.unit.as_ref().unwrap().unit_id, a.id);
}

#[tokio::test]
async fn a_move_too_large_for_one_transaction_with_its_room_leaves_the_room_first() {
    let hotel = Hotel::new().await;
    let room = hotel.register("101", Housekeeping::Clean).await;
    // 30 nights (the longest stay) in room 101, moved 30 nights later: 60 counters and 60 room
    // buckets do not fit one transaction, so the booking leaves its room first, then moves.
    let stay = hotel.stay("2027-05-01", "2027-05-31").await;
    hotel.assign(&stay, &room).await.unwrap();
    let moved = change(
        &hotel.store,
        stay.id,
        &departure("2027-07-01", "2027-07-31"),
        &hotel.staff,
        at(BOOKED_AT),
    )
    .await
    .unwrap();
    assert_eq!(moved.unit, None);
    assert_eq!(hotel.occupant(&room, "2027-05-01").await, None);
    assert_eq!(hotel.occupant(&room, "2027-05-30").await, None);
    assert_eq!(moved.buckets.len(), 30);

    // Cancelling a 30-night stay in its room frees counters and room at once.
    hotel.assign(&moved, &room).await.unwrap();
    transition(
        &hotel.store,
        stay.id,
        BookingAction::Cancel,
        &hotel.staff,
        at(BOOKED_AT),
    )
    .await
    .unwrap();
    assert_eq!(hotel.occupant(&room, "2027-07-30").await, None);
}
