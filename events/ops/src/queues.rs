//! Reading queues: their URLs (from the environment or by name), their dead-letter queue (from
//! the RedrivePolicy SQS itself applies) and how many messages they hold.
use crate::catalog::QueueSpec;
use anyhow::{Context, anyhow};
use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::types::{ChangeMessageVisibilityBatchRequestEntry, QueueAttributeName};
use serde::Deserialize;

/// What a queue holds. SQS's counts are approximate (exact on LocalStack).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueDepths {
    /// Ready to be received (ApproximateNumberOfMessages).
    pub waiting: u64,
    /// Received and not yet deleted or back (ApproximateNumberOfMessagesNotVisible).
    pub in_flight: u64,
    /// Sent with a delay that has not run out (ApproximateNumberOfMessagesDelayed).
    pub delayed: u64,
}

impl QueueDepths {
    pub fn total(&self) -> u64 {
        self.waiting + self.in_flight + self.delayed
    }
}

/// A queue and the dead-letter queue its RedrivePolicy names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuePair {
    pub source_url: String,
    pub dlq_url: String,
}

pub async fn depths(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> anyhow::Result<QueueDepths> {
    let out = sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
        .send()
        .await
        .map_err(aws_error)
        .with_context(|| format!("reading the depths of {queue_url}"))?;
    let count = |name: QueueAttributeName| -> anyhow::Result<u64> {
        let value = out
            .attributes()
            .and_then(|a| a.get(&name))
            .ok_or_else(|| anyhow!("{queue_url}: SQS returned no {}", name.as_str()))?;
        value
            .parse()
            .with_context(|| format!("{queue_url}: {} is {value:?}", name.as_str()))
    };
    Ok(QueueDepths {
        waiting: count(QueueAttributeName::ApproximateNumberOfMessages)?,
        in_flight: count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)?,
        delayed: count(QueueAttributeName::ApproximateNumberOfMessagesDelayed)?,
    })
}

/// The queue's URL: its variable when set (what the functions use), else GetQueueUrl by its
/// physical name.
pub async fn source_queue_url(
    sqs: &aws_sdk_sqs::Client,
    spec: &QueueSpec,
) -> anyhow::Result<String> {
    if let Some(url) = spec.url_from_env() {
        return Ok(url);
    }
    queue_url_by_name(sqs, &spec.physical_name, None)
        .await
        .with_context(|| format!("{} is not set", spec.env_var))
}

/// The source queue and its dead-letter queue.
pub async fn resolve(sqs: &aws_sdk_sqs::Client, spec: &QueueSpec) -> anyhow::Result<QueuePair> {
    let source_url = source_queue_url(sqs, spec).await?;
    let dlq_url = dead_letter_queue_url(sqs, &source_url).await?;
    Ok(QueuePair {
        source_url,
        dlq_url,
    })
}

/// The URL of the queue named by `source_url`'s RedrivePolicy (deadLetterTargetArn), so it is
/// right wherever the DLQ's name differs from ours.
pub async fn dead_letter_queue_url(
    sqs: &aws_sdk_sqs::Client,
    source_url: &str,
) -> anyhow::Result<String> {
    let out = sqs
        .get_queue_attributes()
        .queue_url(source_url)
        .attribute_names(QueueAttributeName::RedrivePolicy)
        .send()
        .await
        .map_err(aws_error)
        .with_context(|| format!("reading the RedrivePolicy of {source_url}"))?;
    let policy = out
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::RedrivePolicy))
        .ok_or_else(|| anyhow!("{source_url} has no dead-letter queue (no RedrivePolicy)"))?;
    let target =
        dead_letter_target(policy).with_context(|| format!("the RedrivePolicy of {source_url}"))?;
    queue_url_by_name(sqs, &target.name, Some(&target.account))
        .await
        .with_context(|| format!("the dead-letter queue of {source_url}"))
}

pub async fn queue_arn(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> anyhow::Result<String> {
    let out = sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(aws_error)
        .with_context(|| format!("reading the ARN of {queue_url}"))?;
    out.attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .ok_or_else(|| anyhow!("SQS returned no QueueArn for {queue_url}"))
}

/// Makes received messages visible again at once (ChangeMessageVisibilityBatch to 0).
pub(crate) async fn release(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    receipts: &[String],
) -> anyhow::Result<()> {
    let mut failed = Vec::new();
    for chunk in receipts.chunks(10) {
        let entries = chunk
            .iter()
            .enumerate()
            .map(|(i, receipt)| {
                ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(receipt)
                    .visibility_timeout(0)
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = sqs
            .change_message_visibility_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(aws_error)
            .with_context(|| format!("making messages of {queue_url} visible again"))?;
        failed.extend(
            out.failed()
                .iter()
                .map(|f| format!("{} ({})", f.code(), f.message().unwrap_or("no message"))),
        );
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(anyhow!(
            "{} messages of {queue_url} stay hidden until their visibility timeout: {}",
            failed.len(),
            failed.join("; ")
        ))
    }
}

/// An SDK error as `Code: message` when the service answered, else with its whole chain
/// (timeouts, connection failures). The SDK's own chain repeats the service's message.
pub(crate) fn aws_error<E, R>(err: SdkError<E, R>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match (err.code(), err.message()) {
        (Some(code), Some(message)) => anyhow!("{code}: {message}"),
        (Some(code), None) => anyhow!("{code}"),
        _ => anyhow::Error::new(err),
    }
}

async fn queue_url_by_name(
    sqs: &aws_sdk_sqs::Client,
    name: &str,
    owner_account: Option<&str>,
) -> anyhow::Result<String> {
    let out = sqs
        .get_queue_url()
        .queue_name(name)
        .set_queue_owner_aws_account_id(owner_account.map(str::to_owned))
        .send()
        .await
        .map_err(aws_error)
        .with_context(|| format!("looking up the URL of queue {name}"))?;
    out.queue_url
        .ok_or_else(|| anyhow!("SQS returned no URL for queue {name}"))
}

/// An SQS queue ARN's parts: `arn:<partition>:sqs:<region>:<account>:<name>`.
#[derive(Debug, PartialEq, Eq)]
pub struct SqsArn {
    pub region: String,
    pub account: String,
    pub name: String,
}

impl std::str::FromStr for SqsArn {
    type Err = anyhow::Error;

    fn from_str(arn: &str) -> anyhow::Result<Self> {
        match arn.split(':').collect::<Vec<_>>().as_slice() {
            ["arn", _partition, "sqs", region, account, name]
                if !account.is_empty() && !name.is_empty() =>
            {
                Ok(Self {
                    region: (*region).to_owned(),
                    account: (*account).to_owned(),
                    name: (*name).to_owned(),
                })
            }
            _ => Err(anyhow!("{arn:?} is not an SQS queue ARN")),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RedrivePolicy {
    dead_letter_target_arn: String,
}

/// The DLQ named by a RedrivePolicy attribute's JSON.
pub fn dead_letter_target(redrive_policy: &str) -> anyhow::Result<SqsArn> {
    let policy: RedrivePolicy = serde_json::from_str(redrive_policy)
        .map_err(|err| anyhow!("RedrivePolicy {redrive_policy:?} does not parse: {err}"))?;
    policy.dead_letter_target_arn.parse()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redrive_policy_names_its_dead_letter_queue_and_owner() {
        let target = dead_letter_target(
            r#"{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:123456789012:prod-notifier-dlq","maxReceiveCount":5}"#,
        )
        .unwrap();
        assert_eq!(
            target,
            SqsArn {
                region: "eu-west-1".into(),
                account: "123456789012".into(),
                name: "prod-notifier-dlq".into(),
            }
        );
    }

    #[test]
    fn a_policy_without_a_queue_arn_is_rejected() {
        assert!(dead_letter_target(r#"{"maxReceiveCount":"5"}"#).is_err());
        assert!(
            dead_letter_target(r#"{"deadLetterTargetArn":"arn:aws:sns:us-east-1:1:t"}"#).is_err()
        );
        assert!(dead_letter_target("not json").is_err());
    }

    #[test]
    fn depths_add_up() {
        let d = QueueDepths {
            waiting: 3,
            in_flight: 2,
            delayed: 1,
        };
        assert_eq!(d.total(), 6);
    }
}
