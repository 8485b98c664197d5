//! The money and lifecycle rules on every path through the engine, against the in-memory store:
//! holds, changes, cancellations, no-shows and early departures, each as a guest, staff or the
//! platform would take them.
use super::*;
use crate::auth::Caller;
use crate::domain::booking::{Booking, BookingAction, BookingStatus, BookingTime};
use crate::domain::calendar::Bucket;
use crate::domain::ids::{BookingId, StaffId, UserId};
use crate::domain::party::PartySize;
use crate::domain::payment::{DepositPayment, DepositStatus, IntentId, SettlementRule};
use crate::domain::resource::Resource;
use crate::domain::terms::ChangeRefused;
use crate::domain::vendor::Vendor;
use crate::store::memory::{MemoryStore, fixtures};
use crate::store::{ArchiveEntry, BookingStore, ResourceStore};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde_json::json;

fn at(raw: &str) -> DateTime<Utc> {
    raw.parse().unwrap()
}

fn date(raw: &str) -> NaiveDate {
    raw.parse().unwrap()
}

/// When every test's guest books: well before a stay from 20 March (15:00 Berlin, 14:00 UTC).
const BOOKED_AT: &str = "2027-03-01T10:00:00Z";
const ARRIVAL: &str = "2027-03-20T14:00:00Z";

struct Desk {
    store: MemoryStore,
    hotel: Vendor,
    guest: UserId,
    staff: Caller,
}

impl Desk {
    async fn new() -> Self {
        let store = MemoryStore::default();
        let hotel = fixtures::hotel();
        store.put_vendor(&hotel);
        Self {
            store,
            staff: Caller::Staff {
                id: StaffId::generate(),
                vendor_id: hotel.id,
                manager: false,
            },
            hotel,
            guest: UserId::generate(),
        }
    }

    async fn room(&self, name: &str, price: i64, policy: serde_json::Value) -> Resource {
        let room = fixtures::room_type(&self.hotel, name, price, policy);
        self.store.create_resource(&room).await.unwrap();
        room
    }

    fn as_guest(&self) -> Requester {
        Requester::Caller(Caller::Guest(self.guest))
    }

    fn as_staff(&self) -> Requester {
        Requester::Caller(self.staff.clone())
    }

    /// The guest asks for `units` of `resource` at `time`, with `key`, at `now`.
    async fn ask(
        &self,
        resource: &Resource,
        time: BookingTime,
        key: &str,
        now: &str,
    ) -> Result<Held, HoldError> {
        let creator = Creator::from_caller(&Caller::Guest(self.guest), self.hotel.id).unwrap();
        let new = NewHold {
            creator: &creator,
            idempotency_key: key,
            request_hash: "hash",
            request: HoldRequest {
                vendor: self.hotel.id,
                resource: Some(resource.id),
                party: PartySize::new(2).unwrap(),
                units: None,
                time,
            },
            now: at(now),
            hold_seconds: 600,
        };
        hold(&self.store, &self.store, new).await
    }

    /// The guest holds `room` from `check_in` to `check_out` at `now`.
    async fn hold(&self, room: &Resource, check_in: &str, check_out: &str, now: &str) -> Booking {
        let key = format!("{}-{check_in}-{check_out}", room.id);
        let time = BookingTime::Stay {
            check_in: date(check_in),
            check_out: date(check_out),
        };
        match self.ask(room, time, &key, now).await.unwrap() {
            Held::Created(booking) => booking,
            Held::Replayed(booking) => panic!("a new hold was replayed: {booking:?}"),
        }
    }

    /// Staff check the guest in on arrival and out at `out`.
    async fn stay_until(&self, booking: &Booking, out: &str) -> Booking {
        let staff = self.as_staff();
        for (action, when) in [
            (BookingAction::CheckIn, ARRIVAL),
            (BookingAction::Complete, out),
        ] {
            self.act(booking.id, action, &staff, at(when))
                .await
                .unwrap();
        }
        self.stored(booking).await
    }

    async fn change(
        &self,
        id: BookingId,
        request: &ChangeRequest,
        by: &Requester,
        when: DateTime<Utc>,
    ) -> Result<Booking, ChangeError> {
        change(&self.store, id, request, by, when).await
    }

    async fn act(
        &self,
        id: BookingId,
        action: BookingAction,
        by: &Requester,
        when: DateTime<Utc>,
    ) -> Result<Booking, TransitionError> {
        transition(&self.store, id, action, by, when).await
    }

    /// The guest holds `room` and pays its deposit, which confirms the booking.
    async fn paid(&self, room: &Resource, check_in: &str, check_out: &str) -> Booking {
        let held = self.hold(room, check_in, check_out, BOOKED_AT).await;
        let deposit = held.payment.deposit.expect("a deposit to pay");
        transition_with(
            &self.store,
            held.id,
            BookingAction::Confirm,
            &Requester::System,
            at(BOOKED_AT),
            |b| {
                let mut payment = DepositPayment::awaiting(IntentId::parse("pi_test").unwrap());
                payment.pay(deposit);
                b.deposit_payment = Some(payment);
                Ok(())
            },
        )
        .await
        .unwrap()
    }

    async fn stored(&self, booking: &Booking) -> Booking {
        self.store.booking(booking.id).await.unwrap().unwrap()
    }

    fn sold(&self, booking: &Booking, night: &str) -> i64 {
        self.store.sold_units(
            self.hotel.id,
            booking.resource_id,
            Bucket::Night(date(night)),
        )
    }
}

fn dates(check_in: &str, check_out: &str) -> ChangeRequest {
    ChangeRequest {
        time: Some(BookingTime::Stay {
            check_in: date(check_in),
            check_out: date(check_out),
        }),
        ..ChangeRequest::default()
    }
}

fn to_type(resource: &Resource) -> ChangeRequest {
    ChangeRequest {
        resource: Some(resource.id),
        ..ChangeRequest::default()
    }
}

fn no_deposit() -> serde_json::Value {
    json!({})
}

/// 20% down; free until 48 hours before arrival, then 10% of the stay.
fn strict() -> serde_json::Value {
    json!({
        "deposit": {"kind": "percent", "percent": 20},
        "cancellation": {"free_until_hours": 48, "late_fee": {"kind": "percent", "percent": 10}},
    })
}

fn settlement_of(booking: &Booking) -> crate::domain::payment::Settlement {
    booking
        .deposit_payment
        .as_ref()
        .and_then(|d| d.settlement.clone())
        .expect("a settlement")
}

#[tokio::test]
async fn a_change_to_a_type_that_takes_a_deposit_is_refused_when_none_was_paid() {
    let desk = Desk::new().await;
    let cheap = desk.room("Cheap", 10_000, no_deposit()).await;
    let suite = desk.room("Suite", 30_000, strict()).await;
    let booking = desk
        .hold(&cheap, "2027-03-20", "2027-03-22", BOOKED_AT)
        .await;
    assert_eq!(booking.status, BookingStatus::Confirmed);

    let upgrade = to_type(&suite);
    let refused = desk
        .change(booking.id, &upgrade, &desk.as_guest(), at(BOOKED_AT))
        .await;

    assert!(
        matches!(
            refused,
            Err(ChangeError::Refused(ChangeRefused::DepositIncrease { required, paid }))
                if required.amount_minor == 12_000 && paid.amount_minor == 0
        ),
        "{refused:?}"
    );
    assert_eq!(desk.stored(&booking).await, booking);
    assert_eq!(desk.sold(&booking, "2027-03-20"), 1);
}

#[tokio::test]
async fn a_guest_cannot_move_a_booking_out_of_the_late_window_and_cancelling_keeps_the_fee() {
    let desk = Desk::new().await;
    let suite = desk.room("Suite", 30_000, strict()).await;
    let booking = desk.paid(&suite, "2027-03-20", "2027-03-22").await;
    let late = at("2027-03-19T14:00:00Z");

    let moved = desk
        .change(
            booking.id,
            &dates("2027-04-20", "2027-04-22"),
            &desk.as_guest(),
            late,
        )
        .await;
    assert!(
        matches!(moved, Err(ChangeError::Refused(ChangeRefused::LateWindow { free_until }))
            if free_until == at("2027-03-18T14:00:00Z")),
        "{moved:?}"
    );

    let cancelled = desk
        .act(booking.id, BookingAction::Cancel, &desk.as_guest(), late)
        .await
        .unwrap();
    // 20% of 60 000 was paid; 10% of it is the fee.
    let settlement = settlement_of(&cancelled);
    assert_eq!(settlement.rule, Some(SettlementRule::LateCancellation));
    assert_eq!(settlement.kept.amount_minor, 6_000);
    assert_eq!(settlement.refund.amount_minor, 6_000);
    assert_eq!(settlement.acted_by, Some(format!("guest:{}", desk.guest)));
}

#[tokio::test]
async fn a_percentage_deposit_paid_on_one_night_does_not_cover_thirty() {
    let desk = Desk::new().await;
    let suite = desk.room("Suite", 30_000, strict()).await;
    let booking = desk.paid(&suite, "2027-03-20", "2027-03-21").await;

    let longer = desk
        .change(
            booking.id,
            &dates("2027-03-20", "2027-04-19"),
            &desk.as_guest(),
            at(BOOKED_AT),
        )
        .await;

    assert!(
        matches!(longer, Err(ChangeError::Refused(ChangeRefused::DepositIncrease { required, paid }))
            if required.amount_minor == 180_000 && paid.amount_minor == 6_000),
        "{longer:?}"
    );
    assert_eq!(desk.sold(&booking, "2027-03-21"), 0);
}

#[tokio::test]
async fn a_change_takes_the_new_types_terms_and_a_no_show_keeps_only_the_new_deposit() {
    let desk = Desk::new().await;
    let suite = desk.room("Suite", 30_000, strict()).await;
    let flexible = desk
        .room(
            "Flexible",
            20_000,
            json!({"deposit": {"kind": "fixed", "amount": {"amount_minor": 2_500, "currency": "EUR"}}}),
        )
        .await;
    let booking = desk.paid(&suite, "2027-03-20", "2027-03-22").await;

    let changed = desk
        .change(
            booking.id,
            &to_type(&flexible),
            &desk.as_guest(),
            at(BOOKED_AT),
        )
        .await
        .unwrap();
    assert_eq!(changed.payment.deposit.map(|d| d.amount_minor), Some(2_500));
    assert_eq!(changed.payment.cancellation, flexible.cancellation);
    assert_eq!(changed.quote.total.amount_minor, 40_000);

    let no_show = desk
        .act(
            booking.id,
            BookingAction::NoShow,
            &desk.as_staff(),
            at("2027-03-21T03:00:00Z"),
        )
        .await
        .unwrap();
    let settlement = settlement_of(&no_show);
    assert_eq!(settlement.rule, Some(SettlementRule::NoShow));
    assert_eq!(settlement.kept.amount_minor, 2_500);
    assert_eq!(settlement.refund.amount_minor, 12_000 - 2_500);
}

#[tokio::test]
async fn a_guest_who_cancels_after_arrival_is_settled_as_a_no_show() {
    let desk = Desk::new().await;
    let lenient = desk
        .room(
            "Lenient",
            30_000,
            json!({"deposit": {"kind": "percent", "percent": 20}}),
        )
        .await;
    let booking = desk.paid(&lenient, "2027-03-20", "2027-03-22").await;

    let cancelled = desk
        .act(
            booking.id,
            BookingAction::Cancel,
            &desk.as_guest(),
            at("2027-03-21T09:00:00Z"),
        )
        .await
        .unwrap();

    assert_eq!(cancelled.status, BookingStatus::Cancelled);
    let settlement = settlement_of(&cancelled);
    assert_eq!(settlement.rule, Some(SettlementRule::CancelledAfterArrival));
    assert_eq!(settlement.kept.amount_minor, 12_000);
    assert_eq!(settlement.refund.amount_minor, 0);
}

#[tokio::test]
async fn a_no_show_waits_for_the_arrival_time_and_its_grace() {
    // A room's default grace ends with its arrival day: midnight in Berlin.
    let desk = Desk::new().await;
    let suite = desk.room("Suite", 30_000, strict()).await;
    let booking = desk.paid(&suite, "2027-03-20", "2027-03-22").await;

    for early in [BOOKED_AT, ARRIVAL, "2027-03-20T22:59:59Z"] {
        let refused = desk
            .act(
                booking.id,
                BookingAction::NoShow,
                &desk.as_staff(),
                at(early),
            )
            .await;
        assert!(
            matches!(refused, Err(TransitionError::TooEarly { allowed_from })
                if allowed_from == at("2027-03-20T23:00:00Z")),
            "{early}: {refused:?}"
        );
    }
    assert_eq!(desk.sold(&booking, "2027-03-20"), 1);

    let no_show = desk
        .act(
            booking.id,
            BookingAction::NoShow,
            &desk.as_staff(),
            at("2027-03-20T23:00:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(no_show.status, BookingStatus::NoShow);
    assert_eq!(desk.sold(&booking, "2027-03-20"), 0);
}

#[tokio::test]
async fn the_platform_marks_a_no_show_after_the_grace_and_settles_it_by_the_no_show_terms() {
    let desk = Desk::new().await;
    let suite = desk.room("Suite", 30_000, strict()).await;
    let booking = desk.paid(&suite, "2027-03-20", "2027-03-22").await;

    let early = desk
        .act(
            booking.id,
            BookingAction::NoShow,
            &Requester::System,
            at("2027-03-20T22:59:59Z"),
        )
        .await;
    assert!(
        matches!(early, Err(TransitionError::TooEarly { .. })),
        "{early:?}"
    );

    let no_show = desk
        .act(
            booking.id,
            BookingAction::NoShow,
            &Requester::System,
            at("2027-03-20T23:00:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(no_show.status, BookingStatus::NoShow);
    assert_eq!(desk.sold(&booking, "2027-03-20"), 0);
    let settlement = settlement_of(&no_show);
    assert_eq!(settlement.rule, Some(SettlementRule::NoShow));
    assert_eq!(settlement.acted_by.as_deref(), Some("system"));
}

#[tokio::test]
async fn the_vendor_cancelling_refunds_everything_even_late() {
    let desk = Desk::new().await;
    let suite = desk.room("Suite", 30_000, strict()).await;
    let booking = desk.paid(&suite, "2027-03-20", "2027-03-22").await;

    let cancelled = desk
        .act(
            booking.id,
            BookingAction::Cancel,
            &desk.as_staff(),
            at("2027-03-20T12:00:00Z"),
        )
        .await
        .unwrap();

    let settlement = settlement_of(&cancelled);
    assert_eq!(settlement.rule, Some(SettlementRule::VendorCancellation));
    assert_eq!(settlement.refund.amount_minor, 12_000);
    assert_eq!(settlement.kept.amount_minor, 0);
    let Caller::Staff { id, .. } = &desk.staff else {
        unreachable!()
    };
    assert_eq!(settlement.acted_by, Some(format!("staff:{id}")));
    assert_eq!(
        cancelled.deposit_payment.map(|d| d.status),
        Some(DepositStatus::RefundDue)
    );
}

#[tokio::test]
async fn staff_may_move_a_booking_inside_the_late_window_and_it_takes_the_new_terms() {
    let desk = Desk::new().await;
    let suite = desk.room("Suite", 30_000, strict()).await;
    let booking = desk.paid(&suite, "2027-03-20", "2027-03-22").await;

    let moved = desk
        .change(
            booking.id,
            &dates("2027-03-21", "2027-03-23"),
            &desk.as_staff(),
            at("2027-03-19T14:00:00Z"),
        )
        .await
        .unwrap();

    assert_eq!(moved.arrival_at, at("2027-03-21T14:00:00Z"));
    assert_eq!(desk.sold(&booking, "2027-03-20"), 0);
    assert_eq!(desk.sold(&booking, "2027-03-22"), 1);
}

#[tokio::test]
async fn leaving_early_releases_the_nights_not_stayed_and_charges_the_nights_kept() {
    let desk = Desk::new().await;
    let room = desk.room("Double", 10_000, no_deposit()).await;
    let booking = desk
        .hold(&room, "2027-03-20", "2027-03-24", BOOKED_AT)
        .await;
    // The morning of the 22nd, Berlin time: the nights of the 20th and 21st were used.
    let completed = desk.stay_until(&booking, "2027-03-22T08:00:00Z").await;

    assert_eq!(
        completed.time,
        BookingTime::Stay {
            check_in: date("2027-03-20"),
            check_out: date("2027-03-22")
        }
    );
    assert_eq!(completed.quote.total.amount_minor, 20_000);
    assert_eq!(completed.quote.lines.len(), 2);
    let sold: Vec<i64> = ["2027-03-20", "2027-03-21", "2027-03-22", "2027-03-23"]
        .into_iter()
        .map(|night| desk.sold(&booking, night))
        .collect();
    assert_eq!(sold, [1, 1, 0, 0]);
}

#[tokio::test]
async fn a_stay_that_ran_its_course_completes_unchanged() {
    let desk = Desk::new().await;
    let room = desk.room("Double", 10_000, no_deposit()).await;
    let booking = desk
        .hold(&room, "2027-03-20", "2027-03-22", BOOKED_AT)
        .await;
    let completed = desk.stay_until(&booking, "2027-03-22T09:00:00Z").await;

    assert_eq!(completed.time, booking.time);
    assert_eq!(completed.quote, booking.quote);
    assert_eq!(desk.sold(&booking, "2027-03-21"), 1);
}

#[tokio::test]
async fn a_key_whose_booking_was_archived_is_expired_not_a_second_booking() {
    let desk = Desk::new().await;
    let room = desk.room("Double", 10_000, no_deposit()).await;
    let booking = desk
        .hold(&room, "2027-03-20", "2027-03-22", BOOKED_AT)
        .await;
    let cancelled = desk
        .act(
            booking.id,
            BookingAction::Cancel,
            &desk.as_guest(),
            at(BOOKED_AT),
        )
        .await
        .unwrap();
    let entry = ArchiveEntry::of(
        &cancelled,
        "bookings/record.json".into(),
        at("2027-09-01T00:00:00Z"),
    );
    crate::store::ArchiveIndex::move_out(&desk.store, &cancelled, &entry)
        .await
        .unwrap();

    let key = format!("{}-2027-03-20-2027-03-22", room.id);
    let again = desk
        .ask(&room, booking.time, &key, "2027-09-01T10:00:00Z")
        .await;

    assert!(matches!(again, Err(HoldError::KeyExpired)), "{again:?}");
    assert!(desk.store.booking(booking.id).await.unwrap().is_none());
}

#[tokio::test]
async fn a_change_that_moves_more_counters_than_one_transaction_takes_names_the_time() {
    let desk = Desk::new().await;
    // Six-hour seatings on a five-minute grid: 72 slots, and a move of seven hours frees 72 and
    // takes 72.
    let table = fixtures::room_type(
        &desk.hotel,
        "Banquet",
        5_000,
        json!({"kind": "table_type", "seating": {"slot_minutes": 5, "seating_minutes": 360}}),
    );
    desk.store.create_resource(&table).await.unwrap();
    let seating = |time: &str| BookingTime::Seating {
        date: date("2027-03-20"),
        time: time.parse::<NaiveTime>().unwrap(),
    };
    let Held::Created(booking) = desk
        .ask(&table, seating("08:00"), "banquet", BOOKED_AT)
        .await
        .unwrap()
    else {
        panic!("a new hold was replayed")
    };
    assert_eq!(booking.buckets.len(), 72);

    let moved = desk
        .change(
            booking.id,
            &ChangeRequest {
                time: Some(seating("15:00")),
                ..ChangeRequest::default()
            },
            &desk.as_guest(),
            at(BOOKED_AT),
        )
        .await;

    match moved {
        Err(ChangeError::Rejected(HoldError::Invalid(errors))) => {
            let errors = errors.into_vec();
            assert_eq!(
                errors.iter().map(|e| &e.location).collect::<Vec<_>>(),
                [&crate::domain::Location::Pointer("/time".into())],
                "{errors:?}"
            );
        }
        other => panic!("expected a 422 naming /time, got {other:?}"),
    }
    assert_eq!(desk.stored(&booking).await, booking);
}

#[tokio::test]
async fn a_no_show_after_a_change_to_a_type_without_a_deposit_keeps_nothing() {
    let desk = Desk::new().await;
    let suite = desk.room("Suite", 30_000, strict()).await;
    let cheap = desk.room("Cheap", 10_000, no_deposit()).await;
    let booking = desk.paid(&suite, "2027-03-20", "2027-03-22").await;
    let to_cheap = to_type(&cheap);
    let changed = desk
        .change(booking.id, &to_cheap, &desk.as_guest(), at(BOOKED_AT))
        .await
        .unwrap();
    assert_eq!(changed.payment.deposit, None);

    let no_show = desk
        .act(
            booking.id,
            BookingAction::NoShow,
            &desk.as_staff(),
            at("2027-03-21T03:00:00Z"),
        )
        .await
        .unwrap();

    let settlement = settlement_of(&no_show);
    assert_eq!(settlement.kept.amount_minor, 0);
    assert_eq!(settlement.refund.amount_minor, 12_000);
}

#[tokio::test]
async fn a_hold_waiting_for_its_deposit_cannot_change_to_a_type_without_one() {
    let desk = Desk::new().await;
    let suite = desk.room("Suite", 30_000, strict()).await;
    let cheap = desk.room("Cheap", 10_000, no_deposit()).await;
    let held = desk
        .hold(&suite, "2027-03-20", "2027-03-22", BOOKED_AT)
        .await;
    assert_eq!(held.status, BookingStatus::Held);

    let to_cheap = to_type(&cheap);
    let refused = desk
        .change(held.id, &to_cheap, &desk.as_guest(), at(BOOKED_AT))
        .await;

    assert!(
        matches!(refused, Err(ChangeError::Refused(ChangeRefused::DepositPending { required, asked }))
            if required.amount_minor == 0 && asked.amount_minor == 12_000),
        "{refused:?}"
    );
    assert_eq!(desk.stored(&held).await, held);
}
