//! The outbox: the bookings, vendors, billing, accounts (channel accounts) and inventory (waitlist
//! entries) tables' DynamoDB streams carry every committed change, and the publisher turns each
//! into its typed event on the EventBridge bus. A write that did not
//! commit has no stream record, so it is never published; a committed one stays in the stream
//! (24 hours) until a batch containing it is published, so it is never lost.
//!
//! A batch is published in stream order. When an entry can't be put, the batch reports the
//! record it came from as failed: Lambda (or the local pump) checkpoints everything before it and
//! delivers it and everything after it again. What was already put goes out again then, with the
//! same event id, and consumers drop the copy. Every entry the bus accepted has its hold timer
//! armed before the batch answers, since the stream never hands a checkpointed record back.
use crate::config::{self, ConfigError};
use crate::events::{BookingEvent, Event, EventEntry};
use crate::store::StreamTables;
use crate::timer::{HoldDue, HoldTimer};
use anyhow::Context;
use aws_lambda_events::dynamodb::{Event as StreamEvent, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use chrono::{DateTime, Utc};
use std::future::Future;

/// PutEvents takes at most ten entries per call.
const PUT_EVENTS_MAX: usize = 10;
/// Entries EventBridge refuses (throttled, internal) are put again this often before the record
/// is handed back to the stream for a later retry.
const PUT_ATTEMPTS: u32 = 3;

pub trait EventBus: Send + Sync {
    /// Puts the entries in one call; for each entry in order, `None` when it was accepted or the
    /// reason it was not.
    fn put(
        &self,
        entries: &[EventEntry],
    ) -> impl Future<Output = anyhow::Result<Vec<Option<String>>>> + Send;
}

#[derive(Debug, Clone)]
pub struct EventBridgeBus {
    client: aws_sdk_eventbridge::Client,
    bus_name: String,
}

impl EventBridgeBus {
    pub fn new(client: aws_sdk_eventbridge::Client, bus_name: String) -> Self {
        Self { client, bus_name }
    }

    pub fn from_env(sdk: &crate::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(
            aws_sdk_eventbridge::Client::new(sdk),
            config::required("EVENT_BUS_NAME")?,
        ))
    }
}

impl EventBus for EventBridgeBus {
    async fn put(&self, entries: &[EventEntry]) -> anyhow::Result<Vec<Option<String>>> {
        let entries = entries
            .iter()
            .map(|entry| {
                PutEventsRequestEntry::builder()
                    .event_bus_name(&self.bus_name)
                    .source(entry.source)
                    .detail_type(entry.detail_type)
                    .detail(&entry.detail)
                    .time(aws_sdk_eventbridge::primitives::DateTime::from_millis(
                        entry.time.timestamp_millis(),
                    ))
                    .build()
            })
            .collect();
        let output = self
            .client
            .put_events()
            .set_entries(Some(entries))
            .send()
            .await
            .context("PutEvents")?;
        Ok(output
            .entries()
            .iter()
            .map(|result| {
                result
                    .error_code()
                    .map(|code| format!("{code}: {}", result.error_message().unwrap_or_default()))
            })
            .collect())
    }
}

/// One stream record's fact, with where it came from. A billing document, a channel account's or
/// a waitlist entry's change is published from its entry alone (`event` is `None`): it is not a
/// booking's or vendor's fact.
struct Pending {
    sequence_number: String,
    event: Option<Event>,
    event_id: String,
    aggregate_id: String,
    version: u64,
    entry: EventEntry,
}

/// Publishes a stream batch: every record's event on the bus, and for each new hold its expiry
/// timer (armed here, from the committed hold, so a hold can't miss it).
pub async fn publish(
    tables: &StreamTables,
    bus: &impl EventBus,
    timer: &impl HoldTimer,
    batch: StreamEvent,
    now: DateTime<Utc>,
) -> DynamoDbEventResponse {
    let mut pending = Vec::new();
    let mut unreadable = None;
    for record in &batch.records {
        match read(tables, record) {
            Ok(Some(item)) => pending.push(item),
            Ok(None) => {}
            Err(err) => {
                // Blocks the shard until fixed: skipping would lose the fact. The records before
                // it are published first, since reporting it checkpoints them.
                tracing::error!(sequence_number = %sequence(record), event_name = %record.event_name, error = %format!("{err:#}"), "stream record unreadable");
                unreadable = Some(sequence(record));
                break;
            }
        }
    }
    for chunk in pending.chunks(PUT_EVENTS_MAX) {
        let accepted = put_chunk(bus, chunk).await;
        // The first record not done, in stream order: refused, or accepted without its timer.
        let mut first_failed = None;
        for (item, accepted) in chunk.iter().zip(accepted) {
            if !accepted {
                first_failed.get_or_insert_with(|| item.sequence_number.clone());
                continue;
            }
            // Past a refused entry too: the stream hands this record back, but a second timer
            // only gives the hold-expiry function a second look, and no hold waits on that retry.
            let Some(event) = &item.event else {
                continue;
            };
            if let Err(err) = arm_hold_timer(timer, event, now).await {
                tracing::error!(event_id = %item.event_id, booking_id = %item.aggregate_id, error = %format!("{err:#}"), "hold expiry not scheduled; retrying the record");
                first_failed.get_or_insert_with(|| item.sequence_number.clone());
            }
        }
        if let Some(at) = first_failed {
            return failed_from(at);
        }
    }
    match unreadable {
        Some(at) => failed_from(at),
        None => DynamoDbEventResponse::default(),
    }
}

fn read(tables: &StreamTables, record: &EventRecord) -> anyhow::Result<Option<Pending>> {
    if tables.is_entry_table(record) {
        let Some(fact) = tables.entry_fact(record)? else {
            return Ok(None);
        };
        return Ok(Some(Pending {
            sequence_number: sequence(record),
            event: None,
            event_id: fact.event_id,
            aggregate_id: fact.aggregate_id,
            version: fact.version,
            entry: fact.entry,
        }));
    }
    let Some(event) = tables.event(record)? else {
        return Ok(None);
    };
    let entry = event.entry().context("serialising the event")?;
    Ok(Some(Pending {
        sequence_number: sequence(record),
        event_id: event.event_id().to_string(),
        aggregate_id: event.aggregate_id(),
        version: event.version(),
        event: Some(event),
        entry,
    }))
}

fn sequence(record: &EventRecord) -> String {
    record.change.sequence_number.clone().unwrap_or_default()
}

/// Puts a chunk, retrying the entries EventBridge refused; for each entry of the chunk, whether
/// the bus took it in the end.
async fn put_chunk(bus: &impl EventBus, chunk: &[Pending]) -> Vec<bool> {
    let mut accepted = vec![false; chunk.len()];
    let mut waiting: Vec<(usize, &Pending)> = chunk.iter().enumerate().collect();
    for attempt in 1..=PUT_ATTEMPTS {
        let entries: Vec<EventEntry> = waiting.iter().map(|(_, p)| p.entry.clone()).collect();
        match bus.put(&entries).await {
            Ok(results) => {
                let mut refused = Vec::new();
                for (index, &(at, item)) in waiting.iter().enumerate() {
                    match results.get(index) {
                        Some(None) => {
                            if let Some(taken) = accepted.get_mut(at) {
                                *taken = true;
                            }
                            tracing::info!(event_id = %item.event_id, aggregate_id = %item.aggregate_id, detail_type = item.entry.detail_type, version = item.version, "published");
                        }
                        Some(Some(reason)) => {
                            tracing::warn!(event_id = %item.event_id, aggregate_id = %item.aggregate_id, %reason, attempt, "entry refused");
                            refused.push((at, item));
                        }
                        // A result list shorter than the request: nothing proves it was put.
                        None => refused.push((at, item)),
                    }
                }
                waiting = refused;
            }
            Err(err) => {
                tracing::warn!(error = %format!("{err:#}"), attempt, entries = waiting.len(), "PutEvents failed");
            }
        }
        if waiting.is_empty() {
            break;
        }
        if attempt < PUT_ATTEMPTS {
            crate::store::jittered_pause(attempt).await;
        }
    }
    accepted
}

async fn arm_hold_timer(
    timer: &impl HoldTimer,
    event: &Event,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let Event::Booking(BookingEvent::Held(detail)) = event else {
        return Ok(());
    };
    let Some(expires_at) = detail.hold_expires_at else {
        return Ok(());
    };
    timer
        .expire_at(
            HoldDue {
                booking_id: detail.booking_id,
                expires_at,
            },
            now,
        )
        .await
}

/// Reports `sequence_number` as the first record not done: the stream delivers it and every
/// later record again.
fn failed_from(sequence_number: String) -> DynamoDbEventResponse {
    let mut failure = DynamoDbBatchItemFailure::default();
    failure.item_identifier = Some(sequence_number);
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = vec![failure];
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::booking::{Booking, BookingAction};
    use crate::events::fixtures::{hold, moved, next, vendor};
    use serde::Serialize;
    use std::sync::Mutex;

    const BOOKINGS: &str = "t-bookings";
    const VENDORS: &str = "t-vendors";
    const ACCOUNTS: &str = "t-accounts";
    const INVENTORY: &str = "t-inventory";

    fn tables() -> StreamTables {
        StreamTables {
            bookings: BOOKINGS.into(),
            vendors: VENDORS.into(),
            billing: None,
            accounts: Some(ACCOUNTS.into()),
            inventory: Some(INVENTORY.into()),
        }
    }

    fn image<T: Serialize>(value: Option<&T>, pk: &str, sk: &str) -> serde_dynamo::Item {
        let Some(value) = value else {
            return serde_dynamo::Item::default();
        };
        let mut item: serde_dynamo::Item = serde_dynamo::to_item(value).unwrap();
        item.insert("pk".into(), serde_dynamo::AttributeValue::S(pk.into()));
        item.insert("sk".into(), serde_dynamo::AttributeValue::S(sk.into()));
        item
    }

    /// A stream record as Lambda hands it over.
    fn record<T: Serialize>(
        table: &str,
        sk: &str,
        old: Option<&T>,
        new: Option<&T>,
        seq: u32,
    ) -> EventRecord {
        record_at(table, "KEY#1", sk, old, new, seq)
    }

    fn record_at<T: Serialize>(
        table: &str,
        pk: &str,
        sk: &str,
        old: Option<&T>,
        new: Option<&T>,
        seq: u32,
    ) -> EventRecord {
        let mut record = EventRecord::default();
        record.event_name = match (old, new) {
            (None, Some(_)) => "INSERT",
            (Some(_), Some(_)) => "MODIFY",
            _ => "REMOVE",
        }
        .into();
        record.event_source_arn = Some(format!(
            "arn:aws:dynamodb:us-east-1:000000000000:table/{table}/stream/2026-11-22T00:00:00.000"
        ));
        record.change.keys = image(Some(&serde_json::json!({})), pk, sk);
        record.change.old_image = image(old, pk, sk);
        record.change.new_image = image(new, pk, sk);
        record.change.sequence_number = Some(format!("{seq:06}"));
        record
    }

    fn booking_record(old: Option<&Booking>, new: &Booking, seq: u32) -> EventRecord {
        record(BOOKINGS, "BOOKING", old, Some(new), seq)
    }

    fn batch(records: Vec<EventRecord>) -> StreamEvent {
        let mut event = StreamEvent::default();
        event.records = records;
        event
    }

    /// Publishes `records` to a bus that takes every entry, with a timer that works.
    async fn publish_to_bus(records: Vec<EventRecord>) -> (DynamoDbEventResponse, Bus) {
        let bus = Bus::default();
        let response = publish(
            &tables(),
            &bus,
            &Timer::default(),
            batch(records),
            Utc::now(),
        )
        .await;
        (response, bus)
    }

    /// Records every call; refuses an entry while `refuse` says so (given the detail-type and
    /// how many times that detail-type was offered before).
    #[derive(Default)]
    struct Bus {
        calls: Mutex<Vec<Vec<String>>>,
        details: Mutex<Vec<String>>,
        refuse: Option<fn(&str, usize) -> bool>,
    }

    impl Bus {
        fn calls(&self) -> Vec<Vec<String>> {
            self.calls.lock().unwrap().clone()
        }

        fn put_types(&self) -> Vec<String> {
            self.calls().concat()
        }
    }

    impl EventBus for Bus {
        async fn put(&self, entries: &[EventEntry]) -> anyhow::Result<Vec<Option<String>>> {
            let mut calls = self.calls.lock().unwrap();
            let offered = calls.concat();
            let results = entries
                .iter()
                .map(|entry| {
                    let before = offered.iter().filter(|t| *t == entry.detail_type).count();
                    match self.refuse {
                        Some(refuse) if refuse(entry.detail_type, before) => {
                            Some("ThrottlingException: slow down".to_owned())
                        }
                        _ => None,
                    }
                })
                .collect();
            calls.push(entries.iter().map(|e| e.detail_type.to_owned()).collect());
            let mut details = self.details.lock().unwrap();
            details.extend(entries.iter().map(|e| e.detail.clone()));
            Ok(results)
        }
    }

    #[derive(Default)]
    struct Timer {
        armed: Mutex<Vec<HoldDue>>,
        broken: bool,
    }

    impl HoldTimer for Timer {
        async fn expire_at(&self, due: HoldDue, _now: DateTime<Utc>) -> anyhow::Result<()> {
            anyhow::ensure!(!self.broken, "SQS is down");
            self.armed.lock().unwrap().push(due);
            Ok(())
        }
    }

    fn failed_at(response: &DynamoDbEventResponse) -> Vec<Option<String>> {
        response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.clone())
            .collect()
    }

    #[tokio::test]
    async fn each_record_is_published_in_stream_order_and_only_a_new_hold_arms_its_timer() {
        let held = hold();
        let confirmed = moved(&held, BookingAction::Confirm);
        let onboarded = vendor();
        let counter = serde_json::json!({ "sold": 1 });
        let records = vec![
            booking_record(None, &held, 1),
            record(BOOKINGS, "N#2026-03-27", None, Some(&counter), 2),
            booking_record(Some(&held), &confirmed, 3),
            record(VENDORS, "PROFILE", None, Some(&onboarded), 4),
        ];
        let (bus, timer) = (Bus::default(), Timer::default());

        let response = publish(&tables(), &bus, &timer, batch(records), Utc::now()).await;

        assert_eq!(failed_at(&response), Vec::<Option<String>>::new());
        assert_eq!(
            bus.put_types(),
            ["BookingHeld", "BookingConfirmed", "VendorOnboarded"]
        );
        let armed = timer.armed.lock().unwrap().clone();
        assert_eq!(
            armed,
            [HoldDue {
                booking_id: held.id,
                expires_at: held.hold_expires_at.unwrap(),
            }]
        );
    }

    #[tokio::test]
    async fn a_billing_document_is_published_as_its_fact_and_the_bookkeeping_as_nothing() {
        use crate::domain::invoice::{DocumentNumber, InvoiceDraft};
        let mut booking = hold();
        booking.status = crate::domain::booking::BookingStatus::Completed;
        let invoice = InvoiceDraft::for_booking(&booking, &Default::default())
            .unwrap()
            .issue(DocumentNumber::FIRST, Utc::now());
        let doc = serde_json::json!({
            "kind": "invoice",
            "number": 1,
            "doc": serde_json::to_string(&invoice).unwrap(),
        });
        let sequence = serde_json::json!({ "last": 1 });
        let tables = StreamTables {
            billing: Some("t-billing".into()),
            ..tables()
        };
        let records = vec![
            record("t-billing", "SEQ", None, Some(&sequence), 1),
            record("t-billing", "DOC#000000000001", None, Some(&doc), 2),
            record("t-billing", "INVOICE", None, Some(&doc), 3),
        ];
        let (bus, timer) = (Bus::default(), Timer::default());

        let response = publish(&tables, &bus, &timer, batch(records), Utc::now()).await;

        assert_eq!(failed_at(&response), Vec::<Option<String>>::new());
        assert_eq!(bus.put_types(), ["InvoiceIssued"]);
        let detail = &details(&bus)[0];
        assert_eq!(detail["number"], 1);
        assert_eq!(detail["booking_id"], booking.id.to_string());
        assert_eq!(
            detail["event_id"],
            format!("invoice:{}:1", booking.vendor_id)
        );
        assert!(detail.get("lines").is_none(), "{detail}");
    }

    #[tokio::test]
    async fn a_counted_review_publishes_vendor_rated_and_the_review_item_itself_nothing() {
        let rating = |count: u64| crate::domain::review::Rating {
            vendor_id: vendor().id,
            stars_total: 4 * count,
            count,
            version: count,
            updated_at: Utc::now(),
        };
        let review = serde_json::json!({ "stars": 4 });
        let records = vec![
            record(
                VENDORS,
                "REVIEW#0195a1b2-0000-7000-8000-0000000000b1",
                None,
                Some(&review),
                1,
            ),
            record(VENDORS, "RATING", None, Some(&rating(1)), 2),
            record(VENDORS, "RATING", Some(&rating(1)), Some(&rating(2)), 3),
        ];
        let (response, bus) = publish_to_bus(records).await;

        assert!(response.batch_item_failures.is_empty());
        assert_eq!(bus.put_types(), ["VendorRated", "VendorRated"]);
    }

    #[tokio::test]
    async fn more_than_ten_facts_go_out_in_order_in_calls_of_at_most_ten() {
        let mut records = Vec::new();
        let mut booking = hold();
        records.push(booking_record(None, &booking, 0));
        for seq in 1..=22 {
            let changed = next(&booking, |b| b.units += 1);
            records.push(booking_record(Some(&booking), &changed, seq));
            booking = changed;
        }
        let (bus, timer) = (Bus::default(), Timer::default());

        let response = publish(&tables(), &bus, &timer, batch(records), Utc::now()).await;

        assert!(response.batch_item_failures.is_empty());
        let sizes: Vec<usize> = bus.calls().iter().map(Vec::len).collect();
        assert_eq!(sizes, [10, 10, 3]);
        assert_eq!(bus.put_types()[0], "BookingHeld");
        assert!(bus.put_types()[1..].iter().all(|t| t == "BookingUpdated"));
    }

    #[tokio::test]
    async fn an_entry_refused_once_is_put_again_alone_and_the_batch_succeeds() {
        let held = hold();
        let confirmed = moved(&held, BookingAction::Confirm);
        let records = vec![
            booking_record(None, &held, 1),
            booking_record(Some(&held), &confirmed, 2),
        ];
        let bus = Bus {
            refuse: Some(|detail_type, before| detail_type == "BookingConfirmed" && before == 0),
            ..Bus::default()
        };

        let response = publish(
            &tables(),
            &bus,
            &Timer::default(),
            batch(records),
            Utc::now(),
        )
        .await;

        assert!(response.batch_item_failures.is_empty());
        assert_eq!(
            bus.calls(),
            [
                vec!["BookingHeld".to_owned(), "BookingConfirmed".to_owned()],
                vec!["BookingConfirmed".to_owned()],
            ]
        );
    }

    #[tokio::test]
    async fn an_entry_refused_every_time_fails_the_batch_at_its_record_and_nothing_after_it_goes_out()
     {
        let mut records = Vec::new();
        let mut booking = hold();
        records.push(booking_record(None, &booking, 0));
        for seq in 1..=14 {
            let changed = if seq == 3 {
                moved(&booking, BookingAction::Confirm)
            } else {
                next(&booking, |b| b.units += 1)
            };
            records.push(booking_record(Some(&booking), &changed, seq));
            booking = changed;
        }
        let bus = Bus {
            refuse: Some(|detail_type, _| detail_type == "BookingConfirmed"),
            ..Bus::default()
        };

        let response = publish(
            &tables(),
            &bus,
            &Timer::default(),
            batch(records),
            Utc::now(),
        )
        .await;

        assert_eq!(failed_at(&response), [Some("000003".to_owned())]);
        // The first ten once, then the refused one alone until the attempts run out; the
        // second chunk never.
        let calls = bus.calls();
        assert_eq!(calls.len(), PUT_ATTEMPTS as usize);
        assert_eq!(calls[0].len(), 10);
        assert!(calls[1..].iter().all(|c| c == &["BookingConfirmed"]));
    }

    #[tokio::test]
    async fn a_refused_entry_fails_the_batch_at_its_record_and_every_accepted_hold_gets_its_timer()
    {
        let held = |id: &str| Booking {
            id: crate::domain::ids::BookingId::parse(id).unwrap(),
            ..hold()
        };
        let first = held("0195a1b2-0000-7000-8000-0000000000f1");
        let second = held("0195a1b2-0000-7000-8000-0000000000f2");
        let confirmed = moved(&hold(), BookingAction::Confirm);
        let records = vec![
            booking_record(None, &first, 1),
            booking_record(Some(&hold()), &confirmed, 2),
            booking_record(None, &second, 3),
        ];
        let bus = Bus {
            refuse: Some(|detail_type, _| detail_type == "BookingConfirmed"),
            ..Bus::default()
        };
        let timer = Timer::default();

        let response = publish(&tables(), &bus, &timer, batch(records), Utc::now()).await;

        // The stream checkpoints the first hold and hands back the refused record and the one
        // after it; the first hold's timer is armed now or never.
        assert_eq!(failed_at(&response), [Some("000002".to_owned())]);
        let armed: Vec<_> = timer
            .armed
            .lock()
            .unwrap()
            .iter()
            .map(|due| due.booking_id)
            .collect();
        assert_eq!(armed, [first.id, second.id]);
    }

    #[tokio::test]
    async fn an_unreadable_record_fails_the_batch_at_it_after_publishing_the_ones_before() {
        let held = hold();
        let broken = serde_json::json!({ "id": "not a booking" });
        let mut records = vec![booking_record(None, &held, 1)];
        records.push(record(BOOKINGS, "BOOKING", None, Some(&broken), 2));
        records.push(booking_record(
            Some(&held),
            &moved(&held, BookingAction::Confirm),
            3,
        ));
        let (response, bus) = publish_to_bus(records).await;

        assert_eq!(failed_at(&response), [Some("000002".to_owned())]);
        assert_eq!(bus.put_types(), ["BookingHeld"]);
    }

    /// The details the bus took, as JSON.
    fn details(bus: &Bus) -> Vec<serde_json::Value> {
        bus.details
            .lock()
            .unwrap()
            .iter()
            .map(|d| serde_json::from_str(d).unwrap())
            .collect()
    }

    fn channel_record(
        old: Option<&crate::channels::ChannelAccount>,
        new: Option<&crate::channels::ChannelAccount>,
        seq: u32,
    ) -> EventRecord {
        let id = new.or(old).unwrap().id;
        record_at(ACCOUNTS, &format!("CHANNEL#{id}"), "ACCOUNT", old, new, seq)
    }

    #[tokio::test]
    async fn a_channels_connection_rotation_and_disconnection_are_published_as_their_facts() {
        use crate::channels::{ChannelAccount, ChannelKind};
        let now = Utc::now();
        let connected = ChannelAccount::connect(
            crate::domain::ids::VendorId::generate(),
            ChannelKind::Ota,
            crate::domain::text::Title::parse("Booking site").unwrap(),
            None,
            "$argon2id$first".into(),
            now,
        );
        let rotated = connected.rotated("$argon2id$second".into(), now);
        let gone = rotated.disconnected(now);
        let records = vec![
            channel_record(None, Some(&connected), 1),
            channel_record(Some(&connected), Some(&rotated), 2),
            channel_record(Some(&rotated), Some(&gone), 3),
        ];
        let (response, bus) = publish_to_bus(records).await;

        assert!(response.batch_item_failures.is_empty());
        assert_eq!(
            bus.put_types(),
            [
                "ChannelConnected",
                "ChannelSecretRotated",
                "ChannelDisconnected"
            ]
        );
        let ids: Vec<_> = details(&bus)
            .iter()
            .map(|d| d["event_id"].as_str().unwrap().to_owned())
            .collect();
        let id = connected.id;
        assert_eq!(ids, [1, 2, 3].map(|v| format!("channel:{id}:{v}")).to_vec());
        assert!(
            details(&bus)
                .iter()
                .all(|d| !d.to_string().contains("argon2")),
            "no hash in a fact"
        );
    }

    fn waiting_entry() -> crate::waitlist::Entry {
        let now: DateTime<Utc> = "2027-03-01T10:00:00Z".parse().unwrap();
        crate::waitlist::Entry {
            id: crate::waitlist::EntryId::generate(),
            vendor_id: crate::domain::ids::VendorId::generate(),
            resource_id: crate::domain::ids::ResourceId::generate(),
            guest_id: crate::domain::ids::UserId::generate(),
            party_size: crate::domain::party::PartySize::new(2).unwrap(),
            units: 1,
            time: crate::domain::booking::BookingTime::Stay {
                check_in: "2027-03-20".parse().unwrap(),
                check_out: "2027-03-21".parse().unwrap(),
            },
            time_zone: crate::domain::vendor::TimeZone::parse("Europe/Berlin").unwrap(),
            status: crate::waitlist::EntryStatus::Waiting,
            booking_id: None,
            hold_expires_at: None,
            joined_at: now,
            updated_at: now,
            arrives_at: "2027-03-20T14:00:00Z".parse().unwrap(),
            version: 1,
        }
    }

    /// The entry moved on to `status`, as the waitlist writes it.
    fn entry_moved(
        entry: &crate::waitlist::Entry,
        status: crate::waitlist::EntryStatus,
    ) -> crate::waitlist::Entry {
        let mut next = entry.clone();
        next.status = status;
        next.version += 1;
        next.updated_at += chrono::Duration::minutes(1);
        next
    }

    /// An entry's item as `DynamoWaitlist` writes it.
    fn entry_item(entry: &crate::waitlist::Entry) -> serde_json::Value {
        serde_json::json!({
            "entry": serde_json::to_string(entry).unwrap(),
            "status": serde_json::to_value(entry.status).unwrap(),
            "version": entry.version,
        })
    }

    fn entry_record(
        old: Option<&crate::waitlist::Entry>,
        new: Option<&crate::waitlist::Entry>,
        seq: u32,
    ) -> EventRecord {
        let entry = new.or(old).unwrap();
        record_at(
            INVENTORY,
            &format!("WAITLIST#{}#{}", entry.vendor_id, entry.resource_id),
            &format!("ENTRY#{}", entry.id),
            old.map(entry_item).as_ref(),
            new.map(entry_item).as_ref(),
            seq,
        )
    }

    #[tokio::test]
    async fn a_waitlist_entrys_join_offer_lapse_and_leave_are_published_as_their_facts() {
        use crate::waitlist::EntryStatus::{Booked, Lapsed, Offered};
        let joined = waiting_entry();
        let offered = entry_moved(&joined, Offered);
        let lapsed = entry_moved(&offered, Lapsed);
        let other = waiting_entry();
        let booked_at_once = entry_moved(&other, Booked);
        let leaving = waiting_entry();
        let mut left = entry_record(Some(&leaving), None, 6);
        let left_at: DateTime<Utc> = "2027-03-02T08:00:00Z".parse().unwrap();
        left.change.approximate_creation_date_time = left_at;
        let records = vec![
            entry_record(None, Some(&joined), 1),
            entry_record(Some(&joined), Some(&offered), 2),
            entry_record(Some(&offered), Some(&lapsed), 3),
            entry_record(None, Some(&other), 4),
            entry_record(Some(&other), Some(&booked_at_once), 5),
            left,
        ];
        let (response, bus) = publish_to_bus(records).await;

        assert!(response.batch_item_failures.is_empty());
        assert_eq!(
            bus.put_types(),
            [
                "WaitlistJoined",
                "WaitlistOffered",
                "WaitlistLapsed",
                "WaitlistJoined",
                "WaitlistOffered",
                "WaitlistLeft"
            ]
        );
        let details = details(&bus);
        let id = joined.id;
        assert_eq!(details[0]["event_id"], format!("waitlist:{id}:1"));
        assert_eq!(details[2]["event_id"], format!("waitlist:{id}:3"));
        assert_eq!(details[2]["status"], "lapsed");
        assert_eq!(details[4]["status"], "booked");
        assert_eq!(
            details[5]["event_id"],
            format!("waitlist:{}:2", leaving.id),
            "leaving is the entry's next version"
        );
        assert_eq!(
            details[5]["occurred_at"]
                .as_str()
                .unwrap()
                .parse::<DateTime<Utc>>()
                .unwrap(),
            left_at
        );
    }

    #[tokio::test]
    async fn other_items_of_the_accounts_and_inventory_tables_publish_nothing() {
        use crate::waitlist::EntryStatus::{Booked, Offered};
        let offered = entry_moved(&waiting_entry(), Offered);
        let booked = entry_moved(&offered, Booked);
        let mut expired = entry_record(Some(&booked), None, 5);
        let mut by_ttl = aws_lambda_events::dynamodb::UserIdentity::default();
        by_ttl.type_ = "Service".into();
        by_ttl.principal_id = "dynamodb.amazonaws.com".into();
        expired.user_identity = Some(by_ttl);
        let attempts = serde_json::json!({ "attempts": 1, "expires_at": 1_900_000_000 });
        let guest = crate::domain::ids::UserId::generate();
        let records = vec![
            record_at(
                ACCOUNTS,
                &format!("USER#{guest}"),
                "PROFILE",
                None,
                Some(&attempts),
                1,
            ),
            record_at(
                ACCOUNTS,
                "CHANNEL#0195a1b2-0000-7000-8000-0000000000c1",
                "ATTEMPTS",
                None,
                Some(&attempts),
                2,
            ),
            record_at(
                INVENTORY,
                "INV#v#r",
                "N#2027-03-20",
                None,
                Some(&serde_json::json!({ "sold": 1 })),
                3,
            ),
            record_at(
                INVENTORY,
                &format!("WAITGUEST#{}", offered.guest_id),
                &format!("ENTRY#{}", offered.id),
                None,
                Some(&serde_json::json!({ "entry_id": offered.id.to_string() })),
                4,
            ),
            entry_record(Some(&offered), Some(&booked), 6),
            expired,
        ];
        let (response, bus) = publish_to_bus(records).await;

        assert!(response.batch_item_failures.is_empty(), "{response:?}");
        assert!(bus.calls().is_empty(), "{:?}", bus.calls());
    }

    #[tokio::test]
    async fn a_record_of_a_table_that_is_not_published_fails_rather_than_vanishing() {
        let records = vec![record(
            "t-audit",
            "PROFILE",
            None,
            Some(&serde_json::json!({})),
            7,
        )];
        let (response, bus) = publish_to_bus(records).await;

        assert_eq!(failed_at(&response), [Some("000007".to_owned())]);
        assert!(bus.calls().is_empty());
    }

    #[tokio::test]
    async fn a_hold_whose_timer_cannot_be_armed_is_delivered_again() {
        let held = hold();
        let timer = Timer {
            broken: true,
            ..Timer::default()
        };

        let response = publish(
            &tables(),
            &Bus::default(),
            &timer,
            batch(vec![booking_record(None, &held, 5)]),
            Utc::now(),
        )
        .await;

        assert_eq!(failed_at(&response), [Some("000005".to_owned())]);
    }
}
