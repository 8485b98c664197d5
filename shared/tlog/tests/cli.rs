//! `tlog-verify` run as a process on receipts and checkpoints made here.
mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::*;
use std::path::PathBuf;
use std::process::{Command, Output};
use tlog::{Checkpoint, ConsistencyProof, MemoryTree};

struct Dir(PathBuf);

impl Dir {
    fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("tlog-cli-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path.display().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(args: &[&str]) -> (i32, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_tlog-verify"))
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&stderr)
    );
    (status.code().unwrap_or(-1), text)
}

fn jwks(seed: u8) -> String {
    serde_json::json!({ "keys": [jwk(&signing_key(seed), "audit-1")] }).to_string()
}

fn receipt_json(receipt: &tlog::Receipt) -> String {
    serde_json::to_string_pretty(receipt).unwrap()
}

#[test]
fn a_good_receipt_verifies_line_by_line() {
    let dir = Dir::new("good");
    let receipt = dir.write(
        "receipt.json",
        receipt_json(&Log::new().receipt(&signing_key(1))),
    );
    let key = dir.write("jwks.json", jwks(1));
    let (code, out) = run(&["receipt", &receipt, "--key", &key, "--identity", GUEST]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ok    checkpoint signature"), "{out}");
    for index in [1, 4, 7] {
        assert!(
            out.contains(&format!(
                "ok    leaf {index}: included (4 hashes), booking b-1, guest commitment matches"
            )),
            "{out}"
        );
    }
    assert!(
        out.trim_end().ends_with("VERIFIED") && !out.contains("NOT VERIFIED"),
        "{out}"
    );

    let pem = dir.write("key.pem", pem(&signing_key(1)));
    let (code, out) = run(&["receipt", &receipt, "--key", &pem]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("skip  guest commitment: no --identity given"),
        "{out}"
    );
}

#[test]
fn an_edited_leaf_fails_naming_the_leaf() {
    let dir = Dir::new("edited");
    let mut receipt = Log::new().receipt(&signing_key(1));
    let data = String::from_utf8(STANDARD.decode(&receipt.leaves[1].data).unwrap()).unwrap();
    receipt.leaves[1].data = STANDARD.encode(data.replace("\"web\"", "\"desk\""));
    let path = dir.write("receipt.json", receipt_json(&receipt));
    let key = dir.write("jwks.json", jwks(1));
    let (code, out) = run(&["receipt", &path, "--key", &key, "--identity", GUEST]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  leaf 4: included"), "{out}");
    assert!(
        out.contains("not included in the checkpoint's tree"),
        "{out}"
    );
    assert!(
        out.contains("ok    leaf 1:") && out.contains("NOT VERIFIED"),
        "{out}"
    );
}

#[test]
fn a_log_that_dropped_a_leaf_fails() {
    let dir = Dir::new("dropped");
    let log = Log::new();
    let mut receipt = log.receipt(&signing_key(1));
    let mut shorter = MemoryTree::new();
    for (i, data) in log.data.iter().enumerate() {
        if i != 2 {
            shorter.push(data).unwrap();
        }
    }
    let head = Checkpoint::new(ORIGIN, shorter.size(), shorter.root()).unwrap();
    receipt.checkpoint = sign_checkpoint(&signing_key(1), &head);
    let path = dir.write("receipt.json", receipt_json(&receipt));
    let key = dir.write("jwks.json", jwks(1));
    let (code, out) = run(&["receipt", &path, "--key", &key]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL  leaf 4") && out.contains("not included"),
        "{out}"
    );
}

#[test]
fn a_wrong_identity_fails_on_the_commitment() {
    let dir = Dir::new("identity");
    let path = dir.write(
        "receipt.json",
        receipt_json(&Log::new().receipt(&signing_key(1))),
    );
    let key = dir.write("jwks.json", jwks(1));
    let (code, out) = run(&[
        "receipt",
        &path,
        "--key",
        &key,
        "--identity",
        "mallory@example.com",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("the guest commitment does not match this identity"),
        "{out}"
    );
}

#[test]
fn a_wrong_key_fails_on_the_signature() {
    let dir = Dir::new("key");
    let path = dir.write(
        "receipt.json",
        receipt_json(&Log::new().receipt(&signing_key(2))),
    );
    let key = dir.write("jwks.json", jwks(1));
    let (code, out) = run(&["receipt", &path, "--key", &key]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  checkpoint signature"), "{out}");
    assert!(
        out.contains(&format!("no signature by a trusted key named {ORIGIN}")),
        "{out}"
    );
}

#[test]
fn unreadable_input_is_a_usage_error() {
    let dir = Dir::new("usage");
    let key = dir.write("jwks.json", jwks(1));
    let (code, out) = run(&["receipt", "/nonexistent/receipt.json", "--key", &key]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("/nonexistent/receipt.json"), "{out}");
    let not_a_key = dir.write("key.json", "{\"kty\":\"RSA\"}");
    let (code, out) = run(&["receipt", "/dev/null", "--key", &not_a_key]);
    assert_eq!(code, 2, "{out}");
}

fn checkpoints(dir: &Dir, log: &Log, old: u64, key: u8) -> (String, String) {
    let head = |size: u64| Checkpoint::new(ORIGIN, size, log.tree.root_at(size).unwrap()).unwrap();
    (
        dir.write("old.note", sign_checkpoint(&signing_key(1), &head(old))),
        dir.write(
            "new.note",
            sign_checkpoint(&signing_key(key), &head(log.tree.size())),
        ),
    )
}

fn proof_file(dir: &Dir, from: u64, to: u64, proof: Vec<tlog::Hash>) -> String {
    dir.write(
        "proof.json",
        serde_json::to_string(&ConsistencyProof { from, to, proof }).unwrap(),
    )
}

#[test]
fn consistent_checkpoints_verify() {
    let dir = Dir::new("consistent");
    let log = Log::new();
    let (old, new) = checkpoints(&dir, &log, 5, 1);
    let proof = proof_file(&dir, 5, 9, log.tree.consistency(5, 9).unwrap());
    let key = dir.write("jwks.json", jwks(1));
    let (code, out) = run(&[
        "consistency",
        "--from",
        &old,
        "--to",
        &new,
        "--proof",
        &proof,
        "--key",
        &key,
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ok    both checkpoints signed, size 5 -> 9 proven append-only"),
        "{out}"
    );
}

#[test]
fn a_forked_or_shrunk_or_foreign_checkpoint_is_refused() {
    let dir = Dir::new("fork");
    let key = dir.write("jwks.json", jwks(1));
    let log = Log::new();

    // A fork: leaf 2 rewritten, then the new head signed with the right key.
    let mut forked = Log::new();
    let mut tree = MemoryTree::new();
    for (i, data) in log.data.iter().enumerate() {
        tree.push(if i == 2 {
            b"rewritten".as_slice()
        } else {
            data
        })
        .unwrap();
    }
    forked.tree = tree;
    let (old, _) = checkpoints(&dir, &log, 5, 1);
    let old = dir.write("honest-old.note", std::fs::read_to_string(old).unwrap());
    let (_, new) = checkpoints(&dir, &forked, 5, 1);
    let proof = proof_file(&dir, 5, 9, forked.tree.consistency(5, 9).unwrap());
    let (code, out) = run(&[
        "consistency",
        "--from",
        &old,
        "--to",
        &new,
        "--proof",
        &proof,
        "--key",
        &key,
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("is not an extension of the old one"), "{out}");

    // A smaller tree than one already published.
    let (old9, _) = checkpoints(&dir, &log, 9, 1);
    let old9 = dir.write("old9.note", std::fs::read_to_string(old9).unwrap());
    let (small, _) = checkpoints(&dir, &log, 5, 1);
    let proof = proof_file(&dir, 9, 5, Vec::new());
    let (code, out) = run(&[
        "consistency",
        "--from",
        &old9,
        "--to",
        &small,
        "--proof",
        &proof,
        "--key",
        &key,
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("larger than the new size"), "{out}");

    // The new head signed with another key.
    let (old, new) = checkpoints(&dir, &log, 5, 2);
    let proof = proof_file(&dir, 5, 9, log.tree.consistency(5, 9).unwrap());
    let (code, out) = run(&[
        "consistency",
        "--from",
        &old,
        "--to",
        &new,
        "--proof",
        &proof,
        "--key",
        &key,
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("new checkpoint: no signature by a trusted key"),
        "{out}"
    );
}
