//! Proofs read back from a vendor's log: inclusion and consistency paths from the stored perfect
//! nodes (one batch read each), and the receipt a booking's guest or staff is handed.
use super::{AuditError, AuditLog, log_origin};
use crate::domain::ids::{BookingId, UserId, VendorId};
use std::collections::HashMap;
use tlog::receipt::{RECEIPT_VERSION, ReceiptLeaf};
use tlog::{ConsistencyPlan, Hash, InclusionPlan, NodeId, ProofError, Receipt};

#[derive(Debug, thiserror::Error)]
pub enum ProofsError {
    /// Sizes or an index the tree cannot have (a caller's mistake, or a stored index beyond
    /// the checkpoint).
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// A leaf the booking's index names is not stored: the log was tampered with.
    #[error("leaf {index} of the vendor's audit log is missing")]
    MissingLeaf { index: u64 },
    #[error(transparent)]
    Audit(#[from] AuditError),
}

impl ProofsError {
    /// Whether the stored log lacks a leaf or node its own indexes name: damage to the table
    /// (the witness raises its alarm on the same), not a caller's mistake nor a passing fault.
    pub fn is_damage(&self) -> bool {
        matches!(
            self,
            Self::MissingLeaf { .. } | Self::Audit(AuditError::MissingNode { .. })
        )
    }
}

/// A tree size from a query string: a positive decimal without sign or leading zeros.
pub fn parse_tree_size(raw: &str) -> Result<u64, String> {
    let digits = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit());
    match raw.parse::<u64>() {
        Ok(size) if digits && size > 0 && !raw.starts_with('0') => Ok(size),
        _ => Err(format!(
            "must be a tree size, a whole number from 1 to {}, not {raw:?}",
            u64::MAX
        )),
    }
}

async fn fetch(
    log: &impl AuditLog,
    vendor: VendorId,
    ids: Vec<NodeId>,
) -> Result<HashMap<NodeId, Hash>, AuditError> {
    let hashes = log.nodes(vendor, &ids).await?;
    Ok(ids.into_iter().zip(hashes).collect())
}

/// The RFC 9162 inclusion path of leaf `index` in the vendor's tree of `size` leaves.
pub async fn inclusion_proof(
    log: &impl AuditLog,
    vendor: VendorId,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, ProofsError> {
    let plan = InclusionPlan::new(index, size)?;
    let nodes = fetch(log, vendor, plan.nodes()).await?;
    Ok(plan.build(|id| nodes.get(&id).copied())?)
}

/// The RFC 9162 consistency proof between the vendor's trees of `from` and `to` leaves.
pub async fn consistency_proof(
    log: &impl AuditLog,
    vendor: VendorId,
    from: u64,
    to: u64,
) -> Result<Vec<Hash>, ProofsError> {
    let plan = ConsistencyPlan::new(from, to)?;
    let nodes = fetch(log, vendor, plan.nodes()).await?;
    Ok(plan.build(|id| nodes.get(&id).copied())?)
}

/// The identity a booking's guest commitment covers: the guest's account id, or
/// `desk:<booking id>` for a desk guest without an account.
pub fn guest_identity(booking: BookingId, guest: Option<UserId>) -> String {
    match guest {
        Some(account) => account.to_string(),
        None => format!("desk:{booking}"),
    }
}

/// A booking's receipt as served: the verifiable receipt, how many of its leaves came after
/// the latest checkpoint (not in it yet: ask again after the next signing), and the identity
/// its commitments cover.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BookingReceipt {
    pub receipt: Receipt,
    pub pending: u64,
    pub guest_identity: String,
}

/// The receipt of `booking` (of `vendor`) against the vendor's latest checkpoint; `None` when
/// none of its leaves is in a signed checkpoint yet (then `pending` counts them, in the
/// second value).
pub async fn booking_receipt(
    log: &impl AuditLog,
    issuer: &str,
    vendor: VendorId,
    booking: BookingId,
    guest: Option<UserId>,
) -> Result<(Option<BookingReceipt>, u64), ProofsError> {
    let indexes: Vec<u64> = log
        .booking_leaves(booking)
        .await?
        .into_iter()
        .filter(|(at, _)| *at == vendor)
        .map(|(_, index)| index)
        .collect();
    let Some(checkpoint) = log.checkpoint(vendor, None).await? else {
        return Ok((None, indexes.len() as u64));
    };
    let (signed, pending): (Vec<u64>, Vec<u64>) =
        indexes.into_iter().partition(|&i| i < checkpoint.size);
    if signed.is_empty() {
        return Ok((None, pending.len() as u64));
    }
    let mut leaves = Vec::with_capacity(signed.len());
    for index in signed {
        let data = log
            .leaf(vendor, index)
            .await?
            .ok_or(ProofsError::MissingLeaf { index })?;
        let path = inclusion_proof(log, vendor, index, checkpoint.size).await?;
        leaves.push(ReceiptLeaf::new(index, &data, path));
    }
    let receipt = Receipt {
        version: RECEIPT_VERSION,
        booking_id: booking.to_string(),
        vendor_id: vendor.to_string(),
        origin: log_origin(issuer, vendor),
        leaves,
        checkpoint: checkpoint.note,
        commitment_secret: log.commitment_secret(booking).await?,
    };
    let pending = pending.len() as u64;
    Ok((
        Some(BookingReceipt {
            receipt,
            pending,
            guest_identity: guest_identity(booking, guest),
        }),
        pending,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::MemoryAudit;
    use crate::audit::sign::{CheckpointSigner, LocalCheckpointSigner, sign_grown};
    use crate::events::EventId;
    use chrono::Utc;
    use tlog::{ConsistencyProof, PublicKeys, verify_checkpoints};

    const ISSUER: &str = "https://api.example.com";

    struct Fixture {
        log: MemoryAudit,
        signer: LocalCheckpointSigner,
        vendor: VendorId,
        booking: BookingId,
        guest: UserId,
        versions: std::sync::atomic::AtomicU64,
    }

    impl Fixture {
        fn new() -> Self {
            Self {
                log: MemoryAudit::default(),
                signer: LocalCheckpointSigner::from_seed(5).unwrap(),
                vendor: VendorId::generate(),
                booking: BookingId::generate(),
                guest: UserId::generate(),
                versions: std::sync::atomic::AtomicU64::new(1),
            }
        }

        fn keys(&self) -> PublicKeys {
            PublicKeys::from(self.signer.public_key().clone())
        }

        /// A fact of this booking (`ours`) or of another booking of the vendor.
        async fn fact(&self, ours: bool, detail_type: &str) -> u64 {
            let booking = if ours {
                self.booking
            } else {
                BookingId::generate()
            };
            let version = self
                .versions
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let secret = self.log.commitment_secret(booking).await.unwrap();
            let identity = guest_identity(booking, ours.then_some(self.guest));
            let leaf = tlog::Leaf {
                booking_id: booking.to_string(),
                vendor_id: self.vendor.to_string(),
                version,
                detail_type: detail_type.into(),
                status: "CONFIRMED".into(),
                previous_status: None,
                time: None,
                unit_number: None,
                total: None,
                deposit_status: None,
                resource_id: None,
                deposit_paid: None,
                deposit_refund: None,
                deposit_kept: None,
                desk_payments: Vec::new(),
                channel: "web".into(),
                actor: tlog::leaf::ActorKind::Guest,
                occurred_at: "2026-12-07T06:00:00Z".into(),
                guest_commitment: secret.commit(&identity),
            };
            let appended = self
                .log
                .append(
                    self.vendor,
                    booking,
                    EventId::for_booking(booking, version),
                    &leaf.to_bytes(),
                )
                .await
                .unwrap();
            appended.index
        }

        async fn sign(&self) {
            sign_grown(&self.log, &self.signer, ISSUER, Utc::now())
                .await
                .unwrap();
        }

        async fn receipt(&self) -> (Option<BookingReceipt>, u64) {
            booking_receipt(
                &self.log,
                ISSUER,
                self.vendor,
                self.booking,
                Some(self.guest),
            )
            .await
            .unwrap()
        }
    }

    #[tokio::test]
    async fn a_receipt_proves_each_leaf_of_the_booking_and_its_guest_commitment() {
        let f = Fixture::new();
        f.fact(false, "BookingConfirmed").await;
        f.fact(true, "BookingCreated").await;
        f.fact(false, "BookingConfirmed").await;
        f.fact(true, "BookingConfirmed").await;
        f.fact(false, "BookingCancelled").await;
        f.sign().await;
        let late = f.fact(true, "BookingCheckedIn").await;

        let (receipt, pending) = f.receipt().await;
        let receipt = receipt.unwrap();
        assert_eq!(pending, 1);
        assert_eq!(receipt.guest_identity, f.guest.to_string());
        let indexes: Vec<u64> = receipt.receipt.leaves.iter().map(|l| l.index).collect();
        assert_eq!(indexes, [1, 3]);
        assert!(!indexes.contains(&late));
        let verified = receipt
            .receipt
            .verify(&f.keys(), Some(&receipt.guest_identity))
            .unwrap();
        assert_eq!(verified.checkpoint.size, 5);
        assert!(verified.identity_checked);
        // Someone else's identity does not match the commitments.
        assert!(
            receipt
                .receipt
                .verify(&f.keys(), Some(&UserId::generate().to_string()))
                .is_err()
        );

        f.sign().await;
        let (after, pending) = f.receipt().await;
        assert_eq!(pending, 0);
        assert_eq!(after.unwrap().receipt.leaves.len(), 3);
    }

    #[tokio::test]
    async fn before_any_checkpoint_every_leaf_is_pending() {
        let f = Fixture::new();
        f.fact(true, "BookingCreated").await;
        f.fact(true, "BookingConfirmed").await;
        assert_eq!(f.receipt().await, (None, 2));
    }

    #[tokio::test]
    async fn an_edited_leaf_makes_the_receipt_fail() {
        let f = Fixture::new();
        f.fact(true, "BookingCreated").await;
        let edited = f.fact(true, "BookingConfirmed").await;
        f.fact(false, "BookingCreated").await;
        f.sign().await;
        let (receipt, _) = f.receipt().await;
        let mut forged: serde_json::Value =
            serde_json::from_slice(&f.log.leaf(f.vendor, edited).await.unwrap().unwrap()).unwrap();
        forged["status"] = "CANCELLED".into();
        assert!(
            f.log
                .overwrite_leaf(f.vendor, edited, serde_json::to_vec(&forged).unwrap())
        );
        // The receipt handed out before still verifies: the guest keeps the proof.
        assert!(receipt.unwrap().receipt.verify(&f.keys(), None).is_ok());
        let (tampered, _) = f.receipt().await;
        let err = tampered
            .unwrap()
            .receipt
            .verify(&f.keys(), None)
            .unwrap_err();
        assert!(
            matches!(err, tlog::ReceiptError::NotIncluded { index, .. } if index == edited),
            "{err}"
        );
    }

    #[tokio::test]
    async fn consistency_proofs_between_stored_checkpoints_verify() {
        let f = Fixture::new();
        let mut sizes = Vec::new();
        for round in 0..4 {
            for _ in 0..=round * 2 {
                f.fact(round % 2 == 0, "BookingCreated").await;
            }
            f.sign().await;
            sizes.push(f.log.head(f.vendor).await.unwrap().unwrap().size);
        }
        let origin = log_origin(ISSUER, f.vendor);
        for (i, &from) in sizes.iter().enumerate() {
            for &to in &sizes[i..] {
                let proof = ConsistencyProof {
                    from,
                    to,
                    proof: consistency_proof(&f.log, f.vendor, from, to).await.unwrap(),
                };
                let old = f
                    .log
                    .checkpoint(f.vendor, Some(from))
                    .await
                    .unwrap()
                    .unwrap();
                let new = f.log.checkpoint(f.vendor, Some(to)).await.unwrap().unwrap();
                verify_checkpoints(&old.note, &new.note, &proof, &origin, &f.keys())
                    .unwrap_or_else(|e| panic!("{from} -> {to}: {e}"));
            }
        }
        assert!(matches!(
            consistency_proof(&f.log, f.vendor, 5, 2).await,
            Err(ProofsError::Proof(_))
        ));
    }

    #[test]
    fn tree_sizes_are_positive_decimals() {
        assert_eq!(parse_tree_size("42"), Ok(42));
        for bad in [
            "0",
            "",
            "-1",
            "+3",
            "07",
            "1e3",
            "99999999999999999999",
            "x",
        ] {
            assert!(parse_tree_size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_desk_guest_without_an_account_is_committed_as_the_booking() {
        let booking = BookingId::generate();
        assert_eq!(guest_identity(booking, None), format!("desk:{booking}"));
    }
}
