//! The window failed attempts are counted in, for sign-ins (`DynamoStore`) and channel secrets
//! (`DynamoChannels`) alike: one item per budget in the accounts table with `attempts` and
//! `expires_at` (the window's end, also its TTL). A count within the window adds to it; the first
//! after it ended starts a new one.
use super::LoginAttempts;
use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Duration, Utc};

/// One budget's item: `pk`, `sk`.
pub(crate) type AttemptKey<'a> = (&'a str, &'a str);

pub(crate) struct AttemptWindow<'a> {
    pub client: &'a Client,
    pub table: &'a str,
    pub minutes: i64,
    /// What is counted, for errors ("login attempts", "secret attempts").
    pub what: &'static str,
}

impl AttemptWindow<'_> {
    pub async fn count(
        &self,
        key: AttemptKey<'_>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<LoginAttempts> {
        // Count within the current window; if it has ended, start a new one. Two tries cover a
        // concurrent request starting the new window between our two updates.
        for _ in 0..2 {
            if let Some(attempts) = self
                .update(
                    key,
                    "ADD attempts :one SET expires_at = if_not_exists(expires_at, :end)",
                    "attribute_not_exists(expires_at) OR expires_at > :now",
                    now,
                )
                .await?
            {
                return Ok(attempts);
            }
            if let Some(attempts) = self
                .update(
                    key,
                    "SET attempts = :one, expires_at = :end",
                    "expires_at <= :now",
                    now,
                )
                .await?
            {
                return Ok(attempts);
            }
        }
        anyhow::bail!("{} kept changing under us", self.what)
    }

    /// Takes one attempt back; nothing once the window has ended (or the count is already 0).
    pub async fn forgive(&self, key: AttemptKey<'_>, now: DateTime<Utc>) -> anyhow::Result<()> {
        self.update(
            key,
            "ADD attempts :minus_one",
            "expires_at > :now AND attempts > :zero",
            now,
        )
        .await
        .map(|_| ())
    }

    pub async fn reset(&self, (pk, sk): AttemptKey<'_>) -> anyhow::Result<()> {
        self.client
            .delete_item()
            .table_name(self.table)
            .key("pk", AttributeValue::S(pk.to_owned()))
            .key("sk", AttributeValue::S(sk.to_owned()))
            .send()
            .await
            .with_context(|| format!("DeleteItem {}", self.what))?;
        Ok(())
    }

    /// The count after the update; `None` when its condition failed.
    async fn update(
        &self,
        (pk, sk): AttemptKey<'_>,
        expression: &str,
        condition: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<LoginAttempts>> {
        let window_end = now + Duration::minutes(self.minutes);
        let mut update = self
            .client
            .update_item()
            .table_name(self.table)
            .key("pk", AttributeValue::S(pk.to_owned()))
            .key("sk", AttributeValue::S(sk.to_owned()))
            .update_expression(expression)
            .condition_expression(condition)
            .return_values(ReturnValue::AllNew);
        // DynamoDB refuses values that the expressions do not use.
        for (name, value) in [
            (":one", 1),
            (":minus_one", -1),
            (":zero", 0),
            (":now", now.timestamp()),
            (":end", window_end.timestamp()),
        ] {
            if expression.contains(name) || condition.contains(name) {
                update =
                    update.expression_attribute_values(name, AttributeValue::N(value.to_string()));
            }
        }
        match update.send().await {
            Ok(output) => {
                let attributes = output.attributes.unwrap_or_default();
                let number = |name: &str| -> anyhow::Result<i64> {
                    attributes
                        .get(name)
                        .and_then(|v| v.as_n().ok())
                        .and_then(|v| v.parse().ok())
                        .with_context(|| format!("{} item lacks {name}", self.what))
                };
                Ok(Some(LoginAttempts {
                    count: u32::try_from(number("attempts")?).unwrap_or(u32::MAX),
                    window_ends_at: DateTime::from_timestamp(number("expires_at")?, 0)
                        .with_context(|| format!("{} window end out of range", self.what))?,
                }))
            }
            Err(err) => match err.into_service_error() {
                UpdateItemError::ConditionalCheckFailedException(_) => Ok(None),
                other => {
                    Err(anyhow::Error::new(other).context(format!("UpdateItem {}", self.what)))
                }
            },
        }
    }
}
