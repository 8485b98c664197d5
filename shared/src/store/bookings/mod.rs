//! Bookings and the inventory counters they take, always changed together in one transaction.
//!
//! A counter item (`INV#<vendor>#<resource>`, bucket key) holds how many units are `sold`. It is
//! created by the first booking that takes it (ADD on a missing attribute starts at 0), so no
//! calendar has to be pre-filled. Taking units is conditional on `sold <= limit - units`, with the
//! limit computed from the resource's current unit count and overbooking allowance; lowering the
//! unit count while bookings exist is therefore safe: it only stops new holds. A type with
//! several shards keeps each bucket in several items (`shards.rs`); readers sum them.
//!
//! Here the types, the trait and the items' keys; `write` the booking item and one booking's
//! transaction with its counters; `store` the `BookingStore` impl and reading counters; `lists`
//! the guest's and vendor's lists and the sweeps (pending payments, archivable bookings).
mod lists;
mod store;
mod write;

pub use lists::{
    ArchivableBookings, BookingLists, BookingOwner, BookingPage, BookingQuery, ListError,
    PaymentsPending,
};
pub(super) use write::counter_update;

use super::WriteError;
use super::units::{HousekeepingChange, OccupancyChange};
use crate::domain::booking::{Booking, BookingStatus};
use crate::domain::calendar::Bucket;
use crate::domain::ids::{BookingId, ResourceId, UnitId, VendorId};
use std::collections::HashMap;
use std::future::Future;

/// One counter's change: positive takes units (never past `limit`), negative releases them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CounterChange {
    pub vendor: VendorId,
    pub resource: ResourceId,
    pub bucket: Bucket,
    pub delta: i64,
    pub limit: u32,
    /// Set for a type whose buckets are split into shard items (`CounterChange::of_type`).
    pub sharding: Option<super::shards::Sharding>,
}

impl CounterChange {
    /// The net changes that move a booking from `before` (if any) to `after` (if any): a bucket
    /// in both only changes by the difference, since a transaction may touch an item once.
    pub fn between(before: Option<(&Booking, u32)>, after: Option<(&Booking, u32)>) -> Vec<Self> {
        let mut net: Vec<Self> = Vec::new();
        let mut add = |booking: &Booking, limit: u32, sign: i64| {
            for bucket in &booking.buckets {
                let delta = sign * i64::from(booking.units);
                match net
                    .iter_mut()
                    .find(|c| c.resource == booking.resource_id && c.bucket == *bucket)
                {
                    Some(change) => {
                        change.delta += delta;
                        change.limit = change.limit.max(limit);
                    }
                    None => net.push(Self {
                        vendor: booking.vendor_id,
                        resource: booking.resource_id,
                        bucket: *bucket,
                        delta,
                        limit,
                        sharding: None,
                    }),
                }
            }
        };
        if let Some((booking, limit)) = before {
            add(booking, limit, -1);
        }
        if let Some((booking, limit)) = after {
            add(booking, limit, 1);
        }
        net.retain(|c| c.delta != 0);
        net
    }
}

/// Everything besides the booking item that one booking write changes, in the same transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BookingChanges {
    pub counters: Vec<CounterChange>,
    /// Rooms or tables taken or freed, per bucket.
    pub occupancy: Vec<OccupancyChange>,
    /// A unit whose housekeeping status the write sets (a check-out leaves its room dirty).
    pub housekeeping: Option<HousekeepingChange>,
}

impl From<Vec<CounterChange>> for BookingChanges {
    fn from(counters: Vec<CounterChange>) -> Self {
        Self {
            counters,
            ..Self::default()
        }
    }
}

impl BookingChanges {
    /// How many items besides the booking the write touches.
    pub fn items(&self) -> usize {
        self.counters.len() + self.occupancy.len() + usize::from(self.housekeeping.is_some())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BookingWriteError {
    /// A booking with this id exists already (an idempotent retry, or a reused key).
    #[error("the booking exists already")]
    Duplicate,
    /// The booking is no longer in the status and version it was read in.
    #[error("the booking changed since it was read")]
    Stale,
    /// These buckets have fewer units left than asked for.
    #[error("sold out")]
    SoldOut(Vec<Bucket>),
    /// The unit is already occupied in these buckets (by another booking or a block).
    #[error("the unit is taken")]
    UnitTaken { unit: UnitId, buckets: Vec<Bucket> },
    /// The write would touch more items than one transaction takes (100); nothing was sent.
    #[error("{0} items do not fit one transaction")]
    TooLarge(usize),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<WriteError> for BookingWriteError {
    fn from(err: WriteError) -> Self {
        Self::Unexpected(err.into())
    }
}

impl BookingWriteError {
    /// The refusal of a write whose `taken` units were occupied already: the first unit, with
    /// its buckets. `None` when nothing was.
    pub(in crate::store) fn unit_taken(taken: &[&OccupancyChange]) -> Option<Self> {
        let first = taken.first()?;
        Some(Self::UnitTaken {
            unit: first.unit,
            buckets: taken
                .iter()
                .filter(|c| c.unit == first.unit)
                .map(|c| c.bucket)
                .collect(),
        })
    }
}

/// What a new hold was worked out from, possibly a cached copy: its type at one version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoldBasis {
    pub vendor: VendorId,
    pub resource: ResourceId,
    pub resource_version: u64,
}

pub trait BookingStore: Send + Sync {
    /// Writes a new booking and takes its units, all or nothing.
    fn insert_booking(
        &self,
        booking: &Booking,
        takes: &[CounterChange],
    ) -> impl Future<Output = Result<(), BookingWriteError>> + Send;

    /// `insert_booking` for a hold worked out from `basis`, in the same transaction refused as
    /// `Stale` if the type is no longer at that version (its limit may have dropped), and, where
    /// `checks_archive` says so, as `Duplicate` if the id is archived. This default checks
    /// nothing: for stores whose reads are never stale.
    fn insert_hold(
        &self,
        booking: &Booking,
        takes: &[CounterChange],
        basis: &HoldBasis,
    ) -> impl Future<Output = Result<(), BookingWriteError>> + Send {
        let _ = basis;
        self.insert_booking(booking, takes)
    }

    /// Whether `insert_hold` refuses an archived id itself; if not, the caller reads the archive
    /// first.
    fn checks_archive(&self) -> bool {
        false
    }

    fn booking(
        &self,
        id: BookingId,
    ) -> impl Future<Output = anyhow::Result<Option<Booking>>> + Send;

    /// Replaces a booking still in `expected` status and version, applying the counter changes
    /// in the same transaction, so a retried release can never release twice.
    fn replace_booking(
        &self,
        booking: &Booking,
        expected: (BookingStatus, u64),
        changes: &BookingChanges,
    ) -> impl Future<Output = Result<(), BookingWriteError>> + Send;

    /// Units sold per bucket (0 for buckets nobody has booked yet).
    fn sold(
        &self,
        vendor: VendorId,
        resource: ResourceId,
        buckets: &[Bucket],
    ) -> impl Future<Output = anyhow::Result<HashMap<Bucket, u32>>> + Send;

    /// Units sold in counters of many vendors and types at once (0 where nobody has booked
    /// yet): what a search checks a whole page with. Stores that can read them in one round
    /// trip do; this default asks `sold` per type.
    fn sold_in(
        &self,
        wanted: &[CounterKey],
    ) -> impl Future<Output = anyhow::Result<HashMap<CounterKey, u32>>> + Send {
        async move {
            let mut grouped: HashMap<(VendorId, ResourceId), Vec<Bucket>> = HashMap::new();
            for key in wanted {
                grouped
                    .entry((key.vendor, key.resource))
                    .or_default()
                    .push(key.bucket);
            }
            let mut sold = HashMap::with_capacity(wanted.len());
            for ((vendor, resource), buckets) in grouped {
                for (bucket, units) in self.sold(vendor, resource, &buckets).await? {
                    sold.insert(
                        CounterKey {
                            vendor,
                            resource,
                            bucket,
                        },
                        units,
                    );
                }
            }
            Ok(sold)
        }
    }
}

/// One inventory counter: a vendor's room or table type in one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CounterKey {
    pub vendor: VendorId,
    pub resource: ResourceId,
    pub bucket: Bucket,
}

pub(super) fn counter_key(vendor: VendorId, resource: ResourceId) -> String {
    format!("INV#{vendor}#{resource}")
}

pub(super) fn booking_key(id: BookingId) -> String {
    format!("BOOKING#{id}")
}

pub(super) const BOOKING_SK: &str = "BOOKING";
