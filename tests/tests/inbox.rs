//! The consumers' inbox against the real ledger table (DynamoDB Local): duplicates and stale facts
//! have no second effect, facts are applied in version order (a later one waits for an earlier
//! one, sent again rather than failed, within a budget of its own), a failing message is the only
//! one reported, a copy in flight waits and a crashed claimant's lease lapses; facts that are no
//! `Event` are applied beside it.
use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use serde_json::Value;
use shared::ari_push::allotted::AllotmentFact;
use shared::events::{Event, ReceivedEvent};
use shared::inbox::{
    Claimed, Consumer, DynamoLedger, Effect, Inbox, Ledger, LedgerEntry, Order, Redelivery,
    SideFact, WAIT_ATTRIBUTE, WaitState, Waiting,
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

/// Records the messages sent again (with their wait and delay) and those asked to come back
/// early; cannot send while `broken`.
#[derive(Default)]
struct Waits {
    sent: Mutex<Vec<(String, WaitState, u64)>>,
    sooner: Mutex<Vec<(String, u64)>>,
    broken: bool,
}

impl Redelivery for Waits {
    async fn send_again(
        &self,
        message: &SqsMessage,
        wait: &WaitState,
        delay: std::time::Duration,
    ) -> anyhow::Result<()> {
        anyhow::ensure!(!self.broken, "SQS is down");
        let id = message.message_id.clone().unwrap_or_default();
        self.sent.lock().unwrap().push((id, *wait, delay.as_secs()));
        Ok(())
    }

    async fn retry_in(&self, message: &SqsMessage, delay: std::time::Duration) {
        let id = message.message_id.clone().unwrap_or_default();
        self.sooner.lock().unwrap().push((id, delay.as_secs()));
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

/// One message per body, received once; a copy sent again carries `wait`.
fn batch(bodies: &[&str], wait: Option<WaitState>) -> (SqsEvent, Vec<String>) {
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
        if let Some(wait) = wait {
            let mut attribute = aws_lambda_events::sqs::SqsMessageAttribute::default();
            attribute.data_type = Some("String".into());
            attribute.string_value = Some(serde_json::to_string(&wait).unwrap());
            message
                .message_attributes
                .insert(WAIT_ATTRIBUTE.into(), attribute);
        }
        event.records.push(message);
        ids.push(id);
    }
    (event, ids)
}

/// What a delivery reported: the failed messages' positions, and the waiting ones sent again.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    failed: Vec<usize>,
    waiting: Vec<usize>,
}

/// Also what was sent again (position, wait, delay), and which messages were asked back sooner
/// (position, delay).
struct Detail {
    outcome: Outcome,
    sent: Vec<(usize, WaitState, u64)>,
    sooner: Vec<(usize, u64)>,
}

async fn deliver(consumer: Consumer, probe: &Probe, bodies: &[&str]) -> Outcome {
    let outcome = deliver_with(consumer, probe, bodies, None, Waits::default()).await;
    for (_, wait, delay) in &outcome.sent {
        assert_eq!((wait.waits, *delay), (1, 1), "a first wait is one second");
    }
    outcome.outcome
}

async fn deliver_with(
    consumer: Consumer,
    probe: &Probe,
    bodies: &[&str],
    wait: Option<WaitState>,
    redelivery: Waits,
) -> Detail {
    let inbox = Inbox {
        ledger: ledger().await,
        redelivery,
        waiting: Waiting::default(),
    };
    let (event, ids) = batch(bodies, wait);
    let response = consumer.consume(&inbox, probe, event).await;
    let position = |id: &String| {
        ids.iter()
            .position(|i| i == id)
            .expect("a failure names a message of the batch")
    };
    let sent: Vec<(usize, WaitState, u64)> = inbox
        .redelivery
        .sent
        .into_inner()
        .unwrap()
        .iter()
        .map(|(id, wait, delay)| (position(id), *wait, *delay))
        .collect();
    Detail {
        outcome: Outcome {
            failed: response
                .batch_item_failures
                .iter()
                .map(|f| position(&f.item_identifier))
                .collect(),
            waiting: sent.iter().map(|(at, _, _)| *at).collect(),
        },
        sent,
        sooner: inbox
            .redelivery
            .sooner
            .into_inner()
            .unwrap()
            .iter()
            .map(|(id, delay)| (position(id), *delay))
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

    // Waiting is not failing: each is sent again and the original acknowledged, so the queue's
    // receive count (and maxReceiveCount) never sees it.
    let early = deliver(consumer, &probe, &[&confirmed, &cancelled]).await;
    assert_eq!(
        early,
        Outcome {
            failed: vec![],
            waiting: vec![0, 1]
        }
    );
    assert!(probe.applied().is_empty());

    assert_eq!(deliver(consumer, &probe, &[&held]).await, ok());
    // Redelivered in any order, in one batch, they still apply in version order.
    assert_eq!(
        deliver(consumer, &probe, &[&cancelled, &confirmed]).await,
        ok()
    );
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
            failed: vec![],
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

/// A wait that began `ago` with nothing of the aggregate applied, after `waits` waits.
fn waited(ago: std::time::Duration, waits: u32) -> WaitState {
    WaitState {
        since: (chrono::Utc::now() - chrono::Duration::from_std(ago).unwrap()).timestamp(),
        applied: None,
        stalls: waits - 1,
        waits,
    }
}

#[tokio::test]
async fn a_waiting_fact_carries_how_long_it_waited_and_backs_off_while_nothing_moves() {
    let (consumer, probe, booking) = (consumer(Order::InOrder), Probe::default(), Booking::new());
    let confirmed = booking.fact("BookingConfirmed", 2);
    let before = waited(std::time::Duration::from_secs(30), 3);

    let detail = deliver_with(
        consumer,
        &probe,
        &[&confirmed],
        Some(before),
        Waits::default(),
    )
    .await;

    assert_eq!(
        detail.sent,
        [(
            0,
            WaitState {
                stalls: 3,
                waits: 4,
                ..before
            },
            8
        )]
    );
    assert!(detail.outcome.failed.is_empty());
}

#[tokio::test]
async fn a_fact_that_waited_its_budget_while_nothing_moved_counts_as_failed_from_then_on() {
    let (consumer, probe, booking) = (consumer(Order::InOrder), Probe::default(), Booking::new());
    let confirmed = booking.fact("BookingConfirmed", 2);
    let budget = Waiting::default().budget;

    let detail = deliver_with(
        consumer,
        &probe,
        &[&confirmed],
        Some(waited(budget, 40)),
        Waits::default(),
    )
    .await;

    // Reported failed and not sent again: it comes back after the visibility timeout, and the
    // queue moves it to the dead-letter queue after maxReceiveCount of those.
    assert_eq!(
        detail.outcome,
        Outcome {
            failed: vec![0],
            waiting: vec![]
        }
    );
    assert!(detail.sooner.is_empty());
    assert!(probe.applied().is_empty());
}

#[tokio::test]
async fn a_fact_whose_aggregate_moved_on_while_it_waited_gets_its_budget_anew() {
    let (consumer, probe, booking) = (consumer(Order::InOrder), Probe::default(), Booking::new());
    let held = booking.fact("BookingHeld", 1);
    let cancelled = booking.fact("BookingCancelled", 3);
    assert_eq!(deliver(consumer, &probe, &[&held]).await, ok());
    let budget = Waiting::default().budget;

    let detail = deliver_with(
        consumer,
        &probe,
        &[&cancelled],
        Some(waited(budget, 40)),
        Waits::default(),
    )
    .await;

    assert!(detail.outcome.failed.is_empty(), "{:?}", detail.outcome);
    let [(0, wait, 1)] = detail.sent.as_slice() else {
        panic!("sent again once, after a second: {:?}", detail.sent);
    };
    assert_eq!((wait.applied, wait.stalls, wait.waits), (Some(1), 0, 41));
    assert!(chrono::Utc::now().timestamp() - wait.since < 60, "{wait:?}");
}

#[tokio::test]
async fn a_waiting_fact_that_cannot_be_sent_again_is_not_acknowledged_and_comes_back_as_a_failure_would()
 {
    let (consumer, probe, booking) = (consumer(Order::InOrder), Probe::default(), Booking::new());
    let confirmed = booking.fact("BookingConfirmed", 2);
    let broken = Waits {
        broken: true,
        ..Waits::default()
    };

    let detail = deliver_with(consumer, &probe, &[&confirmed], None, broken).await;

    assert_eq!(
        detail.outcome,
        Outcome {
            failed: vec![0],
            waiting: vec![]
        }
    );
    // Not after its one-second backoff: without a wait attribute every return would start the
    // backoff again and spend the queue's receives in seconds.
    assert_eq!(detail.sooner, [(0, 60)]);
}

#[tokio::test]
async fn a_waiting_fact_is_applied_right_after_its_predecessor_by_whoever_applies_that() {
    let (consumer, probe, booking) = (consumer(Order::InOrder), Probe::default(), Booking::new());
    let held = booking.fact("BookingHeld", 1);
    let confirmed = booking.fact("BookingConfirmed", 2);
    let cancelled = booking.fact("BookingCancelled", 3);
    assert_eq!(deliver(consumer, &probe, &[&cancelled]).await.waiting, [0]);
    assert_eq!(deliver(consumer, &probe, &[&confirmed]).await.waiting, [0]);

    // The delivery of the first fact applies the two parked after it; their copies in the queue
    // are dropped as done when they come back.
    assert_eq!(deliver(consumer, &probe, &[&held]).await, ok());
    assert_eq!(
        probe.applied(),
        [
            ("BookingHeld".to_owned(), 1),
            ("BookingConfirmed".to_owned(), 2),
            ("BookingCancelled".to_owned(), 3)
        ]
    );
    assert_eq!(
        deliver(consumer, &probe, &[&confirmed, &cancelled]).await,
        ok()
    );
    assert_eq!(probe.applied().len(), 3);
}

/// The sample `AllotmentChanged` with `allot`, as an SQS message body.
fn allotment(allot: i64) -> Value {
    let path = format!(
        "{}/../events/samples/AllotmentChanged.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut envelope: Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    envelope["id"] = Value::String(Uuid::new_v4().to_string());
    envelope["detail"]["allot"] = allot.into();
    envelope
}

#[tokio::test]
async fn side_facts_are_applied_beside_the_inbox_and_each_failure_is_reported_alone() {
    let (consumer, probe, booking) = (
        consumer(Order::LatestWins),
        Probe::default(),
        Booking::new(),
    );
    let held = booking.fact("BookingHeld", 1);
    let (good, failing) = (allotment(3).to_string(), allotment(9).to_string());
    let mut unreadable = allotment(3);
    unreadable["detail"]["night"] = "not a date".into();
    let unreadable = unreadable.to_string();
    let inbox = Inbox {
        ledger: ledger().await,
        redelivery: Waits::default(),
        waiting: Waiting::default(),
    };
    let side = SideFact {
        source: "reservations.channels",
        detail_type: "AllotmentChanged",
    };
    let seen = Mutex::new(Vec::new());
    let (event, ids) = batch(&[&good, &held, &failing, &unreadable], None);

    let response = consumer
        .consume_beside(&inbox, &probe, event, side, |fact: AllotmentFact| {
            let seen = &seen;
            async move {
                anyhow::ensure!(fact.allot != Some(9), "the downstream service is down");
                seen.lock().unwrap().push(fact.allot);
                Ok(())
            }
        })
        .await;

    let failed: Vec<usize> = response
        .batch_item_failures
        .iter()
        .filter_map(|f| ids.iter().position(|id| *id == f.item_identifier))
        .collect();
    assert_eq!(failed, [2, 3]);
    assert_eq!(*seen.lock().unwrap(), [Some(3)]);
    assert_eq!(probe.applied(), [("BookingHeld".to_owned(), 1)]);
}
