//! Inclusion and consistency proofs (RFC 9162 §2.1.3.1 and §2.1.4.1) built from perfect nodes
//! only. A plan names the nodes a store fetches in one batch; `build` then hashes the one
//! ephemeral right-edge node a proof may need from its perfect parts.
use crate::compact::{NodeId, fold_right, perfect_cover};
use crate::hash::Hash;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf index {index} is outside a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("cannot prove size {from} consistent with the smaller size {to}")]
    SizesReversed { from: u64, to: u64 },
    #[error("node at level {} index {} was not supplied", .0.level, .0.index)]
    MissingNode(NodeId),
}

/// One proof element: the hash of a range, given by its perfect cover (largest first). A single
/// node is a perfect subtree; more than one is an ephemeral node on the tree's right edge.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Part(Vec<NodeId>);

impl Part {
    fn range(begin: u64, end: u64) -> Self {
        Self(perfect_cover(begin, end))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Plan {
    parts: Vec<Part>,
}

impl Plan {
    fn nodes(&self) -> Vec<NodeId> {
        self.parts
            .iter()
            .flat_map(|p| p.0.iter().copied())
            .collect()
    }

    fn build(
        &self,
        mut lookup: impl FnMut(NodeId) -> Option<Hash>,
    ) -> Result<Vec<Hash>, ProofError> {
        let mut proof = Vec::with_capacity(self.parts.len());
        for part in &self.parts {
            let mut hashes = Vec::with_capacity(part.0.len());
            for id in &part.0 {
                hashes.push(lookup(*id).ok_or(ProofError::MissingNode(*id))?);
            }
            // A part is never empty: every range the recursion yields holds a leaf.
            if let Some(hash) = fold_right(&hashes) {
                proof.push(hash);
            }
        }
        Ok(proof)
    }
}

/// Largest power of two strictly below `n` (`n` > 1).
fn split_point(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// The nodes that prove leaf `index` is in the tree of `size` leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionPlan {
    pub index: u64,
    pub size: u64,
    plan: Plan,
}

impl InclusionPlan {
    pub fn new(index: u64, size: u64) -> Result<Self, ProofError> {
        if index >= size {
            return Err(ProofError::IndexOutOfRange { index, size });
        }
        let (mut lo, mut hi) = (0u64, size);
        let mut parts = Vec::new();
        while hi - lo > 1 {
            let k = split_point(hi - lo);
            if index < lo + k {
                parts.push(Part::range(lo + k, hi));
                hi = lo + k;
            } else {
                parts.push(Part::range(lo, lo + k));
                lo += k;
            }
        }
        parts.reverse();
        Ok(Self {
            index,
            size,
            plan: Plan { parts },
        })
    }

    /// Every perfect node to fetch, without repeats.
    pub fn nodes(&self) -> Vec<NodeId> {
        self.plan.nodes()
    }

    /// The RFC 9162 inclusion path, leaf level first.
    pub fn build(
        &self,
        lookup: impl FnMut(NodeId) -> Option<Hash>,
    ) -> Result<Vec<Hash>, ProofError> {
        self.plan.build(lookup)
    }
}

/// The nodes that prove the tree of `from` leaves is a prefix of the tree of `to` leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyPlan {
    pub from: u64,
    pub to: u64,
    plan: Plan,
}

impl ConsistencyPlan {
    /// An empty proof when `from` is 0 or equals `to`, as RFC 9162 and the verifier expect.
    pub fn new(from: u64, to: u64) -> Result<Self, ProofError> {
        if from > to {
            return Err(ProofError::SizesReversed { from, to });
        }
        let mut parts = Vec::new();
        if from > 0 && from < to {
            let (mut lo, mut hi) = (0u64, to);
            let mut whole_tree_known = true;
            while from < hi {
                let k = split_point(hi - lo);
                if from <= lo + k {
                    parts.push(Part::range(lo + k, hi));
                    hi = lo + k;
                } else {
                    parts.push(Part::range(lo, lo + k));
                    lo += k;
                    whole_tree_known = false;
                }
            }
            if !whole_tree_known {
                parts.push(Part::range(lo, hi));
            }
            parts.reverse();
        }
        Ok(Self {
            from,
            to,
            plan: Plan { parts },
        })
    }

    pub fn nodes(&self) -> Vec<NodeId> {
        self.plan.nodes()
    }

    /// The RFC 9162 consistency proof, deepest node first.
    pub fn build(
        &self,
        lookup: impl FnMut(NodeId) -> Option<Hash>,
    ) -> Result<Vec<Hash>, ProofError> {
        self.plan.build(lookup)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inclusion_plan_needs_one_node_per_level_and_one_ephemeral_edge() {
        let plan = InclusionPlan::new(0, 7).unwrap();
        // Siblings: leaf 1, pair [2,4), then the edge [4,7) made of [4,6) and leaf 6.
        assert_eq!(
            plan.nodes(),
            vec![
                NodeId::new(0, 1),
                NodeId::new(1, 1),
                NodeId::new(1, 2),
                NodeId::new(0, 6)
            ]
        );
    }

    #[test]
    fn a_leaf_outside_the_tree_has_no_plan() {
        assert_eq!(
            InclusionPlan::new(5, 5),
            Err(ProofError::IndexOutOfRange { index: 5, size: 5 })
        );
        assert!(ConsistencyPlan::new(6, 5).is_err());
    }

    #[test]
    fn a_missing_node_is_named() {
        let plan = ConsistencyPlan::new(3, 4).unwrap();
        assert_eq!(
            plan.build(|_| None),
            Err(ProofError::MissingNode(NodeId::new(0, 2)))
        );
    }
}
