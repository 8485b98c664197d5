//! Dirty (vendor, type, night) cells and each vendor's pending flush.
use crate::domain::ids::{ResourceId, VendorId};
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cell {
    pub vendor: VendorId,
    pub resource: ResourceId,
    pub date: NaiveDate,
}

/// A dirty cell as read, with the version that read saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    pub cell: Cell,
    pub version: u64,
}

pub trait DirtyMarks: Send + Sync {
    /// Marks `cells` (bumping each one's version); true when this created the vendor's pending
    /// flag, so the caller schedules its flush.
    fn mark(
        &self,
        vendor: VendorId,
        cells: &[Cell],
    ) -> impl Future<Output = anyhow::Result<bool>> + Send;

    /// Drops the vendor's pending flag first (a mark after this schedules another flush), then
    /// reads its dirty cells.
    fn take_pending(
        &self,
        vendor: VendorId,
    ) -> impl Future<Output = anyhow::Result<Vec<Pending>>> + Send;

    /// Removes each cell still at the version read: one marked again since stays dirty.
    fn clear(
        &self,
        vendor: VendorId,
        sent: &[Pending],
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// Sends the vendor's flush after the coalescing delay.
pub trait FlushQueue: Send + Sync {
    fn schedule(&self, vendor: VendorId) -> impl Future<Output = anyhow::Result<()>> + Send;
}

#[derive(Debug, Default)]
pub struct MemoryMarks {
    state: Mutex<MarksState>,
}

#[derive(Debug, Default)]
struct MarksState {
    cells: BTreeMap<Cell, u64>,
    flagged: BTreeSet<VendorId>,
    scheduled: Vec<VendorId>,
}

impl MemoryMarks {
    fn state(&self) -> std::sync::MutexGuard<'_, MarksState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Flushes scheduled so far, oldest first, taken.
    pub fn take_scheduled(&self) -> Vec<VendorId> {
        std::mem::take(&mut self.state().scheduled)
    }
}

impl DirtyMarks for MemoryMarks {
    async fn mark(&self, vendor: VendorId, cells: &[Cell]) -> anyhow::Result<bool> {
        let mut state = self.state();
        for cell in cells {
            *state.cells.entry(*cell).or_insert(0) += 1;
        }
        Ok(state.flagged.insert(vendor))
    }

    async fn take_pending(&self, vendor: VendorId) -> anyhow::Result<Vec<Pending>> {
        let mut state = self.state();
        state.flagged.remove(&vendor);
        Ok(state
            .cells
            .iter()
            .filter(|(cell, _)| cell.vendor == vendor)
            .map(|(cell, version)| Pending {
                cell: *cell,
                version: *version,
            })
            .collect())
    }

    async fn clear(&self, _vendor: VendorId, sent: &[Pending]) -> anyhow::Result<()> {
        let mut state = self.state();
        for p in sent {
            if state.cells.get(&p.cell) == Some(&p.version) {
                state.cells.remove(&p.cell);
            }
        }
        Ok(())
    }
}

impl FlushQueue for MemoryMarks {
    async fn schedule(&self, vendor: VendorId) -> anyhow::Result<()> {
        self.state().scheduled.push(vendor);
        Ok(())
    }
}
