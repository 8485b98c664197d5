//! Checking that a log only grew between two signed checkpoints: what a witness and the
//! `tlog-verify consistency` command do.
use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::hash::Hash;
use crate::key::PublicKeys;
use crate::verify::{VerifyError, verify_consistency};
use serde::{Deserialize, Serialize};

/// The body of a consistency proof as served: `{ "from": m, "to": n, "proof": ["<base64>", …] }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    pub from: u64,
    pub to: u64,
    pub proof: Vec<Hash>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsistencyError {
    #[error("old checkpoint: {0}")]
    Old(CheckpointError),
    #[error("new checkpoint: {0}")]
    New(CheckpointError),
    #[error(
        "the proof is for sizes {proof_from} -> {proof_to}, the checkpoints are {from} -> {to}"
    )]
    Sizes {
        proof_from: u64,
        proof_to: u64,
        from: u64,
        to: u64,
    },
    #[error("the new checkpoint is not an extension of the old one: {0}")]
    Inconsistent(VerifyError),
}

/// Both checkpoints signed by a key in `keys` named `origin`, and the proof shows the old tree
/// is a prefix of the new one. A smaller "new" tree is refused.
pub fn verify_checkpoints(
    old_note: &str,
    new_note: &str,
    proof: &ConsistencyProof,
    origin: &str,
    keys: &PublicKeys,
) -> Result<(Checkpoint, Checkpoint), ConsistencyError> {
    let old = Checkpoint::open(old_note, origin, keys).map_err(ConsistencyError::Old)?;
    let new = Checkpoint::open(new_note, origin, keys).map_err(ConsistencyError::New)?;
    if (proof.from, proof.to) != (old.size, new.size) {
        return Err(ConsistencyError::Sizes {
            proof_from: proof.from,
            proof_to: proof.to,
            from: old.size,
            to: new.size,
        });
    }
    verify_consistency(old.size, new.size, &proof.proof, &old.root, &new.root)
        .map_err(ConsistencyError::Inconsistent)?;
    Ok((old, new))
}
