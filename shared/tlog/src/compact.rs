//! The compact range of a tree: the roots of the perfect subtrees that decompose `[0, size)`,
//! largest first. It is all an appender needs to know, so an append costs O(log n) hashes.
use crate::hash::{Hash, empty_root, node_hash};

/// A perfect subtree: `level` 0 is a leaf; the node covers leaves
/// `[index << level, (index + 1) << level)`. Perfect nodes never change once created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    pub level: u8,
    pub index: u64,
}

impl NodeId {
    pub fn new(level: u8, index: u64) -> Self {
        Self { level, index }
    }

    /// The first leaf the node covers and the number of leaves (a power of two); `None` for a
    /// node that cannot exist in a tree of at most `u64::MAX` leaves.
    pub fn coverage(&self) -> Option<(u64, u64)> {
        let width = 1u64.checked_shl(u32::from(self.level))?;
        Some((self.index.checked_mul(width)?, width))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompactError {
    #[error("a compact range of size {size} has {expected} hashes, not {got}")]
    WrongLength {
        size: u64,
        expected: usize,
        got: usize,
    },
    #[error("the log is full")]
    Full,
}

/// The right frontier of a tree of `size` leaves.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompactRange {
    size: u64,
    hashes: Vec<Hash>,
}

impl CompactRange {
    pub fn empty() -> Self {
        Self::default()
    }

    /// Rebuilds a range from stored hashes (largest subtree first), checking their count.
    pub fn from_parts(size: u64, hashes: Vec<Hash>) -> Result<Self, CompactError> {
        let expected = size.count_ones() as usize;
        if hashes.len() != expected {
            return Err(CompactError::WrongLength {
                size,
                expected,
                got: hashes.len(),
            });
        }
        Ok(Self { size, hashes })
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// The perfect nodes the range holds, in the order of [`Self::hashes`].
    pub fn node_ids(&self) -> Vec<NodeId> {
        perfect_cover(0, self.size)
    }

    /// Appends one leaf hash; returns every perfect node this creates (the leaf first, then
    /// each completed parent), for a store to write once.
    pub fn append(&mut self, leaf: Hash) -> Result<Vec<(NodeId, Hash)>, CompactError> {
        let index = self.size;
        let size = index.checked_add(1).ok_or(CompactError::Full)?;
        let mut created = vec![(NodeId::new(0, index), leaf)];
        let mut hash = leaf;
        let mut level = 0u8;
        while (index >> level) & 1 == 1 {
            let Some(left) = self.hashes.pop() else {
                break;
            };
            hash = node_hash(&left, &hash);
            level += 1;
            created.push((NodeId::new(level, index >> level), hash));
        }
        self.hashes.push(hash);
        self.size = size;
        Ok(created)
    }

    /// The RFC 9162 root: the range's hashes folded from the right.
    pub fn root(&self) -> Hash {
        fold_right(&self.hashes).unwrap_or_else(empty_root)
    }
}

/// The RFC 9162 hash of a range whose perfect cover is `hashes` (largest first).
pub(crate) fn fold_right(hashes: &[Hash]) -> Option<Hash> {
    let (last, rest) = hashes.split_last()?;
    Some(rest.iter().rev().fold(*last, |acc, h| node_hash(h, &acc)))
}

/// The perfect nodes that decompose `[begin, end)`, largest first. `begin` must be a multiple of
/// a power of two at least as large as the range's largest part, which holds for every range the
/// RFC 9162 recursion produces (and for `[0, n)`).
pub(crate) fn perfect_cover(begin: u64, end: u64) -> Vec<NodeId> {
    let mut nodes = Vec::new();
    let mut start = begin;
    let len = end.saturating_sub(begin);
    for level in (0..64u8).rev() {
        if (len >> level) & 1 == 1 {
            nodes.push(NodeId::new(level, start >> level));
            start += 1 << level;
        }
    }
    nodes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    #[test]
    fn appending_creates_each_perfect_node_once() {
        let mut range = CompactRange::empty();
        let mut created = Vec::new();
        for i in 0..8u8 {
            created.extend(range.append(leaf_hash(&[i])).unwrap_or_default());
        }
        // 8 leaves, 4 pairs, 2 quads, 1 root.
        assert_eq!(created.len(), 15);
        assert_eq!(created.last().map(|(id, _)| *id), Some(NodeId::new(3, 0)));
        assert_eq!(range.hashes().len(), 1);
    }

    #[test]
    fn a_node_covers_its_leaves_and_impossible_nodes_cover_nothing() {
        assert_eq!(NodeId::new(2, 3).coverage(), Some((12, 4)));
        assert_eq!(NodeId::new(64, 0).coverage(), None);
        assert_eq!(NodeId::new(40, u64::MAX).coverage(), None);
    }

    #[test]
    fn a_stored_range_with_the_wrong_number_of_hashes_is_refused() {
        let got = CompactRange::from_parts(3, vec![leaf_hash(b"")]);
        assert!(matches!(
            got,
            Err(CompactError::WrongLength { expected: 2, .. })
        ));
    }

    #[test]
    fn the_cover_of_a_range_lists_its_perfect_subtrees() {
        assert_eq!(
            perfect_cover(0, 7),
            vec![NodeId::new(2, 0), NodeId::new(1, 2), NodeId::new(0, 6)]
        );
        assert_eq!(perfect_cover(8, 12), vec![NodeId::new(2, 2)]);
        assert!(perfect_cover(5, 5).is_empty());
    }
}
