//! The audit logs in memory, for unit tests of the log's rules and of handlers.
use super::{Appended, AuditError, AuditLog, StoredCheckpoint, TreeHead, grow};
use crate::domain::ids::{BookingId, VendorId};
use crate::events::EventId;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

#[derive(Debug, Default)]
struct Log {
    range: tlog::CompactRange,
    leaves: Vec<Vec<u8>>,
    nodes: HashMap<tlog::NodeId, tlog::Hash>,
    checkpoints: BTreeMap<u64, StoredCheckpoint>,
}

impl Log {
    fn head(&self) -> TreeHead {
        TreeHead {
            size: self.range.size(),
            root: self.range.root(),
        }
    }

    fn latest_checkpoint(&self) -> u64 {
        self.checkpoints.keys().next_back().copied().unwrap_or(0)
    }
}

#[derive(Debug, Default)]
struct State {
    logs: HashMap<VendorId, Log>,
    facts: HashMap<EventId, (VendorId, u64)>,
    bookings: HashMap<BookingId, Vec<(VendorId, u64)>>,
    secrets: HashMap<BookingId, [u8; 32]>,
    grown: BTreeSet<VendorId>,
    /// Checkpoints the witness has not passed: the latest size by vendor.
    unwitnessed: BTreeMap<VendorId, u64>,
}

#[derive(Debug, Clone, Default)]
pub struct MemoryAudit {
    state: Arc<Mutex<State>>,
}

impl MemoryAudit {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What an operator with write access to the table could do: replace a stored leaf's bytes
    /// (leaving its hash and the tree as they were). For tamper tests.
    pub fn overwrite_leaf(&self, vendor: VendorId, index: u64, bytes: Vec<u8>) -> bool {
        let mut state = self.state();
        let slot = state.logs.get_mut(&vendor).and_then(|log| {
            usize::try_from(index)
                .ok()
                .and_then(|i| log.leaves.get_mut(i))
        });
        match slot {
            Some(leaf) => {
                *leaf = bytes;
                true
            }
            None => false,
        }
    }
}

impl AuditLog for MemoryAudit {
    async fn append(
        &self,
        vendor: VendorId,
        booking: BookingId,
        fact: EventId,
        leaf: &[u8],
    ) -> Result<Appended, AuditError> {
        let mut state = self.state();
        if let Some(&(at, index)) = state.facts.get(&fact) {
            let head = state.logs.get(&at).map(Log::head).ok_or_else(|| {
                AuditError::Unexpected(anyhow::anyhow!("a fact guard names a missing log"))
            })?;
            return Ok(Appended { index, head });
        }
        let log = state.logs.entry(vendor).or_default();
        let index = log.range.size();
        let growth = grow(&log.range, leaf)?;
        log.range = growth.range;
        log.nodes.extend(growth.created);
        log.leaves.push(leaf.to_vec());
        let head = log.head();
        state.facts.insert(fact, (vendor, index));
        state
            .bookings
            .entry(booking)
            .or_default()
            .push((vendor, index));
        state.grown.insert(vendor);
        Ok(Appended { index, head })
    }

    async fn head(&self, vendor: VendorId) -> Result<Option<TreeHead>, AuditError> {
        Ok(self.state().logs.get(&vendor).map(Log::head))
    }

    async fn nodes(
        &self,
        vendor: VendorId,
        ids: &[tlog::NodeId],
    ) -> Result<Vec<tlog::Hash>, AuditError> {
        let state = self.state();
        let log = state.logs.get(&vendor);
        ids.iter()
            .map(|id| {
                log.and_then(|l| l.nodes.get(id).copied())
                    .ok_or(AuditError::MissingNode {
                        level: id.level,
                        index: id.index,
                    })
            })
            .collect()
    }

    async fn leaf(&self, vendor: VendorId, index: u64) -> Result<Option<Vec<u8>>, AuditError> {
        let state = self.state();
        Ok(state.logs.get(&vendor).and_then(|log| {
            usize::try_from(index)
                .ok()
                .and_then(|i| log.leaves.get(i).cloned())
        }))
    }

    async fn booking_leaves(&self, booking: BookingId) -> Result<Vec<(VendorId, u64)>, AuditError> {
        Ok(self
            .state()
            .bookings
            .get(&booking)
            .cloned()
            .unwrap_or_default())
    }

    async fn commitment_secret(
        &self,
        booking: BookingId,
    ) -> Result<tlog::CommitmentSecret, AuditError> {
        let mut state = self.state();
        let bytes = *state.secrets.entry(booking).or_insert_with(rand::random);
        Ok(tlog::CommitmentSecret::from_bytes(bytes))
    }

    async fn grown(&self, limit: usize) -> Result<Vec<(VendorId, TreeHead)>, AuditError> {
        let state = self.state();
        Ok(state
            .grown
            .iter()
            .filter_map(|vendor| state.logs.get(vendor).map(|log| (*vendor, log.head())))
            .take(limit)
            .collect())
    }

    async fn store_checkpoint(
        &self,
        vendor: VendorId,
        size: u64,
        note: &str,
        signed_at: DateTime<Utc>,
    ) -> Result<bool, AuditError> {
        let mut state = self.state();
        let log = state.logs.entry(vendor).or_default();
        let tree = log.range.size();
        if size > tree {
            return Err(AuditError::BeyondHead { size, head: tree });
        }
        let stored = size > log.latest_checkpoint();
        if stored {
            log.checkpoints.insert(
                size,
                StoredCheckpoint {
                    size,
                    note: note.to_owned(),
                    signed_at,
                },
            );
        }
        if log.latest_checkpoint() >= tree {
            state.grown.remove(&vendor);
        }
        if stored {
            state.unwitnessed.insert(vendor, size);
        }
        Ok(stored)
    }

    async fn unwitnessed(&self, limit: usize) -> Result<Vec<(VendorId, u64)>, AuditError> {
        let state = self.state();
        Ok(state
            .unwitnessed
            .iter()
            .map(|(vendor, size)| (*vendor, *size))
            .take(limit)
            .collect())
    }

    async fn witnessed(&self, vendor: VendorId, size: u64) -> Result<(), AuditError> {
        let mut state = self.state();
        if state
            .unwitnessed
            .get(&vendor)
            .is_some_and(|&marked| marked <= size)
        {
            state.unwitnessed.remove(&vendor);
        }
        Ok(())
    }

    async fn checkpoint(
        &self,
        vendor: VendorId,
        size: Option<u64>,
    ) -> Result<Option<StoredCheckpoint>, AuditError> {
        let state = self.state();
        let Some(log) = state.logs.get(&vendor) else {
            return Ok(None);
        };
        Ok(match size {
            Some(size) => log.checkpoints.get(&size).cloned(),
            None => log.checkpoints.values().next_back().cloned(),
        })
    }
}
