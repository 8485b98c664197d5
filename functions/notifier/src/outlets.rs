//! Where notifications go out, each behind a narrow trait: email (SES), SMS (SNS), the reminder
//! schedule (EventBridge Scheduler) and the log of what was sent (the ledger table).
use crate::compose::Message;
use anyhow::Context;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_scheduler::operation::create_schedule::CreateScheduleError;
use aws_sdk_scheduler::operation::delete_schedule::DeleteScheduleError;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, Target,
};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use shared::aws::SdkConfig;
use shared::config::{self, ConfigError};
use shared::domain::account::{Email, Phone};
use shared::domain::ids::BookingId;
use shared::inbox::{DynamoLedger, ledger_key};
use std::future::Future;

pub trait Mailer: Send + Sync {
    fn send(
        &self,
        to: &Email,
        message: &Message,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

pub trait TextMessages: Send + Sync {
    fn send(&self, to: &Phone, text: &str) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// What a reminder schedule hands back to the notifier's queue when it is due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderDue {
    pub kind: ReminderKind,
    pub booking_id: BookingId,
    /// The booking's version when it was scheduled (for the logs; the booking is read again).
    pub version: u64,
    /// The arrival it reminds of: a booking that moved since is not reminded of this one.
    pub arrival_at: DateTime<Utc>,
}

/// Tells a reminder from an EventBridge event on the same queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    BookingReminder,
}

pub trait Reminders: Send + Sync {
    /// Creates or replaces the booking's one reminder, due at `at`.
    fn schedule(
        &self,
        due: &ReminderDue,
        at: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Drops the booking's reminder; one that is not there is fine.
    fn cancel(&self, booking: BookingId) -> impl Future<Output = anyhow::Result<()>> + Send;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Ours to send.
    Ours,
    /// Sent already.
    Sent,
    /// Another copy is sending it right now.
    Busy,
}

/// Which messages were sent, so a repeated fact sends none twice.
pub trait SentLog: Send + Sync {
    fn claim(
        &self,
        key: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<Claim>> + Send;
    fn sent(
        &self,
        key: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
    fn release(&self, key: &str) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// Whether the message was sent (within the log's keeping time).
    fn was_sent(&self, key: &str) -> impl Future<Output = anyhow::Result<bool>> + Send;
}

/// What the inbox applied for the notifier.
pub trait AppliedFacts: Send + Sync {
    /// The version of the booking's last fact the notifier applied, while the ledger keeps it.
    fn applied_version(
        &self,
        booking: BookingId,
    ) -> impl Future<Output = anyhow::Result<Option<u64>>> + Send;
}

/// An SDK error without the provider's message, which may quote the recipient's address or
/// number (SES's "Email address is not verified ... guest@..."): only its code reaches the logs.
fn scrubbed<E, R>(err: SdkError<E, R>, call: &str) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match err {
        SdkError::ServiceError(service) => anyhow::anyhow!(
            "{call} refused: {}",
            service.err().code().unwrap_or("no error code")
        ),
        other => anyhow::Error::new(other).context(call.to_owned()),
    }
}

/// Plain-text email through SES from our verified address.
#[derive(Debug, Clone)]
pub struct SesMailer {
    client: aws_sdk_ses::Client,
    from: String,
}

impl SesMailer {
    pub fn new(sdk: &SdkConfig, from: String) -> Self {
        Self {
            client: aws_sdk_ses::Client::new(sdk),
            from,
        }
    }

    pub fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(sdk, config::required("SES_FROM_ADDRESS")?))
    }
}

fn utf8(text: &str) -> anyhow::Result<aws_sdk_ses::types::Content> {
    aws_sdk_ses::types::Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .context("building SES content")
}

impl Mailer for SesMailer {
    async fn send(&self, to: &Email, message: &Message) -> anyhow::Result<()> {
        let body = aws_sdk_ses::types::Body::builder()
            .text(utf8(&message.body)?)
            .build();
        let content = aws_sdk_ses::types::Message::builder()
            .subject(utf8(&message.subject)?)
            .body(body)
            .build();
        self.client
            .send_email()
            .source(&self.from)
            .destination(
                aws_sdk_ses::types::Destination::builder()
                    .to_addresses(to.as_str())
                    .build(),
            )
            .message(content)
            .send()
            .await
            .map_err(|e| scrubbed(e, "SES SendEmail"))?;
        Ok(())
    }
}

/// Transactional SMS through SNS.
#[derive(Debug, Clone)]
pub struct SnsTexts {
    client: aws_sdk_sns::Client,
}

impl SnsTexts {
    pub fn new(sdk: &SdkConfig) -> Self {
        Self {
            client: aws_sdk_sns::Client::new(sdk),
        }
    }
}

impl TextMessages for SnsTexts {
    async fn send(&self, to: &Phone, text: &str) -> anyhow::Result<()> {
        let transactional = aws_sdk_sns::types::MessageAttributeValue::builder()
            .data_type("String")
            .string_value("Transactional")
            .build()
            .context("building the SMS type")?;
        self.client
            .publish()
            .phone_number(to.as_str())
            .message(text)
            .message_attributes("AWS.SNS.SMS.SMSType", transactional)
            .send()
            .await
            .map_err(|e| scrubbed(e, "SNS Publish"))?;
        Ok(())
    }
}

/// One-time EventBridge Scheduler schedules, one per booking, that put a `ReminderDue` on the
/// notifier's own queue and delete themselves once done.
#[derive(Debug, Clone)]
pub struct SchedulerReminders {
    client: aws_sdk_scheduler::Client,
    group: String,
    target_arn: String,
    role_arn: String,
}

impl SchedulerReminders {
    pub fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            client: aws_sdk_scheduler::Client::new(sdk),
            group: config::required("REMINDER_SCHEDULE_GROUP")?,
            target_arn: config::required("REMINDER_TARGET_ARN")?,
            role_arn: config::required("REMINDER_ROLE_ARN")?,
        })
    }

    /// A booking's schedule name: at most 64 of `[0-9a-zA-Z-_.]`.
    pub fn name(booking: BookingId) -> String {
        format!("reminder-{booking}")
    }
}

impl Reminders for SchedulerReminders {
    async fn schedule(&self, due: &ReminderDue, at: DateTime<Utc>) -> anyhow::Result<()> {
        let name = Self::name(due.booking_id);
        let expression = format!("at({})", at.format("%Y-%m-%dT%H:%M:%S"));
        let input = serde_json::to_string(due).context("writing the reminder")?;
        let target = Target::builder()
            .arn(&self.target_arn)
            .role_arn(&self.role_arn)
            .input(input)
            .build()
            .context("building the reminder's target")?;
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .context("building the reminder's time window")?;
        let created = self
            .client
            .create_schedule()
            .group_name(&self.group)
            .name(&name)
            .schedule_expression(&expression)
            .schedule_expression_timezone("UTC")
            .flexible_time_window(window.clone())
            .action_after_completion(ActionAfterCompletion::Delete)
            .target(target.clone())
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(err) => match err.into_service_error() {
                // There is one already (an earlier arrival, or this fact applied before).
                CreateScheduleError::ConflictException(_) => {
                    self.client
                        .update_schedule()
                        .group_name(&self.group)
                        .name(&name)
                        .schedule_expression(&expression)
                        .schedule_expression_timezone("UTC")
                        .flexible_time_window(window)
                        .action_after_completion(ActionAfterCompletion::Delete)
                        .target(target)
                        .send()
                        .await
                        .map_err(|e| anyhow::Error::new(e.into_service_error()))
                        .context("Scheduler UpdateSchedule")?;
                    Ok(())
                }
                other => Err(anyhow::Error::new(other).context("Scheduler CreateSchedule")),
            },
        }
    }

    async fn cancel(&self, booking: BookingId) -> anyhow::Result<()> {
        let deleted = self
            .client
            .delete_schedule()
            .group_name(&self.group)
            .name(Self::name(booking))
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(err) => match err.into_service_error() {
                DeleteScheduleError::ResourceNotFoundException(_) => Ok(()),
                other => Err(anyhow::Error::new(other).context("Scheduler DeleteSchedule")),
            },
        }
    }
}

/// How long a claim keeps other copies from sending the same message; a claimant that crashed
/// without sending leaves it to whoever comes after.
const CLAIM_SECONDS: i64 = 60;
/// Sent-log entries go (DynamoDB TTL) this long after the message, well after any copy of its
/// fact could still arrive.
const KEEP_DAYS: i64 = 30;

/// The sent log as items of the consumers' ledger table, `notifier#sent#...`, beside the
/// inbox's own entries for the notifier, which it reads.
#[derive(Debug, Clone)]
pub struct DynamoSentLog {
    client: aws_sdk_dynamodb::Client,
    table: String,
    ledger: DynamoLedger,
}

impl DynamoSentLog {
    pub fn from_env(sdk: &SdkConfig) -> Result<Self, ConfigError> {
        let client = aws_sdk_dynamodb::Client::new(sdk);
        let table = config::required("LEDGER_TABLE")?;
        Ok(Self {
            ledger: DynamoLedger::new(client.clone(), table.clone()),
            client,
            table,
        })
    }
}

impl AppliedFacts for DynamoSentLog {
    async fn applied_version(&self, booking: BookingId) -> anyhow::Result<Option<u64>> {
        self.ledger
            .applied_version(&ledger_key(crate::CONSUMER.name, &booking.to_string()))
            .await
    }
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

impl SentLog for DynamoSentLog {
    async fn claim(&self, key: &str, now: DateTime<Utc>) -> anyhow::Result<Claim> {
        let claimed = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", AttributeValue::S(key.to_owned()))
            .item("claim_until", n((now + Duration::seconds(CLAIM_SECONDS)).timestamp()))
            .item("expires_at", n((now + Duration::days(KEEP_DAYS)).timestamp()))
            .condition_expression(
                "attribute_not_exists(pk) OR (attribute_not_exists(sent_at) AND claim_until < :now)",
            )
            .expression_attribute_values(":now", n(now.timestamp()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match claimed {
            Ok(_) => Ok(Claim::Ours),
            Err(err) => match err.into_service_error() {
                PutItemError::ConditionalCheckFailedException(failed) => {
                    let sent = failed.item.is_some_and(|item| item.contains_key("sent_at"));
                    Ok(if sent { Claim::Sent } else { Claim::Busy })
                }
                other => {
                    Err(anyhow::Error::new(other).context("claiming a message in the sent log"))
                }
            },
        }
    }

    async fn sent(&self, key: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(key.to_owned()))
            .update_expression("SET sent_at = :now, expires_at = :ttl REMOVE claim_until")
            .expression_attribute_values(":now", n(now.timestamp()))
            .expression_attribute_values(":ttl", n((now + Duration::days(KEEP_DAYS)).timestamp()))
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .context("recording a message as sent")?;
        Ok(())
    }

    async fn release(&self, key: &str) -> anyhow::Result<()> {
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(key.to_owned()))
            .condition_expression("attribute_not_exists(sent_at)")
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(err) => match err.into_service_error() {
                DeleteItemError::ConditionalCheckFailedException(_) => Ok(()),
                other => Err(anyhow::Error::new(other).context("releasing a sent-log claim")),
            },
        }
    }
    async fn was_sent(&self, key: &str) -> anyhow::Result<bool> {
        let found = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(key.to_owned()))
            .projection_expression("sent_at")
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .context("reading the sent log")?;
        Ok(found.item.is_some_and(|item| item.contains_key("sent_at")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ses::error::ErrorMetadata;
    use aws_sdk_ses::operation::send_email::SendEmailError;
    use aws_sdk_ses::types::error::MessageRejected;

    #[test]
    fn a_refusal_that_quotes_the_recipient_reaches_the_logs_as_its_code_only() {
        let quoted = "Email address is not verified. The following identities failed the check in region EU-CENTRAL-1: zoe.privat@example.com";
        let refused = SendEmailError::MessageRejected(
            MessageRejected::builder()
                .message(quoted)
                .meta(
                    ErrorMetadata::builder()
                        .code("MessageRejected")
                        .message(quoted)
                        .build(),
                )
                .build(),
        );

        let err = scrubbed(SdkError::service_error(refused, ()), "SES SendEmail");

        let logged = format!("{err:#} {err:?}");
        assert!(
            logged.contains("SES SendEmail refused: MessageRejected"),
            "{logged}"
        );
        assert!(!logged.contains("zoe.privat"), "{logged}");
        assert!(!logged.contains("not verified"), "{logged}");
    }
}
