//! The receipt a guest is handed: the booking's leaves, each with its inclusion proof against
//! one signed checkpoint, and the secret behind the guest commitment. It verifies offline.
//!
//! ```json
//! { "version": 1, "booking_id": "…", "vendor_id": "…", "origin": "<log origin>",
//!   "leaves": [ { "index": 4, "data": "<base64 leaf bytes>", "inclusion": ["<base64>", …] } ],
//!   "checkpoint": "<signed note>", "commitment_secret": "<base64>" }
//! ```
use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::commitment::CommitmentSecret;
use crate::hash::{Hash, leaf_hash};
use crate::key::PublicKeys;
use crate::leaf::{Leaf, LeafError};
use crate::verify::{VerifyError, verify_inclusion};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

pub const RECEIPT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    pub version: u32,
    pub booking_id: String,
    pub vendor_id: String,
    /// The log's origin: the first line of the checkpoint and the signing key's name.
    pub origin: String,
    pub leaves: Vec<ReceiptLeaf>,
    /// The signed checkpoint note, verbatim.
    pub checkpoint: String,
    pub commitment_secret: CommitmentSecret,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptLeaf {
    pub index: u64,
    /// Standard base64 of the exact leaf bytes that were hashed.
    pub data: String,
    pub inclusion: Vec<Hash>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error("receipt version {0} is not supported (expected {RECEIPT_VERSION})")]
    Version(u32),
    #[error("the receipt has no leaves")]
    NoLeaves,
    #[error("checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    #[error("leaf {index}: its data is not base64")]
    LeafEncoding { index: u64 },
    #[error("leaf {index}: not included in the checkpoint's tree ({source})")]
    NotIncluded { index: u64, source: VerifyError },
    #[error("leaf {index}: {source}")]
    Leaf { index: u64, source: LeafError },
    #[error("leaf {index}: it records {found}, not {expected}")]
    OtherBooking {
        index: u64,
        expected: String,
        found: String,
    },
    #[error("leaf {index}: the guest commitment does not match this identity")]
    CommitmentMismatch { index: u64 },
}

/// What a receipt proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub checkpoint: Checkpoint,
    pub leaves: Vec<(u64, Leaf)>,
    /// Whether an identity was given and every leaf's commitment matched it.
    pub identity_checked: bool,
}

impl ReceiptLeaf {
    pub fn new(index: u64, data: &[u8], inclusion: Vec<Hash>) -> Self {
        Self {
            index,
            data: STANDARD.encode(data),
            inclusion,
        }
    }
}

impl Receipt {
    /// Verifies, in order: the checkpoint's signature by a key in `keys` named after the origin;
    /// each leaf's inclusion in that checkpoint's tree; that each leaf records this booking at
    /// this vendor; and, given the guest's identity, that each leaf commits to it.
    pub fn verify(
        &self,
        keys: &PublicKeys,
        identity: Option<&str>,
    ) -> Result<Verified, ReceiptError> {
        let checkpoint = self.open_checkpoint(keys)?;
        let leaves = self
            .leaves
            .iter()
            .map(|entry| Ok((entry.index, self.verify_leaf(entry, &checkpoint, identity)?)))
            .collect::<Result<Vec<_>, ReceiptError>>()?;
        Ok(Verified {
            checkpoint,
            leaves,
            identity_checked: identity.is_some(),
        })
    }

    /// The first step on its own: the receipt's shape and its checkpoint's signature.
    pub fn open_checkpoint(&self, keys: &PublicKeys) -> Result<Checkpoint, ReceiptError> {
        if self.version != RECEIPT_VERSION {
            return Err(ReceiptError::Version(self.version));
        }
        if self.leaves.is_empty() {
            return Err(ReceiptError::NoLeaves);
        }
        Ok(Checkpoint::open(&self.checkpoint, &self.origin, keys)?)
    }

    /// One leaf against a checkpoint already opened: inclusion, booking, commitment.
    pub fn verify_leaf(
        &self,
        entry: &ReceiptLeaf,
        checkpoint: &Checkpoint,
        identity: Option<&str>,
    ) -> Result<Leaf, ReceiptError> {
        let index = entry.index;
        let bytes = STANDARD
            .decode(&entry.data)
            .map_err(|_| ReceiptError::LeafEncoding { index })?;
        verify_inclusion(
            &leaf_hash(&bytes),
            index,
            checkpoint.size,
            &entry.inclusion,
            &checkpoint.root,
        )
        .map_err(|source| ReceiptError::NotIncluded { index, source })?;
        let leaf =
            Leaf::from_bytes(&bytes).map_err(|source| ReceiptError::Leaf { index, source })?;
        let named = [
            (&self.booking_id, &leaf.booking_id),
            (&self.vendor_id, &leaf.vendor_id),
        ];
        for (expected, found) in named {
            if expected != found {
                return Err(ReceiptError::OtherBooking {
                    index,
                    expected: expected.clone(),
                    found: found.clone(),
                });
            }
        }
        if let Some(identity) = identity
            && !self
                .commitment_secret
                .matches(identity, &leaf.guest_commitment)
        {
            return Err(ReceiptError::CommitmentMismatch { index });
        }
        Ok(leaf)
    }
}
