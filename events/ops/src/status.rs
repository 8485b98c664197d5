//! The events in flight per queue: each queue's depths and its dead-letter queue's.
use crate::catalog::{Catalog, QueueKind, QueueSpec};
use crate::queues::{QueueDepths, dead_letter_queue_url, depths, source_queue_url};
use anyhow::anyhow;

#[derive(Debug)]
pub struct StatusRow {
    pub name: String,
    pub kind: QueueKind,
    pub queue: anyhow::Result<QueueDepths>,
    pub dead_letters: anyhow::Result<QueueDepths>,
}

impl StatusRow {
    pub fn is_complete(&self) -> bool {
        self.queue.is_ok() && self.dead_letters.is_ok()
    }
}

/// One row per queue of the catalog, in its order; a queue that cannot be read gets its error.
pub async fn status(sqs: &aws_sdk_sqs::Client, catalog: &Catalog) -> Vec<StatusRow> {
    futures::future::join_all(catalog.queues().iter().map(|spec| status_of(sqs, spec))).await
}

async fn status_of(sqs: &aws_sdk_sqs::Client, spec: &QueueSpec) -> StatusRow {
    let (queue, dead_letters) = match source_queue_url(sqs, spec).await {
        Ok(url) => {
            let dead_letters = async {
                let dlq_url = dead_letter_queue_url(sqs, &url).await?;
                depths(sqs, &dlq_url).await
            };
            futures::join!(depths(sqs, &url), dead_letters)
        }
        Err(err) => (
            Err(err),
            Err(anyhow!("not read: the queue itself was not found")),
        ),
    };
    StatusRow {
        name: spec.name.clone(),
        kind: spec.kind,
        queue,
        dead_letters,
    }
}
