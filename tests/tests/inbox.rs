//! The consumers' inbox against the real ledger table (DynamoDB Local): duplicates and stale facts
//! have no second effect, facts are applied in version order (a later one waits for an earlier
//! one), a failing message is the only one reported, a copy in flight waits and a crashed
//! claimant's lease lapses.
use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use serde_json::Value;
use shared::events::{Event, ReceivedEvent};
use shared::inbox::{
    Claimed, Consumer, DynamoLedger, Effect, Inbox, Ledger, LedgerEntry, Order, Redelivery,
};
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

/// Records which messages were asked to come back early, and after how long.
#[derive(Default)]
struct Waits(Mutex<Vec<(String, u64)>>);

impl Redelivery for Waits {
    async fn retry_in(&self, message: &SqsMessage, delay: std::time::Duration) {
        let id = message.message_id.clone().unwrap_or_default();
        self.0.lock().unwrap().push((id, delay.as_secs()));
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

    /// The EventBridge envelope of `detail_type` at `version`, as an SQS message body; its
    /// predecessor was committed a minute ago.
    fn fact(&self, detail_type: &str, version: u64) -> String {
        let previous = (version > 1).then(|| chrono::Utc::now() - chrono::Duration::minutes(1));
        self.fact_after(detail_type, version, previous)
    }

    fn fact_after(
        &self,
        detail_type: &str,
        version: u64,
        previous: Option<chrono::DateTime<chrono::Utc>>,
    ) -> String {
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
        detail["previous_version_at"] = serde_json::to_value(previous).unwrap();
        // The fact's id is its aggregate and version, as the publisher derives it.
        detail["event_id"] =
            Value::String(Uuid::new_v5(&self.id, version.to_string().as_bytes()).to_string());
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
        message
            .attributes
            .insert("ApproximateReceiveCount".into(), "1".into());
        event.records.push(message);
        ids.push(id);
    }
    (event, ids)
}

/// What a delivery reported: the failed messages' positions, and those of them that wait.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    failed: Vec<usize>,
    waiting: Vec<usize>,
}

async fn deliver(consumer: Consumer, probe: &Probe, bodies: &[&str]) -> Outcome {
    let inbox = Inbox {
        ledger: ledger().await,
        redelivery: Waits::default(),
    };
    let (event, ids) = batch(bodies);
    let response = consumer.consume(&inbox, probe, event).await;
    let position = |id: &String| {
        ids.iter()
            .position(|i| i == id)
            .expect("a failure names a message of the batch")
    };
    Outcome {
        failed: response
            .batch_item_failures
            .iter()
            .map(|f| position(&f.item_identifier))
            .collect(),
        waiting: inbox
            .redelivery
            .0
            .into_inner()
            .unwrap()
            .iter()
            .map(|(id, delay)| {
                assert_eq!(*delay, 1, "a first wait is one second");
                position(id)
            })
            .collect(),
    }
}

fn ok() -> Outcome {
    Outcome {
        failed: vec![],
        waiting: vec![],
    }
}

#[tokio::test]
async fn a_duplicate_delivery_has_no_second_effect_in_the_same_batch_or_a_later_one() {
    for order in [Order::InOrder, Order::LatestWins] {
        let (consumer, probe, booking) = (consumer(order), Probe::default(), Booking::new());
        let held = booking.fact("BookingHeld", 1);

        assert_eq!(deliver(consumer, &probe, &[&held, &held]).await, ok());
        assert_eq!(deliver(consumer, &probe, &[&held]).await, ok());

        assert_eq!(
            probe.applied(),
            [("BookingHeld".to_owned(), 1)],
            "{order:?}"
        );
    }
}

#[tokio::test]
async fn in_order_a_fact_waits_for_the_one_before_it_and_both_apply_in_version_order() {
    let (consumer, probe, booking) = (consumer(Order::InOrder), Probe::default(), Booking::new());
    let held = booking.fact("BookingHeld", 1);
    let confirmed = booking.fact("BookingConfirmed", 2);
    let cancelled = booking.fact("BookingCancelled", 3);

    let early = deliver(consumer, &probe, &[&confirmed, &cancelled]).await;
    assert_eq!(
        early,
        Outcome {
            failed: vec![0, 1],
            waiting: vec![0, 1]
        }
    );
    assert!(probe.applied().is_empty());

    assert_eq!(deliver(consumer, &probe, &[&held]).await, ok());
    // Redelivered in any order, they still apply in version order.
    let again = deliver(consumer, &probe, &[&cancelled, &confirmed]).await;
    assert_eq!(
        again,
        Outcome {
            failed: vec![0],
            waiting: vec![0]
        }
    );
    assert_eq!(deliver(consumer, &probe, &[&cancelled]).await, ok());
    assert_eq!(
        probe.applied(),
        [
            ("BookingHeld".to_owned(), 1),
            ("BookingConfirmed".to_owned(), 2),
            ("BookingCancelled".to_owned(), 3)
        ]
    );
}

#[tokio::test]
async fn in_order_a_fact_whose_predecessor_is_long_past_goes_first_when_the_ledger_knows_nothing() {
    let (consumer, probe, booking) = (consumer(Order::InOrder), Probe::default(), Booking::new());
    let long_ago = chrono::Utc::now() - chrono::Duration::days(45);
    let checked_in = booking.fact_after("BookingCheckedIn", 4, Some(long_ago));
    let completed = booking.fact("BookingCompleted", 5);

    assert_eq!(
        deliver(consumer, &probe, &[&checked_in, &completed]).await,
        ok()
    );
    assert_eq!(
        probe.applied(),
        [
            ("BookingCheckedIn".to_owned(), 4),
            ("BookingCompleted".to_owned(), 5)
        ]
    );
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

    assert_eq!(deliver(consumer, &probe, &[&confirmed, &held]).await, ok());
    assert_eq!(deliver(consumer, &probe, &[&cancelled]).await, ok());

    assert_eq!(
        probe.applied(),
        [
            ("BookingConfirmed".to_owned(), 2),
            ("BookingCancelled".to_owned(), 3)
        ]
    );
}

#[tokio::test]
async fn a_failing_fact_is_reported_alone_and_applied_once_when_delivered_again() {
    let (consumer, probe, booking) = (
        consumer(Order::LatestWins),
        Probe::default(),
        Booking::new(),
    );
    let other = Booking::new();
    let held = booking.fact("BookingHeld", 1);
    let other_held = other.fact("BookingHeld", 1);
    let confirmed = booking.fact("BookingConfirmed", 2);
    probe.failing.lock().unwrap().insert(2);

    let outcome = deliver(consumer, &probe, &[&held, &confirmed, &other_held]).await;
    assert_eq!(
        outcome,
        Outcome {
            failed: vec![1],
            // A failure is not a wait: it comes back after the visibility timeout.
            waiting: vec![]
        }
    );

    probe.failing.lock().unwrap().clear();
    assert_eq!(deliver(consumer, &probe, &[&confirmed]).await, ok());
    assert_eq!(deliver(consumer, &probe, &[&confirmed]).await, ok());
    assert_eq!(
        probe.applied(),
        [
            ("BookingHeld".to_owned(), 1),
            ("BookingHeld".to_owned(), 1),
            ("BookingConfirmed".to_owned(), 2)
        ]
    );
}

#[tokio::test]
async fn a_message_that_is_not_an_event_fails_alone() {
    let (consumer, probe, booking) = (consumer(Order::InOrder), Probe::default(), Booking::new());
    let held = booking.fact("BookingHeld", 1);
    let mut unknown: Value = serde_json::from_str(&booking.fact("BookingHeld", 2)).unwrap();
    unknown["detail-type"] = "BookingTeleported".into();
    let unknown = unknown.to_string();

    let outcome = deliver(consumer, &probe, &["not json", &held, &unknown]).await;

    assert_eq!(
        outcome,
        Outcome {
            failed: vec![0, 2],
            waiting: vec![]
        }
    );
    assert_eq!(probe.applied(), [("BookingHeld".to_owned(), 1)]);
}

#[tokio::test]
async fn a_copy_arriving_while_another_is_applied_waits_and_a_lapsed_claim_is_taken_over() {
    let (consumer, probe, booking) = (consumer(Order::InOrder), Probe::default(), Booking::new());
    let held = booking.fact("BookingHeld", 1);
    let event: ReceivedEvent = serde_json::from_str(&held).unwrap();
    let entry = LedgerEntry::new(consumer.name, consumer.order, &event.event().unwrap());
    let ledger = ledger().await;
    let now = chrono::Utc::now();

    // Another copy claimed it and is still working on it.
    assert_eq!(ledger.claim(&entry, now).await.unwrap(), Claimed::Fresh);
    assert_eq!(
        deliver(consumer, &probe, &[&held]).await,
        Outcome {
            failed: vec![0],
            waiting: vec![0]
        }
    );
    assert!(probe.applied().is_empty());

    // That copy crashed: once its lease lapses the fact is ours, and done once.
    let later = now + chrono::Duration::seconds(61);
    assert_eq!(ledger.claim(&entry, later).await.unwrap(), Claimed::Fresh);
    ledger.complete(&entry, later).await.unwrap();
    assert_eq!(ledger.claim(&entry, later).await.unwrap(), Claimed::Done);
    assert_eq!(deliver(consumer, &probe, &[&held]).await, ok());
    assert!(probe.applied().is_empty());
}
