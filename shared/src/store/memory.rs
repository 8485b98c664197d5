//! The stores in memory, for fast unit tests of the rules built on them (the engine's). They
//! keep the contracts the DynamoDB store keeps: conditional writes on status and version,
//! counters capped at their limit, all of a booking write or none of it.
use super::archive::{ArchiveEntry, ArchiveIndex, MoveOutcome};
use super::bookings::{BookingStore, BookingWriteError, CounterChange};
use super::{ResourceStore, VendorStore, WriteError};
use crate::domain::account::{Credential, StaffMember};
use crate::domain::booking::{Booking, BookingStatus};
use crate::domain::calendar::Bucket;
use crate::domain::ids::{BookingId, ResourceId, VendorId};
use crate::domain::resource::Resource;
use crate::domain::vendor::Vendor;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

#[derive(Debug, Default)]
struct State {
    vendors: HashMap<VendorId, Vendor>,
    staff: Vec<StaffMember>,
    resources: Vec<Resource>,
    bookings: HashMap<BookingId, Booking>,
    counters: HashMap<(VendorId, ResourceId, Bucket), i64>,
    archived: HashMap<BookingId, ArchiveEntry>,
}

/// Vendors, their types, bookings, counters and the archive index, in one lock.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    fn state(&self) -> MutexGuard<'_, State> {
        // A test that panicked while holding the lock has failed already; its data is still
        // the best there is to read.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stores `vendor` as it is (onboarding without its first manager).
    pub fn put_vendor(&self, vendor: &Vendor) {
        self.state().vendors.insert(vendor.id, vendor.clone());
    }

    /// Units sold in one counter.
    pub fn sold_units(&self, vendor: VendorId, resource: ResourceId, bucket: Bucket) -> i64 {
        self.state()
            .counters
            .get(&(vendor, resource, bucket))
            .copied()
            .unwrap_or(0)
    }

    /// Lists `entry` as archived (what the archiver's move does, without the live delete).
    pub fn archive(&self, entry: ArchiveEntry) {
        self.state().archived.insert(entry.id, entry);
    }

    /// Applies the counter changes if every one holds, else names the buckets that don't.
    fn apply(state: &mut State, changes: &[CounterChange]) -> Result<(), BookingWriteError> {
        let sold = |c: &CounterChange| {
            state
                .counters
                .get(&(c.vendor, c.resource, c.bucket))
                .copied()
                .unwrap_or(0)
        };
        let sold_out: Vec<Bucket> = changes
            .iter()
            .filter(|c| c.delta > 0 && sold(c) + c.delta > i64::from(c.limit))
            .map(|c| c.bucket)
            .collect();
        if !sold_out.is_empty() {
            return Err(BookingWriteError::SoldOut(sold_out));
        }
        if changes.iter().any(|c| c.delta < 0 && sold(c) + c.delta < 0) {
            return Err(anyhow::anyhow!("a release would take a counter below zero").into());
        }
        for change in changes {
            *state
                .counters
                .entry((change.vendor, change.resource, change.bucket))
                .or_default() += change.delta;
        }
        Ok(())
    }
}

impl VendorStore for MemoryStore {
    async fn create_vendor(
        &self,
        vendor: &Vendor,
        manager: &StaffMember,
        _credential: &Credential,
    ) -> Result<(), WriteError> {
        let mut state = self.state();
        state.vendors.insert(vendor.id, vendor.clone());
        state.staff.push(manager.clone());
        Ok(())
    }

    async fn vendor(&self, id: VendorId) -> anyhow::Result<Option<Vendor>> {
        Ok(self.state().vendors.get(&id).cloned())
    }

    async fn update_vendor(
        &self,
        vendor: &Vendor,
        expected_version: u64,
    ) -> Result<(), WriteError> {
        let mut state = self.state();
        match state.vendors.get(&vendor.id) {
            Some(current) if current.version == expected_version => {
                state.vendors.insert(vendor.id, vendor.clone());
                Ok(())
            }
            _ => Err(WriteError::VersionConflict),
        }
    }

    async fn create_staff(
        &self,
        staff: &StaffMember,
        _credential: &Credential,
    ) -> Result<(), WriteError> {
        self.state().staff.push(staff.clone());
        Ok(())
    }

    async fn staff(&self, vendor: VendorId) -> anyhow::Result<Vec<StaffMember>> {
        Ok(self
            .state()
            .staff
            .iter()
            .filter(|s| s.vendor_id == vendor)
            .cloned()
            .collect())
    }
}

impl ResourceStore for MemoryStore {
    async fn create_resource(&self, resource: &Resource) -> Result<(), WriteError> {
        let mut state = self.state();
        if !state.vendors.contains_key(&resource.vendor_id) {
            return Err(WriteError::VendorNotFound);
        }
        state.resources.push(resource.clone());
        Ok(())
    }

    async fn resources(&self, vendor: VendorId) -> anyhow::Result<Vec<Resource>> {
        Ok(self
            .state()
            .resources
            .iter()
            .filter(|r| r.vendor_id == vendor)
            .cloned()
            .collect())
    }

    async fn resource(&self, vendor: VendorId, id: ResourceId) -> anyhow::Result<Option<Resource>> {
        Ok(self
            .state()
            .resources
            .iter()
            .find(|r| r.vendor_id == vendor && r.id == id)
            .cloned())
    }

    async fn update_resource(
        &self,
        resource: &Resource,
        expected_version: u64,
    ) -> Result<(), WriteError> {
        let mut state = self.state();
        match state
            .resources
            .iter_mut()
            .find(|r| r.vendor_id == resource.vendor_id && r.id == resource.id)
        {
            Some(current) if current.version == expected_version => {
                *current = resource.clone();
                Ok(())
            }
            _ => Err(WriteError::VersionConflict),
        }
    }
}

impl BookingStore for MemoryStore {
    async fn insert_booking(
        &self,
        booking: &Booking,
        takes: &[CounterChange],
    ) -> Result<(), BookingWriteError> {
        let mut state = self.state();
        if state.bookings.contains_key(&booking.id) {
            return Err(BookingWriteError::Duplicate);
        }
        Self::apply(&mut state, takes)?;
        state.bookings.insert(booking.id, booking.clone());
        Ok(())
    }

    async fn booking(&self, id: BookingId) -> anyhow::Result<Option<Booking>> {
        Ok(self.state().bookings.get(&id).cloned())
    }

    async fn replace_booking(
        &self,
        booking: &Booking,
        (status, version): (BookingStatus, u64),
        changes: &[CounterChange],
    ) -> Result<(), BookingWriteError> {
        let mut state = self.state();
        match state.bookings.get(&booking.id) {
            Some(current) if current.status == status && current.version == version => {}
            _ => return Err(BookingWriteError::Stale),
        }
        Self::apply(&mut state, changes)?;
        state.bookings.insert(booking.id, booking.clone());
        Ok(())
    }

    async fn sold(
        &self,
        vendor: VendorId,
        resource: ResourceId,
        buckets: &[Bucket],
    ) -> anyhow::Result<HashMap<Bucket, u32>> {
        let state = self.state();
        Ok(buckets
            .iter()
            .map(|b| {
                let sold = state.counters.get(&(vendor, resource, *b)).copied();
                (*b, u32::try_from(sold.unwrap_or(0)).unwrap_or(0))
            })
            .collect())
    }
}

impl ArchiveIndex for MemoryStore {
    async fn archived(&self, id: BookingId) -> anyhow::Result<Option<ArchiveEntry>> {
        Ok(self.state().archived.get(&id).cloned())
    }

    async fn move_out(
        &self,
        booking: &Booking,
        entry: &ArchiveEntry,
    ) -> anyhow::Result<MoveOutcome> {
        let mut state = self.state();
        if state.archived.contains_key(&entry.id) {
            return Ok(MoveOutcome::AlreadyArchived);
        }
        match state.bookings.get(&booking.id) {
            Some(current) if current.version == booking.version => {
                state.bookings.remove(&booking.id);
                state.archived.insert(entry.id, entry.clone());
                Ok(MoveOutcome::Moved)
            }
            _ => Ok(MoveOutcome::Changed),
        }
    }
}

/// Vendors, types and bookings for unit tests, built from the JSON the API stores.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::domain::booking::Booking;
    use crate::domain::ids::{BookingId, ResourceId, UserId, VendorId};
    use crate::domain::resource::Resource;
    use crate::domain::vendor::Vendor;
    use serde_json::{Value, json};

    /// A Berlin hotel with prices in EUR.
    pub fn hotel() -> Vendor {
        serde_json::from_value(json!({
            "id": VendorId::generate(),
            "kind": "hotel",
            "name": "Hotel Spreeblick",
            "description": "By the river",
            "address": {"line1": "Am Ufer 1", "postal_code": "10178", "city": "Berlin", "country": "DE"},
            "location": {"lat": 52.5163, "lon": 13.4021},
            "time_zone": "Europe/Berlin",
            "currency": "EUR",
            "facilities": [],
            "contact": {"email": "desk@spreeblick.example"},
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "version": 1,
        }))
        .expect("a valid vendor")
    }

    /// A room type of `vendor` at `price` minor units a night, 5 units, with `policy` merged in
    /// (`deposit`, `cancellation`, ...).
    pub fn room_type(vendor: &Vendor, name: &str, price: i64, policy: Value) -> Resource {
        let mut raw = json!({
            "id": ResourceId::generate(),
            "vendor_id": vendor.id,
            "kind": "room_type",
            "name": name,
            "description": "",
            "capacity": 2,
            "units": 5,
            "base_price": {"amount_minor": price, "currency": "EUR"},
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "version": 1,
        });
        if let (Some(raw), Value::Object(policy)) = (raw.as_object_mut(), policy) {
            raw.extend(policy);
        }
        serde_json::from_value(raw).expect("a valid room type")
    }

    /// An ended (CANCELLED) stay of `guest` at `vendor`.
    pub fn ended_booking(guest: Option<UserId>, vendor: VendorId) -> Booking {
        serde_json::from_value(json!({
            "id": BookingId::generate(),
            "vendor_id": vendor,
            "resource_id": ResourceId::generate(),
            "guest_id": guest,
            "booked_by": "staff:x",
            "channel": "front_desk",
            "party_size": 2,
            "units": 1,
            "time": {"kind": "stay", "check_in": "2026-01-31", "check_out": "2026-02-01"},
            "time_zone": "Europe/Berlin",
            "buckets": [],
            "arrival_at": "2026-01-31T14:00:00Z",
            "quote": {"lines": [], "total": {"amount_minor": 100, "currency": "EUR"}},
            "status": "CANCELLED",
            "version": 1,
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-02T00:00:00Z",
        }))
        .expect("a valid booking")
    }
}
