//! How facts wait apart from failing: sent again to their queue, delayed, with their wait as a
//! message attribute, within a budget of their own.
use super::*;

/// Delivers a message again: a copy sent anew, or the message itself sooner than its queue's
/// visibility timeout would.
pub trait Redelivery: Send + Sync {
    /// Sends a copy of `message` (its body, and `wait` as `WAIT_ATTRIBUTE`) to the queue it came
    /// from, delivered after `delay`. Only once this succeeded may the message be acknowledged.
    fn send_again(
        &self,
        message: &SqsMessage,
        wait: &WaitState,
        delay: std::time::Duration,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// Best effort: if it fails, the message comes back after the visibility timeout anyway.
    fn retry_in(
        &self,
        message: &SqsMessage,
        delay: std::time::Duration,
    ) -> impl Future<Output = ()> + Send;
}

/// Sends to and sets the visibility of the queue a message came from, found from the message's
/// source ARN as a Lambda event source mapping hands it over.
#[derive(Debug, Clone)]
pub struct SqsRedelivery {
    client: aws_sdk_sqs::Client,
    urls: Arc<Mutex<HashMap<String, String>>>,
}

impl SqsRedelivery {
    pub fn new(client: aws_sdk_sqs::Client) -> Self {
        Self {
            client,
            urls: Arc::default(),
        }
    }

    async fn queue_url(&self, arn: &str) -> anyhow::Result<String> {
        if let Some(url) = self.urls.lock().ok().and_then(|u| u.get(arn).cloned()) {
            return Ok(url);
        }
        // arn:aws:sqs:<region>:<account>:<name>
        let mut parts = arn.rsplitn(3, ':');
        let (name, account) = (parts.next(), parts.next());
        let (Some(name), Some(account)) = (name, account) else {
            anyhow::bail!("{arn} is not a queue ARN");
        };
        let url = self
            .client
            .get_queue_url()
            .queue_name(name)
            .queue_owner_aws_account_id(account)
            .send()
            .await
            .context("GetQueueUrl")?
            .queue_url
            .context("GetQueueUrl returned no URL")?;
        if let Ok(mut urls) = self.urls.lock() {
            urls.insert(arn.to_owned(), url.clone());
        }
        Ok(url)
    }
}

impl Redelivery for SqsRedelivery {
    async fn send_again(
        &self,
        message: &SqsMessage,
        wait: &WaitState,
        delay: std::time::Duration,
    ) -> anyhow::Result<()> {
        let arn = message
            .event_source_arn
            .as_deref()
            .context("the message names no queue")?;
        let body = message.body.as_deref().context("the message has no body")?;
        let url = self.queue_url(arn).await?;
        let attribute = aws_sdk_sqs::types::MessageAttributeValue::builder()
            .data_type("String")
            .string_value(serde_json::to_string(wait).context("serialising the wait")?)
            .build()
            .context("the wait attribute")?;
        let delay = delay.as_secs().min(MAX_DELAY_SECONDS);
        self.client
            .send_message()
            .queue_url(url)
            .message_body(body)
            .delay_seconds(i32::try_from(delay).unwrap_or(0))
            .message_attributes(WAIT_ATTRIBUTE, attribute)
            .send()
            .await
            .context("SendMessage")?;
        Ok(())
    }

    async fn retry_in(&self, message: &SqsMessage, delay: std::time::Duration) {
        let (Some(arn), Some(receipt)) = (
            message.event_source_arn.as_deref(),
            message.receipt_handle.as_deref(),
        ) else {
            return;
        };
        let result = match self.queue_url(arn).await {
            Ok(url) => self
                .client
                .change_message_visibility()
                .queue_url(url)
                .receipt_handle(receipt)
                .visibility_timeout(i32::try_from(delay.as_secs()).unwrap_or(i32::MAX))
                .send()
                .await
                .map(|_| ())
                .context("ChangeMessageVisibility"),
            Err(err) => Err(err),
        };
        if let Err(err) = result {
            tracing::warn!(error = %format!("{err:#}"), "message not brought back early; it returns after the visibility timeout");
        }
    }
}

/// How facts wait for their predecessors (or for another copy being applied), apart from the
/// failure retries the queue's maxReceiveCount counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    /// How long a fact may wait while its aggregate stands still (no fact of it applied). Longer
    /// than a failing predecessor's whole retry span, so a predecessor that recovers within its
    /// retries finds its followers still there. Each fact applied in between starts it anew.
    pub budget: std::time::Duration,
    /// The longest a waiting fact stays away before it looks again.
    pub max_delay: std::time::Duration,
}

impl Default for Waiting {
    fn default() -> Self {
        Self {
            budget: std::time::Duration::from_secs(WAIT_BUDGET_SECONDS),
            max_delay: std::time::Duration::from_secs(MAX_WAIT_SECONDS),
        }
    }
}

/// How long a fact has waited, carried by each copy sent again (`WAIT_ATTRIBUTE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitState {
    /// Since when (Unix seconds) it waits with its aggregate standing still.
    pub since: i64,
    /// The aggregate's last applied version when it last looked.
    pub applied: Option<u64>,
    /// Waits in a row with the aggregate standing still; each doubles the delay.
    pub stalls: u32,
    /// Waits in all.
    pub waits: u32,
}

impl WaitState {
    /// What a copy sent again carries; none on a message as the bus delivered it.
    pub fn of(message: &SqsMessage) -> Option<Self> {
        let value = message.message_attributes.get(WAIT_ATTRIBUTE)?;
        serde_json::from_str(value.string_value.as_deref()?).ok()
    }
}

/// What a fact that must wait does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextWait {
    /// Sent again, to be looked at after `delay`.
    Again {
        state: WaitState,
        delay: std::time::Duration,
    },
    /// Its budget is spent: from now on its deliveries count as failures.
    Spent { state: WaitState },
}

impl Waiting {
    /// `before`: what its previous wait saw (none on its first); `applied`: the aggregate's last
    /// applied version now; `ahead`: how many facts are still to be applied before it.
    pub fn next(
        &self,
        before: Option<WaitState>,
        applied: Option<u64>,
        ahead: u64,
        now: DateTime<Utc>,
    ) -> NextWait {
        let waits = before.map_or(0, |b| b.waits).saturating_add(1);
        let state = match before {
            Some(before) if before.applied == applied => WaitState {
                stalls: before.stalls.saturating_add(1),
                waits,
                ..before
            },
            // The first wait, or the aggregate moved on since the last one.
            _ => WaitState {
                since: now.timestamp(),
                applied,
                stalls: 0,
                waits,
            },
        };
        let waited = u64::try_from(now.timestamp().saturating_sub(state.since)).unwrap_or(0);
        if waited >= self.budget.as_secs() {
            return NextWait::Spent { state };
        }
        let backoff = 1u64.checked_shl(state.stalls).unwrap_or(u64::MAX);
        let behind = ahead.saturating_mul(WAIT_PER_FACT_AHEAD_MS) / 1000;
        let delay = backoff
            .max(behind)
            .clamp(1, self.max_delay.as_secs().max(1));
        NextWait::Again {
            state,
            delay: std::time::Duration::from_secs(delay),
        }
    }
}
