//! A whole tree in memory, for tests and the benchmark: every perfect node kept by level, and
//! proofs produced through the same plans a store uses.
use crate::compact::{CompactError, CompactRange, NodeId};
use crate::hash::{Hash, leaf_hash};
use crate::proof::{ConsistencyPlan, InclusionPlan, ProofError};

#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    range: CompactRange,
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a leaf's bytes; returns its index.
    pub fn push(&mut self, data: &[u8]) -> Result<u64, CompactError> {
        self.push_hash(leaf_hash(data))
    }

    pub fn push_hash(&mut self, leaf: Hash) -> Result<u64, CompactError> {
        let index = self.range.size();
        for (id, hash) in self.range.append(leaf)? {
            let level = usize::from(id.level);
            if self.levels.len() <= level {
                self.levels.resize_with(level + 1, Vec::new);
            }
            self.levels[level].push(hash);
        }
        Ok(index)
    }

    pub fn size(&self) -> u64 {
        self.range.size()
    }

    pub fn root(&self) -> Hash {
        self.range.root()
    }

    pub fn compact_range(&self) -> &CompactRange {
        &self.range
    }

    /// A perfect node, if it exists yet.
    pub fn node(&self, id: NodeId) -> Option<Hash> {
        let index = usize::try_from(id.index).ok()?;
        self.levels.get(usize::from(id.level))?.get(index).copied()
    }

    /// The root of the tree as it was at `size` leaves.
    pub fn root_at(&self, size: u64) -> Option<Hash> {
        if size > self.size() {
            return None;
        }
        let hashes = crate::compact::perfect_cover(0, size)
            .into_iter()
            .map(|id| self.node(id))
            .collect::<Option<Vec<_>>>()?;
        CompactRange::from_parts(size, hashes)
            .ok()
            .map(|r| r.root())
    }

    pub fn inclusion(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        if size > self.size() {
            return Err(ProofError::IndexOutOfRange {
                index: size,
                size: self.size(),
            });
        }
        InclusionPlan::new(index, size)?.build(|id| self.node(id))
    }

    pub fn consistency(&self, from: u64, to: u64) -> Result<Vec<Hash>, ProofError> {
        if to > self.size() {
            return Err(ProofError::SizesReversed {
                from: to,
                to: self.size(),
            });
        }
        ConsistencyPlan::new(from, to)?.build(|id| self.node(id))
    }
}
