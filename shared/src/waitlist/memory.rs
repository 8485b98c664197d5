//! The waitlist in memory, for unit tests: the same conditions as the DynamoDB adapter.
use super::{Entry, EntryId, EntryStatus, OfferRef, WaitlistStore};
use crate::domain::ids::{BookingId, ResourceId, UserId, VendorId};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
struct State {
    entries: BTreeMap<(VendorId, ResourceId, EntryId), Entry>,
    offers: HashMap<BookingId, OfferRef>,
}

#[derive(Debug, Clone, Default)]
pub struct MemoryWaitlist {
    state: Arc<Mutex<State>>,
}

impl MemoryWaitlist {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> anyhow::Result<T> {
        let mut state = self
            .state
            .lock()
            .map_err(|_| anyhow::anyhow!("the waitlist's lock is poisoned"))?;
        Ok(f(&mut state))
    }
}

fn key(entry: &Entry) -> (VendorId, ResourceId, EntryId) {
    (entry.vendor_id, entry.resource_id, entry.id)
}

impl WaitlistStore for MemoryWaitlist {
    async fn insert(&self, entry: &Entry) -> anyhow::Result<bool> {
        self.with(|state| {
            if state.entries.contains_key(&key(entry)) {
                return false;
            }
            state.entries.insert(key(entry), entry.clone());
            true
        })
    }

    async fn update(&self, entry: &Entry) -> anyhow::Result<bool> {
        self.with(|state| {
            let current = state.entries.get(&key(entry)).map(|e| e.version);
            if current != Some(entry.version - 1) {
                return false;
            }
            if entry.status == EntryStatus::Offered
                && let Some(booking) = entry.booking_id
            {
                state.offers.insert(
                    booking,
                    OfferRef {
                        vendor_id: entry.vendor_id,
                        resource_id: entry.resource_id,
                        entry_id: entry.id,
                    },
                );
            }
            state.entries.insert(key(entry), entry.clone());
            true
        })
    }

    async fn remove(&self, entry: &Entry) -> anyhow::Result<bool> {
        self.with(|state| {
            let current = state.entries.get(&key(entry)).map(|e| e.version);
            if current != Some(entry.version) {
                return false;
            }
            state.entries.remove(&key(entry));
            true
        })
    }

    async fn entry(
        &self,
        vendor: VendorId,
        resource: ResourceId,
        id: EntryId,
    ) -> anyhow::Result<Option<Entry>> {
        self.with(|state| state.entries.get(&(vendor, resource, id)).cloned())
    }

    async fn of_type(
        &self,
        vendor: VendorId,
        resource: ResourceId,
        waiting_only: bool,
        limit: usize,
    ) -> anyhow::Result<Vec<Entry>> {
        self.with(|state| {
            state
                .entries
                .values()
                .filter(|e| e.vendor_id == vendor && e.resource_id == resource)
                .filter(|e| !waiting_only || e.status == EntryStatus::Waiting)
                .take(limit)
                .cloned()
                .collect()
        })
    }

    async fn of_guest(&self, guest: UserId) -> anyhow::Result<Vec<Entry>> {
        self.with(|state| {
            let mut found: Vec<Entry> = state
                .entries
                .values()
                .filter(|e| e.guest_id == guest)
                .cloned()
                .collect();
            found.sort_by_key(|e| e.id);
            found
        })
    }

    async fn offer_of(&self, booking: BookingId) -> anyhow::Result<Option<OfferRef>> {
        self.with(|state| state.offers.get(&booking).copied())
    }
}
