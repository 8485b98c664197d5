//! A transparency log of booking facts, kept dependency-light so that a guest or an auditor can
//! build the verifier alone: the RFC 9162 Merkle tree and its proofs, C2SP checkpoints in a signed
//! note, the guest's commitment, and the receipt a guest is handed.
pub mod checkpoint;
pub mod commitment;
pub mod compact;
pub mod consistency;
pub mod hash;
pub mod key;
pub mod leaf;
pub mod memory;
pub mod note;
pub mod proof;
pub mod receipt;
pub mod verify;

pub use checkpoint::Checkpoint;
pub use commitment::{CommitmentSecret, GuestCommitment};
pub use compact::{CompactRange, NodeId};
pub use consistency::{ConsistencyProof, verify_checkpoints};
pub use hash::{Hash, empty_root, leaf_hash, node_hash};
pub use key::{KeyId, PublicKey, PublicKeys};
pub use leaf::Leaf;
pub use memory::MemoryTree;
pub use note::SignedNote;
pub use proof::{ConsistencyPlan, InclusionPlan, ProofError};
pub use receipt::{Receipt, ReceiptError, Verified};
pub use verify::{VerifyError, verify_consistency, verify_inclusion};
