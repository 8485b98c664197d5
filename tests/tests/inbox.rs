//! The consumers' inbox against the real ledger table (DynamoDB Local): duplicates and stale facts
//! have no second effect, a failing message is the only one reported, a copy in flight waits and
//! a crashed claimant's lease lapses.
use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use serde_json::Value;
use shared::events::{Event, ReceivedEvent};
use shared::inbox::{Claimed, Consumer, DynamoLedger, Effect, Ledger, LedgerEntry, Order};
use std::collections::HashSet;
use std::sync::Mutex;
use uuid::Uuid;

/// Records what it applied as (detail-type, version); fails the versions in `failing`.
#[derive(Default)]
struct Probe {
    applied: Mutex<Vec<(String, u64)>>,
    failing: Mutex<HashSet<u64>>,
}

impl Probe {
    fn applied(&self) -> Vec<(String, u64)> {
        self.applied.lock().unwrap().clone()
    }
}

impl Effect for Probe {
    async fn apply(&self, event: &Event, _received: &ReceivedEvent) -> anyhow::Result<()> {
        anyhow::ensure!(
            !self.failing.lock().unwrap().contains(&event.version()),
            "the downstream service is down"
        );
        self.applied
            .lock()
            .unwrap()
            .push((event.detail_type().to_owned(), event.version()));
        Ok(())
    }
}

async fn ledger() -> DynamoLedger {
    let sdk = shared::aws::sdk_config().await;
    DynamoLedger::from_env(&sdk).expect("LEDGER_TABLE is set: run with the local stack's env")
}

/// A consumer of its own, so tests never share ledger entries.
fn consumer(order: Order) -> Consumer {
    let name = format!("test-{}", Uuid::new_v4().simple());
    Consumer {
        name: Box::leak(name.into_boxed_str()),
        order,
    }
}

/// A booking's facts, from the samples in events/, for one new booking.
struct Booking {
    id: Uuid,
}

impl Booking {
    fn new() -> Self {
        Self { id: Uuid::now_v7() }
    }

    /// The EventBridge envelope of `detail_type` at `version`, as an SQS message body.
    fn fact(&self, detail_type: &str, version: u64) -> String {
        let path = format!(
            "{}/../events/samples/{detail_type}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let mut envelope: Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        envelope["id"] = Value::String(Uuid::new_v4().to_string());
        let detail = &mut envelope["detail"];
        detail["booking_id"] = Value::String(self.id.to_string());
        detail["version"] = version.into();
        // The fact's id is its aggregate and version, as the publisher derives it.
        detail["event_id"] = Value::String(
            Uuid::new_v5(&self.id, version.to_string().as_bytes()).to_string(),
        );
        envelope.to_string()
    }
}

fn batch(bodies: &[&str]) -> (SqsEvent, Vec<String>) {
    let mut event = SqsEvent::default();
    let mut ids = Vec::new();
    for body in bodies {
        let id = Uuid::new_v4().to_string();
        let mut message = SqsMessage::default();
        message.message_id = Some(id.clone());
        message.body = Some((*body).to_owned());
        event.records.push(message);
        ids.push(id);
    }
    (event, ids)
}

async fn deliver(consumer: Consumer, probe: &Probe, bodies: &[&str]) -> Vec<usize> {
    let ledger = ledger().await;
    let (event, ids) = batch(bodies);
    let response = consumer.consume(&ledger, probe, event).await;
    response
        .batch_item_failures
        .iter()
        .map(|f| {
            ids.iter()
                .position(|id| *id == f.item_identifier)
                .expect("a failure names a message of the batch")
        })
        .collect()
}

#[tokio::test]
async fn a_duplicate_delivery_has_no_second_effect_in_the_same_batch_or_a_later_one() {
    for order in [Order::EachOnce, Order::LatestWins] {
        let (consumer, probe, booking) = (consumer(order), Probe::default(), Booking::new());
        let held = booking.fact("BookingHeld", 1);

        assert_eq!(
            deliver(consumer, &probe, &[&held, &held]).await,
            Vec::<usize>::new()
        );
        assert_eq!(deliver(consumer, &probe, &[&held]).await, Vec::<usize>::new());

        assert_eq!(probe.applied(), [("BookingHeld".to_owned(), 1)], "{order:?}");
    }
}

#[tokio::test]
async fn latest_wins_drops_a_fact_older_than_the_last_one_applied() {
    let (consumer, probe, booking) = (
        consumer(Order::LatestWins),
        Probe::default(),
        Booking::new(),
    );
    let held = booking.fact("BookingHeld", 1);
    let confirmed = booking.fact("BookingConfirmed", 2);
    let cancelled = booking.fact("BookingCancelled", 3);

    deliver(consumer, &probe, &[&confirmed, &held]).await;
    deliver(consumer, &probe, &[&cancelled]).await;

    assert_eq!(
        probe.applied(),
        [
            ("BookingConfirmed".to_owned(), 2),
            ("BookingCancelled".to_owned(), 3)
        ]
    );
}

#[tokio::test]
async fn each_once_applies_every_fact_whatever_order_it_arrives_in() {
    let (consumer, probe, booking) = (consumer(Order::EachOnce), Probe::default(), Booking::new());
    let held = booking.fact("BookingHeld", 1);
    let confirmed = booking.fact("BookingConfirmed", 2);

    deliver(consumer, &probe, &[&confirmed, &held, &confirmed]).await;

    assert_eq!(
        probe.applied(),
        [
            ("BookingConfirmed".to_owned(), 2),
            ("BookingHeld".to_owned(), 1)
        ]
    );
}

#[tokio::test]
async fn a_failing_fact_is_the_only_message_reported_and_is_applied_once_when_delivered_again() {
    let (consumer, probe, booking) = (consumer(Order::EachOnce), Probe::default(), Booking::new());
    let held = booking.fact("BookingHeld", 1);
    let confirmed = booking.fact("BookingConfirmed", 2);
    let cancelled = booking.fact("BookingCancelled", 3);
    probe.failing.lock().unwrap().insert(2);

    let failed = deliver(consumer, &probe, &[&held, &confirmed, &cancelled]).await;
    assert_eq!(failed, [1]);

    probe.failing.lock().unwrap().clear();
    let failed = deliver(consumer, &probe, &[&confirmed]).await;
    assert_eq!(failed, Vec::<usize>::new());
    assert_eq!(
        probe.applied(),
        [
            ("BookingHeld".to_owned(), 1),
            ("BookingCancelled".to_owned(), 3),
            ("BookingConfirmed".to_owned(), 2)
        ]
    );
}

#[tokio::test]
async fn a_message_that_is_not_an_event_fails_alone() {
    let (consumer, probe, booking) = (consumer(Order::EachOnce), Probe::default(), Booking::new());
    let held = booking.fact("BookingHeld", 1);
    let mut unknown: Value = serde_json::from_str(&booking.fact("BookingHeld", 2)).unwrap();
    unknown["detail-type"] = "BookingTeleported".into();
    let unknown = unknown.to_string();

    let failed = deliver(consumer, &probe, &["not json", &held, &unknown]).await;

    assert_eq!(failed, [0, 2]);
    assert_eq!(probe.applied(), [("BookingHeld".to_owned(), 1)]);
}

#[tokio::test]
async fn a_copy_arriving_while_another_is_applied_waits_and_a_lapsed_claim_is_taken_over() {
    let (consumer, probe, booking) = (consumer(Order::EachOnce), Probe::default(), Booking::new());
    let held = booking.fact("BookingHeld", 1);
    let event: ReceivedEvent = serde_json::from_str(&held).unwrap();
    let entry = LedgerEntry::new(consumer.name, consumer.order, &event.event().unwrap());
    let ledger = ledger().await;
    let now = chrono::Utc::now();

    // Another copy claimed it and is still working on it.
    assert_eq!(ledger.claim(&entry, now).await.unwrap(), Claimed::Fresh);
    assert_eq!(deliver(consumer, &probe, &[&held]).await, [0]);
    assert!(probe.applied().is_empty());

    // That copy crashed: once its lease lapses the fact is ours, and done once.
    let later = now + chrono::Duration::seconds(61);
    assert_eq!(ledger.claim(&entry, later).await.unwrap(), Claimed::Fresh);
    ledger.complete(&entry, later).await.unwrap();
    assert_eq!(ledger.claim(&entry, later).await.unwrap(), Claimed::Done);
    assert_eq!(deliver(consumer, &probe, &[&held]).await, Vec::<usize>::new());
    assert!(probe.applied().is_empty());
}
