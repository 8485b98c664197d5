//! Queue pairs of their own for each test, on the LocalStack that `tests/run.sh` starts
//! (or `eval "$(localstack/local.sh env)"`), dead-lettered the way SQS does it.
#![allow(dead_code)] // each test file uses part of this

use anyhow::{Context, anyhow, bail, ensure};
use aws_sdk_sqs::types::{MessageAttributeValue, QueueAttributeName, SendMessageBatchRequestEntry};
use event_ops::{QueuePair, depths};
use std::time::{Duration, Instant};

/// How long a test waits for SQS to move messages before it fails.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// Fails loudly without the emulator's environment: these tests never skip, and never touch AWS.
pub async fn sqs() -> aws_sdk_sqs::Client {
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok(),
        "AWS_ENDPOINT_URL is not set: run the tests with tests/run.sh, or after \
         `localstack/local.sh up && eval \"$(localstack/local.sh env)\"`"
    );
    aws_sdk_sqs::Client::new(&shared::aws::sdk_config().await)
}

/// Creates a fresh queue and DLQ (maxReceiveCount 1, visibility 1 s), runs `scenario` on them
/// and deletes them again, whether it passed or not.
pub async fn with_queue_pair(
    tag: &str,
    scenario: impl AsyncFnOnce(&aws_sdk_sqs::Client, &QueuePair) -> anyhow::Result<()>,
) {
    let sqs = sqs().await;
    let pair = match create_pair(&sqs, tag).await {
        Ok(pair) => pair,
        Err(err) => panic!("creating the test queues: {err:#}"),
    };
    let outcome = scenario(&sqs, &pair).await;
    for url in [&pair.source_url, &pair.dlq_url] {
        if let Err(err) = sqs.delete_queue().queue_url(url).send().await {
            eprintln!("could not delete {url}: {err}");
        }
    }
    if let Err(err) = outcome {
        panic!("{err:#}");
    }
}

async fn create_pair(sqs: &aws_sdk_sqs::Client, tag: &str) -> anyhow::Result<QueuePair> {
    let name = format!("event-ops-{tag}-{}", uuid::Uuid::new_v4().simple());
    let dlq_url = sqs
        .create_queue()
        .queue_name(format!("{name}-dlq"))
        .send()
        .await?
        .queue_url
        .context("no DLQ url")?;
    let dlq_arn = event_ops::queues::queue_arn(sqs, &dlq_url).await?;
    let source_url = sqs
        .create_queue()
        .queue_name(&name)
        .attributes(QueueAttributeName::VisibilityTimeout, "1")
        .attributes(
            QueueAttributeName::RedrivePolicy,
            serde_json::json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1" })
                .to_string(),
        )
        .send()
        .await?
        .queue_url
        .context("no queue url")?;
    Ok(QueuePair {
        source_url,
        dlq_url,
    })
}

/// Distinct bodies, as a consumer would get them.
pub fn bodies(tag: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| serde_json::json!({ "test": tag, "n": i }).to_string())
        .collect()
}

/// Sends `bodies` to the source queue, each with a message attribute `n` = its index, and
/// receives them without deleting until SQS has moved every one to the DLQ.
pub async fn dead_letter(
    sqs: &aws_sdk_sqs::Client,
    pair: &QueuePair,
    bodies: &[String],
) -> anyhow::Result<()> {
    for (chunk_index, chunk) in bodies.chunks(10).enumerate() {
        let entries = chunk
            .iter()
            .enumerate()
            .map(|(i, body)| {
                let n = (chunk_index * 10 + i).to_string();
                SendMessageBatchRequestEntry::builder()
                    .id(&n)
                    .message_body(body)
                    .message_attributes(
                        "n",
                        MessageAttributeValue::builder()
                            .data_type("String")
                            .string_value(&n)
                            .build()?,
                    )
                    .build()
                    .map_err(anyhow::Error::from)
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let sent = sqs
            .send_message_batch()
            .queue_url(&pair.source_url)
            .set_entries(Some(entries))
            .send()
            .await?;
        ensure!(
            sent.failed().is_empty(),
            "sending failed: {:?}",
            sent.failed()
        );
    }
    let want = bodies.len() as u64;
    let deadline = Instant::now() + PATIENCE;
    loop {
        let dlq = depths(sqs, &pair.dlq_url).await?;
        if dlq.waiting == want {
            return Ok(());
        }
        ensure!(
            dlq.waiting < want,
            "the DLQ holds {} messages, more than the {want} sent",
            dlq.waiting
        );
        if Instant::now() >= deadline {
            bail!(
                "after {PATIENCE:?} only {} of {want} messages reached the dead-letter queue",
                dlq.waiting
            );
        }
        // Each receive past maxReceiveCount moves a message; the others come back after 1 s.
        sqs.receive_message()
            .queue_url(&pair.source_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await?;
    }
}

/// A message as a consumer of the queue receives it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Received {
    pub body: String,
    pub n: Option<String>,
}

/// Receives and deletes messages from `queue_url` until `count` arrived.
pub async fn take(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    count: usize,
) -> anyhow::Result<Vec<Received>> {
    let mut taken = Vec::new();
    let deadline = Instant::now() + PATIENCE;
    while taken.len() < count {
        if Instant::now() >= deadline {
            bail!(
                "after {PATIENCE:?} only {} of {count} messages arrived in {queue_url}",
                taken.len()
            );
        }
        let out = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .visibility_timeout(30)
            .wait_time_seconds(1)
            .message_attribute_names("All")
            .send()
            .await?;
        for message in out.messages.unwrap_or_default() {
            let receipt = message
                .receipt_handle
                .clone()
                .ok_or_else(|| anyhow!("no receipt"))?;
            sqs.delete_message()
                .queue_url(queue_url)
                .receipt_handle(receipt)
                .send()
                .await?;
            taken.push(Received {
                n: message
                    .message_attributes
                    .as_ref()
                    .and_then(|a| a.get("n"))
                    .and_then(|v| v.string_value.clone()),
                body: message.body.unwrap_or_default(),
            });
        }
    }
    taken.sort();
    Ok(taken)
}

/// What `dead_letter` sent, as `take` returns it.
pub fn as_received(bodies: &[String]) -> Vec<Received> {
    let mut all: Vec<Received> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| Received {
            body: body.clone(),
            n: Some(i.to_string()),
        })
        .collect();
    all.sort();
    all
}
