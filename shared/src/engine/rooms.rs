//! What a booking write does to the rooms and tables it is put in: every write derives the unit
//! buckets to take and free from the booking before and after, so a cancel, a no-show, a change
//! of dates, an early departure or a move all keep unit occupancy in step with the booking in the
//! same transaction, without each of them knowing about units.
use crate::domain::booking::{Booking, BookingStatus};
use crate::domain::calendar::Bucket;
use crate::domain::ids::UnitId;
use crate::domain::unit::{Housekeeping, Occupant};
use crate::store::{BookingChanges, CounterChange, HousekeepingChange, OccupancyChange};
use chrono::{DateTime, Utc};

/// The unit buckets a booking occupies: those it holds inventory for, in its unit.
fn occupied(booking: &Booking) -> Vec<(UnitId, Bucket)> {
    match &booking.unit {
        Some(unit) if booking.status.holds_inventory() => booking
            .buckets
            .iter()
            .map(|bucket| (unit.unit_id, *bucket))
            .collect(),
        _ => Vec::new(),
    }
}

/// Everything a write moving `before` to `after` changes besides the booking: `counters`, the
/// unit buckets taken and freed, and the room a departing guest leaves dirty.
pub(crate) fn changes(
    before: &Booking,
    after: &Booking,
    counters: Vec<CounterChange>,
    now: DateTime<Utc>,
) -> BookingChanges {
    let was = occupied(before);
    let is = occupied(after);
    let occupant = Occupant::Booking(after.id);
    let change = |(unit, bucket): (UnitId, Bucket), take: bool| OccupancyChange {
        vendor: after.vendor_id,
        unit,
        bucket,
        occupant,
        take,
    };
    let mut occupancy: Vec<OccupancyChange> = was
        .iter()
        .filter(|held| !is.contains(held))
        .map(|held| change(*held, false))
        .collect();
    occupancy.extend(
        is.iter()
            .filter(|wanted| !was.contains(wanted))
            .map(|wanted| change(*wanted, true)),
    );
    BookingChanges {
        counters,
        occupancy,
        housekeeping: left_behind(before, after).map(|unit| HousekeepingChange {
            vendor: after.vendor_id,
            unit,
            status: Housekeeping::Dirty,
            at: now,
        }),
    }
}

/// The room a guest who was in it leaves: at check-out, or when moved to another.
fn left_behind(before: &Booking, after: &Booking) -> Option<UnitId> {
    if before.status != BookingStatus::CheckedIn {
        return None;
    }
    let unit = before.unit.as_ref()?.unit_id;
    let departed = after.status == BookingStatus::Completed;
    let moved = after.unit.as_ref().is_none_or(|u| u.unit_id != unit);
    (departed || moved).then_some(unit)
}
