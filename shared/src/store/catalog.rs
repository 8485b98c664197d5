//! Vendors and their room or table types as this warm container last read them, so a hold need
//! not read them first. A copy may be stale: whatever depends on a type's limit is written with a
//! check of the type's version in the same transaction (`BookingStore::insert_hold`), and a copy
//! is dropped once older than `CATALOG_TTL`, which bounds how long a vendor's other settings
//! (its time zone, its desk minutes) may lag.
use crate::domain::ids::VendorId;
use crate::domain::resource::Resource;
use crate::domain::vendor::Vendor;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const CATALOG_TTL: Duration = Duration::from_secs(60);
/// Vendors kept at most; a full cache starts again empty (a warm container serves a few).
const CATALOG_ENTRIES: usize = 4_096;

/// A vendor and its types, as read together.
#[derive(Debug)]
pub struct Catalog {
    pub vendor: Vendor,
    pub resources: Vec<Resource>,
    read_at: Instant,
}

impl Catalog {
    pub fn new(vendor: Vendor, resources: Vec<Resource>) -> Self {
        Self {
            vendor,
            resources,
            read_at: Instant::now(),
        }
    }
}

#[derive(Debug, Default)]
pub struct CatalogCache {
    entries: Mutex<HashMap<VendorId, Arc<Catalog>>>,
}

impl CatalogCache {
    /// The vendor's copy if one younger than `CATALOG_TTL` is kept.
    pub fn get(&self, vendor: VendorId) -> Option<Arc<Catalog>> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(&vendor)
            .filter(|c| c.read_at.elapsed() < CATALOG_TTL)
            .cloned()
    }

    pub fn put(&self, catalog: Arc<Catalog>) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CATALOG_ENTRIES {
                entries.clear();
            }
            entries.insert(catalog.vendor.id, catalog);
        }
    }

    /// Drops the vendor's copy: a write found it stale.
    pub fn forget(&self, vendor: VendorId) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(&vendor);
        }
    }
}
