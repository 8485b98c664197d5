//! A log in memory signed by a local P-256 key that produces DER signatures as AWS KMS does.
#![allow(dead_code)]
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use tlog::leaf::{ActorKind, Amount, BookingTime};
use tlog::receipt::ReceiptLeaf;
use tlog::{Checkpoint, CommitmentSecret, Leaf, MemoryTree, PublicKey, Receipt, SignedNote};

pub const ORIGIN: &str = "reservations.example/audit/v-1";
pub const GUEST: &str = "guest-7f3a@example.com";

pub fn signing_key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).unwrap()
}

pub fn public_key(key: &SigningKey) -> PublicKey {
    PublicKey::from_verifying_key(*key.verifying_key()).unwrap()
}

pub fn pem(key: &SigningKey) -> String {
    key.verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap()
}

pub fn der(key: &SigningKey) -> Vec<u8> {
    key.verifying_key()
        .to_public_key_der()
        .unwrap()
        .as_bytes()
        .to_vec()
}

pub fn jwk(key: &SigningKey, kid: &str) -> serde_json::Value {
    let point = key.verifying_key().to_encoded_point(false);
    serde_json::json!({
        "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
        "x": URL_SAFE_NO_PAD.encode(point.x().unwrap()),
        "y": URL_SAFE_NO_PAD.encode(point.y().unwrap()),
    })
}

/// What a KMS `Sign` call with ECDSA_SHA_256 returns: a DER signature over SHA-256(message).
pub fn kms_sign(key: &SigningKey, message: &[u8]) -> Vec<u8> {
    let signature: Signature = key.sign(message);
    signature.to_der().as_bytes().to_vec()
}

pub fn sign_checkpoint(key: &SigningKey, checkpoint: &Checkpoint) -> String {
    let text = checkpoint.to_note_text();
    let signature = kms_sign(key, text.as_bytes());
    SignedNote::assemble(&text, &checkpoint.origin, public_key(key).id(), &signature)
        .unwrap()
        .to_string()
}

pub fn fact(booking: &str, version: u64, status: &str, secret: &CommitmentSecret) -> Leaf {
    Leaf {
        booking_id: booking.into(),
        vendor_id: "v-1".into(),
        version,
        detail_type: format!("Booking{status}"),
        status: status.to_lowercase(),
        previous_status: (version > 1).then(|| "held".into()),
        time: Some(BookingTime::Stay {
            check_in: "2026-12-24".into(),
            check_out: "2026-12-26".into(),
        }),
        unit_number: Some("101".into()),
        total: Some(Amount {
            minor: 25_000,
            currency: "EUR".into(),
        }),
        deposit_status: None,
        resource_id: None,
        deposit_paid: None,
        deposit_refund: None,
        deposit_kept: None,
        desk_payments: Vec::new(),
        channel: "web".into(),
        actor: ActorKind::Guest,
        occurred_at: format!("2026-12-07T05:0{version}:00Z"),
        guest_commitment: secret.commit(GUEST),
    }
}

/// One vendor's log: booking `b-1` (the guest's) interleaved with other bookings.
pub struct Log {
    pub tree: MemoryTree,
    pub data: Vec<Vec<u8>>,
    pub secret: CommitmentSecret,
    pub mine: Vec<u64>,
}

impl Log {
    pub fn new() -> Self {
        let secret = CommitmentSecret::from_bytes([3; 32]);
        let other = CommitmentSecret::from_bytes([4; 32]);
        let mut log = Self {
            tree: MemoryTree::new(),
            data: Vec::new(),
            secret: secret.clone(),
            mine: Vec::new(),
        };
        for (version, status) in [(1, "Held"), (2, "Confirmed"), (3, "CheckedIn")] {
            log.append(&fact("b-0", version, status, &other));
            let index = log.append(&fact("b-1", version, status, &secret));
            log.mine.push(index);
            log.append(&fact("b-2", version, status, &other));
        }
        log
    }

    pub fn append(&mut self, leaf: &Leaf) -> u64 {
        let bytes = leaf.to_bytes();
        self.data.push(bytes.clone());
        self.tree.push(&bytes).unwrap()
    }

    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint::new(ORIGIN, self.tree.size(), self.tree.root()).unwrap()
    }

    pub fn receipt(&self, key: &SigningKey) -> Receipt {
        let size = self.tree.size();
        Receipt {
            version: 1,
            booking_id: "b-1".into(),
            vendor_id: "v-1".into(),
            origin: ORIGIN.into(),
            leaves: self
                .mine
                .iter()
                .map(|&i| {
                    let proof = self.tree.inclusion(i, size).unwrap();
                    ReceiptLeaf::new(i, &self.data[i as usize], proof)
                })
                .collect(),
            checkpoint: sign_checkpoint(key, &self.checkpoint()),
            commitment_secret: self.secret.clone(),
        }
    }
}
