//! The local stand-in for Lambda's SQS event source mapping: long-polls each consumer's queue,
//! hands the function a real `SqsEvent` batch, deletes the messages it processed and leaves its
//! reported failures to come back after the visibility timeout (and, past the queue's
//! maxReceiveCount, to move to the dead-letter queue, which LocalStack does as SQS does). Message
//! attributes are handed over too: a waiting fact's copy carries its wait in one.
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage, SqsMessageAttribute};
use futures::future::BoxFuture;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

pub type QueueHandler = Arc<
    dyn Fn(SqsEvent) -> BoxFuture<'static, Result<SqsBatchResponse, lambda_http::Error>>
        + Send
        + Sync,
>;

/// Polls `queue_url` for `function` until the task is dropped.
pub async fn pump(
    sqs: aws_sdk_sqs::Client,
    function: String,
    queue_url: String,
    consumer: QueueHandler,
) {
    let queue_arn = match sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
    {
        Ok(out) => out
            .attributes()
            .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
            .cloned()
            .unwrap_or_default(),
        Err(err) => {
            tracing::error!(%function, error = %err, "consumer queue unavailable; not polling it");
            return;
        }
    };
    loop {
        let received = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await;
        let messages = match received {
            Ok(out) => out.messages.unwrap_or_default(),
            Err(err) => {
                tracing::warn!(%function, error = %err, "polling failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if messages.is_empty() {
            continue;
        }
        let mut receipts = HashMap::new();
        let mut event = SqsEvent::default();
        for message in messages {
            let mut record = SqsMessage::default();
            record.message_id = message.message_id.clone();
            record.receipt_handle = message.receipt_handle.clone();
            record.body = message.body.clone();
            record.md5_of_body = message.md5_of_body.clone();
            record.attributes = message
                .attributes
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k.as_str().to_owned(), v))
                .collect();
            record.message_attributes = message
                .message_attributes
                .unwrap_or_default()
                .into_iter()
                .map(|(name, value)| (name, attribute(value)))
                .collect();
            record.event_source = Some("aws:sqs".into());
            record.event_source_arn = Some(queue_arn.clone());
            record.aws_region = queue_arn.split(':').nth(3).map(str::to_owned);
            if let (Some(id), Some(receipt)) = (message.message_id, message.receipt_handle) {
                receipts.insert(id, receipt);
            }
            event.records.push(record);
        }
        let count = event.records.len();
        let failed: HashSet<String> = match consumer(event).await {
            Ok(response) => response
                .batch_item_failures
                .into_iter()
                .map(|f| f.item_identifier)
                .collect(),
            // A function error fails the whole batch, as in Lambda.
            Err(err) => {
                tracing::error!(%function, error = %err, "consumer failed; the batch comes back");
                receipts.keys().cloned().collect()
            }
        };
        for (id, receipt) in &receipts {
            if failed.contains(id) {
                continue;
            }
            if let Err(err) = sqs
                .delete_message()
                .queue_url(&queue_url)
                .receipt_handle(receipt)
                .send()
                .await
            {
                tracing::warn!(%function, message_id = %id, error = %err, "delete failed; it will be delivered again");
            }
        }
        tracing::info!(%function, messages = count, failed = failed.len(), "consumer batch");
    }
}

/// A message attribute as Lambda hands it over (binary values are not used here).
fn attribute(value: aws_sdk_sqs::types::MessageAttributeValue) -> SqsMessageAttribute {
    let mut attribute = SqsMessageAttribute::default();
    attribute.data_type = Some(value.data_type);
    attribute.string_value = value.string_value;
    attribute.string_list_values = value.string_list_values.unwrap_or_default();
    attribute
}
