//! One signed POST with retries: 5xx, 429 and transport failures (timeouts) are retried with
//! exponential backoff; another 4xx is the receiver's answer and is not retried.
use super::sign;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// How long one POST may take.
pub const TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub attempts: u32,
    /// The first wait; each next one doubles.
    pub backoff: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            attempts: 4,
            backoff: Duration::from_millis(250),
        }
    }
}

/// The receiver's HTTP answer, or a transport failure.
pub trait Webhook: Send + Sync {
    fn post(
        &self,
        url: &str,
        signature: &str,
        body: &[u8],
    ) -> impl Future<Output = anyhow::Result<u16>> + Send;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    Accepted { attempts: u32 },
    Rejected { status: u16 },
}

pub async fn deliver(
    webhook: &impl Webhook,
    retry: Retry,
    url: &str,
    secrets: &[String],
    body: &[u8],
    now: DateTime<Utc>,
) -> anyhow::Result<Delivered> {
    let signature = sign::signature(secrets, now, body);
    let mut wait = retry.backoff;
    let mut last = anyhow::anyhow!("no attempt made");
    for attempt in 1..=retry.attempts.max(1) {
        match webhook.post(url, &signature, body).await {
            Ok(status) if (200..300).contains(&status) => {
                return Ok(Delivered::Accepted { attempts: attempt });
            }
            Ok(status) if (400..500).contains(&status) && status != 429 => {
                return Ok(Delivered::Rejected { status });
            }
            Ok(status) => last = anyhow::anyhow!("the receiver answered {status}"),
            Err(e) => last = e,
        }
        if attempt < retry.attempts {
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2);
        }
    }
    Err(last.context(format!("ARI push failed after {} attempts", retry.attempts)))
}

/// The real receiver, over HTTPS (or http to a local receiver).
pub struct HttpWebhook {
    client: reqwest::Client,
}

impl HttpWebhook {
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self {
            client: reqwest::Client::builder().timeout(TIMEOUT).build()?,
        })
    }
}

impl Webhook for HttpWebhook {
    async fn post(&self, url: &str, signature: &str, body: &[u8]) -> anyhow::Result<u16> {
        let response = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(sign::HEADER, signature)
            .body(body.to_vec())
            .send()
            .await?;
        Ok(response.status().as_u16())
    }
}
