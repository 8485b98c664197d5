//! The witness (scheduled): for each vendor with a checkpoint it has not checked (the markers
//! each stored checkpoint leaves in the audit table, read by Query, never a scan), checks the
//! checkpoint's signature with the audit key's public half, the consistency proof from the last
//! tree it saw, and the new leaves themselves (their hashes must rebuild the signed root from the
//! compact range it kept). Any failure is an alarm: an error log line and the
//! `AuditInconsistency` metric in Embedded Metric Format, so no CloudWatch call is needed. A
//! clean pass records the new tree in the witness's own table; a failed one records nothing, so
//! the alarm is raised again at each later checkpoint (the bad leaves stay between the tree it
//! saw and any newer one) until someone looks. Either way the checkpoint's marker is cleared;
//! a vendor whose stores failed keeps it and is tried again next run.
use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use lambda_http::Error;
use lambda_http::lambda_runtime::LambdaEvent;
use serde::Serialize;
use shared::audit::proofs::consistency_proof;
use shared::audit::{AuditLog, log_origin};
use shared::config::{self, ConfigError};
use shared::domain::ids::VendorId;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Mutex, PoisonError};
use tlog::{Checkpoint, CompactRange, Hash, PublicKeys, leaf_hash, verify_consistency};

/// The metric (namespace `Reservations/Audit`) the CDK alarm watches.
pub const METRIC: &str = "AuditInconsistency";
pub const NAMESPACE: &str = "Reservations/Audit";

/// The last tree the witness verified for a vendor: its size, root and compact range (so the
/// next new leaves can be hashed onto it without reading the old ones again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub size: u64,
    pub root: Hash,
    pub range: Vec<Hash>,
}

/// The witness's own state, one item per vendor.
pub trait WitnessState: Send + Sync {
    fn seen(&self, vendor: VendorId) -> impl Future<Output = anyhow::Result<Option<Seen>>> + Send;
    /// Records `seen` unless another run recorded a tree since `previous` was read.
    fn record(
        &self,
        vendor: VendorId,
        previous: Option<u64>,
        seen: &Seen,
    ) -> impl Future<Output = anyhow::Result<bool>> + Send;
}

/// Why a vendor's log failed the witness's checks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Inconsistency {
    #[error("the latest checkpoint does not verify: {0}")]
    Signature(String),
    #[error("the checkpoint is stored as size {stored} but says {signed}")]
    StoredSize { stored: u64, signed: u64 },
    #[error("the log shrank from {seen} to {now} leaves")]
    Shrank { seen: u64, now: u64 },
    #[error("a checkpoint of size {size} names another root than the one seen")]
    Forked { size: u64 },
    #[error("no consistency proof from {from} to {to}: {reason}")]
    NoProof { from: u64, to: u64, reason: String },
    #[error("the tree of {to} leaves does not extend the tree of {from}: {reason}")]
    Inconsistent { from: u64, to: u64, reason: String },
    #[error("leaf {index} is missing")]
    MissingLeaf { index: u64 },
    #[error("the leaves {from}..{to} do not hash to the signed root")]
    LeavesDiffer { from: u64, to: u64 },
}

/// What the witness concluded about one vendor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No checkpoint yet, or none new since the last run.
    Nothing,
    /// A new checkpoint passed every check and was recorded.
    Verified {
        from: u64,
        to: u64,
    },
    Alarm(Inconsistency),
}

/// How many marked vendors one run takes at most; the rest wait for the next run.
pub const WITNESS_BATCH: usize = 500;

/// One witness run.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct WitnessRound {
    pub verified: usize,
    pub unchanged: usize,
    /// Vendor id and what failed, for each alarm raised.
    pub alarms: Vec<(String, String)>,
    /// Vendors that could not be checked (the store failed): tried again next run.
    pub failed: usize,
}

pub async fn handler(
    log: &impl AuditLog,
    state: &impl WitnessState,
    keys: &PublicKeys,
    issuer: &str,
    _event: LambdaEvent<serde_json::Value>,
) -> Result<WitnessRound, Error> {
    let marked = log.unwitnessed(WITNESS_BATCH).await?;
    Ok(witness(log, state, keys, issuer, &marked, Utc::now()).await)
}

/// Checks each vendor of `marked` (with the size of the checkpoint that marked it), then clears
/// its marker; one failing or alarming does not stop the others.
pub async fn witness(
    log: &impl AuditLog,
    state: &impl WitnessState,
    keys: &PublicKeys,
    issuer: &str,
    marked: &[(VendorId, u64)],
    now: DateTime<Utc>,
) -> WitnessRound {
    let mut round = WitnessRound::default();
    for &(vendor, size) in marked {
        match check_vendor(log, state, keys, issuer, vendor).await {
            Ok(Verdict::Nothing) => round.unchanged += 1,
            Ok(Verdict::Verified { from, to }) => {
                tracing::info!(vendor_id = %vendor, from, to, "audit log witnessed");
                round.verified += 1;
            }
            Ok(Verdict::Alarm(why)) => {
                alarm(vendor, &why, now);
                round.alarms.push((vendor.to_string(), why.to_string()));
            }
            Err(err) => {
                tracing::error!(vendor_id = %vendor, error = %format!("{err:#}"), "audit log not witnessed; tried again next run");
                round.failed += 1;
                continue;
            }
        }
        // The checkpoint was checked (it, or a newer one: the latest is what is read). A newer
        // checkpoint stored meanwhile keeps the marker.
        if let Err(err) = log.witnessed(vendor, size).await {
            tracing::error!(vendor_id = %vendor, error = %format!("{err:#}"), "audit witness marker not cleared; checked again next run");
        }
    }
    round
}

/// The alarm: an error line for people, and one EMF line CloudWatch turns into the metric.
fn alarm(vendor: VendorId, why: &Inconsistency, now: DateTime<Utc>) {
    tracing::error!(vendor_id = %vendor, reason = %why, "AUDIT INCONSISTENCY: the audit log failed the witness's checks");
    // Lambda sends stdout to CloudWatch Logs, where an EMF line becomes a metric point.
    println!("{}", emf_line(vendor, why, now));
}

/// One `AuditInconsistency` point in Embedded Metric Format, with the vendor and the reason as
/// properties (not dimensions: one alarm covers every vendor).
pub fn emf_line(vendor: VendorId, why: &Inconsistency, now: DateTime<Utc>) -> String {
    serde_json::json!({
        "_aws": {
            "Timestamp": now.timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [[]],
                "Metrics": [{"Name": METRIC, "Unit": "Count"}],
            }],
        },
        METRIC: 1,
        "vendor_id": vendor.to_string(),
        "reason": why.to_string(),
    })
    .to_string()
}

/// The checks on one vendor's latest checkpoint. `Err` only when the stores fail.
pub async fn check_vendor(
    log: &impl AuditLog,
    state: &impl WitnessState,
    keys: &PublicKeys,
    issuer: &str,
    vendor: VendorId,
) -> anyhow::Result<Verdict> {
    let Some(latest) = log.checkpoint(vendor, None).await? else {
        return Ok(Verdict::Nothing);
    };
    let origin = log_origin(issuer, vendor);
    let checkpoint = match Checkpoint::open(&latest.note, &origin, keys) {
        Ok(checkpoint) => checkpoint,
        Err(err) => return Ok(Verdict::Alarm(Inconsistency::Signature(err.to_string()))),
    };
    if checkpoint.size != latest.size {
        return Ok(Verdict::Alarm(Inconsistency::StoredSize {
            stored: latest.size,
            signed: checkpoint.size,
        }));
    }
    let seen = state.seen(vendor).await?;
    let (from, old_root, range) = match &seen {
        Some(seen) if seen.size > checkpoint.size => {
            return Ok(Verdict::Alarm(Inconsistency::Shrank {
                seen: seen.size,
                now: checkpoint.size,
            }));
        }
        Some(seen) if seen.size == checkpoint.size => {
            return Ok(if seen.root == checkpoint.root {
                Verdict::Nothing
            } else {
                Verdict::Alarm(Inconsistency::Forked {
                    size: checkpoint.size,
                })
            });
        }
        Some(seen) => (
            seen.size,
            Some(seen.root),
            CompactRange::from_parts(seen.size, seen.range.clone())
                .context("the witness's stored range is damaged")?,
        ),
        None => (0, None, CompactRange::empty()),
    };
    let to = checkpoint.size;
    if let Some(old_root) = old_root {
        let proof = match consistency_proof(log, vendor, from, to).await {
            Ok(proof) => proof,
            Err(err) => {
                return Ok(Verdict::Alarm(Inconsistency::NoProof {
                    from,
                    to,
                    reason: err.to_string(),
                }));
            }
        };
        if let Err(err) = verify_consistency(from, to, &proof, &old_root, &checkpoint.root) {
            return Ok(Verdict::Alarm(Inconsistency::Inconsistent {
                from,
                to,
                reason: err.to_string(),
            }));
        }
    }
    // The proof shows the nodes agree; the leaves themselves must agree with them too.
    let mut range = range;
    for index in from..to {
        let Some(leaf) = log.leaf(vendor, index).await? else {
            return Ok(Verdict::Alarm(Inconsistency::MissingLeaf { index }));
        };
        range
            .append(leaf_hash(&leaf))
            .context("the compact range cannot grow")?;
    }
    if range.root() != checkpoint.root {
        return Ok(Verdict::Alarm(Inconsistency::LeavesDiffer { from, to }));
    }
    let now_seen = Seen {
        size: to,
        root: checkpoint.root,
        range: range.hashes().to_vec(),
    };
    state
        .record(vendor, seen.map(|s| s.size), &now_seen)
        .await?;
    Ok(Verdict::Verified { from, to })
}

/// The witness's state in memory (tests).
#[derive(Debug, Default)]
pub struct MemoryWitnessState(Mutex<HashMap<VendorId, Seen>>);

impl WitnessState for MemoryWitnessState {
    async fn seen(&self, vendor: VendorId) -> anyhow::Result<Option<Seen>> {
        Ok(self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&vendor)
            .cloned())
    }

    async fn record(
        &self,
        vendor: VendorId,
        previous: Option<u64>,
        seen: &Seen,
    ) -> anyhow::Result<bool> {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if map.get(&vendor).map(|s| s.size) != previous {
            return Ok(false);
        }
        map.insert(vendor, seen.clone());
        Ok(true)
    }
}

/// The witness's table (`AUDIT_WITNESS_TABLE`): pk `VENDOR#<id>`, with `size`, `root` and
/// `range` (base64 hashes) of the last tree verified.
#[derive(Debug, Clone)]
pub struct DynamoWitnessState {
    client: Client,
    table: String,
}

impl DynamoWitnessState {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    pub fn from_env(sdk: &shared::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(
            Client::new(sdk),
            config::required("AUDIT_WITNESS_TABLE")?,
        ))
    }
}

fn witness_pk(vendor: VendorId) -> AttributeValue {
    AttributeValue::S(format!("VENDOR#{vendor}"))
}

impl WitnessState for DynamoWitnessState {
    async fn seen(&self, vendor: VendorId) -> anyhow::Result<Option<Seen>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", witness_pk(vendor))
            .consistent_read(true)
            .send()
            .await
            .context("GetItem audit-witness")?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        let text = |name: &str| -> anyhow::Result<&str> {
            match item.get(name) {
                Some(AttributeValue::S(s)) => Ok(s.as_str()),
                Some(AttributeValue::N(n)) => Ok(n.as_str()),
                _ => anyhow::bail!("witness item of {vendor} has no {name}"),
            }
        };
        let hash = |b64: &str| Hash::from_base64(b64).context("a witness hash is not base64");
        let range = match item.get("range") {
            Some(AttributeValue::L(list)) => list
                .iter()
                .map(|v| match v {
                    AttributeValue::S(s) => hash(s),
                    _ => anyhow::bail!("a witness range entry is not a string"),
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
            _ => Vec::new(),
        };
        Ok(Some(Seen {
            size: text("size")?.parse().context("witness size")?,
            root: hash(text("root")?)?,
            range,
        }))
    }

    async fn record(
        &self,
        vendor: VendorId,
        previous: Option<u64>,
        seen: &Seen,
    ) -> anyhow::Result<bool> {
        let range = seen
            .range
            .iter()
            .map(|h| AttributeValue::S(h.to_base64()))
            .collect();
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", witness_pk(vendor))
            .item("size", AttributeValue::N(seen.size.to_string()))
            .item("root", AttributeValue::S(seen.root.to_base64()))
            .item("range", AttributeValue::L(range))
            .item("checked_at", AttributeValue::S(Utc::now().to_rfc3339()));
        let put = match previous {
            Some(size) => put
                .condition_expression("size = :previous")
                .expression_attribute_values(":previous", AttributeValue::N(size.to_string())),
            None => put.condition_expression("attribute_not_exists(pk)"),
        };
        match put.send().await {
            Ok(_) => Ok(true),
            Err(err) => match err.into_service_error() {
                aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(_) => {
                    Ok(false)
                }
                other => Err(anyhow::Error::new(other).context("PutItem audit-witness")),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::audit::MemoryAudit;
    use shared::audit::sign::{
        CheckpointSigner, LocalCheckpointSigner, sign_checkpoint, sign_grown,
    };
    use shared::domain::ids::BookingId;
    use shared::events::EventId;

    const ISSUER: &str = "https://api.example.com";

    struct Fixture {
        log: MemoryAudit,
        state: MemoryWitnessState,
        signer: LocalCheckpointSigner,
        vendor: VendorId,
    }

    impl Fixture {
        fn new() -> Self {
            Self {
                log: MemoryAudit::default(),
                state: MemoryWitnessState::default(),
                signer: LocalCheckpointSigner::from_seed(9).unwrap(),
                vendor: VendorId::generate(),
            }
        }

        async fn grow(&self, n: usize) {
            for i in 0..n {
                let booking = BookingId::generate();
                self.log
                    .append(
                        self.vendor,
                        booking,
                        EventId::for_booking(booking, 1),
                        format!("fact {i}").as_bytes(),
                    )
                    .await
                    .unwrap();
            }
            sign_grown(&self.log, &self.signer, ISSUER, Utc::now())
                .await
                .unwrap();
        }

        async fn check(&self) -> Verdict {
            let keys = PublicKeys::from(self.signer.public_key().clone());
            check_vendor(&self.log, &self.state, &keys, ISSUER, self.vendor)
                .await
                .unwrap()
        }
    }

    #[tokio::test]
    async fn each_new_checkpoint_is_verified_from_the_last_one_seen() {
        let f = Fixture::new();
        assert_eq!(f.check().await, Verdict::Nothing);
        f.grow(3).await;
        assert_eq!(f.check().await, Verdict::Verified { from: 0, to: 3 });
        assert_eq!(f.check().await, Verdict::Nothing);
        f.grow(6).await;
        assert_eq!(f.check().await, Verdict::Verified { from: 3, to: 9 });
        assert_eq!(f.state.seen(f.vendor).await.unwrap().unwrap().size, 9);
    }

    #[tokio::test]
    async fn an_edited_new_leaf_raises_the_alarm_and_is_not_recorded() {
        let f = Fixture::new();
        f.grow(3).await;
        f.check().await;
        f.grow(2).await;
        assert!(f.log.overwrite_leaf(f.vendor, 4, b"forged".to_vec()));
        assert_eq!(
            f.check().await,
            Verdict::Alarm(Inconsistency::LeavesDiffer { from: 3, to: 5 })
        );
        assert_eq!(f.state.seen(f.vendor).await.unwrap().unwrap().size, 3);
    }

    #[tokio::test]
    async fn a_checkpoint_signed_by_another_key_raises_the_alarm() {
        let f = Fixture::new();
        f.grow(2).await;
        let stranger = LocalCheckpointSigner::from_seed(10).unwrap();
        let origin = log_origin(ISSUER, f.vendor);
        // Another key's checkpoint for a larger (forked) tree, stored as the latest.
        let mut fork = tlog::MemoryTree::new();
        for i in 0..3 {
            fork.push(format!("other {i}").as_bytes()).unwrap();
        }
        let forked = shared::audit::TreeHead {
            size: 3,
            root: fork.root(),
        };
        let booking = BookingId::generate();
        f.log
            .append(
                f.vendor,
                booking,
                EventId::for_booking(booking, 1),
                b"third",
            )
            .await
            .unwrap();
        let note = sign_checkpoint(&stranger, &origin, forked).await.unwrap();
        assert!(
            f.log
                .store_checkpoint(f.vendor, 3, &note, Utc::now())
                .await
                .unwrap()
        );
        assert!(matches!(
            f.check().await,
            Verdict::Alarm(Inconsistency::Signature(_))
        ));
    }

    #[tokio::test]
    async fn another_root_for_a_size_seen_or_a_smaller_tree_raises_the_alarm() {
        let f = Fixture::new();
        f.grow(4).await;
        // What the witness saw for size 4 before the log was rewritten and re-signed.
        let other = Seen {
            size: 4,
            root: tlog::leaf_hash(b"another history"),
            range: Vec::new(),
        };
        assert!(f.state.record(f.vendor, None, &other).await.unwrap());
        assert_eq!(
            f.check().await,
            Verdict::Alarm(Inconsistency::Forked { size: 4 })
        );
        let larger = Seen { size: 9, ..other };
        assert!(f.state.record(f.vendor, Some(4), &larger).await.unwrap());
        assert_eq!(
            f.check().await,
            Verdict::Alarm(Inconsistency::Shrank { seen: 9, now: 4 })
        );
    }

    #[test]
    fn an_alarm_is_one_embedded_metric_format_line_of_the_metric() {
        let vendor = VendorId::generate();
        let why = Inconsistency::MissingLeaf { index: 4 };
        let line = emf_line(vendor, &why, "2026-12-07T06:00:00Z".parse().unwrap());
        assert!(!line.contains('\n'));
        let emf: serde_json::Value = serde_json::from_str(&line).unwrap();
        let directive = &emf["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE);
        assert_eq!(directive["Metrics"][0]["Name"], METRIC);
        assert_eq!(emf["_aws"]["Timestamp"], 1_796_623_200_000_i64);
        assert_eq!(emf[METRIC], 1);
        assert_eq!(emf["vendor_id"], vendor.to_string());
        assert_eq!(emf["reason"], "leaf 4 is missing");
    }

    #[tokio::test]
    async fn one_vendor_alarming_does_not_stop_the_others() {
        let (bad, good) = (Fixture::new(), Fixture::new());
        let log = &good.log;
        // Both vendors in one log.
        let bad_vendor = bad.vendor;
        for i in 0..2 {
            let booking = BookingId::generate();
            log.append(
                bad_vendor,
                booking,
                EventId::for_booking(booking, 1),
                format!("{i}").as_bytes(),
            )
            .await
            .unwrap();
        }
        good.grow(2).await;
        assert!(log.overwrite_leaf(bad_vendor, 1, b"forged".to_vec()));
        let keys = PublicKeys::from(good.signer.public_key().clone());
        let marked = log.unwitnessed(10).await.unwrap();
        assert_eq!(marked.len(), 2);
        let round = witness(log, &good.state, &keys, ISSUER, &marked, Utc::now()).await;
        assert_eq!(round.verified, 1);
        assert_eq!(round.alarms.len(), 1);
        assert_eq!(round.alarms[0].0, bad_vendor.to_string());
    }

    #[tokio::test]
    async fn a_run_checks_the_marked_vendors_only_and_clears_their_markers_clean_or_alarmed() {
        let f = Fixture::new();
        let keys = PublicKeys::from(f.signer.public_key().clone());
        let run = || async {
            let marked = f.log.unwitnessed(WITNESS_BATCH).await.unwrap();
            (
                marked.clone(),
                witness(&f.log, &f.state, &keys, ISSUER, &marked, Utc::now()).await,
            )
        };
        f.grow(3).await;

        let (marked, round) = run().await;
        assert_eq!(marked, [(f.vendor, 3)]);
        assert_eq!(round.verified, 1);
        // Nothing new signed: the next run reads no marker and checks nothing.
        let (marked, round) = run().await;
        assert!(marked.is_empty());
        assert_eq!(round, WitnessRound::default());

        f.grow(2).await;
        assert!(f.log.overwrite_leaf(f.vendor, 4, b"forged".to_vec()));
        let (marked, round) = run().await;
        assert_eq!(marked, [(f.vendor, 5)]);
        assert_eq!(round.alarms.len(), 1);
        assert!(f.log.unwitnessed(WITNESS_BATCH).await.unwrap().is_empty());
        // Not recorded as seen: the next checkpoint alarms again.
        f.grow(1).await;
        let (_, round) = run().await;
        assert_eq!(round.alarms.len(), 1);
    }
}
