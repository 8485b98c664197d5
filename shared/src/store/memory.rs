//! The stores in memory, for fast unit tests of the rules built on them (the engine's). They
//! keep the contracts the DynamoDB store keeps: conditional writes on status and version,
//! counters capped at their limit, all of a booking write or none of it.
use super::archive::{ArchiveEntry, ArchiveIndex, MoveOutcome};
use super::bookings::{BookingChanges, BookingStore, BookingWriteError, CounterChange};
use super::units::{BlockWriteError, OccupancyChange, UnitStore, UnitWriteError};
use super::{ResourceStore, VendorStore, WriteError};
use crate::domain::account::{Credential, StaffMember};
use crate::domain::booking::{Booking, BookingStatus};
use crate::domain::calendar::Bucket;
use crate::domain::ids::{BookingId, ResourceId, UnitId, VendorId};
use crate::domain::resource::Resource;
use crate::domain::unit::{Block, Occupant, Unit};
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
    units: Vec<Unit>,
    occupancy: HashMap<(VendorId, UnitId, Bucket), Occupant>,
    blocks: Vec<Block>,
}

/// Vendors, their types, bookings, counters and the archive index, in one lock.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    catalog: super::CatalogCache,
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

    /// Every live booking of `vendor`.
    pub(super) fn bookings_of(&self, vendor: VendorId) -> Vec<Booking> {
        let state = self.state();
        state
            .bookings
            .values()
            .filter(|b| b.vendor_id == vendor)
            .cloned()
            .collect()
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

    /// Applies a booking write's changes besides the booking itself if every one holds, else
    /// changes nothing and says why.
    fn apply_all(state: &mut State, changes: &BookingChanges) -> Result<(), BookingWriteError> {
        let taken: Vec<&OccupancyChange> = changes
            .occupancy
            .iter()
            .filter(|c| c.take && state.occupancy.contains_key(&(c.vendor, c.unit, c.bucket)))
            .collect();
        if let Some(refused) = BookingWriteError::unit_taken(&taken) {
            return Err(refused);
        }
        let wrongly_freed = changes.occupancy.iter().any(|c| {
            !c.take && state.occupancy.get(&(c.vendor, c.unit, c.bucket)) != Some(&c.occupant)
        });
        if wrongly_freed {
            return Err(
                anyhow::anyhow!("a unit bucket freed by someone who does not hold it").into(),
            );
        }
        if let Some(change) = &changes.housekeeping
            && !state.units.iter().any(|u| u.id == change.unit)
        {
            return Err(anyhow::anyhow!("no such unit to set the housekeeping of").into());
        }
        Self::apply(state, &changes.counters)?;
        for change in &changes.occupancy {
            let key = (change.vendor, change.unit, change.bucket);
            if change.take {
                state.occupancy.insert(key, change.occupant);
            } else {
                state.occupancy.remove(&key);
            }
        }
        if let Some(change) = &changes.housekeeping
            && let Some(unit) = state.units.iter_mut().find(|u| u.id == change.unit)
        {
            unit.housekeeping = change.status;
            unit.updated_at = change.at;
            unit.version += 1;
        }
        Ok(())
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
    fn catalog_cache(&self) -> Option<&super::CatalogCache> {
        Some(&self.catalog)
    }

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

    async fn insert_hold(
        &self,
        booking: &Booking,
        takes: &[CounterChange],
        basis: &super::HoldBasis,
    ) -> Result<(), BookingWriteError> {
        let mut state = self.state();
        let current = state
            .resources
            .iter()
            .find(|r| r.vendor_id == basis.vendor && r.id == basis.resource);
        if current.is_none_or(|r| r.version != basis.resource_version) {
            return Err(BookingWriteError::Stale);
        }
        if state.bookings.contains_key(&booking.id) || state.archived.contains_key(&booking.id) {
            return Err(BookingWriteError::Duplicate);
        }
        Self::apply(&mut state, takes)?;
        state.bookings.insert(booking.id, booking.clone());
        Ok(())
    }

    fn checks_archive(&self) -> bool {
        true
    }

    async fn booking(&self, id: BookingId) -> anyhow::Result<Option<Booking>> {
        Ok(self.state().bookings.get(&id).cloned())
    }

    async fn replace_booking(
        &self,
        booking: &Booking,
        (status, version): (BookingStatus, u64),
        changes: &BookingChanges,
    ) -> Result<(), BookingWriteError> {
        let mut state = self.state();
        match state.bookings.get(&booking.id) {
            Some(current) if current.status == status && current.version == version => {}
            _ => return Err(BookingWriteError::Stale),
        }
        Self::apply_all(&mut state, changes)?;
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
impl UnitStore for MemoryStore {
    async fn create_unit(
        &self,
        unit: &Unit,
        resource: &Resource,
        resource_version: u64,
    ) -> Result<(), UnitWriteError> {
        let mut state = self.state();
        let number = unit.number.canonical();
        if state
            .units
            .iter()
            .any(|u| u.vendor_id == unit.vendor_id && u.number.canonical() == number)
        {
            return Err(UnitWriteError::NumberTaken);
        }
        let Some(current) = state
            .resources
            .iter_mut()
            .find(|r| r.id == resource.id && r.version == resource_version)
        else {
            return Err(UnitWriteError::Stale);
        };
        *current = resource.clone();
        state.units.push(unit.clone());
        Ok(())
    }

    async fn units(&self, vendor: VendorId) -> anyhow::Result<Vec<Unit>> {
        Ok(self
            .state()
            .units
            .iter()
            .filter(|u| u.vendor_id == vendor)
            .cloned()
            .collect())
    }

    async fn unit(&self, vendor: VendorId, id: UnitId) -> anyhow::Result<Option<Unit>> {
        Ok(self
            .state()
            .units
            .iter()
            .find(|u| u.vendor_id == vendor && u.id == id)
            .cloned())
    }

    async fn update_unit(
        &self,
        unit: &Unit,
        before: &Unit,
        resource: Option<(&Resource, u64)>,
    ) -> Result<(), UnitWriteError> {
        let mut state = self.state();
        let number = unit.number.canonical();
        if state.units.iter().any(|u| {
            u.vendor_id == unit.vendor_id && u.id != unit.id && u.number.canonical() == number
        }) {
            return Err(UnitWriteError::NumberTaken);
        }
        let unit_current = state
            .units
            .iter()
            .any(|u| u.id == unit.id && u.version == before.version);
        let resource_current = resource.is_none_or(|(r, version)| {
            state
                .resources
                .iter()
                .any(|c| c.id == r.id && c.version == version)
        });
        if !unit_current || !resource_current {
            return Err(UnitWriteError::Stale);
        }
        if let Some((resource, _)) = resource
            && let Some(current) = state.resources.iter_mut().find(|r| r.id == resource.id)
        {
            *current = resource.clone();
        }
        if let Some(current) = state.units.iter_mut().find(|u| u.id == unit.id) {
            *current = unit.clone();
        }
        Ok(())
    }

    async fn occupants(
        &self,
        vendor: VendorId,
        wanted: &[(UnitId, Bucket)],
    ) -> anyhow::Result<HashMap<(UnitId, Bucket), Occupant>> {
        let state = self.state();
        Ok(wanted
            .iter()
            .filter_map(|&(unit, bucket)| {
                let occupant = state.occupancy.get(&(vendor, unit, bucket))?;
                Some(((unit, bucket), *occupant))
            })
            .collect())
    }

    async fn occupancy(
        &self,
        vendor: VendorId,
        unit: UnitId,
        from: Bucket,
    ) -> anyhow::Result<Vec<(Bucket, Occupant)>> {
        let state = self.state();
        let mut found: Vec<(Bucket, Occupant)> = state
            .occupancy
            .iter()
            .filter(|((v, u, b), _)| *v == vendor && *u == unit && b.key() >= from.key())
            .map(|((_, _, b), o)| (*b, *o))
            .collect();
        found.sort_by_key(|(b, _)| b.key());
        Ok(found)
    }

    async fn insert_block(
        &self,
        block: &Block,
        counters: &[CounterChange],
        occupancy: &[OccupancyChange],
    ) -> Result<(), BlockWriteError> {
        let mut state = self.state();
        let changes = BookingChanges {
            counters: counters.to_vec(),
            occupancy: occupancy.to_vec(),
            housekeeping: None,
        };
        Self::apply_all(&mut state, &changes)?;
        state.blocks.push(block.clone());
        Ok(())
    }

    async fn blocks(&self, vendor: VendorId, unit: UnitId) -> anyhow::Result<Vec<Block>> {
        Ok(self
            .state()
            .blocks
            .iter()
            .filter(|b| b.vendor_id == vendor && b.unit_id == unit)
            .cloned()
            .collect())
    }

    async fn delete_block(
        &self,
        block: &Block,
        counters: &[CounterChange],
        occupancy: &[OccupancyChange],
    ) -> Result<(), BlockWriteError> {
        let mut state = self.state();
        if !state
            .blocks
            .iter()
            .any(|b| b.id == block.id && b.removed_at.is_none())
        {
            return Err(BlockWriteError::Gone);
        }
        let changes = BookingChanges {
            counters: counters.to_vec(),
            occupancy: occupancy.to_vec(),
            housekeeping: None,
        };
        Self::apply_all(&mut state, &changes)?;
        if let Some(stored) = state.blocks.iter_mut().find(|b| b.id == block.id) {
            *stored = block.clone();
        }
        Ok(())
    }
}

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
