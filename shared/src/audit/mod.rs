//! The audit log: per vendor, an append-only RFC 9162 Merkle tree of booking facts (issue 19),
//! with what a signer, a receipt and a witness need to read back from it.
//!
//! An append writes the leaf, the perfect nodes it completes and the new tree head in one
//! transaction conditioned on the head's size, so two writers can never fork a vendor's tree;
//! the head keeps the compact range, so an append costs O(log n) hashes and never a rebuild.
use crate::domain::ids::{BookingId, VendorId};
use crate::events::EventId;
use chrono::{DateTime, Utc};
use std::future::Future;

mod dynamo;
pub mod leaf;
mod memory;
pub mod proofs;
pub mod sign;
#[cfg(test)]
mod tests;

pub use dynamo::DynamoAudit;
pub use memory::MemoryAudit;

/// Appends that lost the vendor's next index to another writer are tried again this many times
/// before the fact is reported `Contended` (and its message comes back).
pub const APPEND_ATTEMPTS: u32 = 20;
/// The "grown since signed" markers are spread over this many partitions, so the signer finds
/// every grown vendor with this many queries and no scan, and no partition gets every append.
pub const GROWN_SHARDS: u8 = 16;
/// The same for the "checkpoint not witnessed yet" markers the witness reads.
pub const WITNESS_SHARDS: u8 = GROWN_SHARDS;

/// A vendor's tree: its size and RFC 9162 root hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeHead {
    pub size: u64,
    pub root: tlog::Hash,
}

/// Where a fact went: its leaf index, and the tree head right after it (or, for a fact already
/// in the log, the head as it is now).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub index: u64,
    pub head: TreeHead,
}

/// A signed checkpoint as published: the note is the C2SP signed note, verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub size: u64,
    pub note: String,
    pub signed_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Other writers kept taking the vendor's next index, even after jittered retries: the
    /// fact should be tried again shortly (its message comes back).
    #[error("the vendor's audit log is contended; retry shortly")]
    Contended,
    /// A perfect node a proof needs is not stored: the log was tampered with, or the tree is
    /// smaller than the proof assumes.
    #[error("node {level}/{index} of the vendor's audit log is missing")]
    MissingNode { level: u8, index: u64 },
    /// A checkpoint for more leaves than the tree has.
    #[error("a checkpoint of size {size} is beyond the tree's size {head}")]
    BeyondHead { size: u64, head: u64 },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Where the audit logs are kept. The memory implementation serves unit tests; the DynamoDB one
/// keeps every item of every vendor's log in the `audit` table.
pub trait AuditLog: Send + Sync {
    /// Appends the leaf bytes unless this fact (event id) is already in a log; the same fact
    /// again answers its existing index. Conditional on the tree size: never forks.
    fn append(
        &self,
        vendor: VendorId,
        booking: BookingId,
        fact: EventId,
        leaf: &[u8],
    ) -> impl Future<Output = Result<Appended, AuditError>> + Send;

    /// The vendor's tree head (consistent read); `None` before its first leaf.
    fn head(
        &self,
        vendor: VendorId,
    ) -> impl Future<Output = Result<Option<TreeHead>, AuditError>> + Send;

    /// Perfect nodes by id (level 0 = leaf hashes), in the order asked; a missing one is
    /// `MissingNode`.
    fn nodes(
        &self,
        vendor: VendorId,
        ids: &[tlog::NodeId],
    ) -> impl Future<Output = Result<Vec<tlog::Hash>, AuditError>> + Send;

    /// The leaf's bytes as appended.
    fn leaf(
        &self,
        vendor: VendorId,
        index: u64,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, AuditError>> + Send;

    /// The booking's leaves, oldest first: (vendor, index).
    fn booking_leaves(
        &self,
        booking: BookingId,
    ) -> impl Future<Output = Result<Vec<(VendorId, u64)>, AuditError>> + Send;

    /// The booking's commitment secret, created once (conditional put) on first use.
    fn commitment_secret(
        &self,
        booking: BookingId,
    ) -> impl Future<Output = Result<tlog::CommitmentSecret, AuditError>> + Send;

    /// Vendors whose tree grew since their last stored checkpoint, with their head, up to
    /// `limit`: read from markers each append writes in its transaction, never a scan.
    fn grown(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<(VendorId, TreeHead)>, AuditError>> + Send;

    /// Stores a signed checkpoint; refused (`Ok(false)`) unless `size` is larger than the
    /// latest stored one; `BeyondHead` if the tree is smaller than `size`. Clears the vendor's
    /// grown marker unless the tree has grown past its latest checkpoint, and marks the
    /// checkpoint for the witness in the same write. Past checkpoints are kept.
    fn store_checkpoint(
        &self,
        vendor: VendorId,
        size: u64,
        note: &str,
        signed_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, AuditError>> + Send;

    /// Vendors with a checkpoint the witness has not passed yet, with the size of the latest
    /// such checkpoint, up to `limit`: read from the markers each stored checkpoint writes in
    /// its transaction, never a scan.
    fn unwitnessed(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<(VendorId, u64)>, AuditError>> + Send;

    /// The witness checked the vendor's checkpoint of `size` (clean or alarmed): clears the
    /// vendor's marker, unless a newer checkpoint was stored since.
    fn witnessed(
        &self,
        vendor: VendorId,
        size: u64,
    ) -> impl Future<Output = Result<(), AuditError>> + Send;

    /// The checkpoint stored for exactly `size`, or the latest with `None`.
    fn checkpoint(
        &self,
        vendor: VendorId,
        size: Option<u64>,
    ) -> impl Future<Output = Result<Option<StoredCheckpoint>, AuditError>> + Send;
}

/// The name (and checkpoint origin) of a vendor's log: `<issuer host>/audit/<vendor id>`.
/// `issuer` is the token issuer URL; its scheme and any trailing slash are dropped.
pub fn log_origin(issuer: &str, vendor: VendorId) -> String {
    let host = issuer
        .split_once("://")
        .map_or(issuer, |(_, rest)| rest)
        .trim_end_matches('/');
    format!("{host}/audit/{vendor}")
}

/// The partition of a vendor's "grown since signed" marker: stable for a vendor, spread evenly
/// over `GROWN_SHARDS` (the ids' last bytes are random).
pub(crate) fn grown_shard(vendor: VendorId) -> u8 {
    let text = vendor.to_string();
    let sum = text.bytes().rev().take(8).fold(0u32, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(u32::from(b))
    });
    (sum % u32::from(GROWN_SHARDS)) as u8
}

/// The change one append makes to a tree: the new head and every perfect node it creates (the
/// leaf hash first).
pub(crate) struct Growth {
    pub range: tlog::CompactRange,
    pub created: Vec<(tlog::NodeId, tlog::Hash)>,
}

pub(crate) fn grow(range: &tlog::CompactRange, leaf: &[u8]) -> Result<Growth, AuditError> {
    let mut range = range.clone();
    let created = range
        .append(tlog::leaf_hash(leaf))
        .map_err(|e| AuditError::Unexpected(anyhow::Error::new(e)))?;
    Ok(Growth { range, created })
}
