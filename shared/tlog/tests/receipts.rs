//! Signed checkpoints and receipts end to end in memory: what verifies, and every way a forged
//! or tampered receipt is refused.
mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use sha2::{Digest, Sha256};
use tlog::checkpoint::CheckpointError;
use tlog::note::{NoteError, NoteSignature};
use tlog::receipt::{ReceiptError, ReceiptLeaf};
use tlog::verify::VerifyError;
use tlog::{Checkpoint, PublicKeys, SignedNote};

fn keys(seed: u8) -> PublicKeys {
    public_key(&signing_key(seed)).into()
}

#[test]
fn a_receipt_verifies_with_the_issuer_key_as_pem_der_jwk_or_jwks() {
    let key = signing_key(1);
    let receipt = Log::new().receipt(&key);
    let jwks = serde_json::json!({ "keys": [jwk(&signing_key(9), "old"), jwk(&key, "current")] });
    let forms = [
        PublicKeys::from_file_bytes(pem(&key).as_bytes(), None).unwrap(),
        PublicKeys::from_file_bytes(&der(&key), None).unwrap(),
        PublicKeys::from_jwks(&jwk(&key, "k").to_string(), None).unwrap(),
        PublicKeys::from_jwks(&jwks.to_string(), None).unwrap(),
        PublicKeys::from_jwks(&jwks.to_string(), Some("current")).unwrap(),
    ];
    for keys in forms {
        let verified = receipt.verify(&keys, Some(GUEST)).unwrap();
        assert_eq!(verified.leaves.len(), 3);
        assert_eq!(verified.checkpoint.size, 9);
        assert!(verified.identity_checked);
    }
    let other_kid = PublicKeys::from_jwks(&jwks.to_string(), Some("old")).unwrap();
    assert!(receipt.verify(&other_kid, Some(GUEST)).is_err());
}

#[test]
fn the_signed_checkpoint_follows_the_c2sp_formats() {
    let key = signing_key(1);
    let log = Log::new();
    let note = sign_checkpoint(&key, &log.checkpoint());
    let lines: Vec<&str> = note.lines().collect();
    assert_eq!(lines[0], ORIGIN);
    assert_eq!(lines[1], "9");
    assert_eq!(lines[2], log.tree.root().to_base64());
    assert_eq!(lines[3], "");
    let (name, signature) = lines[4]
        .strip_prefix("\u{2014} ")
        .unwrap()
        .split_once(' ')
        .unwrap();
    assert_eq!(name, ORIGIN);
    let bytes = STANDARD.decode(signature).unwrap();
    // Key ID: the truncated SHA-256 of the DER SPKI public key, then the DER ECDSA signature.
    assert_eq!(bytes[..4], Sha256::digest(der(&key))[..4]);
    assert_eq!(bytes[4], 0x30, "a DER SEQUENCE");
    assert_eq!(SignedNote::parse(&note).unwrap().to_string(), note);
}

#[test]
fn a_wrong_identity_fails_and_no_identity_skips_the_commitment() {
    let key = signing_key(1);
    let receipt = Log::new().receipt(&key);
    let err = receipt
        .verify(&keys(1), Some("someone-else@example.com"))
        .unwrap_err();
    assert!(
        matches!(err, ReceiptError::CommitmentMismatch { .. }),
        "{err}"
    );
    assert!(!receipt.verify(&keys(1), None).unwrap().identity_checked);
}

#[test]
fn an_edited_leaf_is_not_included() {
    let key = signing_key(1);
    let mut receipt = Log::new().receipt(&key);
    let edited = String::from_utf8(STANDARD.decode(&receipt.leaves[1].data).unwrap())
        .unwrap()
        .replace("25000", "15000");
    receipt.leaves[1].data = STANDARD.encode(edited);
    let err = receipt.verify(&keys(1), Some(GUEST)).unwrap_err();
    assert!(
        matches!(
            err,
            ReceiptError::NotIncluded {
                source: VerifyError::RootMismatch,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_log_that_dropped_a_leaf_cannot_prove_the_receipt() {
    let key = signing_key(1);
    let honest = Log::new();
    let mut receipt = honest.receipt(&key);
    // The operator drops leaf 0 and signs the shorter tree.
    let mut shorter = tlog::MemoryTree::new();
    for data in &honest.data[1..] {
        shorter.push(data).unwrap();
    }
    let head = Checkpoint::new(ORIGIN, shorter.size(), shorter.root()).unwrap();
    receipt.checkpoint = sign_checkpoint(&key, &head);
    assert!(matches!(
        receipt.verify(&keys(1), Some(GUEST)),
        Err(ReceiptError::NotIncluded { .. })
    ));
}

#[test]
fn a_checkpoint_signed_by_another_key_is_refused() {
    let receipt = Log::new().receipt(&signing_key(2));
    let err = receipt.verify(&keys(1), Some(GUEST)).unwrap_err();
    assert_eq!(
        err,
        ReceiptError::Checkpoint(CheckpointError::Note(NoteError::NoTrustedSignature(
            ORIGIN.into()
        )))
    );
}

#[test]
fn a_tampered_checkpoint_text_fails_its_known_signature() {
    let key = signing_key(1);
    let mut receipt = Log::new().receipt(&key);
    receipt.checkpoint = receipt.checkpoint.replacen("\n9\n", "\n8\n", 1);
    let err = receipt.verify(&keys(1), Some(GUEST)).unwrap_err();
    assert!(
        matches!(
            err,
            ReceiptError::Checkpoint(CheckpointError::Note(NoteError::BadSignature { .. }))
        ),
        "{err}"
    );
}

#[test]
fn unknown_signatures_are_ignored_but_a_known_keys_bad_one_rejects() {
    let key = signing_key(1);
    let log = Log::new();
    let text = log.checkpoint().to_note_text();
    let mut note = SignedNote::parse(&sign_checkpoint(&key, &log.checkpoint())).unwrap();
    let witness = signing_key(5);
    note.add_signature(NoteSignature {
        name: "witness.example/w1".into(),
        id: public_key(&witness).id(),
        signature: kms_sign(&witness, text.as_bytes()),
    })
    .unwrap();
    // Same name, unknown ID: ignored too.
    note.add_signature(NoteSignature {
        name: ORIGIN.into(),
        id: tlog::KeyId([0, 0, 0, 0]),
        signature: vec![1, 2, 3],
    })
    .unwrap();
    let mut receipt = log.receipt(&key);
    receipt.checkpoint = note.to_string();
    assert!(receipt.verify(&keys(1), Some(GUEST)).is_ok());

    note.add_signature(NoteSignature {
        name: ORIGIN.into(),
        id: public_key(&key).id(),
        signature: kms_sign(&witness, text.as_bytes()),
    })
    .unwrap();
    receipt.checkpoint = note.to_string();
    assert!(receipt.verify(&keys(1), Some(GUEST)).is_err());
}

#[test]
fn a_leaf_of_another_booking_is_refused() {
    let key = signing_key(1);
    let log = Log::new();
    let mut receipt = log.receipt(&key);
    let proof = log.tree.inclusion(0, log.tree.size()).unwrap();
    receipt
        .leaves
        .push(ReceiptLeaf::new(0, &log.data[0], proof));
    let err = receipt.verify(&keys(1), None).unwrap_err();
    assert!(
        matches!(err, ReceiptError::OtherBooking { index: 0, .. }),
        "{err}"
    );
}

#[test]
fn malformed_receipts_are_refused_without_panicking() {
    let key = signing_key(1);
    let good = Log::new().receipt(&key);
    let mut v2 = good.clone();
    v2.version = 2;
    assert_eq!(v2.verify(&keys(1), None), Err(ReceiptError::Version(2)));
    let mut empty = good.clone();
    empty.leaves.clear();
    assert_eq!(empty.verify(&keys(1), None), Err(ReceiptError::NoLeaves));
    let mut garbage = good.clone();
    garbage.checkpoint = "not a note".into();
    assert!(garbage.verify(&keys(1), None).is_err());
    let mut index = good.clone();
    index.leaves[0].index = u64::MAX;
    assert!(index.verify(&keys(1), None).is_err());

    let json = serde_json::to_string(&good).unwrap();
    let back: tlog::Receipt = serde_json::from_str(&json).unwrap();
    assert_eq!(back, good);
    let extra = json.replacen('{', r#"{"guest_email":"a@b.c","#, 1);
    assert!(serde_json::from_str::<tlog::Receipt>(&extra).is_err());
}

#[test]
fn a_high_s_signature_as_kms_may_return_verifies() {
    use p256::ecdsa::Signature;
    use p256::ecdsa::signature::Signer;
    use p256::elliptic_curve::PrimeField;

    let key = signing_key(1);
    let log = Log::new();
    let checkpoint = log.checkpoint();
    let text = checkpoint.to_note_text();
    let signature: Signature = key.sign(text.as_bytes());
    let (r, s) = signature.split_scalars();
    let s = *s.as_ref();
    // Whichever of s and n - s the signer produced, serve the other one too.
    let flipped = Signature::from_scalars(r.to_repr(), (-s).to_repr()).unwrap();
    for sig in [signature, flipped] {
        let note = SignedNote::assemble(
            &text,
            ORIGIN,
            public_key(&key).id(),
            sig.to_der().as_bytes(),
        )
        .unwrap()
        .to_string();
        assert!(
            Checkpoint::open(&note, ORIGIN, &keys(1)).is_ok(),
            "high s: {}",
            sig.normalize_s().is_some()
        );
    }
}
