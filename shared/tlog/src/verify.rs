//! Proof verification exactly as RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency).
use crate::hash::{Hash, node_hash};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("leaf index {index} is outside a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("the old size {from} is larger than the new size {to}")]
    SizesReversed { from: u64, to: u64 },
    #[error("the proof has {0} hashes, more than any tree can need")]
    ProofTooLong(usize),
    #[error("the proof is empty")]
    EmptyProof,
    #[error("the proof should be empty for these sizes")]
    ProofNotEmpty,
    #[error("the proof does not match the tree sizes")]
    WrongLength,
    #[error("the proof does not lead to the expected root")]
    RootMismatch,
}

const MAX_PROOF: usize = 64;

/// Checks that `leaf` is leaf number `index` of the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), VerifyError> {
    if index >= size {
        return Err(VerifyError::IndexOutOfRange { index, size });
    }
    if proof.len() > MAX_PROOF {
        return Err(VerifyError::ProofTooLong(proof.len()));
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(VerifyError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(VerifyError::WrongLength);
    }
    if r != *root {
        return Err(VerifyError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree of `from` leaves with root `root_from` is a prefix of the tree of `to`
/// leaves with root `root_to`. Every tree is consistent with the empty tree.
pub fn verify_consistency(
    from: u64,
    to: u64,
    proof: &[Hash],
    root_from: &Hash,
    root_to: &Hash,
) -> Result<(), VerifyError> {
    if from > to {
        return Err(VerifyError::SizesReversed { from, to });
    }
    if proof.len() > MAX_PROOF {
        return Err(VerifyError::ProofTooLong(proof.len()));
    }
    if from == to {
        if !proof.is_empty() {
            return Err(VerifyError::ProofNotEmpty);
        }
        return if root_from == root_to {
            Ok(())
        } else {
            Err(VerifyError::RootMismatch)
        };
    }
    if from == 0 {
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(VerifyError::ProofNotEmpty)
        };
    }
    let Some((first, rest)) = proof.split_first() else {
        return Err(VerifyError::EmptyProof);
    };
    // Step 2: when `from` is a power of two its root is the path's first node.
    let (seed, path) = if from.is_power_of_two() {
        (root_from, proof)
    } else {
        (first, rest)
    };
    let (mut f, mut s) = (from - 1, to - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*seed, *seed);
    for c in path {
        if s == 0 {
            return Err(VerifyError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(VerifyError::WrongLength);
    }
    if fr != *root_from || sr != *root_to {
        return Err(VerifyError::RootMismatch);
    }
    Ok(())
}
