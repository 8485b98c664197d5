//! Signing vendors' tree heads as C2SP checkpoints with the audit KMS key (P-256, sign only,
//! separate from the token key), and the round the scheduled signer runs over grown vendors.
use super::{AuditLog, TreeHead, log_origin};
use crate::auth::Jwk;
use crate::config;
use crate::domain::ids::VendorId;
use anyhow::Context;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{MessageType, SigningAlgorithmSpec};
use chrono::{DateTime, Utc};
use std::future::Future;
use tlog::{Checkpoint, PublicKey, PublicKeys, SignedNote};

/// The audit key's `kid` in the JWKS starts with this; token verifiers refuse such keys, so a
/// signature by the audit key never passes as a token.
pub const AUDIT_KID_PREFIX: &str = "audit-";

/// How many grown vendors one signer run takes at most; the rest wait for the next run.
pub const SIGN_BATCH: usize = 500;

/// Signs checkpoint texts: a DER ECDSA P-256/SHA-256 signature over exactly the given bytes.
pub trait CheckpointSigner: Send + Sync {
    fn public_key(&self) -> &PublicKey;
    fn sign(&self, message: Vec<u8>) -> impl Future<Output = anyhow::Result<Vec<u8>>> + Send;
}

/// The audit key in KMS (`AUDIT_KMS_KEY_ID`).
#[derive(Debug, Clone)]
pub struct KmsCheckpointSigner {
    client: aws_sdk_kms::Client,
    key_id: String,
    public: PublicKey,
    jwk: Jwk,
}

impl KmsCheckpointSigner {
    /// Reads the public key once per cold start.
    pub async fn connect(client: aws_sdk_kms::Client, key_id: String) -> anyhow::Result<Self> {
        let der = audit_public_key_der(&client, &key_id).await?;
        let public = PublicKey::from_spki_der(&der).context("the audit key is not P-256")?;
        Ok(Self {
            client,
            key_id,
            public,
            jwk: audit_jwk(&der)?,
        })
    }

    pub async fn from_env(sdk: &crate::aws::SdkConfig) -> anyhow::Result<Self> {
        let key_id = config::required("AUDIT_KMS_KEY_ID")?;
        Self::connect(aws_sdk_kms::Client::new(sdk), key_id).await
    }

    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }
}

impl CheckpointSigner for KmsCheckpointSigner {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    async fn sign(&self, message: Vec<u8>) -> anyhow::Result<Vec<u8>> {
        let signed = self
            .client
            .sign()
            .key_id(&self.key_id)
            .message(Blob::new(message))
            .message_type(MessageType::Raw)
            .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
            .send()
            .await
            .context("signing a checkpoint with KMS")?;
        let der = signed.signature().context("KMS returned no signature")?;
        Ok(der.as_ref().to_vec())
    }
}

/// The audit key's public half as SPKI DER. Only `kms:GetPublicKey` is needed: what the JWKS
/// function, the receipt and the witness may do with the key.
pub async fn audit_public_key_der(
    client: &aws_sdk_kms::Client,
    key_id: &str,
) -> anyhow::Result<Vec<u8>> {
    let public = client
        .get_public_key()
        .key_id(key_id)
        .send()
        .await
        .with_context(|| format!("reading the public key of KMS key {key_id}"))?;
    Ok(public
        .public_key()
        .context("KMS returned no public key")?
        .as_ref()
        .to_vec())
}

/// The audit key's public key as published (`AUDIT_KMS_KEY_ID`): its JWK for the JWKS and the
/// signed-note key that verifies checkpoints.
pub async fn audit_public_key_from_env(
    sdk: &crate::aws::SdkConfig,
) -> anyhow::Result<(Jwk, PublicKey)> {
    let key_id = config::required("AUDIT_KMS_KEY_ID")?;
    let der = audit_public_key_der(&aws_sdk_kms::Client::new(sdk), &key_id).await?;
    let public = PublicKey::from_spki_der(&der).context("the audit key is not P-256")?;
    Ok((audit_jwk(&der)?, public))
}

/// The JWK of the audit key: `use` sig, `alg` ES256, its own `kid` (`audit-` + thumbprint).
pub fn audit_jwk(spki_der: &[u8]) -> anyhow::Result<Jwk> {
    let mut jwk = Jwk::from_spki_der(spki_der)?;
    jwk.kid = format!("{AUDIT_KID_PREFIX}{}", jwk.kid);
    Ok(jwk)
}

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("the tree head cannot be a checkpoint: {0}")]
    Checkpoint(#[from] tlog::checkpoint::CheckpointError),
    #[error("the signed note cannot be assembled: {0}")]
    Note(#[from] tlog::note::NoteError),
    #[error("the signature does not verify with the audit key: {0}")]
    SelfCheck(tlog::note::NoteError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// The signed note of `head` for the log `origin` (also the key's name). The signature is
/// checked once with the public key before the note leaves, so a misconfigured key never
/// publishes a checkpoint no one can verify.
pub async fn sign_checkpoint(
    signer: &impl CheckpointSigner,
    origin: &str,
    head: TreeHead,
) -> Result<String, SignError> {
    let text = Checkpoint::new(origin, head.size, head.root)?.to_note_text();
    let der = signer.sign(text.clone().into_bytes()).await?;
    let public = signer.public_key();
    let note = SignedNote::assemble(&text, origin, public.id(), &der)?;
    let keys = PublicKeys::from(public.clone());
    note.verify(origin, &keys).map_err(SignError::SelfCheck)?;
    Ok(note.to_string())
}

/// What one signer run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct SignRound {
    pub signed: usize,
    /// A checkpoint of that size or larger was stored already (another run got there first).
    pub refused: usize,
    pub failed: usize,
}

/// Signs and stores a checkpoint for every vendor whose tree grew since its last one. One
/// vendor failing is logged and counted; the others are still signed, and the failed one stays
/// marked, so the next run tries it again.
pub async fn sign_grown(
    log: &impl AuditLog,
    signer: &impl CheckpointSigner,
    issuer: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<SignRound> {
    let grown = log
        .grown(SIGN_BATCH)
        .await
        .context("listing the grown audit logs")?;
    let mut round = SignRound::default();
    for (vendor, head) in grown {
        match sign_vendor(log, signer, issuer, vendor, head, now).await {
            Ok(true) => {
                tracing::info!(vendor_id = %vendor, size = head.size, "checkpoint signed");
                round.signed += 1;
            }
            Ok(false) => {
                tracing::info!(vendor_id = %vendor, size = head.size, "checkpoint refused: one as large is stored already");
                round.refused += 1;
            }
            Err(err) => {
                tracing::error!(vendor_id = %vendor, size = head.size, error = %format!("{err:#}"), "checkpoint not signed; tried again next run");
                round.failed += 1;
            }
        }
    }
    Ok(round)
}

/// Signs `head` of the vendor's log and stores it: `Ok(false)` if a checkpoint as large is
/// stored already.
pub async fn sign_vendor(
    log: &impl AuditLog,
    signer: &impl CheckpointSigner,
    issuer: &str,
    vendor: VendorId,
    head: TreeHead,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let note = sign_checkpoint(signer, &log_origin(issuer, vendor), head).await?;
    log.store_checkpoint(vendor, head.size, &note, now)
        .await
        .context("storing the checkpoint")
}

/// A P-256 key in memory that signs the way KMS does (DER, not normalised): for tests and the
/// samples, never for the deployed log.
pub struct LocalCheckpointSigner {
    key: p256::ecdsa::SigningKey,
    public: PublicKey,
}

impl LocalCheckpointSigner {
    pub fn new(key: p256::ecdsa::SigningKey) -> anyhow::Result<Self> {
        let public = PublicKey::from_verifying_key(*key.verifying_key())?;
        Ok(Self { key, public })
    }

    /// A fixed key from a seed byte (tests).
    pub fn from_seed(seed: u8) -> anyhow::Result<Self> {
        let key = p256::ecdsa::SigningKey::from_slice(&[seed; 32])
            .map_err(|_| anyhow::anyhow!("seed {seed} is not a P-256 scalar"))?;
        Self::new(key)
    }
}

impl CheckpointSigner for LocalCheckpointSigner {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    async fn sign(&self, message: Vec<u8>) -> anyhow::Result<Vec<u8>> {
        use p256::ecdsa::signature::Signer;
        let signature: p256::ecdsa::Signature = self.key.sign(&message);
        Ok(signature.to_der().as_bytes().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::MemoryAudit;
    use crate::domain::ids::BookingId;
    use crate::events::EventId;

    const ISSUER: &str = "https://api.example.com";

    async fn append(log: &MemoryAudit, vendor: VendorId, n: usize) {
        for i in 0..n {
            let booking = BookingId::generate();
            log.append(
                vendor,
                booking,
                EventId::for_booking(booking, 1),
                format!("leaf {i}").as_bytes(),
            )
            .await
            .unwrap();
        }
    }

    #[tokio::test]
    async fn a_grown_log_is_signed_once_and_its_note_verifies_with_the_audit_key() {
        let log = MemoryAudit::default();
        let signer = LocalCheckpointSigner::from_seed(3).unwrap();
        let vendor = VendorId::generate();
        append(&log, vendor, 5).await;

        let round = sign_grown(&log, &signer, ISSUER, Utc::now()).await.unwrap();
        assert_eq!(
            round,
            SignRound {
                signed: 1,
                ..SignRound::default()
            }
        );
        let stored = log.checkpoint(vendor, None).await.unwrap().unwrap();
        assert_eq!(stored.size, 5);
        let origin = log_origin(ISSUER, vendor);
        assert_eq!(origin, format!("api.example.com/audit/{vendor}"));
        let keys = PublicKeys::from(signer.public_key().clone());
        let checkpoint = Checkpoint::open(&stored.note, &origin, &keys).unwrap();
        assert_eq!(checkpoint.size, 5);
        assert_eq!(
            checkpoint.root,
            log.head(vendor).await.unwrap().unwrap().root
        );

        // Nothing grew: nothing to sign.
        let again = sign_grown(&log, &signer, ISSUER, Utc::now()).await.unwrap();
        assert_eq!(again, SignRound::default());
        append(&log, vendor, 1).await;
        let after = sign_grown(&log, &signer, ISSUER, Utc::now()).await.unwrap();
        assert_eq!(after.signed, 1);
        assert_eq!(log.checkpoint(vendor, None).await.unwrap().unwrap().size, 6);
        assert_eq!(log.checkpoint(vendor, Some(5)).await.unwrap(), Some(stored));
    }

    /// Signs nothing for one vendor's origin: a KMS outage for that call, say.
    struct FailingFor<'a> {
        inner: &'a LocalCheckpointSigner,
        origin: String,
    }

    impl CheckpointSigner for FailingFor<'_> {
        fn public_key(&self) -> &PublicKey {
            self.inner.public_key()
        }

        async fn sign(&self, message: Vec<u8>) -> anyhow::Result<Vec<u8>> {
            anyhow::ensure!(
                !message.starts_with(self.origin.as_bytes()),
                "KMS unavailable"
            );
            self.inner.sign(message).await
        }
    }

    #[tokio::test]
    async fn one_vendor_failing_does_not_stop_the_others_and_is_tried_again() {
        let log = MemoryAudit::default();
        let signer = LocalCheckpointSigner::from_seed(3).unwrap();
        let (bad, good) = (VendorId::generate(), VendorId::generate());
        append(&log, bad, 2).await;
        append(&log, good, 3).await;
        let failing = FailingFor {
            inner: &signer,
            origin: log_origin(ISSUER, bad),
        };

        let round = sign_grown(&log, &failing, ISSUER, Utc::now())
            .await
            .unwrap();
        assert_eq!(
            round,
            SignRound {
                signed: 1,
                refused: 0,
                failed: 1
            }
        );
        assert_eq!(log.checkpoint(good, None).await.unwrap().unwrap().size, 3);
        assert_eq!(log.checkpoint(bad, None).await.unwrap(), None);

        let retried = sign_grown(&log, &signer, ISSUER, Utc::now()).await.unwrap();
        assert_eq!(retried.signed, 1);
        assert_eq!(log.checkpoint(bad, None).await.unwrap().unwrap().size, 2);
    }

    /// Signs with another key than the one it names: a misconfigured key.
    struct WrongKey {
        named: LocalCheckpointSigner,
        signing: LocalCheckpointSigner,
    }

    impl CheckpointSigner for WrongKey {
        fn public_key(&self) -> &PublicKey {
            self.named.public_key()
        }

        async fn sign(&self, message: Vec<u8>) -> anyhow::Result<Vec<u8>> {
            self.signing.sign(message).await
        }
    }

    #[tokio::test]
    async fn a_note_that_does_not_verify_with_the_public_key_is_never_stored() {
        let log = MemoryAudit::default();
        let vendor = VendorId::generate();
        append(&log, vendor, 1).await;
        let wrong = WrongKey {
            named: LocalCheckpointSigner::from_seed(3).unwrap(),
            signing: LocalCheckpointSigner::from_seed(4).unwrap(),
        };
        let head = log.head(vendor).await.unwrap().unwrap();
        let origin = log_origin(ISSUER, vendor);
        assert!(matches!(
            sign_checkpoint(&wrong, &origin, head).await,
            Err(SignError::SelfCheck(_))
        ));
        let round = sign_grown(&log, &wrong, ISSUER, Utc::now()).await.unwrap();
        assert_eq!(round.failed, 1);
        assert_eq!(log.checkpoint(vendor, None).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_checkpoint_smaller_than_one_stored_is_refused() {
        let log = MemoryAudit::default();
        let signer = LocalCheckpointSigner::from_seed(3).unwrap();
        let vendor = VendorId::generate();
        append(&log, vendor, 4).await;
        sign_grown(&log, &signer, ISSUER, Utc::now()).await.unwrap();
        let origin = log_origin(ISSUER, vendor);
        let mut tree = tlog::MemoryTree::new();
        for i in 0..2 {
            tree.push(format!("leaf {i}").as_bytes()).unwrap();
        }
        let smaller = TreeHead {
            size: 2,
            root: tree.root(),
        };
        let note = sign_checkpoint(&signer, &origin, smaller).await.unwrap();
        assert!(
            !log.store_checkpoint(vendor, 2, &note, Utc::now())
                .await
                .unwrap()
        );
        assert_eq!(log.checkpoint(vendor, None).await.unwrap().unwrap().size, 4);
    }

    #[test]
    fn the_audit_jwk_has_its_own_kid() {
        use p256::pkcs8::EncodePublicKey;
        let key = p256::ecdsa::SigningKey::from_slice(&[3; 32]).unwrap();
        let der = key.verifying_key().to_public_key_der().unwrap();
        let jwk = audit_jwk(der.as_bytes()).unwrap();
        let token_jwk = Jwk::from_spki_der(der.as_bytes()).unwrap();
        assert_eq!(jwk.kid, format!("audit-{}", token_jwk.kid));
        assert_eq!((jwk.usage.as_str(), jwk.alg.as_str()), ("sig", "ES256"));
    }
}
