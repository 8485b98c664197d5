//! Issue 19's proofs on the local stack: receipts and consistency proofs served by the API and
//! checked offline by the `tlog-verify` binary with the JWKS, the witness against the DynamoDB
//! log, and the tamper tests (a leaf edited or dropped in the table, a fork signed by another
//! key, a smaller checkpoint). Each test has its own vendor and booking; leaves are appended to
//! the vendor's log directly (facts of the booking itself through the backbone are
//! `tests/tests/audit.rs`), and each test signs and witnesses only its own vendor's log, so no
//! other test's grown or witness markers or checkpoints are touched.
use api_tests::{Account, Api, resource_body};
use audit_witness::{
    DynamoWitnessState, Inconsistency, Verdict, WitnessRound, check_vendor, witness,
};
use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::audit::sign::{
    CheckpointSigner, KmsCheckpointSigner, LocalCheckpointSigner, sign_checkpoint, sign_vendor,
};
use shared::audit::{AuditLog, DynamoAudit, TreeHead, log_origin};
use shared::domain::ids::{BookingId, UserId, VendorId};
use shared::events::EventId;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The `tlog-verify` binary, built once per test process (`cargo build -p tlog --features cli`).
fn tlog_verify() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let output = Command::new(cargo)
            .args([
                "build",
                "-p",
                "tlog",
                "--features",
                "cli",
                "--bin",
                "tlog-verify",
                "--message-format=json-render-diagnostics",
            ])
            .output()
            .expect("cargo runs");
        assert!(
            output.status.success(),
            "building tlog-verify failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo names the tlog-verify executable")
    })
}

/// Runs `tlog-verify` and returns its exit code (0: every check held, 1: one failed) and output.
fn run_verifier(args: &[&str]) -> (i32, String) {
    let output = Command::new(tlog_verify())
        .args(args)
        .output()
        .expect("tlog-verify runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

/// A scratch directory for the files handed to the verifier.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("audit-proofs-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write a scratch file");
    path.to_string_lossy().into_owned()
}

/// A public text answer (a checkpoint note): status, content type and body.
struct Text {
    status: StatusCode,
    content_type: Option<String>,
    text: String,
}

async fn get_text(api: &Api, path: &str) -> Text {
    let response = reqwest::get(format!("{}{path}", api.base))
        .await
        .expect("the gateway answers");
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = response.text().await.expect("a body");
    Text {
        status,
        content_type,
        text,
    }
}

struct Setup {
    api: Api,
    log: DynamoAudit,
    signer: KmsCheckpointSigner,
    issuer: String,
    manager: Account,
    guest: Account,
    vendor: VendorId,
    booking: BookingId,
    /// The next version for a directly appended fact, far above the booking's own versions.
    next_version: std::sync::atomic::AtomicU64,
}

impl Setup {
    /// A hotel, a guest and the guest's booking there.
    async fn new() -> Self {
        api_tests::require_env();
        let api = Api::start().await;
        let sdk = shared::aws::sdk_config().await;
        let log = DynamoAudit::from_env(&sdk).expect("AUDIT_TABLE is set: run via tests/run.sh");
        let signer = KmsCheckpointSigner::from_env(&sdk)
            .await
            .expect("AUDIT_KMS_KEY_ID names the audit key: run via tests/run.sh");
        let discovery = api.get("/.well-known/openid-configuration", None).await;
        let issuer = discovery.body["issuer"]
            .as_str()
            .expect("an issuer")
            .to_owned();
        let manager = api.vendor("hotel").await;
        let guest = api.guest().await;
        let room = api
            .resource(
                &manager,
                &api_tests::merged(
                    resource_body("Double", 2, 5, 10_000),
                    &json!({"deposit": {"kind": "none"}}),
                ),
            )
            .await;
        let check_in = Utc::now().date_naive() + Duration::days(30);
        let held = api
            .send_with(
                Method::POST,
                &format!("/booking/vendor/{}", manager.vendor()),
                guest.token(),
                Some(&json!({
                    "resource_id": room,
                    "party_size": 2,
                    "check_in": check_in,
                    "check_out": check_in + Duration::days(2),
                })),
                &[("idempotency-key", &uuid::Uuid::new_v4().to_string())],
            )
            .await;
        assert_eq!(held.status, StatusCode::CREATED, "{held:#?}");
        let booking = BookingId::parse(held.body["id"].as_str().expect("a booking id"))
            .expect("a booking id");
        let vendor = VendorId::parse(manager.vendor()).expect("a vendor id");
        Self {
            api,
            log,
            signer,
            issuer,
            manager,
            guest,
            vendor,
            booking,
            next_version: std::sync::atomic::AtomicU64::new(1_000),
        }
    }

    fn identity(&self) -> String {
        UserId::parse(&self.guest.id)
            .expect("a guest id")
            .to_string()
    }

    /// Appends one fact of this booking (or of another booking of the vendor), as the audit
    /// consumer writes it; its index.
    async fn fact(&self, ours: bool, detail_type: &str, status: &str) -> u64 {
        let booking = if ours {
            self.booking
        } else {
            BookingId::generate()
        };
        let version = self
            .next_version
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let secret = self.log.commitment_secret(booking).await.expect("a secret");
        let identity = if ours {
            self.identity()
        } else {
            format!("desk:{booking}")
        };
        let leaf = tlog::Leaf {
            booking_id: booking.to_string(),
            vendor_id: self.vendor.to_string(),
            version,
            detail_type: detail_type.into(),
            status: status.into(),
            previous_status: None,
            time: None,
            unit_number: None,
            total: Some(tlog::leaf::Amount {
                minor: 20_000,
                currency: "EUR".into(),
            }),
            deposit_status: None,
            resource_id: None,
            deposit_paid: None,
            deposit_refund: None,
            deposit_kept: None,
            desk_payments: Vec::new(),
            channel: "web".into(),
            actor: tlog::leaf::ActorKind::Guest,
            occurred_at: Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            guest_commitment: secret.commit(&identity),
        };
        self.log
            .append(
                self.vendor,
                booking,
                EventId::for_booking(booking, version),
                &leaf.to_bytes(),
            )
            .await
            .expect("append")
            .index
    }

    /// What the scheduled signer does for this vendor: signs its head with the audit KMS key
    /// and stores it. The size signed.
    async fn sign(&self) -> u64 {
        let head = self
            .log
            .head(self.vendor)
            .await
            .expect("head")
            .expect("a log");
        let stored = sign_vendor(
            &self.log,
            &self.signer,
            &self.issuer,
            self.vendor,
            head,
            Utc::now(),
        )
        .await
        .expect("signed");
        assert!(stored, "a larger tree's checkpoint is stored");
        head.size
    }

    async fn witness(&self, state: &DynamoWitnessState) -> Verdict {
        let keys = tlog::PublicKeys::from(self.signer.public_key().clone());
        check_vendor(&self.log, state, &keys, &self.issuer, self.vendor)
            .await
            .expect("the witness reads the stores")
    }

    /// This vendor's witness marker (the size of the checkpoint it marks), if any: the markers
    /// of every vendor on the local table are read, as the scheduled witness reads them.
    async fn marker(&self) -> Option<u64> {
        self.log
            .unwitnessed(usize::MAX)
            .await
            .expect("the markers are read")
            .into_iter()
            .find_map(|(vendor, size)| (vendor == self.vendor).then_some(size))
    }

    /// What a scheduled witness run does with this vendor's marker (the run itself takes every
    /// vendor's; only this one's is this test's to clear).
    async fn witness_run(&self, state: &DynamoWitnessState) -> WitnessRound {
        let size = self
            .marker()
            .await
            .expect("the vendor is marked for the witness");
        let keys = tlog::PublicKeys::from(self.signer.public_key().clone());
        witness(
            &self.log,
            state,
            &keys,
            &self.issuer,
            &[(self.vendor, size)],
            Utc::now(),
        )
        .await
    }

    async fn receipt(&self, who: &Account) -> api_tests::Reply {
        self.api
            .get(&format!("/booking/{}/receipt", self.booking), who.token())
            .await
    }

    async fn jwks_file(&self, dir: &Path) -> String {
        let jwks = self.api.get("/.well-known/jwks.json", None).await;
        assert_eq!(jwks.status, StatusCode::OK);
        write(dir, "jwks.json", &jwks.body.to_string())
    }

    /// The leaf item of `index` in the audit table, as an operator with table access sees it.
    fn leaf_key(&self, index: u64) -> std::collections::HashMap<String, AttributeValue> {
        std::collections::HashMap::from([
            (
                "pk".to_owned(),
                AttributeValue::S(format!("LOG#{}", self.vendor)),
            ),
            ("sk".to_owned(), AttributeValue::S(format!("L#{index:020}"))),
        ])
    }
}

use aws_sdk_dynamodb::types::AttributeValue;

async fn dynamodb() -> (aws_sdk_dynamodb::Client, String) {
    let sdk = shared::aws::sdk_config().await;
    let table = std::env::var("AUDIT_TABLE").expect("AUDIT_TABLE is set");
    (aws_sdk_dynamodb::Client::new(&sdk), table)
}

async fn witness_state() -> DynamoWitnessState {
    let sdk = shared::aws::sdk_config().await;
    DynamoWitnessState::from_env(&sdk).expect("AUDIT_WITNESS_TABLE is set: run via tests/run.sh")
}

#[tokio::test]
async fn a_bookings_receipt_verifies_with_tlog_verify_and_the_jwks_for_its_guest_and_staff_only() {
    let s = Setup::new().await;
    s.fact(false, "BookingHeld", "HELD").await;
    let first = s.fact(true, "BookingHeld", "HELD").await;
    s.fact(false, "BookingConfirmed", "CONFIRMED").await;

    // Nothing signed yet: the receipt is pending.
    let pending = s.receipt(&s.guest).await;
    pending.assert_problem(404);
    assert!(
        pending.body["type"]
            .as_str()
            .is_some_and(|t| t.ends_with("/receipt-pending")),
        "{pending:#?}"
    );
    assert!(pending.body["pending"].as_u64() >= Some(1), "{pending:#?}");
    assert_eq!(pending.header("retry-after"), Some("60"));

    let size = s.sign().await;
    let second = s.fact(true, "BookingConfirmed", "CONFIRMED").await;

    let reply = s.receipt(&s.guest).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
    assert_eq!(reply.body["guest_identity"], s.identity());
    assert!(reply.body["pending"].as_u64() >= Some(1), "{reply:#?}");
    assert_eq!(reply.header("cache-control"), Some("private, no-store"));
    let indexes: Vec<u64> = reply.body["receipt"]["leaves"]
        .as_array()
        .expect("leaves")
        .iter()
        .filter_map(|l| l["index"].as_u64())
        .collect();
    assert!(indexes.contains(&first), "{indexes:?}");
    assert!(
        !indexes.contains(&second),
        "a leaf after the checkpoint is pending"
    );
    assert!(indexes.iter().all(|&i| i < size));
    assert_eq!(
        reply.body["receipt"]["origin"],
        log_origin(&s.issuer, s.vendor)
    );

    let dir = scratch();
    let jwks = s.jwks_file(&dir).await;
    let receipt = write(&dir, "receipt.json", &reply.body["receipt"].to_string());
    let identity = s.identity();
    let (code, out) = run_verifier(&["receipt", &receipt, "--key", &jwks, "--identity", &identity]);
    assert_eq!(code, 0, "{out}");
    // Another guest's identity does not open the commitments.
    let stranger = uuid::Uuid::new_v4().to_string();
    let (code, out) = run_verifier(&["receipt", &receipt, "--key", &jwks, "--identity", &stranger]);
    assert_eq!(code, 1, "{out}");

    // The vendor's staff get it too; another guest, another vendor and no token do not.
    let staff = s.receipt(&s.manager).await;
    assert_eq!(staff.status, StatusCode::OK, "{staff:#?}");
    assert_eq!(staff.body["guest_identity"], s.identity());
    let other_guest = s.api.guest().await;
    s.receipt(&other_guest).await.assert_problem(404);
    let other_vendor = s.api.vendor("hotel").await;
    s.receipt(&other_vendor).await.assert_problem(404);
    let anonymous = s
        .api
        .get(&format!("/booking/{}/receipt", s.booking), None)
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn checkpoints_are_served_as_signed_notes_and_consistency_proofs_between_them_verify() {
    let s = Setup::new().await;
    let base = format!("/audit/{}", s.vendor);
    s.api
        .get(&format!("{base}/checkpoint"), None)
        .await
        .assert_problem(404);

    for _ in 0..3 {
        s.fact(false, "BookingHeld", "HELD").await;
    }
    let old = s.sign().await;
    for _ in 0..4 {
        s.fact(true, "BookingUpdated", "HELD").await;
    }
    let new = s.sign().await;

    let latest = get_text(&s.api, &format!("{base}/checkpoint")).await;
    assert_eq!(latest.status, StatusCode::OK);
    assert_eq!(
        latest.content_type.as_deref(),
        Some("text/plain; charset=utf-8")
    );
    let latest_note = s
        .log
        .checkpoint(s.vendor, None)
        .await
        .expect("read")
        .expect("stored")
        .note;
    assert_eq!(latest.text, latest_note);
    assert!(latest_note.starts_with(&format!("{}\n{new}\n", log_origin(&s.issuer, s.vendor))));
    let past = get_text(&s.api, &format!("{base}/checkpoint?size={old}")).await;
    assert_eq!(past.status, StatusCode::OK);
    assert!(past.text.contains(&format!("\n{old}\n")), "{}", past.text);

    let proof = s
        .api
        .get(&format!("{base}/consistency?from={old}&to={new}"), None)
        .await;
    assert_eq!(proof.status, StatusCode::OK, "{proof:#?}");
    assert_eq!(
        (proof.body["from"].as_u64(), proof.body["to"].as_u64()),
        (Some(old), Some(new))
    );

    let dir = scratch();
    let jwks = s.jwks_file(&dir).await;
    let from = write(&dir, "old.note", &past.text);
    let to = write(&dir, "new.note", &latest.text);
    let proof_file = write(&dir, "proof.json", &proof.body.to_string());
    let (code, out) = run_verifier(&[
        "consistency",
        "--from",
        &from,
        "--to",
        &to,
        "--proof",
        &proof_file,
        "--key",
        &jwks,
    ]);
    assert_eq!(code, 0, "{out}");

    // Bad sizes name their parameter; sizes never signed are not found.
    for (query, parameter) in [
        (format!("from=x&to={new}"), "from"),
        (format!("from={old}"), "to"),
        (format!("from=0&to={new}"), "from"),
        (format!("from={new}&to={old}"), "from"),
    ] {
        let reply = s
            .api
            .get(&format!("{base}/consistency?{query}"), None)
            .await;
        reply.assert_problem(422);
        assert_eq!(reply.parameters(), [parameter], "{query}: {reply:#?}");
    }
    s.api
        .get(&format!("{base}/consistency?from=1&to={new}"), None)
        .await
        .assert_problem(404);
    s.api
        .get(&format!("{base}/checkpoint?size=-1"), None)
        .await
        .assert_problem(422);
}

#[tokio::test]
async fn an_edited_leaf_fails_the_receipt_and_the_witness_raises_the_alarm() {
    let s = Setup::new().await;
    let state = witness_state().await;
    s.fact(true, "BookingHeld", "HELD").await;
    s.fact(false, "BookingHeld", "HELD").await;
    let first = s.sign().await;
    // The stored checkpoint marked the vendor for the witness, which checks it and clears it.
    assert_eq!(s.marker().await, Some(first));
    let round = s.witness_run(&state).await;
    assert_eq!((round.verified, round.alarms.len()), (1, 0), "{round:?}");
    assert_eq!(s.marker().await, None);
    let before = s.receipt(&s.guest).await;
    assert_eq!(before.status, StatusCode::OK, "{before:#?}");

    let edited = s.fact(true, "BookingConfirmed", "CONFIRMED").await;
    s.fact(false, "BookingConfirmed", "CONFIRMED").await;
    let second = s.sign().await;

    // Someone with write access to the table turns the confirmation into a cancellation.
    let (client, table) = dynamodb().await;
    let item = client
        .get_item()
        .table_name(&table)
        .set_key(Some(s.leaf_key(edited)))
        .send()
        .await
        .expect("GetItem")
        .item
        .expect("the leaf item");
    let Some(AttributeValue::B(bytes)) = item.get("leaf") else {
        panic!("the leaf item holds its bytes in `leaf`: {item:?}");
    };
    let mut forged: Value = serde_json::from_slice(bytes.as_ref()).expect("leaf JSON");
    forged["status"] = "CANCELLED".into();
    client
        .update_item()
        .table_name(&table)
        .set_key(Some(s.leaf_key(edited)))
        .update_expression("SET #leaf = :forged")
        .expression_attribute_names("#leaf", "leaf")
        .expression_attribute_values(
            ":forged",
            AttributeValue::B(serde_json::to_vec(&forged).expect("JSON").into()),
        )
        .send()
        .await
        .expect("UpdateItem");

    let dir = scratch();
    let jwks = s.jwks_file(&dir).await;
    let after = s.receipt(&s.guest).await;
    assert_eq!(after.status, StatusCode::OK, "{after:#?}");
    let tampered = write(&dir, "tampered.json", &after.body["receipt"].to_string());
    let (code, out) = run_verifier(&["receipt", &tampered, "--key", &jwks]);
    assert_eq!(code, 1, "{out}");
    // The receipt the guest was handed before still verifies: the guest keeps the proof.
    let kept = write(&dir, "kept.json", &before.body["receipt"].to_string());
    let (code, out) = run_verifier(&["receipt", &kept, "--key", &jwks]);
    assert_eq!(code, 0, "{out}");

    assert_eq!(s.marker().await, Some(second));
    let round = s.witness_run(&state).await;
    assert_eq!(round.alarms.len(), 1, "{round:?}");
    assert_eq!(
        s.marker().await,
        None,
        "an alarmed checkpoint's marker is cleared too"
    );
    assert_eq!(
        s.witness(&state).await,
        Verdict::Alarm(Inconsistency::LeavesDiffer {
            from: first,
            to: second
        })
    );
    // Not recorded: the alarm repeats on the next check.
    assert!(matches!(s.witness(&state).await, Verdict::Alarm(_)));
}

#[tokio::test]
async fn a_dropped_leaf_fails_the_receipt_and_the_witness_raises_the_alarm() {
    let s = Setup::new().await;
    let state = witness_state().await;
    s.fact(true, "BookingHeld", "HELD").await;
    let first = s.sign().await;
    assert_eq!(
        s.witness(&state).await,
        Verdict::Verified { from: 0, to: first }
    );
    let before = s.receipt(&s.guest).await;
    assert_eq!(before.status, StatusCode::OK, "{before:#?}");

    let dropped = s.fact(true, "BookingCancelled", "CANCELLED").await;
    s.fact(false, "BookingHeld", "HELD").await;
    let second = s.sign().await;
    let (client, table) = dynamodb().await;
    client
        .delete_item()
        .table_name(&table)
        .set_key(Some(s.leaf_key(dropped)))
        .send()
        .await
        .expect("DeleteItem");

    // No verifiable receipt comes out of the damaged log any more...
    let after = s.receipt(&s.guest).await;
    after.assert_problem(500);
    assert!(
        after.body["type"]
            .as_str()
            .is_some_and(|t| t.ends_with("/audit-log-damaged")),
        "{after:#?}"
    );
    // ...while the one handed out before still proves what was recorded then.
    let dir = scratch();
    let jwks = s.jwks_file(&dir).await;
    let kept = write(&dir, "kept.json", &before.body["receipt"].to_string());
    let (code, out) = run_verifier(&["receipt", &kept, "--key", &jwks]);
    assert_eq!(code, 0, "{out}");

    // The store keeps a leaf's hash on its item, so the proof fails before the leaf is read.
    let verdict = s.witness(&state).await;
    assert!(
        matches!(
            &verdict,
            Verdict::Alarm(Inconsistency::MissingLeaf { index }) if *index == dropped
        ) || matches!(
            &verdict,
            Verdict::Alarm(Inconsistency::NoProof { reason, .. })
                if reason.contains(&format!("node 0/{dropped} "))
        ),
        "{verdict:?}"
    );
    // The scheduled run finds the vendor by its marker and raises the same alarm.
    assert_eq!(s.marker().await, Some(second));
    let round = s.witness_run(&state).await;
    assert_eq!(round.alarms.len(), 1, "{round:?}");
}

#[tokio::test]
async fn a_fork_signed_by_another_key_is_refused_and_a_smaller_checkpoint_is_not_stored() {
    let s = Setup::new().await;
    for _ in 0..2 {
        s.fact(true, "BookingHeld", "HELD").await;
    }
    let old = s.sign().await;
    for _ in 0..3 {
        s.fact(false, "BookingHeld", "HELD").await;
    }
    let new = s.sign().await;
    let origin = log_origin(&s.issuer, s.vendor);

    // A forked tree of the same size, signed under the log's name by a key that is not ours.
    let mut fork = tlog::MemoryTree::new();
    for i in 0..new {
        fork.push(format!("forged fact {i}").as_bytes())
            .expect("push");
    }
    let stranger = LocalCheckpointSigner::from_seed(0x17).expect("a key");
    let forged = sign_checkpoint(
        &stranger,
        &origin,
        TreeHead {
            size: new,
            root: fork.root(),
        },
    )
    .await
    .expect("signed");
    let dir = scratch();
    let jwks = s.jwks_file(&dir).await;
    let base = format!("/audit/{}", s.vendor);
    let past = get_text(&s.api, &format!("{base}/checkpoint?size={old}")).await;
    let proof = s
        .api
        .get(&format!("{base}/consistency?from={old}&to={new}"), None)
        .await;
    let (from, to, proof_file) = (
        write(&dir, "old.note", &past.text),
        write(&dir, "forged.note", &forged),
        write(&dir, "proof.json", &proof.body.to_string()),
    );
    let (code, out) = run_verifier(&[
        "consistency",
        "--from",
        &from,
        "--to",
        &to,
        "--proof",
        &proof_file,
        "--key",
        &jwks,
    ]);
    assert_eq!(code, 1, "{out}");

    // A receipt whose checkpoint was swapped for the forged one is refused as well.
    let reply = s.receipt(&s.guest).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
    let mut receipt = reply.body["receipt"].clone();
    receipt["checkpoint"] = forged.clone().into();
    let receipt = write(&dir, "forged-receipt.json", &receipt.to_string());
    let (code, out) = run_verifier(&["receipt", &receipt, "--key", &jwks]);
    assert_eq!(code, 1, "{out}");

    // A checkpoint for fewer leaves than the latest stored one is refused, even well signed.
    let head = s.log.head(s.vendor).await.expect("head").expect("a log");
    let smaller = TreeHead {
        size: old,
        root: s
            .log
            .checkpoint(s.vendor, Some(old))
            .await
            .ok()
            .flatten()
            .and_then(|c| {
                tlog::Checkpoint::from_note_text(tlog::SignedNote::parse(&c.note).ok()?.text()).ok()
            })
            .expect("the old checkpoint")
            .root,
    };
    assert!(head.size >= new);
    let note = sign_checkpoint(&s.signer, &origin, smaller)
        .await
        .expect("signed");
    assert!(
        !s.log
            .store_checkpoint(s.vendor, old, &note, Utc::now())
            .await
            .expect("store")
    );
    let latest = get_text(&s.api, &format!("{base}/checkpoint")).await;
    assert!(
        latest.text.contains(&format!("\n{new}\n")),
        "{}",
        latest.text
    );
}

/// Signs access tokens with the audit key, under the audit key's own kid: what a token would
/// look like if the audit key could sign one.
struct AuditKeyAsTokenSigner {
    inner: shared::auth::KmsSigner,
    kid: String,
}

impl shared::auth::TokenSigner for AuditKeyAsTokenSigner {
    fn key_id(&self) -> &str {
        &self.kid
    }

    async fn sign(&self, message: Vec<u8>) -> anyhow::Result<Vec<u8>> {
        self.inner.sign(message).await
    }
}

#[tokio::test]
async fn the_jwks_publishes_the_audit_key_and_a_token_it_signed_is_refused() {
    let s = Setup::new().await;
    let jwks = s.api.get("/.well-known/jwks.json", None).await;
    let keys = jwks.body["keys"].as_array().expect("keys").clone();
    let audit_kid = s.signer.jwk().kid.clone();
    let audit = keys
        .iter()
        .find(|k| k["kid"] == audit_kid)
        .expect("the audit key is published");
    assert!(audit_kid.starts_with("audit-"));
    assert_eq!(
        (audit["use"].as_str(), audit["alg"].as_str()),
        (Some("sig"), Some("ES256"))
    );
    assert!(
        keys.iter().any(|k| k["kid"] != audit_kid),
        "the token key stays"
    );

    let sdk = shared::aws::sdk_config().await;
    let key_id = std::env::var("AUDIT_KMS_KEY_ID").expect("AUDIT_KMS_KEY_ID is set");
    let inner = shared::auth::KmsSigner::connect(aws_sdk_kms::Client::new(&sdk), key_id)
        .await
        .expect("the audit key");
    let forger = AuditKeyAsTokenSigner {
        inner,
        kid: audit_kid,
    };
    let now = Utc::now().timestamp();
    let claims = shared::auth::AccessClaims {
        iss: s.issuer.clone(),
        aud: "reservations-api".into(),
        sub: s.guest.id.clone(),
        iat: now,
        nbf: now,
        exp: now + 300,
        jti: uuid::Uuid::new_v4().to_string(),
        role: shared::domain::account::Role::Guest,
        vendor_id: None,
        manager: false,
    };
    let token = shared::auth::sign_claims(&forger, &claims)
        .await
        .expect("signed by the audit key");
    let path = format!("/user/{}", s.guest.id);
    let refused = s.api.get(&path, Some(&token)).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{refused:#?}");
    // The guest's own token, signed by the token key, still passes.
    let own = s.api.get(&path, s.guest.token()).await;
    assert_eq!(own.status, StatusCode::OK, "{own:#?}");
}

/// The publisher on the bookings stream and the audit queue feeding its consumer, as their
/// Lambdas run them (so this test runs in the event-backbone group, `.config/nextest.toml`).
async fn backbone(api: &Api) -> local_gateway::Backbone {
    api_tests::bookings_to_consumer(api, "audit", "AUDIT_QUEUE_URL").await
}

#[tokio::test]
async fn a_bookings_life_through_the_backbone_gets_a_receipt_that_verifies_and_names_no_one() {
    api_tests::require_env();
    let setup_api = Api::start().await;
    let _backbone = backbone(&setup_api).await;
    drop(setup_api);
    // The booking is made after the stream is positioned, so its facts reach the log.
    let s = Setup::new().await;
    let cancelled = s
        .api
        .put(
            &format!("/booking/{}/status", s.booking),
            s.guest.token(),
            &json!({"status": "CANCELLED"}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{cancelled:#?}");

    // Made, then cancelled: two facts, about a second each through the backbone (the bound is
    // for a stuck test, not a speed assertion).
    let wait = std::time::Duration::from_secs(90);
    let started = tokio::time::Instant::now();
    loop {
        let leaves = s.log.booking_leaves(s.booking).await.expect("the index");
        if leaves.len() >= 2 {
            break;
        }
        assert!(
            started.elapsed() < wait,
            "the log did not get the booking's 2 facts in {wait:?}: {leaves:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    s.sign().await;

    let reply = s.receipt(&s.guest).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:#?}");
    let dir = scratch();
    let jwks = s.jwks_file(&dir).await;
    let receipt = write(&dir, "receipt.json", &reply.body["receipt"].to_string());
    let identity = reply.body["guest_identity"]
        .as_str()
        .expect("an identity")
        .to_owned();
    assert_eq!(identity, s.identity());
    let (code, out) = run_verifier(&["receipt", &receipt, "--key", &jwks, "--identity", &identity]);
    assert_eq!(code, 0, "{out}");

    // What the guest is handed names the facts, never the guest.
    use base64::Engine;
    let leaves = reply.body["receipt"]["leaves"].as_array().expect("leaves");
    let mut kinds = Vec::new();
    for leaf in leaves {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(leaf["data"].as_str().expect("data"))
            .expect("base64");
        let text = String::from_utf8(bytes).expect("JSON text");
        for personal in [s.guest.id.as_str(), s.guest.email.as_str(), "Test Guest"] {
            assert!(!text.contains(personal), "{personal} in {text}");
        }
        let fact: Value = serde_json::from_str(&text).expect("a leaf");
        kinds.push(fact["detail_type"].as_str().unwrap_or_default().to_owned());
    }
    // Without a deposit the booking is confirmed as it is made; then the guest cancelled.
    assert_eq!(kinds, ["BookingConfirmed", "BookingCancelled"], "{out}");
}
