//! The local DynamoDB Streams event source mapping against DynamoDB Local: what a stream function
//! receives, and how reported failures, errors and crashes are delivered again. Each test reads
//! the stream of its own table.
use aws_lambda_events::dynamodb::{Event, EventRecord, StreamViewType as EventViewType};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, StreamSpecification, StreamViewType,
};
use local_gateway::stream::{
    StartingPosition, StreamConsumer, StreamReader, aws_sdk_dynamodbstreams,
};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// Generous: the wait for a batch that must come, never a claim about speed.
const WAIT: Duration = Duration::from_secs(30);
/// How long nothing more must arrive once everything has been processed: several polls and
/// retry backoffs.
const QUIET: Duration = Duration::from_millis(2500);

type Respond =
    dyn Fn(&Event, usize) -> Result<DynamoDbEventResponse, lambda_http::Error> + Send + Sync;

struct StreamTable {
    dynamodb: aws_sdk_dynamodb::Client,
    streams: aws_sdk_dynamodbstreams::Client,
    name: String,
    stream_arn: String,
}

impl StreamTable {
    async fn create() -> Self {
        std::env::var("AWS_ENDPOINT_URL_DYNAMODB_STREAMS")
            .expect("run via tests/run.sh, or eval \"$(localstack/local.sh env)\" first");
        // The mapping's logs show in a failing test's output.
        shared::telemetry::init();
        let sdk = shared::aws::sdk_config().await;
        let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
        let name = format!("stream-pump-{}", uuid::Uuid::new_v4());
        let created = dynamodb
            .create_table()
            .table_name(&name)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("pk")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("pk")
                    .key_type(KeyType::Hash)
                    .build()
                    .unwrap(),
            )
            .billing_mode(BillingMode::PayPerRequest)
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewAndOldImages)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let stream_arn = created
            .table_description()
            .and_then(|t| t.latest_stream_arn())
            .expect("the table has a stream")
            .to_owned();
        Self {
            dynamodb,
            streams: aws_sdk_dynamodbstreams::Client::new(&sdk),
            name,
            stream_arn,
        }
    }

    async fn open(&self) -> StreamReader {
        let reader = StreamReader::open(self.streams.clone(), &self.name, StartingPosition::Latest)
            .await
            .unwrap();
        assert_eq!(reader.stream_arn(), self.stream_arn);
        reader
    }

    async fn put(&self, item: &[(&str, AttributeValue)]) {
        self.dynamodb
            .put_item()
            .table_name(&self.name)
            .set_item(Some(
                item.iter()
                    .map(|(name, value)| ((*name).to_owned(), value.clone()))
                    .collect(),
            ))
            .send()
            .await
            .unwrap();
    }

    async fn put_numbered(&self, count: usize) {
        for n in 1..=count {
            self.put(&[("pk", s(&format!("r{n}")))]).await;
        }
    }

    async fn delete(self) {
        self.dynamodb
            .delete_table()
            .table_name(&self.name)
            .send()
            .await
            .unwrap();
    }
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

/// A stream function that reports every batch it is given on the returned channel (before it
/// answers), then answers with `respond(batch, call number from 0)`.
fn recording(
    respond: impl Fn(&Event, usize) -> Result<DynamoDbEventResponse, lambda_http::Error>
    + Send
    + Sync
    + 'static,
) -> (StreamConsumer, mpsc::UnboundedReceiver<Event>) {
    let (sent, received) = mpsc::unbounded_channel();
    let respond: Arc<Respond> = Arc::new(respond);
    let calls = Arc::new(AtomicUsize::new(0));
    let consumer: StreamConsumer = Arc::new(move |event: Event| {
        let (sent, respond, calls) = (sent.clone(), respond.clone(), calls.clone());
        Box::pin(async move {
            let call = calls.fetch_add(1, Ordering::SeqCst);
            let _ = sent.send(event.clone());
            respond(&event, call)
        })
    });
    (consumer, received)
}

fn all_processed() -> Result<DynamoDbEventResponse, lambda_http::Error> {
    Ok(DynamoDbEventResponse::default())
}

async fn next_batch(batches: &mut mpsc::UnboundedReceiver<Event>, what: &str) -> Event {
    match tokio::time::timeout(WAIT, batches.recv()).await {
        Ok(Some(event)) => event,
        Ok(None) => panic!("the stream reader stopped while waiting for {what}"),
        Err(_) => panic!("no batch within {WAIT:?} while waiting for {what}"),
    }
}

async fn assert_nothing_more(batches: &mut mpsc::UnboundedReceiver<Event>) {
    if let Ok(Some(event)) = tokio::time::timeout(QUIET, batches.recv()).await {
        panic!(
            "nothing more should have been delivered, got {:?}",
            keys(&event)
        );
    }
}

/// The `pk` of each record of a batch, in order.
fn keys(event: &Event) -> Vec<String> {
    event
        .records
        .iter()
        .map(|record| {
            json_of(&record.change.keys)["pk"]["S"]
                .as_str()
                .unwrap_or("<no pk>")
                .to_owned()
        })
        .collect()
}

fn sequence_numbers(records: &[EventRecord]) -> Vec<String> {
    records
        .iter()
        .map(|record| record.change.sequence_number.clone().unwrap())
        .collect()
}

fn json_of(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap()
}

fn deliveries(batches: &[Event]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for batch in batches {
        for key in keys(batch) {
            *counts.entry(key).or_default() += 1;
        }
    }
    counts
}

fn counts(expected: &[(&str, usize)]) -> HashMap<String, usize> {
    expected
        .iter()
        .map(|(key, count)| ((*key).to_owned(), *count))
        .collect()
}

#[tokio::test]
async fn a_stream_function_receives_each_change_after_the_mapping_starts_in_order() {
    let table = StreamTable::create().await;
    table
        .put(&[("pk", s("before")), ("note", s("written before open"))])
        .await;
    let reader = table.open().await;
    let (consumer, mut batches) = recording(|_, _| all_processed());
    let mapping = tokio::spawn(reader.run("stream-test".into(), consumer));

    table
        .put(&[
            ("pk", s("booking#1")),
            ("guest", s("Ada")),
            ("nights", AttributeValue::N("2".into())),
            ("tags", AttributeValue::Ss(vec!["quiet".into()])),
        ])
        .await;
    table
        .dynamodb
        .update_item()
        .table_name(&table.name)
        .key("pk", s("booking#1"))
        .update_expression("SET guest = :guest, nights = :nights")
        .expression_attribute_values(":guest", s("Grace"))
        .expression_attribute_values(":nights", AttributeValue::N("3".into()))
        .send()
        .await
        .unwrap();
    table
        .dynamodb
        .delete_item()
        .table_name(&table.name)
        .key("pk", s("booking#1"))
        .send()
        .await
        .unwrap();

    let mut records = Vec::new();
    while records.len() < 3 {
        let batch = next_batch(&mut batches, "the insert, modify and remove").await;
        assert!(
            !batch.records.is_empty(),
            "Lambda never sends an empty batch"
        );
        records.extend(batch.records);
    }
    assert_nothing_more(&mut batches).await;
    mapping.abort();

    let names: Vec<&str> = records.iter().map(|r| r.event_name.as_str()).collect();
    assert_eq!(
        names,
        ["INSERT", "MODIFY", "REMOVE"],
        "the record written before open is not delivered, the rest in order"
    );
    let first = json!({
        "pk": { "S": "booking#1" },
        "guest": { "S": "Ada" },
        "nights": { "N": "2" },
        "tags": { "SS": ["quiet"] },
    });
    let second = json!({
        "pk": { "S": "booking#1" },
        "guest": { "S": "Grace" },
        "nights": { "N": "3" },
        "tags": { "SS": ["quiet"] },
    });
    let images: Vec<(Value, Value)> = records
        .iter()
        .map(|r| (json_of(&r.change.old_image), json_of(&r.change.new_image)))
        .collect();
    assert_eq!(
        images,
        [
            (json!({}), first.clone()),
            (first, second.clone()),
            (second, json!({})),
        ],
        "(OldImage, NewImage) of the insert, modify and remove"
    );

    let sequence = sequence_numbers(&records);
    let as_number = |s: &String| s.parse::<u128>().unwrap();
    assert!(
        sequence
            .windows(2)
            .all(|w| as_number(&w[0]) < as_number(&w[1])),
        "sequence numbers increase: {sequence:?}"
    );
    let now = chrono::Utc::now();
    for record in &records {
        assert_eq!(
            json_of(&record.change.keys),
            json!({ "pk": { "S": "booking#1" } })
        );
        assert_eq!(record.event_source.as_deref(), Some("aws:dynamodb"));
        assert_eq!(record.event_version.as_deref(), Some("1.1"));
        assert_eq!(
            record.event_source_arn.as_deref(),
            Some(table.stream_arn.as_str())
        );
        assert_eq!(
            Some(record.aws_region.as_str()),
            std::env::var("AWS_REGION").ok().as_deref()
        );
        assert!(!record.event_id.is_empty());
        assert!(record.change.size_bytes > 0);
        assert_eq!(
            record.change.stream_view_type,
            Some(EventViewType::NewAndOldImages)
        );
        // Streams round the creation time down to the minute.
        let age = now - record.change.approximate_creation_date_time;
        assert!(
            age >= chrono::Duration::seconds(-5) && age <= chrono::Duration::minutes(5),
            "ApproximateCreationDateTime {} is not about now ({now})",
            record.change.approximate_creation_date_time
        );
    }
    table.delete().await;
}

/// DynamoDB Local numbers stream records across all tables, and calls an iterator taken on an
/// empty shard "trimmed" once other tables' writes have moved the numbers on.
#[tokio::test]
async fn a_write_to_an_empty_table_is_delivered_after_other_tables_were_written() {
    let table = StreamTable::create().await;
    let other = StreamTable::create().await;
    let reader = table.open().await;
    let (consumer, mut batches) = recording(|_, _| all_processed());
    let mapping = tokio::spawn(reader.run("stream-test".into(), consumer));

    other.put_numbered(2).await;
    table.put(&[("pk", s("first"))]).await;
    let batch = next_batch(&mut batches, "the first write to the table").await;
    assert_nothing_more(&mut batches).await;
    mapping.abort();

    assert_eq!(keys(&batch), ["first"]);
    table.delete().await;
    other.delete().await;
}

#[tokio::test]
async fn a_reported_failure_redelivers_from_the_failed_record_not_before_it() {
    let table = StreamTable::create().await;
    let reader = table.open().await;
    // Written before the mapping polls, so that the first batch holds all three.
    table.put_numbered(3).await;
    let (consumer, mut batches) = recording(|event, call| {
        let mut response = DynamoDbEventResponse::default();
        if call == 0 {
            let failed = event
                .records
                .iter()
                .find(|r| json_of(&r.change.keys)["pk"]["S"] == "r2")
                .and_then(|r| r.change.sequence_number.clone());
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = failed;
            response.batch_item_failures.push(failure);
        }
        Ok(response)
    });
    let mapping = tokio::spawn(reader.run("stream-test".into(), consumer));

    let first = next_batch(&mut batches, "the first batch").await;
    let second = next_batch(&mut batches, "the failed record again").await;
    assert_nothing_more(&mut batches).await;
    mapping.abort();

    assert_eq!(keys(&first), ["r1", "r2", "r3"]);
    assert_eq!(
        keys(&second),
        ["r2", "r3"],
        "the failed record and those after it come again; the one before was checkpointed"
    );
    assert_eq!(
        sequence_numbers(&second.records),
        sequence_numbers(&first.records[1..])
    );
    assert_eq!(
        deliveries(&[first, second]),
        counts(&[("r1", 1), ("r2", 2), ("r3", 2)])
    );
    table.delete().await;
}

/// A function that fails its first call as `fail` does gets the very same batch again, and
/// nothing more once it has processed it.
async fn a_failed_call_gets_the_same_batch_again(
    fail: fn() -> Result<DynamoDbEventResponse, lambda_http::Error>,
) {
    let table = StreamTable::create().await;
    let reader = table.open().await;
    table.put_numbered(3).await;
    let (consumer, mut batches) =
        recording(move |_, call| if call == 0 { fail() } else { all_processed() });
    let mapping = tokio::spawn(reader.run("stream-test".into(), consumer));

    let first = next_batch(&mut batches, "the first batch").await;
    let second = next_batch(&mut batches, "the batch again after the failure").await;
    assert_nothing_more(&mut batches).await;
    mapping.abort();

    assert_eq!(keys(&first), ["r1", "r2", "r3"]);
    assert_eq!(
        sequence_numbers(&second.records),
        sequence_numbers(&first.records),
        "nothing was checkpointed: the same records, no more, no fewer"
    );
    assert_eq!(
        deliveries(&[first, second]),
        counts(&[("r1", 2), ("r2", 2), ("r3", 2)])
    );
    table.delete().await;
}

#[tokio::test]
async fn a_function_error_redelivers_the_whole_batch() {
    a_failed_call_gets_the_same_batch_again(|| Err("the downstream bus is unavailable".into()))
        .await;
}

#[tokio::test]
async fn a_crashed_function_gets_the_whole_batch_again() {
    a_failed_call_gets_the_same_batch_again(|| panic!("the function crashed")).await;
}
