//! Writes a sample receipt, the public key that verifies it (JWKS and PEM) and two checkpoints
//! with a consistency proof, made with a fixed, public development key (never a real one):
//! `cargo run -p tlog --example sample -- <dir>`, then try `tlog-verify` on them.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use std::path::PathBuf;
use tlog::leaf::{ActorKind, Amount, BookingTime};
use tlog::receipt::ReceiptLeaf;
use tlog::{Checkpoint, CommitmentSecret, ConsistencyProof, Leaf, MemoryTree, PublicKey, Receipt};

const ORIGIN: &str = "reservations.example/audit/vendor-1";
const IDENTITY: &str = "guest@example.com";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or("usage: sample <dir>")?);
    std::fs::create_dir_all(&dir)?;
    let key = SigningKey::from_slice(&[0x42; 32])?;
    let public = PublicKey::from_verifying_key(*key.verifying_key())?;
    let sign = |checkpoint: &Checkpoint| -> Result<String, Box<dyn std::error::Error>> {
        let text = checkpoint.to_note_text();
        let signature: Signature = key.sign(text.as_bytes());
        let der = signature.to_der();
        Ok(tlog::SignedNote::assemble(&text, ORIGIN, public.id(), der.as_bytes())?.to_string())
    };

    let secret = CommitmentSecret::from_bytes([0x07; 32]);
    let other = CommitmentSecret::from_bytes([0x08; 32]);
    let mut tree = MemoryTree::new();
    let mut mine = Vec::new();
    let steps = [
        ("BookingHeld", "held", None),
        ("BookingConfirmed", "confirmed", Some("held")),
    ];
    for (version, (detail_type, status, previous)) in (1..).zip(steps) {
        for (booking, secret) in [("booking-0", &other), ("booking-1", &secret)] {
            let leaf = Leaf {
                booking_id: booking.into(),
                vendor_id: "vendor-1".into(),
                version,
                detail_type: detail_type.into(),
                status: status.into(),
                previous_status: previous.map(Into::into),
                time: Some(BookingTime::Stay {
                    check_in: "2026-12-24".into(),
                    check_out: "2026-12-26".into(),
                }),
                unit_number: None,
                total: Some(Amount {
                    minor: 24_000,
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
                occurred_at: format!("2026-12-07T10:0{version}:00Z"),
                guest_commitment: secret.commit(IDENTITY),
            };
            let bytes = leaf.to_bytes();
            let index = tree.push(&bytes)?;
            if booking == "booking-1" {
                mine.push((index, bytes));
            }
        }
    }
    let size = tree.size();
    let head = Checkpoint::new(ORIGIN, size, tree.root())?;
    let receipt = Receipt {
        version: 1,
        booking_id: "booking-1".into(),
        vendor_id: "vendor-1".into(),
        origin: ORIGIN.into(),
        leaves: mine
            .iter()
            .map(|(i, bytes)| Ok(ReceiptLeaf::new(*i, bytes, tree.inclusion(*i, size)?)))
            .collect::<Result<_, tlog::ProofError>>()?,
        checkpoint: sign(&head)?,
        commitment_secret: secret,
    };
    let old = Checkpoint::new(ORIGIN, 1, tree.root_at(1).ok_or("no root")?)?;
    let proof = ConsistencyProof {
        from: 1,
        to: size,
        proof: tree.consistency(1, size)?,
    };

    let point = key.verifying_key().to_encoded_point(false);
    let jwks = serde_json::json!({ "keys": [{
        "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": "audit-dev",
        "x": URL_SAFE_NO_PAD.encode(point.x().ok_or("no x")?),
        "y": URL_SAFE_NO_PAD.encode(point.y().ok_or("no y")?),
    }]});
    std::fs::write(
        dir.join("receipt.json"),
        serde_json::to_string_pretty(&receipt)?,
    )?;
    std::fs::write(dir.join("jwks.json"), serde_json::to_string_pretty(&jwks)?)?;
    std::fs::write(
        dir.join("key.pem"),
        key.verifying_key().to_public_key_pem(LineEnding::LF)?,
    )?;
    std::fs::write(dir.join("checkpoint-1.note"), sign(&old)?)?;
    std::fs::write(dir.join(format!("checkpoint-{size}.note")), sign(&head)?)?;
    std::fs::write(
        dir.join("consistency.json"),
        serde_json::to_string_pretty(&proof)?,
    )?;
    println!(
        "wrote a receipt for booking-1 (identity {IDENTITY}) to {}",
        dir.display()
    );
    Ok(())
}
