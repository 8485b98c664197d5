//! Hold expiry: each hold sends itself a message that arrives when it is due, and the
//! hold-expiry function expires the hold then if it is still HELD.
use crate::config::{self, ConfigError};
use crate::domain::ids::BookingId;
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::future::Future;

/// SQS delays a message by at most 15 minutes.
const MAX_DELAY_SECONDS: i64 = 900;

/// The message the hold-expiry function receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldDue {
    pub booking_id: BookingId,
    pub expires_at: DateTime<Utc>,
}

pub trait HoldTimer: Send + Sync {
    fn expire_at(
        &self,
        due: HoldDue,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

#[derive(Debug, Clone)]
pub struct SqsHoldTimer {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsHoldTimer {
    pub fn from_env(sdk: &crate::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            client: aws_sdk_sqs::Client::new(sdk),
            queue_url: config::required("HOLD_EXPIRY_QUEUE_URL")?,
        })
    }
}

impl HoldTimer for SqsHoldTimer {
    async fn expire_at(&self, due: HoldDue, now: DateTime<Utc>) -> anyhow::Result<()> {
        let delay = (due.expires_at - now)
            .num_seconds()
            .clamp(0, MAX_DELAY_SECONDS);
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(serde_json::to_string(&due)?)
            .delay_seconds(i32::try_from(delay).unwrap_or(0))
            .send()
            .await
            .context("scheduling a hold's expiry")?;
        Ok(())
    }
}
