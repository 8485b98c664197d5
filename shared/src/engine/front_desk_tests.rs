//! Rooms at the front desk against the in-memory store: registering them keeps the type's count in
//! step, a room is never given to two bookings for one night, moves and every way a booking ends
//! free it, check-in puts the guest in a clean room, check-out leaves it dirty.
use super::*;
use crate::auth::Caller;
use crate::domain::booking::{Booking, BookingAction, BookingStatus, BookingTime, Channel};
use crate::domain::calendar::Bucket;
use crate::domain::idempotency::{Delivery, IdempotencyKey};
use crate::domain::ids::{StaffId, UnitId, UserId};
use crate::domain::party::PartySize;
use crate::domain::resource::Resource;
use crate::domain::unit::{CheckInMethod, Housekeeping, Occupant, Unit, UnitNumber};
use crate::domain::vendor::Vendor;
use crate::engine::ChangeRequest;
use crate::store::memory::{MemoryStore, fixtures};
use crate::store::{BookingStore, ResourceStore, UnitStore};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

fn at(raw: &str) -> DateTime<Utc> {
    raw.parse().unwrap()
}

fn date(raw: &str) -> NaiveDate {
    raw.parse().unwrap()
}

const BOOKED_AT: &str = "2027-03-01T10:00:00Z";
/// 20 March, 15:00 in Berlin: the check-in time.
const ARRIVAL: &str = "2027-03-20T14:00:00Z";

struct Hotel {
    store: MemoryStore,
    hotel: Vendor,
    room: Resource,
    staff: Requester,
}

impl Hotel {
    /// A hotel with one room type (5 units, no deposit) and no rooms registered yet.
    async fn new() -> Self {
        let store = MemoryStore::default();
        let hotel = fixtures::hotel();
        store.put_vendor(&hotel);
        let room = fixtures::room_type(&hotel, "Double", 10_000, json!({}));
        store.create_resource(&room).await.unwrap();
        let staff = Requester::Caller(Caller::Staff {
            id: StaffId::generate(),
            vendor_id: hotel.id,
            manager: true,
        });
        Self {
            store,
            hotel,
            room,
            staff,
        }
    }

    async fn register(&self, number: &str, housekeeping: Housekeeping) -> Unit {
        let now = at(BOOKED_AT);
        let unit = Unit {
            id: UnitId::generate(),
            vendor_id: self.hotel.id,
            resource_id: self.room.id,
            number: UnitNumber::parse(number).unwrap(),
            floor: None,
            features: Vec::new(),
            seats: None,
            area: None,
            in_service: true,
            housekeeping,
            housekeeper: None,
            housekeeping_reports: Vec::new(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        register_unit(&self.store, &unit, now).await.unwrap()
    }

    async fn units_of_type(&self) -> u32 {
        let room = self.store.resource(self.hotel.id, self.room.id).await;
        room.unwrap().unwrap().units.get()
    }

    /// A confirmed stay (the type takes no deposit) booked by staff for a guest at the desk.
    async fn stay(&self, check_in: &str, check_out: &str) -> Booking {
        let creator = Creator {
            booked_by: format!("staff:{}", StaffId::generate()),
            guest: Some(UserId::generate()),
            channel: Channel::Online,
            desk_guest: None,
        };
        let key = format!("{check_in}-{check_out}-{}", UnitId::generate());
        let new = NewHold {
            creator: &creator,
            idempotency_key: &key,
            request_hash: "hash",
            request: HoldRequest {
                vendor: self.hotel.id,
                resource: Some(self.room.id),
                party: PartySize::new(2).unwrap(),
                units: None,
                time: BookingTime::Stay {
                    check_in: date(check_in),
                    check_out: date(check_out),
                },
            },
            now: at(BOOKED_AT),
            hold_seconds: 600,
        };
        match hold(&self.store, &self.store, new).await.unwrap() {
            Held::Created(booking) => booking,
            Held::Replayed(booking) => panic!("replayed {booking:?}"),
        }
    }

    async fn assign(&self, booking: &Booking, unit: &Unit) -> Result<Booking, AssignError> {
        assign(
            &self.store,
            booking.id,
            Pick::Unit(unit.id),
            &self.staff,
            at(BOOKED_AT),
        )
        .await
    }

    async fn occupant(&self, unit: &Unit, night: &str) -> Option<Occupant> {
        let key = (unit.id, Bucket::Night(date(night)));
        let found = self.store.occupants(self.hotel.id, &[key]).await.unwrap();
        found.get(&key).copied()
    }

    async fn unit(&self, unit: &Unit) -> Unit {
        self.store
            .unit(self.hotel.id, unit.id)
            .await
            .unwrap()
            .unwrap()
    }

    fn desk(&self, early: bool) -> CheckIn {
        CheckIn {
            method: CheckInMethod::Desk,
            unit: None,
            id_checked: true,
            early,
        }
    }
}

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

fn departure(check_in: &str, check_out: &str) -> ChangeRequest {
    ChangeRequest {
        time: Some(BookingTime::Stay {
            check_in: date(check_in),
            check_out: date(check_out),
        }),
        ..ChangeRequest::default()
    }
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
