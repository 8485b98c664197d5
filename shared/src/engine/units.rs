//! Registering rooms and tables, keeping their type's unit count in step, housekeeping, and
//! taking a unit out of order for some dates.
//!
//! Once a type has registered units, its `units` (the limit its counters sell to) is the number
//! of those in service, moved in the same transaction as the unit change that moves it, and only
//! that way. Out of order for dates is a block that takes one unit of the type's counters for
//! each of those buckets, like a booking does, so it can never cause an oversell.
use super::IDEMPOTENCY_WINDOW_HOURS;
use crate::domain::calendar::Bucket;
use crate::domain::calendar::Seating;
use crate::domain::idempotency::{Delivery, IdempotencyKey};
use crate::domain::ids::{BlockId, BookingId, UnitId, VendorId};
use crate::domain::resource::{Resource, ResourceKind, UnitCount};
use crate::domain::unit::{Block, Housekeeping, HousekeepingReport, Occupant, Unit};
use crate::domain::vendor::TimeZone;
use crate::store::{
    BlockWriteError, CounterChange, OccupancyChange, ResourceStore, UnitStore, UnitWriteError,
};
use chrono::{DateTime, Duration, Utc};

/// A concurrent change to the unit or its type makes us re-read and retry this many times.
const ATTEMPTS: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum UnitError {
    #[error("no such unit")]
    NotFound,
    /// The room or table type named is not the vendor's (`/resource_id`).
    #[error("no such room or table type at this vendor")]
    NoSuchType,
    /// A field that does not apply to the kind of unit (`/seats` on a room, `/floor` on a table).
    #[error("{1}")]
    Invalid(&'static str, String),
    #[error("another unit has this number")]
    NumberTaken,
    /// A housekeeping report's key was used for another status.
    #[error("the idempotency key was used for another report")]
    KeyReused,
    /// Taking the unit out of service would strand bookings put in it.
    #[error("bookings are put in this unit")]
    Occupied(Vec<BookingId>),
    #[error("the unit keeps changing")]
    Busy,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<UnitWriteError> for UnitError {
    fn from(err: UnitWriteError) -> Self {
        match err {
            UnitWriteError::NumberTaken => Self::NumberTaken,
            UnitWriteError::Stale => Self::Busy,
            UnitWriteError::Unexpected(e) => Self::Unexpected(e),
        }
    }
}

/// The type as it is with one unit more (`+1`) or fewer (`-1`) in service.
fn with_units_in_service(resource: &Resource, delta: i64, now: DateTime<Utc>) -> Resource {
    let mut next = resource.clone();
    let count = i64::from(resource.units_in_service.unwrap_or(0)) + delta;
    let count = u32::try_from(count.max(0)).unwrap_or(0);
    next.units_in_service = Some(count);
    next.units = UnitCount::new(i64::from(count)).unwrap_or(resource.units);
    next.version = resource.version + 1;
    next.updated_at = now;
    next
}

/// The fields of a unit that only apply to one kind: rooms have floors, tables have seats and an
/// area.
fn check_kind(unit: &Unit, kind: ResourceKind) -> Result<(), UnitError> {
    match kind {
        ResourceKind::RoomType if unit.seats.is_some() => Err(UnitError::Invalid(
            "/seats",
            "a room seats its type's capacity".into(),
        )),
        ResourceKind::RoomType if unit.area.is_some() => Err(UnitError::Invalid(
            "/area",
            "rooms have floors, not areas".into(),
        )),
        ResourceKind::TableType if unit.floor.is_some() => Err(UnitError::Invalid(
            "/floor",
            "tables have areas, not floors".into(),
        )),
        _ => Ok(()),
    }
}

/// Registers `unit` (its id, vendor and type set), moving its type's count when it is in
/// service.
/// A sharded type whose limit dropped with its units: its counters learn the new limit now, as
/// a type edit's do (`ResourceStore::fence_shards`), so a warm copy cannot sell past it.
async fn fence_if_lowered(
    store: &impl ResourceStore,
    before: &Resource,
    after: &Resource,
) -> anyhow::Result<()> {
    if after.shards.get() > 1 && after.sellable_limit() < before.sellable_limit() {
        store.fence_shards(after).await?;
    }
    Ok(())
}

pub async fn register(
    store: &(impl ResourceStore + UnitStore),
    unit: &Unit,
    now: DateTime<Utc>,
) -> Result<Unit, UnitError> {
    for _ in 0..ATTEMPTS {
        let resource = store
            .resource(unit.vendor_id, unit.resource_id)
            .await?
            .ok_or(UnitError::NoSuchType)?;
        check_kind(unit, resource.kind)?;
        let mut next = with_units_in_service(&resource, i64::from(unit.in_service), now);
        if !unit.in_service && resource.units_in_service.is_none() {
            // The first unit registered out of service still starts the count.
            next.units = UnitCount::new(0).unwrap_or(resource.units);
        }
        match store.create_unit(unit, &next, resource.version).await {
            Ok(()) => {
                fence_if_lowered(store, &resource, &next).await?;
                return Ok(unit.clone());
            }
            Err(UnitWriteError::Stale) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(UnitError::Busy)
}

/// Replaces a unit with what `edit` makes of it (it may not change the vendor, type or id),
/// moving the type's count when it goes in or out of service. A unit taken out of service
/// must have no booking put in it from today on.
pub async fn edit(
    store: &(impl ResourceStore + UnitStore),
    vendor: VendorId,
    id: UnitId,
    now: DateTime<Utc>,
    edit: impl Fn(&Unit) -> Result<Unit, UnitError>,
) -> Result<Unit, UnitError> {
    for _ in 0..ATTEMPTS {
        let before = store.unit(vendor, id).await?.ok_or(UnitError::NotFound)?;
        let mut next = edit(&before)?;
        next.id = before.id;
        next.vendor_id = before.vendor_id;
        next.resource_id = before.resource_id;
        next.created_at = before.created_at;
        next.version = before.version + 1;
        next.updated_at = now;
        let resource = store
            .resource(vendor, before.resource_id)
            .await?
            .ok_or(UnitError::NoSuchType)?;
        check_kind(&next, resource.kind)?;
        let moved = match (before.in_service, next.in_service) {
            (true, false) => {
                let from = today_bucket(&resource, now);
                let stranded: Vec<BookingId> = store
                    .occupancy(vendor, id, from)
                    .await?
                    .into_iter()
                    .filter_map(|(_, o)| match o {
                        Occupant::Booking(b) => Some(b),
                        Occupant::Block(_) => None,
                    })
                    .collect();
                if !stranded.is_empty() {
                    let mut stranded = stranded;
                    stranded.dedup();
                    return Err(UnitError::Occupied(stranded));
                }
                Some(with_units_in_service(&resource, -1, now))
            }
            (false, true) => Some(with_units_in_service(&resource, 1, now)),
            _ => None,
        };
        let resource_write = moved.as_ref().map(|r| (r, resource.version));
        match store.update_unit(&next, &before, resource_write).await {
            Ok(()) => {
                if let Some(moved) = &moved {
                    fence_if_lowered(store, &resource, moved).await?;
                }
                return Ok(next);
            }
            Err(UnitWriteError::Stale) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(UnitError::Busy)
}

/// Sets what housekeeping reports of a unit. A report sent with a key the unit remembers was
/// made already: it answers with the unit as it is now (a later report stands) and writes
/// nothing; the key with another status is refused.
pub async fn set_housekeeping(
    store: &impl UnitStore,
    vendor: VendorId,
    id: UnitId,
    status: Housekeeping,
    key: Option<&IdempotencyKey>,
    now: DateTime<Utc>,
) -> Result<(Unit, Delivery), UnitError> {
    for _ in 0..ATTEMPTS {
        let before = store.unit(vendor, id).await?.ok_or(UnitError::NotFound)?;
        let mut next = before.clone();
        if let Some(key) = key {
            match before.report_with(key) {
                Some(made) if made.status == status => return Ok((before, Delivery::Replayed)),
                Some(_) => return Err(UnitError::KeyReused),
                None => {}
            }
            let report = HousekeepingReport {
                key: key.clone(),
                status,
                at: now,
            };
            next.remember_report(report, now - Duration::hours(IDEMPOTENCY_WINDOW_HOURS));
        }
        next.housekeeping = status;
        next.version = before.version + 1;
        next.updated_at = now;
        match store.update_unit(&next, &before, None).await {
            Ok(()) => return Ok((next, Delivery::Applied)),
            Err(UnitWriteError::Stale) => continue,
            Err(other) => return Err(other.into()),
        }
    }
    Err(UnitError::Busy)
}

/// Where "from today on" starts for a unit, whatever the vendor's zone: last night in UTC
/// terms (a guest may still be in it this morning), or the slots of the last 12 hours.
fn today_bucket(resource: &Resource, now: DateTime<Utc>) -> Bucket {
    match resource.kind {
        ResourceKind::RoomType => Bucket::Night(now.date_naive() - Duration::days(1)),
        ResourceKind::TableType => Bucket::Slot(now - Duration::hours(12)),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BlockError {
    #[error("no such unit")]
    UnitNotFound,
    #[error("no such block")]
    NotFound,
    #[error("{1}")]
    Invalid(&'static str, String),
    /// The type has no unit to spare on these buckets: these bookings would have to move (or
    /// be cancelled) first.
    #[error("the type is sold out")]
    SoldOut {
        buckets: Vec<Bucket>,
        bookings: Vec<BookingId>,
    },
    /// Bookings (or another block) occupy the unit on these buckets.
    #[error("the unit is occupied")]
    Occupied {
        buckets: Vec<Bucket>,
        bookings: Vec<BookingId>,
    },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// The buckets a block from `from` to `to` covers: its nights, or every slot of its days in
/// the vendor's zone.
fn block_buckets(
    resource: &Resource,
    block: &Block,
    zone: TimeZone,
) -> Result<Vec<Bucket>, BlockError> {
    let days = (block.to - block.from).num_days();
    let dates = (0..days).map(|d| block.from + Duration::days(d));
    let buckets: Vec<Bucket> = match resource.kind {
        ResourceKind::RoomType => dates.map(Bucket::Night).collect(),
        ResourceKind::TableType => {
            let grid = resource.seating_grid();
            let step = i64::from(grid.slot_minutes());
            dates
                .flat_map(|date| {
                    (0..(24 * 60) / step).filter_map(move |n| {
                        let time = chrono::NaiveTime::MIN + Duration::minutes(n * step);
                        // A slot the clocks skip does not exist that day.
                        Seating::new(grid, zone, date, time).ok()
                    })
                })
                .map(|seating| Bucket::Slot(seating.start()))
                .collect()
        }
    };
    // One counter and one occupancy item per bucket, and the block: one transaction's 100.
    if buckets.len() * 2 + 1 > 100 {
        return Err(BlockError::Invalid(
            "/to",
            format!(
                "a block of {} buckets does not fit one transaction: block fewer days",
                buckets.len()
            ),
        ));
    }
    Ok(buckets)
}

fn block_changes(
    resource: &Resource,
    block: &Block,
    buckets: &[Bucket],
    take: bool,
) -> (Vec<CounterChange>, Vec<OccupancyChange>) {
    let counters = buckets
        .iter()
        .map(|bucket| CounterChange {
            vendor: block.vendor_id,
            resource: resource.id,
            bucket: *bucket,
            delta: if take { 1 } else { -1 },
            // A blocked room is a room fewer, whatever overbooking allows.
            limit: resource.units.get(),
            sharding: None,
        })
        .collect();
    let counters = CounterChange::of_type(counters, resource);
    let occupancy = buckets
        .iter()
        .map(|bucket| OccupancyChange {
            vendor: block.vendor_id,
            unit: block.unit_id,
            bucket: *bucket,
            occupant: Occupant::Block(block.id),
            take,
        })
        .collect();
    (counters, occupancy)
}

/// Takes a unit out of order for `block`'s dates, or says which bookings stand in the way.
pub async fn block(
    store: &(impl ResourceStore + UnitStore),
    lists: &impl crate::store::BookingLists,
    block: &Block,
    zone: TimeZone,
) -> Result<Block, BlockError> {
    let unit = store
        .unit(block.vendor_id, block.unit_id)
        .await?
        .ok_or(BlockError::UnitNotFound)?;
    if !unit.in_service {
        return Err(BlockError::Invalid(
            "/from",
            "the unit is out of service already".into(),
        ));
    }
    let resource = store
        .resource(block.vendor_id, unit.resource_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("unit {}'s type is gone", unit.id))?;
    let buckets = block_buckets(&resource, block, zone)?;
    let (counters, occupancy) = block_changes(&resource, block, &buckets, true);
    let block = &Block {
        resource_id: resource.id,
        buckets: buckets.clone(),
        ..block.clone()
    };
    match store.insert_block(block, &counters, &occupancy).await {
        Ok(()) => Ok(block.clone()),
        Err(BlockWriteError::Occupied(buckets)) => {
            let found = store
                .occupants(
                    block.vendor_id,
                    &buckets.iter().map(|b| (unit.id, *b)).collect::<Vec<_>>(),
                )
                .await?;
            let mut bookings: Vec<BookingId> = found
                .values()
                .filter_map(|o| match o {
                    Occupant::Booking(id) => Some(*id),
                    Occupant::Block(_) => None,
                })
                .collect();
            bookings.sort();
            bookings.dedup();
            Err(BlockError::Occupied { buckets, bookings })
        }
        Err(BlockWriteError::SoldOut(buckets)) => {
            let bookings = bookings_over(lists, &resource, &buckets).await?;
            Err(BlockError::SoldOut { buckets, bookings })
        }
        Err(BlockWriteError::Gone) => {
            Err(anyhow::anyhow!("block {} exists already", block.id).into())
        }
        Err(BlockWriteError::Unexpected(e)) => Err(e.into()),
    }
}

/// Puts a blocked unit back in order.
pub async fn unblock(
    store: &(impl ResourceStore + UnitStore),
    vendor: VendorId,
    unit: UnitId,
    id: BlockId,
    zone: TimeZone,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), BlockError> {
    let unit = store
        .unit(vendor, unit)
        .await?
        .ok_or(BlockError::UnitNotFound)?;
    let block = store
        .blocks(vendor, unit.id)
        .await?
        .into_iter()
        .find(|b| b.id == id && b.removed_at.is_none())
        .ok_or(BlockError::NotFound)?;
    let resource = store
        .resource(vendor, unit.resource_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("unit {}'s type is gone", unit.id))?;
    // The buckets it took, even if the grid or the zone changed since.
    let buckets = match block.buckets.is_empty() {
        true => block_buckets(&resource, &block, zone)?,
        false => block.buckets.clone(),
    };
    let (counters, occupancy) = block_changes(&resource, &block, &buckets, false);
    let removed = Block {
        removed_at: Some(now),
        removed_by: Some(by.to_owned()),
        updated_at: now,
        version: block.version + 1,
        ..block
    };
    match store.delete_block(&removed, &counters, &occupancy).await {
        Ok(()) => Ok(()),
        Err(BlockWriteError::Gone) => Err(BlockError::NotFound),
        Err(other) => Err(anyhow::Error::new(other).into()),
    }
}

/// The live bookings of `resource` that hold any of `buckets`: what would have to move.
async fn bookings_over(
    store: &impl crate::store::BookingLists,
    resource: &Resource,
    buckets: &[Bucket],
) -> anyhow::Result<Vec<BookingId>> {
    use crate::store::{BookingOwner, BookingQuery};
    let Some(first) = buckets.iter().map(bucket_start).min() else {
        return Ok(Vec::new());
    };
    let last = buckets.iter().map(bucket_start).max().unwrap_or(first);
    // A stay that covers the first bucket arrived at most a booking window's longest stay before.
    let query = BookingQuery {
        from: Some(first - Duration::days(31)),
        to: Some(last + Duration::days(1)),
        statuses: Vec::new(),
        limit: 100,
        cursor: None,
    };
    let mut found = Vec::new();
    let mut query = query;
    loop {
        let page = store
            .list_bookings(BookingOwner::Vendor(resource.vendor_id), &query)
            .await
            .map_err(|e| anyhow::anyhow!("listing the vendor's bookings: {e}"))?;
        for listed in &page.items {
            if let crate::store::Listed::Live(booking) = listed
                && booking.resource_id == resource.id
                && booking.status.holds_inventory()
                && !booking.status.is_final()
                && booking.buckets.iter().any(|b| buckets.contains(b))
            {
                found.push(booking.id);
            }
        }
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => return Ok(found),
        }
    }
}

fn bucket_start(bucket: &Bucket) -> DateTime<Utc> {
    match bucket {
        Bucket::Night(date) => date.and_time(chrono::NaiveTime::MIN).and_utc(),
        Bucket::Slot(start) => *start,
    }
}
