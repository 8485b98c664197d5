//! Looking at dead letters without taking them: receive, then make them visible again at once.
use crate::queues::{aws_error, release};
use anyhow::Context;
use aws_sdk_sqs::types::MessageSystemAttributeName;
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// How long peeked messages stay hidden if the peek dies before making them visible again.
const PEEK_HOLD_SECONDS: i32 = 30;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub message_id: String,
    /// ApproximateReceiveCount, this peek's receive included.
    pub receive_count: Option<u64>,
    /// When the message was first sent (SentTimestamp), to the source queue.
    pub sent_at: Option<DateTime<Utc>>,
    /// The queue it was dead-lettered from (DeadLetterQueueSourceArn), when SQS says.
    pub dead_lettered_from: Option<String>,
    pub body: String,
}

/// Up to `max` messages of `dlq_url`, left in place.
pub async fn peek(
    sqs: &aws_sdk_sqs::Client,
    dlq_url: &str,
    max: usize,
) -> anyhow::Result<Vec<DeadLetter>> {
    let mut letters = Vec::new();
    let mut receipts = Vec::new();
    let received = receive_distinct(sqs, dlq_url, max, &mut letters, &mut receipts).await;
    let released = release(sqs, dlq_url, &receipts).await;
    received?;
    released?;
    Ok(letters)
}

async fn receive_distinct(
    sqs: &aws_sdk_sqs::Client,
    dlq_url: &str,
    max: usize,
    letters: &mut Vec<DeadLetter>,
    receipts: &mut Vec<String>,
) -> anyhow::Result<()> {
    let mut seen = HashSet::new();
    while letters.len() < max {
        let want = (max - letters.len()).min(10);
        let out = sqs
            .receive_message()
            .queue_url(dlq_url)
            .max_number_of_messages(i32::try_from(want).unwrap_or(10))
            .visibility_timeout(PEEK_HOLD_SECONDS)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .map_err(aws_error)
            .with_context(|| format!("receiving from {dlq_url}"))?;
        let messages = out.messages.unwrap_or_default();
        let mut new = 0;
        for message in messages {
            receipts.extend(message.receipt_handle.clone());
            let id = message.message_id.clone().unwrap_or_default();
            if !seen.insert(id.clone()) {
                continue;
            }
            new += 1;
            let attribute = |name: MessageSystemAttributeName| {
                message.attributes().and_then(|a| a.get(&name)).cloned()
            };
            letters.push(DeadLetter {
                message_id: id,
                receive_count: attribute(MessageSystemAttributeName::ApproximateReceiveCount)
                    .and_then(|n| n.parse().ok()),
                sent_at: attribute(MessageSystemAttributeName::SentTimestamp)
                    .and_then(|ms| ms.parse().ok())
                    .and_then(DateTime::from_timestamp_millis),
                dead_lettered_from: attribute(MessageSystemAttributeName::DeadLetterQueueSourceArn),
                body: message.body.unwrap_or_default(),
            });
        }
        // Empty, or only messages whose hold ran out while we paged: nothing more to see.
        if new == 0 {
            break;
        }
    }
    Ok(())
}
