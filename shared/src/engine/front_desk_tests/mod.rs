//! Rooms at the front desk against the in-memory store: registering them keeps the type's count in
//! step, a room is never given to two bookings for one night, moves and every way a booking ends
//! free it, check-in puts the guest in a clean room, check-out leaves it dirty. One module per
//! part of the desk's work; the hotel they all start from is here.
mod repeats;
mod rooms;
mod stays;

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

/// A change of a stay's dates.
fn departure(check_in: &str, check_out: &str) -> ChangeRequest {
    ChangeRequest {
        time: Some(BookingTime::Stay {
            check_in: date(check_in),
            check_out: date(check_out),
        }),
        ..ChangeRequest::default()
    }
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
