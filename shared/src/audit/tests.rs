use super::leaf::{guest_identity, leaf_bytes, leaf_of};
use super::*;
use crate::domain::booking::{Booking, BookingAction, BookingStatus, Channel};
use crate::domain::unit::UnitAssignment;
use crate::events::fixtures::{hold, moved, next};
use crate::events::{BookingEvent, Event, ReceivedEvent, booking_event};
use chrono::TimeZone;
use std::collections::HashMap;
use tlog::leaf::ActorKind;

fn fact() -> (BookingId, EventId) {
    let booking = BookingId::generate();
    (booking, EventId::for_booking(booking, 1))
}

async fn append_n(log: &MemoryAudit, vendor: VendorId, n: u64) -> Vec<Vec<u8>> {
    let mut leaves = Vec::new();
    for i in 0..n {
        let (booking, fact) = fact();
        let leaf = format!("leaf {i} of {vendor}").into_bytes();
        log.append(vendor, booking, fact, &leaf).await.unwrap();
        leaves.push(leaf);
    }
    leaves
}

fn tree_of(leaves: &[Vec<u8>]) -> tlog::MemoryTree {
    let mut tree = tlog::MemoryTree::new();
    for leaf in leaves {
        tree.push(leaf).unwrap();
    }
    tree
}

#[tokio::test]
async fn appends_take_indexes_zero_one_two_in_order() {
    let log = MemoryAudit::default();
    let vendor = VendorId::generate();

    let mut indexes = Vec::new();
    for i in 0..3u8 {
        let (booking, fact) = fact();
        indexes.push(log.append(vendor, booking, fact, &[i]).await.unwrap());
    }

    assert_eq!(
        indexes
            .iter()
            .map(|a| (a.index, a.head.size))
            .collect::<Vec<_>>(),
        [(0, 1), (1, 2), (2, 3)]
    );
}

#[tokio::test]
async fn the_same_fact_again_answers_its_index_and_appends_nothing() {
    let log = MemoryAudit::default();
    let vendor = VendorId::generate();
    let (booking, repeated) = fact();
    log.append(vendor, booking, repeated, b"first")
        .await
        .unwrap();
    append_n(&log, vendor, 2).await;

    let again = log
        .append(vendor, booking, repeated, b"first")
        .await
        .unwrap();

    assert_eq!(again.index, 0);
    assert_eq!(again.head.size, 3);
    assert_eq!(log.head(vendor).await.unwrap().unwrap().size, 3);
    assert_eq!(log.booking_leaves(booking).await.unwrap(), [(vendor, 0)]);
}

#[tokio::test]
async fn the_head_is_the_root_of_the_same_leaves_in_a_plain_merkle_tree() {
    let log = MemoryAudit::default();
    let vendor = VendorId::generate();
    for n in [1u64, 2, 3, 4, 5, 7, 8, 13, 32, 33] {
        let before = log.head(vendor).await.unwrap().map_or(0, |h| h.size);
        append_n(&log, vendor, n - before).await;
        let mut leaves = Vec::new();
        for i in 0..n {
            leaves.push(log.leaf(vendor, i).await.unwrap().unwrap());
        }

        let head = log.head(vendor).await.unwrap().unwrap();

        assert_eq!(head.size, n);
        assert_eq!(head.root, tree_of(&leaves).root(), "size {n}");
    }
}

#[tokio::test]
async fn proofs_built_from_the_stored_nodes_verify_with_tlog() {
    let log = MemoryAudit::default();
    let vendor = VendorId::generate();
    let leaves = append_n(&log, vendor, 21).await;
    let head = log.head(vendor).await.unwrap().unwrap();

    for (index, leaf) in leaves.iter().enumerate() {
        let index = index as u64;
        let plan = tlog::InclusionPlan::new(index, head.size).unwrap();
        let nodes = log.nodes(vendor, &plan.nodes()).await.unwrap();
        let found: HashMap<_, _> = plan.nodes().into_iter().zip(nodes).collect();
        let proof = plan.build(|id| found.get(&id).copied()).unwrap();
        tlog::verify_inclusion(&tlog::leaf_hash(leaf), index, head.size, &proof, &head.root)
            .unwrap();
    }
    for from in 1..head.size {
        let plan = tlog::ConsistencyPlan::new(from, head.size).unwrap();
        let nodes = log.nodes(vendor, &plan.nodes()).await.unwrap();
        let found: HashMap<_, _> = plan.nodes().into_iter().zip(nodes).collect();
        let proof = plan.build(|id| found.get(&id).copied()).unwrap();
        let old_root = tree_of(&leaves[..from as usize]).root();
        tlog::verify_consistency(from, head.size, &proof, &old_root, &head.root).unwrap();
    }
}

#[tokio::test]
async fn a_node_that_is_not_stored_is_missing_not_made_up() {
    let log = MemoryAudit::default();
    let vendor = VendorId::generate();
    append_n(&log, vendor, 3).await;

    let missing = log
        .nodes(vendor, &[tlog::NodeId::new(0, 0), tlog::NodeId::new(1, 1)])
        .await;

    assert!(matches!(
        missing,
        Err(AuditError::MissingNode { level: 1, index: 1 })
    ));
}

#[tokio::test]
async fn a_vendor_is_grown_until_a_checkpoint_of_its_whole_tree_is_stored() {
    let log = MemoryAudit::default();
    let vendor = VendorId::generate();
    let quiet = VendorId::generate();
    append_n(&log, vendor, 3).await;
    let at = Utc.with_ymd_and_hms(2027, 3, 1, 12, 0, 0).unwrap();

    let grown = log.grown(10).await.unwrap();
    assert_eq!(grown.len(), 1);
    assert_eq!(grown[0].0, vendor);
    assert_eq!(grown[0].1.size, 3);
    assert!(!grown.iter().any(|(v, _)| *v == quiet));

    assert!(log.store_checkpoint(vendor, 2, "note 2", at).await.unwrap());
    assert_eq!(log.grown(10).await.unwrap().len(), 1, "signed 2 of 3");
    assert!(log.store_checkpoint(vendor, 3, "note 3", at).await.unwrap());
    assert!(log.grown(10).await.unwrap().is_empty());

    append_n(&log, vendor, 1).await;
    assert_eq!(log.grown(10).await.unwrap()[0].1.size, 4);
}

#[tokio::test]
async fn a_stored_checkpoint_marks_its_vendor_for_the_witness_until_witnessed() {
    let log = MemoryAudit::default();
    let vendor = VendorId::generate();
    append_n(&log, vendor, 3).await;
    let at = Utc.with_ymd_and_hms(2027, 3, 1, 12, 0, 0).unwrap();
    assert!(
        log.unwitnessed(10).await.unwrap().is_empty(),
        "nothing signed"
    );

    assert!(log.store_checkpoint(vendor, 2, "note 2", at).await.unwrap());
    assert_eq!(log.unwitnessed(10).await.unwrap(), [(vendor, 2)]);
    // A checkpoint stored while the witness checked size 2 keeps the vendor marked.
    assert!(log.store_checkpoint(vendor, 3, "note 3", at).await.unwrap());
    log.witnessed(vendor, 2).await.unwrap();
    assert_eq!(log.unwitnessed(10).await.unwrap(), [(vendor, 3)]);
    log.witnessed(vendor, 3).await.unwrap();
    assert!(log.unwitnessed(10).await.unwrap().is_empty());
    // A refused checkpoint marks nothing.
    assert!(!log.store_checkpoint(vendor, 3, "again", at).await.unwrap());
    assert!(log.unwitnessed(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_checkpoint_no_larger_than_the_latest_is_refused_and_past_ones_are_kept() {
    let log = MemoryAudit::default();
    let vendor = VendorId::generate();
    append_n(&log, vendor, 5).await;
    let at = Utc.with_ymd_and_hms(2027, 3, 1, 12, 0, 0).unwrap();
    assert!(log.store_checkpoint(vendor, 4, "four", at).await.unwrap());

    assert!(
        !log.store_checkpoint(vendor, 4, "four again", at)
            .await
            .unwrap()
    );
    assert!(!log.store_checkpoint(vendor, 3, "three", at).await.unwrap());
    assert!(matches!(
        log.store_checkpoint(vendor, 6, "six", at).await,
        Err(AuditError::BeyondHead { size: 6, head: 5 })
    ));
    assert!(log.store_checkpoint(vendor, 5, "five", at).await.unwrap());

    assert_eq!(
        log.checkpoint(vendor, None).await.unwrap().unwrap().note,
        "five"
    );
    assert_eq!(
        log.checkpoint(vendor, Some(4)).await.unwrap().unwrap().note,
        "four"
    );
    assert_eq!(log.checkpoint(vendor, Some(3)).await.unwrap(), None);
}

#[tokio::test]
async fn a_bookings_secret_is_made_once_and_differs_between_bookings() {
    let log = MemoryAudit::default();
    let (one, _) = fact();
    let (other, _) = fact();

    let first = log.commitment_secret(one).await.unwrap();
    let again = log.commitment_secret(one).await.unwrap();
    let theirs = log.commitment_secret(other).await.unwrap();

    assert_eq!(first.to_base64(), again.to_base64());
    assert_ne!(first.to_base64(), theirs.to_base64());
}

#[test]
fn a_logs_origin_is_the_issuer_host_and_the_vendor() {
    let vendor = VendorId::parse("0195a1b2-0000-7000-8000-0000000000a1").unwrap();
    assert_eq!(
        log_origin("https://api.reservations.example/", vendor),
        "api.reservations.example/audit/0195a1b2-0000-7000-8000-0000000000a1"
    );
}

// ---- Leaves: every fact kind, and never personal data.

const DESK_GUEST: [&str; 3] = ["Ada Lovelace", "ada.lovelace@example.org", "+4915112345678"];

fn secret() -> tlog::CommitmentSecret {
    tlog::CommitmentSecret::from_bytes([7; 32])
}

/// A booking's life through every kind of booking fact, for an account guest and for a desk
/// guest without an account (name, email and phone in the booking).
fn every_kind_of_fact() -> Vec<BookingEvent> {
    let account = hold();
    let desk = Booking {
        guest_id: None,
        booked_by: "staff:0190f0e0-5555-7000-8000-000000000005".into(),
        channel: Channel::WalkIn,
        desk_guest: Some(
            serde_json::from_value(serde_json::json!({
                "name": DESK_GUEST[0], "email": DESK_GUEST[1], "phone": DESK_GUEST[2]
            }))
            .unwrap(),
        ),
        ..hold()
    };
    let mut events = Vec::new();
    for held in [account, desk] {
        let mut push = |old: Option<&Booking>, new: &Booking| {
            events.push(booking_event(old, Some(new)).unwrap());
        };
        push(None, &held);
        let expired = moved(&held, BookingAction::Expire);
        push(Some(&held), &expired);
        let confirmed = moved(&held, BookingAction::Confirm);
        push(Some(&held), &confirmed);
        let cancelled = moved(&confirmed, BookingAction::Cancel);
        push(Some(&confirmed), &cancelled);
        let no_show = moved(&confirmed, BookingAction::NoShow);
        push(Some(&confirmed), &no_show);
        let assigned = next(&confirmed, |b| {
            b.unit = Some(UnitAssignment {
                unit_id: crate::domain::ids::UnitId::generate(),
                number: crate::domain::unit::UnitNumber::parse("214").unwrap(),
            });
        });
        push(Some(&confirmed), &assigned);
        let repriced = next(&assigned, |b| b.quote.total.amount_minor += 100);
        push(Some(&assigned), &repriced);
        let checked_in = moved(&repriced, BookingAction::CheckIn);
        push(Some(&repriced), &checked_in);
        let completed = moved(&checked_in, BookingAction::Complete);
        push(Some(&checked_in), &completed);
        // Money: a deposit paid online, a payment at the desk, a refund with a fee kept.
        let paid = next(&held, |b| b.deposit_payment = Some(paid_deposit(None)));
        push(Some(&held), &paid);
        let desk_paid = next(&checked_in, |b| b.desk_payments.push(desk_payment()));
        push(Some(&checked_in), &desk_paid);
        let refunded = next(&moved(&paid, BookingAction::Cancel), |b| {
            b.deposit_payment = Some(paid_deposit(Some(DEPOSIT_REFUND)));
        });
        push(Some(&paid), &refunded);
    }
    events
}

const DEPOSIT: i64 = 5_000;
const DEPOSIT_REFUND: i64 = 4_000;
const DESK_PAID: i64 = 20_000;
const STAFF: &str = "staff:0190f0e0-5555-7000-8000-000000000005";

/// A paid deposit; with a refund, settled by the guest's cancellation and refunded.
fn paid_deposit(refund: Option<i64>) -> crate::domain::payment::DepositPayment {
    use crate::domain::payment::*;
    let euros = |minor| crate::domain::money::Money {
        amount_minor: minor,
        ..hold().quote.total
    };
    let mut deposit = DepositPayment::awaiting(IntentId::parse("pi_audit").unwrap());
    deposit.status = DepositStatus::Paid;
    deposit.paid = Some(euros(DEPOSIT));
    if let Some(refund) = refund {
        deposit.status = DepositStatus::Refunded;
        deposit.settlement = Some(Settlement {
            reason: SettlementReason::Cancelled,
            rule: None,
            acted_by: Some(format!("guest:{}", hold().guest_id.unwrap())),
            refund: euros(refund),
            kept: euros(DEPOSIT - refund),
            decided_at: chrono::Utc.with_ymd_and_hms(2026, 12, 20, 9, 0, 0).unwrap(),
        });
    }
    deposit
}

fn desk_payment() -> crate::domain::desk::DeskPayment {
    crate::domain::desk::DeskPayment {
        amount: crate::domain::money::Money {
            amount_minor: DESK_PAID,
            ..hold().quote.total
        },
        method: crate::domain::desk::DeskPaymentMethod::CardTerminal,
        reference: None,
        taken_by: STAFF.into(),
        taken_at: chrono::Utc
            .with_ymd_and_hms(2026, 12, 24, 15, 0, 0)
            .unwrap(),
        idempotency_key: "desk-pay-1".into(),
    }
}

/// Every booking sample in `events/samples/`.
fn sample_facts() -> Vec<BookingEvent> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events/samples");
    let mut facts = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let raw = std::fs::read_to_string(&path).unwrap();
        let Ok(received) = serde_json::from_str::<ReceivedEvent>(&raw) else {
            continue;
        };
        if let Ok(Event::Booking(event)) = received.event() {
            facts.push(event);
        }
    }
    assert!(
        facts.len() >= 8,
        "the booking samples were not found in {dir:?}"
    );
    facts
}

/// Every personal value a fact may carry or point to: the guest's account id, the staff or
/// admin id behind `booked_by`, a desk guest's name, email and phone.
fn personal(event: &BookingEvent) -> Vec<String> {
    let detail = event.booking();
    let mut values: Vec<String> = DESK_GUEST.iter().map(|s| (*s).to_owned()).collect();
    values.push("0190f0e0-5555-7000-8000-000000000005".to_owned());
    values.extend(detail.guest_id.map(|g| g.to_string()));
    values
}

#[test]
fn every_kind_of_booking_fact_becomes_a_canonical_leaf_with_its_fields() {
    let events = every_kind_of_fact();
    let kinds: std::collections::BTreeSet<_> = events.iter().map(|e| e.detail_type()).collect();
    assert_eq!(kinds.len(), 8, "every booking detail-type: {kinds:?}");

    for event in events.iter().chain(&sample_facts()) {
        let detail = event.booking();
        let bytes = leaf_bytes(event, &secret());
        let leaf = tlog::Leaf::from_bytes(&bytes).unwrap();

        assert_eq!(leaf.booking_id, detail.booking_id.to_string());
        assert_eq!(leaf.vendor_id, detail.vendor_id.to_string());
        assert_eq!(leaf.version, detail.header.version);
        assert_eq!(leaf.detail_type, event.detail_type());
        assert_eq!(
            serde_json::to_value(detail.status).unwrap(),
            serde_json::json!(leaf.status)
        );
        assert_eq!(
            leaf.total.as_ref().unwrap().minor,
            detail.total.amount_minor
        );
        assert_eq!(
            leaf.unit_number,
            detail.unit.as_ref().map(|u| u.number.to_string())
        );
        assert!(secret().matches(&guest_identity(detail), &leaf.guest_commitment));
        assert_eq!(leaf.resource_id, Some(detail.resource_id.to_string()));
        let deposit = detail.deposit_payment.as_ref();
        let settlement = deposit.and_then(|d| d.settlement.as_ref());
        assert_eq!(
            leaf.deposit_paid.as_ref().map(|a| a.minor),
            deposit.and_then(|d| d.paid).map(|m| m.amount_minor)
        );
        assert_eq!(
            leaf.deposit_refund.as_ref().map(|a| a.minor),
            settlement.map(|s| s.refund.amount_minor)
        );
        assert_eq!(
            leaf.deposit_kept.as_ref().map(|a| a.minor),
            settlement.map(|s| s.kept.amount_minor)
        );
        assert_eq!(
            leaf.desk_payments
                .iter()
                .map(|p| (p.amount.minor, p.taken_by.as_str()))
                .collect::<Vec<_>>(),
            detail
                .desk_payments
                .iter()
                .map(|p| (p.amount.amount_minor, p.taken_by.as_str()))
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn payments_at_the_desk_deposits_and_refunds_are_in_the_leaves() {
    let events = every_kind_of_fact();
    let leaves: Vec<tlog::Leaf> = events.iter().map(|e| leaf_of(e, &secret())).collect();

    let desk = leaves
        .iter()
        .find(|l| !l.desk_payments.is_empty())
        .expect("a desk payment's leaf");
    let payment = &desk.desk_payments[0];
    assert_eq!(
        (payment.amount.minor, payment.amount.currency.as_str()),
        (DESK_PAID, "EUR")
    );
    assert_eq!(payment.method, "card_terminal");
    assert_eq!(payment.taken_by, "staff");
    assert_eq!(payment.taken_at, "2026-12-24T15:00:00Z");

    let paid = leaves
        .iter()
        .find(|l| l.deposit_paid.is_some() && l.deposit_refund.is_none())
        .expect("a paid deposit's leaf");
    assert_eq!(paid.deposit_paid.as_ref().unwrap().minor, DEPOSIT);
    assert_eq!(paid.deposit_status.as_deref(), Some("PAID"));

    let refunded = leaves
        .iter()
        .find(|l| l.deposit_refund.is_some())
        .expect("a refund's leaf");
    assert_eq!(refunded.deposit_status.as_deref(), Some("REFUNDED"));
    assert_eq!(
        refunded.deposit_refund.as_ref().unwrap().minor,
        DEPOSIT_REFUND
    );
    assert_eq!(
        refunded.deposit_kept.as_ref().unwrap().minor,
        DEPOSIT - DEPOSIT_REFUND
    );
    // A leaf without money says nothing of it (and so keeps the bytes it had before).
    let held = String::from_utf8(leaf_bytes(&events[0], &secret())).unwrap();
    for absent in [
        "desk_payments",
        "deposit_paid",
        "deposit_refund",
        "deposit_kept",
    ] {
        assert!(!held.contains(absent), "{absent} in {held}");
    }
}

#[test]
fn no_leaf_contains_a_name_an_email_a_phone_or_an_account_id() {
    for event in every_kind_of_fact().iter().chain(&sample_facts()) {
        let bytes = leaf_bytes(event, &secret());
        let text = String::from_utf8(bytes).unwrap();
        for value in personal(event) {
            assert!(
                !text.to_lowercase().contains(&value.to_lowercase()),
                "{} leaf contains {value:?}: {text}",
                event.detail_type()
            );
        }
        // Only the leaf's own fields, whatever the event carries besides.
        let keys: Vec<String> = serde_json::from_str::<serde_json::Value>(&text)
            .unwrap()
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        for key in &keys {
            assert!(
                ![
                    "guest_id",
                    "booked_by",
                    "desk_guest",
                    "name",
                    "email",
                    "phone"
                ]
                .contains(&key.as_str()),
                "{key}"
            );
        }
    }
}

#[test]
fn the_actor_is_told_by_kind_from_the_booker_and_the_fact() {
    let events = every_kind_of_fact();
    let actor = |kind: &str, desk: bool| {
        let event = events
            .iter()
            .find(|e| e.detail_type() == kind && e.booking().guest_id.is_none() == desk)
            .unwrap();
        leaf_of(event, &secret()).actor
    };

    assert_eq!(actor("BookingHeld", false), ActorKind::Guest);
    assert_eq!(actor("BookingHeld", true), ActorKind::Staff);
    assert_eq!(actor("BookingExpired", false), ActorKind::System);
    assert_eq!(actor("BookingCheckedIn", true), ActorKind::Staff);
    // A room assigned to a confirmed booking is the desk's doing.
    let assigned = events
        .iter()
        .find(|e| {
            e.detail_type() == "BookingUpdated"
                && e.booking().status == BookingStatus::Confirmed
                && e.booking().previous.as_ref() == Some(&e.booking().terms())
        })
        .unwrap();
    assert_eq!(leaf_of(assigned, &secret()).actor, ActorKind::Staff);
}

#[test]
fn one_guests_leaves_of_two_bookings_cannot_be_linked_without_the_secrets() {
    let event = &every_kind_of_fact()[0];
    let one = leaf_of(event, &tlog::CommitmentSecret::from_bytes([1; 32]));
    let other = leaf_of(event, &tlog::CommitmentSecret::from_bytes([2; 32]));

    assert_ne!(one.guest_commitment, other.guest_commitment);
}
