//! Flushes a vendor's dirty ARI cells (`{"ari_flush": "<vendor id>"}`, sent with a delivery delay
//! by `ari-push`). A channel still failing after the retries fails the message: SQS redelivers it,
//! and after the queue's receive limit it lands in the DLQ, with the marks still in place.
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use shared::ari_push::{AriSource, DirtyMarks, PushKey, Retry, Webhook, flush};
use shared::channels::ChannelStore;
use shared::domain::ids::VendorId;
use shared::inbox::failed_messages;

#[derive(serde::Deserialize)]
struct FlushMessage {
    ari_flush: VendorId,
}

pub struct Flusher<M, S, C, W> {
    pub marks: M,
    pub source: S,
    pub channels: C,
    pub webhook: W,
    pub signing_key: PushKey,
    pub retry: Retry,
}

impl<M: DirtyMarks, S: AriSource, C: ChannelStore, W: Webhook> Flusher<M, S, C, W> {
    pub async fn handle(&self, batch: SqsEvent) -> SqsBatchResponse {
        let mut failed = Vec::new();
        for message in batch.records {
            let id = message.message_id.clone().unwrap_or_default();
            let parsed = message
                .body
                .as_deref()
                .map(serde_json::from_str::<FlushMessage>);
            let vendor = match parsed {
                Some(Ok(m)) => m.ari_flush,
                _ => {
                    tracing::error!(message_id = %id, "not an ARI flush message; dropped");
                    continue;
                }
            };
            let now = shared::clock::now();
            match flush(
                &self.marks,
                &self.source,
                &self.channels,
                &self.webhook,
                &self.signing_key,
                self.retry,
                vendor,
                now,
            )
            .await
            {
                Ok(done) => tracing::info!(
                    vendor_id = %vendor,
                    cells = done.cells,
                    delivered = done.delivered,
                    rejected = done.rejected.len(),
                    "ARI flushed"
                ),
                Err(error) => {
                    tracing::warn!(vendor_id = %vendor, error = format!("{error:#}"), "ARI flush failed; redelivered");
                    failed.push(id);
                }
            }
        }
        failed_messages(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::sqs::SqsMessage;
    use shared::ari_push::{Cell, Pending};
    use shared::channels::ChannelId;
    use shared::channels::ari::{Ari, AriError, AriRange};
    use shared::channels::memory::MemoryChannels;

    struct Broken;

    impl DirtyMarks for Broken {
        async fn mark(&self, _: VendorId, _: &[Cell]) -> anyhow::Result<bool> {
            anyhow::bail!("down")
        }
        async fn take_pending(&self, _: VendorId) -> anyhow::Result<Vec<Pending>> {
            anyhow::bail!("down")
        }
        async fn clear(&self, _: VendorId, _: &[Pending]) -> anyhow::Result<()> {
            anyhow::bail!("down")
        }
    }

    struct NoFigures;

    impl AriSource for NoFigures {
        async fn ari(&self, _: VendorId, _: ChannelId, _: AriRange) -> Result<Ari, AriError> {
            Err(AriError::Unexpected(anyhow::anyhow!(
                "no figures in this test"
            )))
        }
    }

    struct Never;

    impl Webhook for Never {
        async fn post(&self, _: &str, _: &str, _: &[u8]) -> anyhow::Result<u16> {
            anyhow::bail!("no receiver in this test")
        }
    }

    fn message(id: &str, body: String) -> SqsMessage {
        let mut m = SqsMessage::default();
        m.message_id = Some(id.into());
        m.body = Some(body);
        m
    }

    #[tokio::test]
    async fn a_failed_flush_is_redelivered_and_a_foreign_message_dropped() {
        let flusher = Flusher {
            marks: Broken,
            source: NoFigures,
            channels: MemoryChannels::default(),
            webhook: Never,
            signing_key: PushKey::new([7u8; 32]).unwrap(),
            retry: Retry::default(),
        };
        let mut batch = SqsEvent::default();
        batch.records = vec![
            message("a", "{\"other\":1}".into()),
            message(
                "b",
                serde_json::json!({ "ari_flush": VendorId::generate() }).to_string(),
            ),
        ];
        let response = flusher.handle(batch).await;
        let failed: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.clone())
            .collect();
        assert_eq!(failed, ["b"]);
    }
}
