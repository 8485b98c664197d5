//! The local stand-in for Lambda's DynamoDB Streams event source mapping: reads every shard of a
//! table's stream, hands the function the very `Event` Lambda would send, and checkpoints like a
//! mapping with ReportBatchItemFailures on and unlimited retries.
pub use aws_sdk_dynamodbstreams;

use aws_lambda_events::dynamodb::Event;
use aws_lambda_events::streams::DynamoDbEventResponse;
use aws_sdk_dynamodbstreams::Client;
use aws_sdk_dynamodbstreams::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodbstreams::operation::get_shard_iterator::GetShardIteratorError;
use aws_sdk_dynamodbstreams::types::{Record, Shard, ShardIteratorType, StreamStatus};
use futures::future::BoxFuture;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio::time::Instant;

mod record;

use record::lambda_event;

pub type StreamConsumer = Arc<
    dyn Fn(Event) -> BoxFuture<'static, Result<DynamoDbEventResponse, lambda_http::Error>>
        + Send
        + Sync,
>;

/// Lambda's default (and maximum) batch size for a DynamoDB stream is 100 records.
const BATCH_SIZE: usize = 100;
/// Lambda polls each shard about four times a second while there is nothing to read.
const IDLE_POLL: Duration = Duration::from_millis(250);
/// How often the stream is described again to find the shards that open after a split.
const REDESCRIBE: Duration = Duration::from_secs(5);
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// The pause after a failed call to DynamoDB Streams itself.
const READ_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// Where a mapping starts reading the shards that exist when it is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartingPosition {
    Latest,
    TrimHorizon,
}

/// A table's stream, positioned: every record written after `open` returns will be delivered.
pub struct StreamReader {
    client: Client,
    stream_arn: String,
    region: String,
    /// Shard ids already handled: read, waiting to be read, or skipped (closed before `Latest`).
    seen: HashSet<String>,
    waiting: Vec<WaitingShard>,
}

/// A shard to read once its parent, if this mapping reads it, has been read to its end.
struct WaitingShard {
    id: String,
    parent: Option<String>,
    origin: StartingPosition,
    /// Taken by `open`; shards found later take theirs when they start.
    iterator: Option<String>,
}

impl StreamReader {
    /// Finds the table's latest stream (ListStreams/DescribeStream), and takes shard iterators for
    /// its open shards at `start` BEFORE returning, so that a caller who writes after `open`
    /// returns is guaranteed to see the write. From `TrimHorizon` it reads the closed shards too,
    /// parents before children.
    pub async fn open(
        client: Client,
        table_name: &str,
        start: StartingPosition,
    ) -> anyhow::Result<Self> {
        let stream_arn = latest_stream(&client, table_name).await?;
        let (status, shards) = describe(&client, &stream_arn).await?;
        if !matches!(status, Some(StreamStatus::Enabled | StreamStatus::Enabling)) {
            anyhow::bail!("the stream of table {table_name} is not enabled ({status:?})");
        }
        let mut seen = HashSet::new();
        let mut waiting = Vec::new();
        for shard in shards {
            let Some(id) = shard.shard_id().map(str::to_owned) else {
                continue;
            };
            seen.insert(id.clone());
            if start == StartingPosition::Latest && is_closed(&shard) {
                continue;
            }
            let iterator = shard_iterator(&client, &stream_arn, &id, Position::Start(start))
                .await
                .map_err(|err| {
                    anyhow::anyhow!(
                        "no iterator for shard {id} of {stream_arn}: {}",
                        DisplayErrorContext(&err)
                    )
                })?;
            waiting.push(WaitingShard {
                id,
                parent: shard.parent_shard_id().map(str::to_owned),
                origin: start,
                iterator: Some(iterator),
            });
        }
        // DynamoDB Local names its region `ddblocal`; a function sees the region it runs in.
        let region = match client.config().region() {
            Some(region) => region.to_string(),
            None => stream_arn.split(':').nth(3).unwrap_or_default().to_owned(),
        };
        Ok(Self {
            client,
            stream_arn,
            region,
            seen,
            waiting,
        })
    }

    /// The ARN of the stream being read, as the records' `eventSourceARN` names it.
    pub fn stream_arn(&self) -> &str {
        &self.stream_arn
    }

    /// Runs forever (until the task is dropped), delivering batches to `consumer` like Lambda
    /// does: one batch at a time per shard, shards independently, a shard's records in order.
    pub async fn run(self, function: String, consumer: StreamConsumer) {
        let Self {
            client,
            stream_arn,
            region,
            mut seen,
            mut waiting,
        } = self;
        // Dropping the set (when this task is dropped) aborts every shard's task.
        let mut readers = JoinSet::new();
        let mut reading: HashMap<tokio::task::Id, String> = HashMap::new();
        let mut next_describe = Instant::now() + REDESCRIBE;
        loop {
            let unfinished: HashSet<String> = reading
                .values()
                .chain(waiting.iter().map(|shard| &shard.id))
                .cloned()
                .collect();
            let (ready, still_waiting): (Vec<_>, Vec<_>) = waiting.into_iter().partition(|shard| {
                shard
                    .parent
                    .as_ref()
                    .is_none_or(|parent| !unfinished.contains(parent))
            });
            waiting = still_waiting;
            for shard in ready {
                let id = shard.id.clone();
                let reader = ShardReader {
                    client: client.clone(),
                    function: function.clone(),
                    stream_arn: stream_arn.clone(),
                    region: region.clone(),
                    consumer: consumer.clone(),
                    shard_id: shard.id,
                    origin: shard.origin,
                    cursor: match shard.iterator {
                        Some(iterator) => Cursor::At(iterator),
                        None => Cursor::Lost,
                    },
                    buffer: Vec::new(),
                    checkpoint: None,
                };
                let handle = readers.spawn(reader.run());
                reading.insert(handle.id(), id);
            }

            tokio::select! {
                Some(done) = readers.join_next_with_id() => {
                    let (task, outcome) = match done {
                        Ok((task, ())) => (task, None),
                        Err(err) => (err.id(), Some(err)),
                    };
                    let shard = reading.remove(&task).unwrap_or_default();
                    if let Some(err) = outcome {
                        tracing::error!(%function, %shard, error = %err, "shard reader crashed; the shard is no longer read");
                    }
                }
                () = tokio::time::sleep_until(next_describe) => {
                    next_describe = Instant::now() + REDESCRIBE;
                    match describe(&client, &stream_arn).await {
                        Ok((_, shards)) => {
                            for shard in shards {
                                let Some(id) = shard.shard_id().map(str::to_owned) else {
                                    continue;
                                };
                                if seen.insert(id.clone()) {
                                    tracing::info!(%function, shard = %id, "new shard; reading it from its start");
                                    waiting.push(WaitingShard {
                                        id,
                                        parent: shard.parent_shard_id().map(str::to_owned),
                                        origin: StartingPosition::TrimHorizon,
                                        iterator: None,
                                    });
                                }
                            }
                        }
                        Err(err) => {
                            tracing::warn!(%function, stream = %stream_arn, error = %err, "describing the stream failed; retrying");
                        }
                    }
                }
            }
        }
    }
}

/// The table's current stream: the one with the newest label (older ones remain listed for a
/// day after a stream is disabled or the table recreated).
async fn latest_stream(client: &Client, table_name: &str) -> anyhow::Result<String> {
    let mut latest: Option<(String, String)> = None;
    let mut start: Option<String> = None;
    loop {
        let page = client
            .list_streams()
            .table_name(table_name)
            .set_exclusive_start_stream_arn(start.take())
            .send()
            .await
            .map_err(|err| {
                anyhow::anyhow!(
                    "listing the streams of {table_name}: {}",
                    DisplayErrorContext(&err)
                )
            })?;
        for stream in page.streams() {
            let (Some(arn), label) = (stream.stream_arn(), stream.stream_label().unwrap_or(""))
            else {
                continue;
            };
            if latest
                .as_ref()
                .is_none_or(|(newest, _)| label > newest.as_str())
            {
                latest = Some((label.to_owned(), arn.to_owned()));
            }
        }
        match page.last_evaluated_stream_arn() {
            Some(arn) => start = Some(arn.to_owned()),
            None => break,
        }
    }
    latest
        .map(|(_, arn)| arn)
        .ok_or_else(|| anyhow::anyhow!("table {table_name} has no stream"))
}

/// The stream's status and all its shards, following DescribeStream's pages.
async fn describe(
    client: &Client,
    stream_arn: &str,
) -> anyhow::Result<(Option<StreamStatus>, Vec<Shard>)> {
    let mut shards = Vec::new();
    let mut status = None;
    let mut start: Option<String> = None;
    loop {
        let page = client
            .describe_stream()
            .stream_arn(stream_arn)
            .set_exclusive_start_shard_id(start.take())
            .send()
            .await
            .map_err(|err| {
                anyhow::anyhow!("describing {stream_arn}: {}", DisplayErrorContext(&err))
            })?;
        let Some(description) = page.stream_description else {
            anyhow::bail!("{stream_arn} has no description");
        };
        status = status.or(description.stream_status);
        shards.extend(description.shards.unwrap_or_default());
        match description.last_evaluated_shard_id {
            Some(last) => start = Some(last),
            None => break,
        }
    }
    Ok((status, shards))
}

fn is_closed(shard: &Shard) -> bool {
    shard
        .sequence_number_range()
        .and_then(|range| range.ending_sequence_number())
        .is_some()
}

#[derive(Clone, Copy)]
enum Position<'a> {
    Start(StartingPosition),
    After(&'a str),
}

async fn shard_iterator(
    client: &Client,
    stream_arn: &str,
    shard_id: &str,
    position: Position<'_>,
) -> Result<String, SdkError<GetShardIteratorError>> {
    let request = client
        .get_shard_iterator()
        .stream_arn(stream_arn)
        .shard_id(shard_id);
    let request = match position {
        Position::Start(StartingPosition::Latest) => {
            request.shard_iterator_type(ShardIteratorType::Latest)
        }
        Position::Start(StartingPosition::TrimHorizon) => {
            request.shard_iterator_type(ShardIteratorType::TrimHorizon)
        }
        Position::After(sequence_number) => request
            .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
            .sequence_number(sequence_number),
    };
    let out = request.send().await?;
    // A shard with nothing left to read may have no iterator; an empty one reads as closed.
    Ok(out.shard_iterator.unwrap_or_default())
}

/// Where a shard's reader stands in the shard.
enum Cursor {
    /// The next GetRecords call uses this iterator.
    At(String),
    /// The iterator expired (or was never taken): take one after the last record read.
    Lost,
    /// The position is older than the shard's oldest record: take one at the oldest.
    Trimmed,
    /// The shard is closed and read to its end.
    Closed,
    /// The stream or shard no longer exists.
    Gone,
}

enum Outcome {
    /// Every record was processed: checkpoint the batch.
    Processed,
    /// The function reported `failures` records failed, the first at `index`: the records
    /// before it were processed; deliver again from it.
    FailedFrom { index: usize, failures: usize },
    /// The function failed or crashed, or the batch could not be built: deliver it again.
    Failed,
}

struct ShardReader {
    client: Client,
    function: String,
    stream_arn: String,
    region: String,
    consumer: StreamConsumer,
    shard_id: String,
    origin: StartingPosition,
    cursor: Cursor,
    /// Records read but not yet checkpointed, in shard order; the next batch is all of them.
    buffer: Vec<Record>,
    checkpoint: Option<String>,
}

impl ShardReader {
    async fn run(mut self) {
        let mut attempt: u32 = 0;
        let mut retry_same_batch = false;
        loop {
            // A batch the function failed is delivered again as it was; otherwise it is topped
            // up with whatever has arrived since.
            if !retry_same_batch && self.buffer.len() < BATCH_SIZE {
                self.read().await;
            }
            if self.buffer.is_empty() {
                match self.cursor {
                    Cursor::Closed => {
                        tracing::info!(function = %self.function, shard = %self.shard_id, "shard read to its end");
                        return;
                    }
                    Cursor::Gone => return,
                    Cursor::At(_) | Cursor::Lost | Cursor::Trimmed => {
                        tokio::time::sleep(IDLE_POLL).await;
                        continue;
                    }
                }
            }
            attempt += 1;
            let records = self.buffer.len();
            let outcome = self.deliver(attempt).await;
            let (processed, failures) = match outcome {
                Outcome::Processed => (records, 0),
                Outcome::FailedFrom { index, failures } => (index, failures),
                Outcome::Failed => (0, records),
            };
            tracing::info!(function = %self.function, shard = %self.shard_id, records, failures, checkpointed = processed, "stream batch");
            self.checkpoint_first(processed);
            retry_same_batch = matches!(outcome, Outcome::Failed);
            if matches!(outcome, Outcome::Processed) {
                attempt = 0;
            } else {
                tokio::time::sleep(backoff(attempt)).await;
            }
        }
    }

    /// Reads up to a batch's worth more records into the buffer.
    async fn read(&mut self) {
        let iterator = match std::mem::replace(&mut self.cursor, Cursor::Lost) {
            Cursor::At(iterator) => iterator,
            Cursor::Lost => match self.reacquire(false).await {
                Ok(iterator) => iterator,
                Err(cursor) => {
                    self.cursor = cursor;
                    return;
                }
            },
            Cursor::Trimmed => match self.reacquire(true).await {
                Ok(iterator) => iterator,
                Err(cursor) => {
                    self.cursor = cursor;
                    return;
                }
            },
            done @ (Cursor::Closed | Cursor::Gone) => {
                self.cursor = done;
                return;
            }
        };
        if iterator.is_empty() {
            self.cursor = Cursor::Closed;
            return;
        }
        let limit = i32::try_from(BATCH_SIZE - self.buffer.len()).unwrap_or(1);
        let read = self
            .client
            .get_records()
            .shard_iterator(&iterator)
            .limit(limit)
            .send()
            .await;
        let err = match read {
            Ok(out) => {
                self.cursor = match out.next_shard_iterator {
                    Some(next) => Cursor::At(next),
                    None => Cursor::Closed,
                };
                self.buffer.extend(out.records.unwrap_or_default());
                return;
            }
            Err(err) => err,
        };
        let service = err.as_service_error();
        if service.is_some_and(|e| e.is_expired_iterator_exception()) {
            tracing::info!(function = %self.function, shard = %self.shard_id, "shard iterator expired; taking a new one");
            self.cursor = Cursor::Lost;
        } else if service.is_some_and(|e| e.is_trimmed_data_access_exception()) {
            self.note_trimmed();
            self.cursor = Cursor::Trimmed;
        } else if service.is_some_and(|e| e.is_resource_not_found_exception()) {
            tracing::warn!(function = %self.function, shard = %self.shard_id, error = %DisplayErrorContext(&err), "shard no longer exists; no longer reading it");
            self.cursor = Cursor::Gone;
        } else {
            tracing::warn!(function = %self.function, shard = %self.shard_id, error = %DisplayErrorContext(&err), "reading the shard failed; retrying");
            self.cursor = Cursor::At(iterator);
            tokio::time::sleep(READ_ERROR_PAUSE).await;
        }
    }

    /// A new iterator: at the shard's oldest record, or else just after the last record read
    /// (held or checkpointed), or at the original position if nothing was read yet. On failure,
    /// where the reader stands instead.
    async fn reacquire(&mut self, at_oldest: bool) -> Result<String, Cursor> {
        let last_read = self
            .buffer
            .last()
            .and_then(sequence_number)
            .map(str::to_owned)
            .or_else(|| self.checkpoint.clone());
        let position = match (at_oldest, &last_read) {
            (true, _) => Position::Start(StartingPosition::TrimHorizon),
            (false, Some(sequence_number)) => Position::After(sequence_number),
            (false, None) => Position::Start(self.origin),
        };
        let taken = shard_iterator(&self.client, &self.stream_arn, &self.shard_id, position).await;
        let err = match taken {
            Ok(iterator) => return Ok(iterator),
            Err(err) => err,
        };
        let service = err.as_service_error();
        if !at_oldest && service.is_some_and(|e| e.is_trimmed_data_access_exception()) {
            self.note_trimmed();
            Err(Cursor::Trimmed)
        } else if service.is_some_and(|e| e.is_resource_not_found_exception()) {
            tracing::warn!(function = %self.function, shard = %self.shard_id, error = %DisplayErrorContext(&err), "shard no longer exists; no longer reading it");
            Err(Cursor::Gone)
        } else {
            tracing::warn!(function = %self.function, shard = %self.shard_id, error = %DisplayErrorContext(&err), "taking a shard iterator failed; retrying");
            tokio::time::sleep(READ_ERROR_PAUSE).await;
            Err(if at_oldest {
                Cursor::Trimmed
            } else {
                Cursor::Lost
            })
        }
    }

    /// The position is older than the shard's oldest record. In AWS that means records expired
    /// unread. DynamoDB Local also says so for an iterator taken while the shard was empty once
    /// other tables' writes have moved its (account-wide) sequence numbers on; nothing is lost
    /// then, and reading from the oldest record is exactly right.
    fn note_trimmed(&self) {
        if self.buffer.is_empty() && self.checkpoint.is_none() {
            tracing::debug!(function = %self.function, shard = %self.shard_id, "position is before the shard's oldest record; reading from the oldest");
        } else {
            tracing::warn!(function = %self.function, shard = %self.shard_id, checkpoint = ?self.checkpoint, "records expired before they were read; continuing from the oldest left");
        }
    }

    /// Calls the function with the whole buffer, in its own task so that a panic is a crash.
    async fn deliver(&self, attempt: u32) -> Outcome {
        let first = self
            .buffer
            .first()
            .and_then(sequence_number)
            .unwrap_or_default();
        let event = match lambda_event(&self.buffer, &self.stream_arn, &self.region) {
            Ok(event) => event,
            Err(err) => {
                tracing::error!(function = %self.function, shard = %self.shard_id, first_sequence_number = %first, attempt, error = %err, "could not build the batch; retrying");
                return Outcome::Failed;
            }
        };
        let response = match tokio::spawn((self.consumer)(event)).await {
            Ok(Ok(response)) => response,
            Ok(Err(err)) => {
                tracing::warn!(function = %self.function, shard = %self.shard_id, first_sequence_number = %first, attempt, error = %err, "function failed; retrying the batch");
                return Outcome::Failed;
            }
            Err(err) => {
                tracing::warn!(function = %self.function, shard = %self.shard_id, first_sequence_number = %first, attempt, error = %err, "function crashed; retrying the batch");
                return Outcome::Failed;
            }
        };
        // Lambda resumes from the lowest failed sequence number; an identifier that is missing
        // or names no record of the batch fails the whole batch.
        let mut resume_from: Option<usize> = None;
        for failure in &response.batch_item_failures {
            let index = failure.item_identifier.as_deref().and_then(|id| {
                self.buffer
                    .iter()
                    .position(|record| sequence_number(record) == Some(id))
            });
            let Some(index) = index else {
                tracing::warn!(function = %self.function, shard = %self.shard_id, first_sequence_number = %first, attempt, item_identifier = ?failure.item_identifier, "batch item failure names no record of the batch; retrying the batch");
                return Outcome::Failed;
            };
            resume_from = Some(resume_from.map_or(index, |known| known.min(index)));
        }
        match resume_from {
            None => Outcome::Processed,
            Some(index) => {
                tracing::warn!(function = %self.function, shard = %self.shard_id, first_sequence_number = %first, attempt, failed_sequence_number = %self.buffer.get(index).and_then(sequence_number).unwrap_or_default(), "function reported failed records; retrying from the first");
                Outcome::FailedFrom {
                    index,
                    failures: response.batch_item_failures.len(),
                }
            }
        }
    }

    /// Checkpoints the first `count` records of the buffer.
    fn checkpoint_first(&mut self, count: usize) {
        let done: Vec<Record> = self.buffer.drain(..count.min(self.buffer.len())).collect();
        if let Some(last) = done.last().and_then(sequence_number) {
            self.checkpoint = Some(last.to_owned());
        }
    }
}

fn backoff(attempt: u32) -> Duration {
    let doublings = attempt.saturating_sub(1).min(16);
    FIRST_BACKOFF
        .saturating_mul(1 << doublings)
        .min(MAX_BACKOFF)
}

fn sequence_number(record: &Record) -> Option<&str> {
    record
        .dynamodb()
        .and_then(|change| change.sequence_number())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_200ms_up_to_5s() {
        let waits: Vec<u128> = (1..=7).map(|n| backoff(n).as_millis()).collect();
        assert_eq!(waits, [200, 400, 800, 1600, 3200, 5000, 5000]);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }
}
