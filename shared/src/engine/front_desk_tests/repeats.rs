//! Desk requests sent again with their idempotency key: answered as they are now and written
//! once.
use super::*;

fn key(raw: &str) -> IdempotencyKey {
    IdempotencyKey::parse(raw).unwrap()
}

#[tokio::test]
async fn a_check_in_sent_again_with_its_key_is_answered_as_it_is_now_and_written_once() {
    let hotel = Hotel::new().await;
    hotel.register("101", Housekeeping::Clean).await;
    let stay = hotel.stay("2027-03-20", "2027-03-23").await;
    let desk = hotel.desk(false);
    let sent = key("check-in-1");

    let (first, delivery) = check_in_once(
        &hotel.store,
        stay.id,
        &desk,
        Some(&sent),
        &hotel.staff,
        at(ARRIVAL),
    )
    .await
    .unwrap();
    assert_eq!(delivery, Delivery::Applied);
    assert_eq!(first.status, BookingStatus::CheckedIn);
    assert_eq!(
        first.check_in.as_ref().unwrap().idempotency_key,
        Some(sent.clone())
    );

    let later = at("2027-03-20T14:05:00Z");
    let (again, delivery) = check_in_once(
        &hotel.store,
        stay.id,
        &desk,
        Some(&sent),
        &hotel.staff,
        later,
    )
    .await
    .unwrap();
    assert_eq!(delivery, Delivery::Replayed);
    assert_eq!(again, first, "nothing written");
    let stored = hotel.store.booking(stay.id).await.unwrap().unwrap();
    assert_eq!(stored.version, first.version);

    let other = key("check-in-2");
    let refused = check_in_once(
        &hotel.store,
        stay.id,
        &desk,
        Some(&other),
        &hotel.staff,
        later,
    )
    .await;
    assert!(
        matches!(
            refused,
            Err(AssignError::CheckIn(CheckInRefused::Status(
                BookingStatus::CheckedIn
            )))
        ),
        "{refused:?}"
    );
    // Without a key, as before keys: the booking as it is.
    let keyless = check_in(&hotel.store, stay.id, &desk, &hotel.staff, later)
        .await
        .unwrap();
    assert_eq!(keyless.version, first.version);

    // Checked out since: the check-in sent again is still recognised, with the stay as it is.
    let departure = at("2027-03-23T09:00:00Z");
    check_out(&hotel.store, stay.id, None, &hotel.staff, departure)
        .await
        .unwrap();
    let (after, delivery) = check_in_once(
        &hotel.store,
        stay.id,
        &desk,
        Some(&sent),
        &hotel.staff,
        departure,
    )
    .await
    .unwrap();
    assert_eq!(delivery, Delivery::Replayed);
    assert_eq!(after.status, BookingStatus::Completed);
}

#[tokio::test]
async fn a_check_out_sent_again_with_its_key_writes_nothing_and_another_key_is_refused() {
    let hotel = Hotel::new().await;
    let room = hotel.register("101", Housekeeping::Clean).await;
    let stay = hotel.stay("2027-03-20", "2027-03-23").await;
    check_in(
        &hotel.store,
        stay.id,
        &hotel.desk(false),
        &hotel.staff,
        at(ARRIVAL),
    )
    .await
    .unwrap();
    let sent = key("check-out-1");
    let departure = at("2027-03-23T09:00:00Z");

    let (first, delivery) = check_out(&hotel.store, stay.id, Some(&sent), &hotel.staff, departure)
        .await
        .unwrap();
    assert_eq!(delivery, Delivery::Applied);
    assert_eq!(first.status, BookingStatus::Completed);
    assert_eq!(
        first.check_in.as_ref().unwrap().check_out_key,
        Some(sent.clone())
    );
    let cleaned = set_housekeeping(
        &hotel.store,
        hotel.hotel.id,
        room.id,
        Housekeeping::Clean,
        None,
        departure,
    )
    .await
    .unwrap()
    .0;

    let later = at("2027-03-23T09:30:00Z");
    let (again, delivery) = check_out(&hotel.store, stay.id, Some(&sent), &hotel.staff, later)
        .await
        .unwrap();
    assert_eq!(delivery, Delivery::Replayed);
    assert_eq!(again, first, "nothing written");
    assert_eq!(
        hotel.unit(&room).await.version,
        cleaned.version,
        "the room is not made dirty again"
    );

    let refused = check_out(
        &hotel.store,
        stay.id,
        Some(&key("check-out-2")),
        &hotel.staff,
        later,
    )
    .await;
    assert!(
        matches!(
            refused,
            Err(TransitionError::Invalid(
                crate::domain::booking::InvalidTransition {
                    from: BookingStatus::Completed,
                    action: BookingAction::Complete,
                }
            ))
        ),
        "{refused:?}"
    );
    let (keyless, _) = check_out(&hotel.store, stay.id, None, &hotel.staff, later)
        .await
        .unwrap();
    assert_eq!(keyless.version, first.version, "as before keys: unchanged");
}

#[tokio::test]
async fn a_housekeeping_report_sent_again_writes_nothing_and_the_later_report_stands() {
    let hotel = Hotel::new().await;
    let room = hotel.register("101", Housekeeping::Dirty).await;
    let report = |status, sent: Option<IdempotencyKey>, now: &str| {
        let (store, vendor, unit, now) = (&hotel.store, hotel.hotel.id, room.id, at(now));
        async move { set_housekeeping(store, vendor, unit, status, sent.as_ref(), now).await }
    };
    let cleaned = key("clean-101");

    let (clean, delivery) = report(Housekeeping::Clean, Some(cleaned.clone()), ARRIVAL)
        .await
        .unwrap();
    assert_eq!(delivery, Delivery::Applied);
    assert_eq!(clean.housekeeping, Housekeeping::Clean);
    let (dirty, _) = report(
        Housekeeping::Dirty,
        Some(key("dirty-101")),
        "2027-03-20T15:00:00Z",
    )
    .await
    .unwrap();
    assert_eq!(dirty.version, clean.version + 1);

    let (again, delivery) = report(
        Housekeeping::Clean,
        Some(cleaned.clone()),
        "2027-03-20T16:00:00Z",
    )
    .await
    .unwrap();
    assert_eq!(delivery, Delivery::Replayed);
    assert_eq!(
        again.housekeeping,
        Housekeeping::Dirty,
        "the later report stands"
    );
    assert_eq!(
        hotel.unit(&room).await.version,
        dirty.version,
        "nothing written"
    );

    let reused = report(
        Housekeeping::Inspected,
        Some(cleaned),
        "2027-03-20T16:00:00Z",
    )
    .await;
    assert!(matches!(reused, Err(UnitError::KeyReused)), "{reused:?}");
    let (keyless, delivery) = report(Housekeeping::Clean, None, "2027-03-20T16:00:00Z")
        .await
        .unwrap();
    assert_eq!(delivery, Delivery::Applied);
    assert_eq!(keyless.version, dirty.version + 1);
}
