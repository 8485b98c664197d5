//! The night audit over the in-memory stores: no-shows, overdue departures, the close, re-runs.
use super::*;
use crate::auth::Caller;
use crate::domain::ids::{StaffId, UserId};
use crate::domain::party::PartySize;
use crate::engine::{Creator, Held, HoldRequest, NewHold, hold};
use crate::reports::MemoryReports;
use crate::store::memory::{MemoryStore, fixtures};
use serde_json::json;
use std::sync::Mutex;

fn at(raw: &str) -> DateTime<Utc> {
    raw.parse().unwrap()
}

fn date(raw: &str) -> NaiveDate {
    raw.parse().unwrap()
}

/// The events put, as (detail-type, event id).
#[derive(Default)]
struct Bus(Mutex<Vec<(&'static str, String, Vec<BookingId>)>>);

impl Bus {
    fn put(&self) -> Vec<(&'static str, String, Vec<BookingId>)> {
        self.0.lock().unwrap().clone()
    }
}

impl DayEvents for Bus {
    async fn day_closed(&self, event: &DayClosed) -> anyhow::Result<()> {
        self.0
            .lock()
            .unwrap()
            .push((DAY_CLOSED, event.event_id.clone(), Vec::new()));
        Ok(())
    }

    async fn departures_overdue(&self, event: &DeparturesOverdue) -> anyhow::Result<()> {
        self.0.lock().unwrap().push((
            DEPARTURES_OVERDUE,
            event.event_id.clone(),
            event.booking_ids.clone(),
        ));
        Ok(())
    }
}

struct Hotel {
    store: MemoryStore,
    reports: MemoryReports,
    bus: Bus,
    vendor: Vendor,
    room: Resource,
}

impl Hotel {
    /// A Berlin hotel with 5 rooms of one type, 20% deposit, no-show keeps the deposit.
    async fn new() -> Self {
        let store = MemoryStore::default();
        let vendor = fixtures::hotel();
        store.put_vendor(&vendor);
        let room = fixtures::room_type(&vendor, "Double", 10_000, json!({}));
        store.create_resource(&room).await.unwrap();
        Self {
            store,
            reports: MemoryReports::default(),
            bus: Bus::default(),
            vendor,
            room,
        }
    }

    /// A guest's confirmed stay (no deposit asked, so confirmed at once), booked on 1 March.
    async fn stay(&self, check_in: &str, check_out: &str) -> Booking {
        let guest = UserId::generate();
        let creator = Creator::from_caller(&Caller::Guest(guest), self.vendor.id).unwrap();
        let key = format!("{check_in}-{check_out}-{guest}");
        let new = NewHold {
            creator: &creator,
            idempotency_key: &key,
            request_hash: "hash",
            request: HoldRequest {
                vendor: self.vendor.id,
                resource: Some(self.room.id),
                party: PartySize::new(2).unwrap(),
                units: None,
                time: BookingTime::Stay {
                    check_in: date(check_in),
                    check_out: date(check_out),
                },
            },
            now: at("2027-03-01T10:00:00Z"),
            hold_seconds: 600,
        };
        match hold(&self.store, &self.store, new).await.unwrap() {
            Held::Created(booking) => {
                assert_eq!(booking.status, BookingStatus::Confirmed);
                booking
            }
            Held::Replayed(booking) => panic!("replayed: {booking:?}"),
        }
    }

    async fn check_in(&self, booking: &Booking, when: &str) {
        let staff = Requester::Caller(Caller::Staff {
            id: StaffId::generate(),
            vendor_id: self.vendor.id,
            manager: false,
        });
        transition(
            &self.store,
            booking.id,
            BookingAction::CheckIn,
            &staff,
            at(when),
        )
        .await
        .unwrap();
    }

    async fn status(&self, booking: &Booking) -> BookingStatus {
        self.store
            .booking(booking.id)
            .await
            .unwrap()
            .unwrap()
            .status
    }

    async fn audit(&self, day: Option<&str>, now: &str) -> Result<AuditOutcome, AuditError> {
        let request = AuditRequest {
            vendor_id: self.vendor.id,
            day: day.map(date),
        };
        run(&self.store, &self.reports, &self.bus, &request, at(now)).await
    }
}

#[test]
fn the_audit_after_midnight_closes_the_day_before() {
    let berlin = chrono_tz::Europe::Berlin;
    assert_eq!(
        closing_day(at("2027-03-08T01:00:00Z"), berlin),
        date("2027-03-07")
    );
    assert_eq!(
        closing_day(at("2027-03-07T10:59:59Z"), berlin),
        date("2027-03-06")
    );
    // An audit set in the afternoon or at 23:30 closes the day before, never the one running.
    assert_eq!(
        closing_day(at("2027-03-07T11:00:00Z"), berlin),
        date("2027-03-06")
    );
    assert_eq!(
        closing_day(at("2027-03-07T22:30:00Z"), berlin),
        date("2027-03-06")
    );
    assert_eq!(
        day_ends_at(date("2027-03-07"), berlin),
        at("2027-03-07T23:00:00Z")
    );
    // The clocks go forward on 28 March: that day has 23 hours.
    assert_eq!(
        day_ends_at(date("2027-03-28"), berlin),
        at("2027-03-28T22:00:00Z")
    );
}

#[test]
fn capacity_counts_rooms_or_seats() {
    let hotel = fixtures::hotel();
    let rooms = fixtures::room_type(&hotel, "Double", 10_000, json!({"units": 7}));
    let mut tables = fixtures::room_type(&hotel, "Four-top", 0, json!({"capacity": 4, "units": 3}));
    tables.kind = ResourceKind::TableType;
    assert_eq!(capacity(std::slice::from_ref(&rooms)), 7);
    assert_eq!(capacity(&[rooms, tables]), 7 + 12);
}

#[tokio::test]
async fn a_confirmed_guest_who_never_came_becomes_a_no_show_and_the_day_closes_once() {
    let hotel = Hotel::new().await;
    let missing = hotel.stay("2027-03-20", "2027-03-22").await;
    let arrived = hotel.stay("2027-03-20", "2027-03-21").await;
    hotel.check_in(&arrived, "2027-03-20T15:00:00Z").await;
    let later = hotel.stay("2027-03-21", "2027-03-22").await;

    // 03:30 in Berlin on the 21st: the 20th ended, the missing guest's grace too.
    let outcome = hotel.audit(None, "2027-03-21T02:30:00Z").await.unwrap();

    assert_eq!(outcome.day, date("2027-03-20"));
    assert_eq!(outcome.no_shows, vec![missing.id]);
    assert_eq!(hotel.status(&missing).await, BookingStatus::NoShow);
    assert_eq!(hotel.status(&arrived).await, BookingStatus::CheckedIn);
    assert_eq!(hotel.status(&later).await, BookingStatus::Confirmed);
    assert_eq!(outcome.closed, Closed::Closed);
    assert_eq!(outcome.figures.capacity, Some(5));
    let closed_day = hotel
        .reports
        .day(hotel.vendor.id, date("2027-03-20"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(closed_day.closed_at, Some(at("2027-03-21T02:30:00Z")));

    let again = hotel.audit(None, "2027-03-21T03:00:00Z").await.unwrap();

    assert!(again.no_shows.is_empty());
    assert_eq!(again.closed, Closed::AlreadyClosed);
    assert_eq!(again.figures, outcome.figures);
    let id = format!("day-closed:{}:2027-03-20", hotel.vendor.id);
    let closes: Vec<_> = hotel
        .bus
        .put()
        .into_iter()
        .filter(|(kind, _, _)| *kind == DAY_CLOSED)
        .map(|(_, event_id, _)| event_id)
        .collect();
    assert_eq!(closes, vec![id.clone(), id]);
}

#[tokio::test]
async fn the_audit_closing_the_arrival_day_marks_the_missing_guest_not_the_next_nights() {
    let hotel = Hotel::new().await;
    let missing = hotel.stay("2027-03-20", "2027-03-22").await;

    // 01:30 in Berlin: the 20th has ended, and with it a room's default grace.
    let first = hotel.audit(None, "2027-03-21T00:30:00Z").await.unwrap();

    assert_eq!(first.day, date("2027-03-20"));
    assert_eq!(first.no_shows, vec![missing.id]);
    assert_eq!(hotel.status(&missing).await, BookingStatus::NoShow);
    assert_eq!(first.figures.count("no_shows"), 1, "{:?}", first.figures);
    assert_eq!(first.figures.count("room_nights"), 0, "{:?}", first.figures);
}

#[tokio::test]
async fn a_guest_still_in_house_on_the_departure_day_is_flagged_and_the_desk_told() {
    let hotel = Hotel::new().await;
    let staying_on = hotel.stay("2027-03-18", "2027-03-20").await;
    hotel.check_in(&staying_on, "2027-03-18T15:00:00Z").await;
    let leaves_later = hotel.stay("2027-03-19", "2027-03-22").await;
    hotel.check_in(&leaves_later, "2027-03-19T15:00:00Z").await;

    let outcome = hotel
        .audit(Some("2027-03-20"), "2027-03-21T01:00:00Z")
        .await
        .unwrap();

    assert_eq!(outcome.overdue_departures, vec![staying_on.id]);
    assert_eq!(hotel.status(&staying_on).await, BookingStatus::CheckedIn);
    let told: Vec<_> = hotel
        .bus
        .put()
        .into_iter()
        .filter(|(kind, _, _)| *kind == DEPARTURES_OVERDUE)
        .collect();
    assert_eq!(
        told,
        vec![(
            DEPARTURES_OVERDUE,
            format!("departures-overdue:{}:2027-03-20", hotel.vendor.id),
            vec![staying_on.id]
        )]
    );
}

#[tokio::test]
async fn a_day_that_has_not_ended_is_not_closed() {
    let hotel = Hotel::new().await;

    let refused = hotel
        .audit(Some("2027-03-21"), "2027-03-21T22:59:59Z")
        .await;

    assert!(
        matches!(refused, Err(AuditError::DayNotEnded { day, ends_at })
            if day == date("2027-03-21") && ends_at == at("2027-03-21T23:00:00Z")),
        "{refused:?}"
    );
    assert_eq!(
        hotel
            .reports
            .day(hotel.vendor.id, date("2027-03-21"))
            .await
            .unwrap(),
        None
    );
    assert!(hotel.bus.put().is_empty());
}

#[tokio::test]
async fn a_vendor_that_does_not_exist_is_named() {
    let hotel = Hotel::new().await;
    let request = AuditRequest {
        vendor_id: VendorId::generate(),
        day: None,
    };

    let refused = run(
        &hotel.store,
        &hotel.reports,
        &hotel.bus,
        &request,
        at("2027-03-21T02:30:00Z"),
    )
    .await;

    assert!(
        matches!(refused, Err(AuditError::VendorNotFound)),
        "{refused:?}"
    );
}

#[test]
fn the_schedule_runs_at_the_vendors_time_in_its_zone() {
    let mut vendor = fixtures::hotel();
    vendor.night_audit_at = crate::domain::tax::NightAuditTime::parse("03:15").unwrap();

    let schedule = AuditSchedule::of(&vendor).unwrap();

    assert_eq!(schedule.name, format!("night-audit-{}", vendor.id));
    assert_eq!(schedule.expression, "cron(15 3 * * ? *)");
    assert_eq!(schedule.time_zone, "Europe/Berlin");
    let input: serde_json::Value = serde_json::from_str(&schedule.input).unwrap();
    assert_eq!(input, json!({"vendor_id": vendor.id}));
    let mut moved = vendor.clone();
    assert!(!AuditSchedule::moves(&vendor, &moved));
    moved.time_zone = crate::domain::vendor::TimeZone::parse("Asia/Tokyo").unwrap();
    assert!(AuditSchedule::moves(&vendor, &moved));
}
