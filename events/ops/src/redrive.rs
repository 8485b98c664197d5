//! Moving dead letters back to the queue they came from. Everything goes with SQS's own message
//! move task; a limited redrive (`max`) copies instead, because a move task cannot be told to
//! stop after N messages.
use crate::queues::{aws_error, queue_arn, release};
use anyhow::{Context, anyhow, bail};
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName,
    MessageSystemAttributeNameForSends, MessageSystemAttributeValue, SendMessageBatchRequestEntry,
};
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long to follow a move task before leaving it to finish on its own.
const MOVE_TASK_PATIENCE: Duration = Duration::from_secs(15 * 60);
const MOVE_TASK_POLL: Duration = Duration::from_millis(500);
/// A task listed as started this long before ours is an older one (allows for clock skew).
const MOVE_TASK_CLOCK_SKEW_MS: i64 = 60_000;
/// Long enough to send a received batch and delete it; after a crash the messages come back.
const COPY_HOLD_SECONDS: i32 = 120;
/// SendMessageBatch's total payload limit (older accounts; newer ones allow 1 MiB).
const MAX_BATCH_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedriveMethod {
    /// StartMessageMoveTask, followed with ListMessageMoveTasks.
    MoveTask,
    /// Receive from the DLQ, SendMessageBatch to the source, delete what was sent.
    Copy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedriveReport {
    pub moved: usize,
    /// What the move task meant to move when it started (none for a copy).
    pub to_move: Option<usize>,
    pub method: RedriveMethod,
}

/// Moves up to `max` (default: all) messages from `dlq_url` back to `source_url` and returns how
/// many moved.
pub async fn redrive(
    sqs: &aws_sdk_sqs::Client,
    dlq_url: &str,
    source_url: &str,
    max: Option<usize>,
) -> anyhow::Result<usize> {
    Ok(redrive_with_report(sqs, dlq_url, source_url, max)
        .await?
        .moved)
}

pub async fn redrive_with_report(
    sqs: &aws_sdk_sqs::Client,
    dlq_url: &str,
    source_url: &str,
    max: Option<usize>,
) -> anyhow::Result<RedriveReport> {
    match max {
        None => redrive_with_move_task(sqs, dlq_url, source_url).await,
        Some(max) => Ok(RedriveReport {
            moved: redrive_by_copy(sqs, dlq_url, source_url, Some(max)).await?,
            to_move: None,
            method: RedriveMethod::Copy,
        }),
    }
}

/// Starts an SQS message move task from the DLQ to the source queue and waits for it to end.
pub async fn redrive_with_move_task(
    sqs: &aws_sdk_sqs::Client,
    dlq_url: &str,
    source_url: &str,
) -> anyhow::Result<RedriveReport> {
    let dlq_arn = queue_arn(sqs, dlq_url).await?;
    let source_arn = queue_arn(sqs, source_url).await?;
    let started_ms = epoch_millis();
    let started = sqs
        .start_message_move_task()
        .source_arn(&dlq_arn)
        .destination_arn(&source_arn)
        .send()
        .await
        .map_err(aws_error)
        .with_context(|| format!("starting a message move task from {dlq_arn} to {source_arn}"))?;
    let handle = started.task_handle;

    let deadline = Instant::now() + MOVE_TASK_PATIENCE;
    loop {
        let listed = sqs
            .list_message_move_tasks()
            .source_arn(&dlq_arn)
            .max_results(1)
            .send()
            .await
            .map_err(aws_error)
            .with_context(|| format!("following the message move task from {dlq_arn}"))?;
        let ours = listed.results().first().filter(|task| {
            (handle.is_some() && task.task_handle() == handle.as_deref())
                || task.started_timestamp() >= started_ms - MOVE_TASK_CLOCK_SKEW_MS
        });
        if let Some(task) = ours {
            let moved = count(task.approximate_number_of_messages_moved());
            match task.status() {
                Some("COMPLETED") => {
                    return Ok(RedriveReport {
                        moved,
                        to_move: task.approximate_number_of_messages_to_move().map(count),
                        method: RedriveMethod::MoveTask,
                    });
                }
                Some("FAILED") => bail!(
                    "the message move task from {dlq_arn} failed after moving {moved}: {}",
                    task.failure_reason().unwrap_or("no reason given")
                ),
                Some("CANCELLED") => {
                    bail!("the message move task from {dlq_arn} was cancelled after moving {moved}")
                }
                _ => {}
            }
        }
        if Instant::now() >= deadline {
            bail!(
                "the message move task from {dlq_arn} is still running after {} minutes; it goes \
                 on in SQS (watch the DLQ drain with `event-ops status`)",
                MOVE_TASK_PATIENCE.as_secs() / 60
            );
        }
        tokio::time::sleep(MOVE_TASK_POLL).await;
    }
}

/// Receive -> SendMessageBatch to the source (same body, message attributes and trace header)
/// -> DeleteMessageBatch of what was sent. At least once: a crash between send and delete
/// leaves a copy in both queues, never in neither.
pub async fn redrive_by_copy(
    sqs: &aws_sdk_sqs::Client,
    dlq_url: &str,
    source_url: &str,
    max: Option<usize>,
) -> anyhow::Result<usize> {
    if source_url.ends_with(".fifo") {
        bail!("copying into FIFO queue {source_url} is not supported (it needs message group ids)");
    }
    let mut moved = 0;
    loop {
        let want = max.map_or(10, |max| max.saturating_sub(moved)).min(10);
        if want == 0 {
            return Ok(moved);
        }
        let received = sqs
            .receive_message()
            .queue_url(dlq_url)
            .max_number_of_messages(i32::try_from(want).unwrap_or(10))
            .visibility_timeout(COPY_HOLD_SECONDS)
            .wait_time_seconds(1)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::AwsTraceHeader)
            .send()
            .await
            .map_err(aws_error)
            .with_context(|| format!("receiving from {dlq_url} after moving {moved}"))?;
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(moved);
        }
        let chunks = size_limited_chunks(&messages, MAX_BATCH_BYTES);
        for (i, chunk) in chunks.iter().enumerate() {
            let (sent, problem) = copy_batch(sqs, dlq_url, source_url, chunk).await;
            moved += sent;
            if let Some(problem) = problem {
                let rest: Vec<String> = chunks
                    .iter()
                    .skip(i + 1)
                    .flat_map(|c| c.iter().filter_map(|m| m.receipt_handle.clone()))
                    .collect();
                // Best effort: unreleased ones come back when the hold runs out anyway.
                let _ = release(sqs, dlq_url, &rest).await;
                return Err(problem.context(format!("redrive stopped after moving {moved}")));
            }
        }
    }
}

/// Sends one batch and deletes from the DLQ what was sent: (how many moved, what went wrong).
async fn copy_batch(
    sqs: &aws_sdk_sqs::Client,
    dlq_url: &str,
    source_url: &str,
    messages: &[&Message],
) -> (usize, Option<anyhow::Error>) {
    let mut entries = Vec::with_capacity(messages.len());
    let mut receipts = HashMap::new();
    for (i, message) in messages.iter().enumerate() {
        let id = i.to_string();
        let Some(receipt) = message.receipt_handle.clone() else {
            continue;
        };
        match copy_entry(&id, message) {
            Ok(entry) => {
                entries.push(entry);
                receipts.insert(id, receipt);
            }
            Err(err) => {
                let held: Vec<String> = messages
                    .iter()
                    .filter_map(|m| m.receipt_handle.clone())
                    .collect();
                let _ = release(sqs, dlq_url, &held).await;
                return (0, Some(err));
            }
        }
    }
    if entries.is_empty() {
        return (0, None);
    }

    let sent = match sqs
        .send_message_batch()
        .queue_url(source_url)
        .set_entries(Some(entries))
        .send()
        .await
    {
        Ok(sent) => sent,
        Err(err) => {
            let all: Vec<String> = receipts.into_values().collect();
            let _ = release(sqs, dlq_url, &all).await;
            return (
                0,
                Some(aws_error(err).context(format!("sending to {source_url}"))),
            );
        }
    };

    let failures: Vec<String> = sent
        .failed()
        .iter()
        .map(|f| format!("{} ({})", f.code(), f.message().unwrap_or("no message")))
        .collect();
    let unsent: Vec<String> = sent
        .failed()
        .iter()
        .filter_map(|f| receipts.get(f.id()).cloned())
        .collect();
    let _ = release(sqs, dlq_url, &unsent).await;

    let to_delete: Vec<DeleteMessageBatchRequestEntry> = sent
        .successful()
        .iter()
        .filter_map(|s| {
            let receipt = receipts.get(s.id())?;
            DeleteMessageBatchRequestEntry::builder()
                .id(s.id())
                .receipt_handle(receipt)
                .build()
                .ok()
        })
        .collect();
    let moved = to_delete.len();
    let mut problem = (!failures.is_empty()).then(|| {
        anyhow!(
            "{} messages could not be sent to {source_url} and stay in the DLQ: {}",
            failures.len(),
            failures.join("; ")
        )
    });
    if moved > 0 {
        let not_deleted = |n: usize| {
            format!(
                "{n} messages were sent to {source_url} but not deleted from the DLQ; a later \
                 redrive sends them again (consumers are idempotent)"
            )
        };
        match sqs
            .delete_message_batch()
            .queue_url(dlq_url)
            .set_entries(Some(to_delete))
            .send()
            .await
        {
            Ok(deleted) if deleted.failed().is_empty() => {}
            Ok(deleted) => {
                let reasons: Vec<String> = deleted
                    .failed()
                    .iter()
                    .map(|f| format!("{} ({})", f.code(), f.message().unwrap_or("no message")))
                    .collect();
                let err = anyhow!(
                    "{}: {}",
                    not_deleted(deleted.failed().len()),
                    reasons.join("; ")
                );
                problem = Some(also(problem, err));
            }
            Err(err) => {
                let err = aws_error(err).context(not_deleted(moved));
                problem = Some(also(problem, err));
            }
        }
    }
    (moved, problem)
}

fn also(earlier: Option<anyhow::Error>, later: anyhow::Error) -> anyhow::Error {
    match earlier {
        None => later,
        Some(earlier) => anyhow!("{earlier:#}; and {later:#}"),
    }
}

fn copy_entry(id: &str, message: &Message) -> anyhow::Result<SendMessageBatchRequestEntry> {
    let trace = message
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::AwsTraceHeader))
        .map(|header| {
            MessageSystemAttributeValue::builder()
                .data_type("String")
                .string_value(header)
                .build()
                .map(|value| {
                    HashMap::from([(MessageSystemAttributeNameForSends::AwsTraceHeader, value)])
                })
        })
        .transpose()?;
    Ok(SendMessageBatchRequestEntry::builder()
        .id(id)
        .message_body(message.body().unwrap_or_default())
        .set_message_attributes(message.message_attributes.clone())
        .set_message_system_attributes(trace)
        .build()?)
}

/// Splits a received batch so each part stays under SQS's batch payload limit (a message bigger
/// than the limit goes alone).
fn size_limited_chunks(messages: &[Message], limit: usize) -> Vec<Vec<&Message>> {
    let mut chunks: Vec<Vec<&Message>> = Vec::new();
    let mut current: Vec<&Message> = Vec::new();
    let mut current_bytes = 0;
    for message in messages {
        let size = payload_bytes(message);
        if !current.is_empty() && current_bytes + size > limit {
            chunks.push(std::mem::take(&mut current));
            current_bytes = 0;
        }
        current.push(message);
        current_bytes += size;
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

/// What SQS counts toward a message's size: the body and each attribute's name, type and value.
fn payload_bytes(message: &Message) -> usize {
    let attributes: usize = message
        .message_attributes()
        .map(|attrs| {
            attrs
                .iter()
                .map(|(name, value)| {
                    name.len()
                        + value.data_type().len()
                        + value.string_value().map_or(0, str::len)
                        + value.binary_value().map_or(0, |b| b.as_ref().len())
                })
                .sum()
        })
        .unwrap_or(0);
    message.body().map_or(0, str::len) + attributes
}

fn count(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

fn epoch_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(body_bytes: usize) -> Message {
        Message::builder().body("x".repeat(body_bytes)).build()
    }

    #[test]
    fn small_messages_share_one_batch() {
        let messages: Vec<Message> = (0..10).map(|_| message(1_000)).collect();
        let chunks = size_limited_chunks(&messages, MAX_BATCH_BYTES);
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].len(), 10);
    }

    #[test]
    fn large_messages_are_split_to_stay_under_the_batch_limit() {
        let messages: Vec<Message> = (0..4).map(|_| message(100_000)).collect();
        let chunks = size_limited_chunks(&messages, MAX_BATCH_BYTES);
        let sizes: Vec<usize> = chunks.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![2, 2]);
    }

    #[test]
    fn a_message_over_the_limit_goes_alone() {
        let messages = vec![message(10), message(300_000), message(10)];
        let sizes: Vec<usize> = size_limited_chunks(&messages, MAX_BATCH_BYTES)
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(sizes, vec![1, 1, 1]);
    }

    #[test]
    fn a_copy_keeps_the_body_attributes_and_trace_header() {
        let attribute = aws_sdk_sqs::types::MessageAttributeValue::builder()
            .data_type("String")
            .string_value("v1")
            .build()
            .unwrap();
        let message = Message::builder()
            .body("{\"a\":1}")
            .message_attributes("k", attribute.clone())
            .attributes(MessageSystemAttributeName::AwsTraceHeader, "Root=1-abc")
            .build();
        let entry = copy_entry("3", &message).unwrap();
        assert_eq!(entry.id(), "3");
        assert_eq!(entry.message_body(), "{\"a\":1}");
        assert_eq!(
            entry.message_attributes().unwrap().get("k"),
            Some(&attribute)
        );
        let trace = entry
            .message_system_attributes()
            .unwrap()
            .get(&MessageSystemAttributeNameForSends::AwsTraceHeader)
            .unwrap();
        assert_eq!(trace.string_value(), Some("Root=1-abc"));
    }
}
