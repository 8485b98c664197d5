//! Where channel accounts live: the accounts table, beside the credentials they are like.
//! `CHANNEL#<client id>` / `ACCOUNT` is the account (one strongly consistent read at the token
//! endpoint and at each channel endpoint), indexed on gsi1 by `CHANNELS#<vendor>` for its
//! vendor's list; `CHANNEL#<client id>` / `ATTEMPTS[#<source digest>]` count failed secrets.
use super::account::{ChannelAccount, ChannelId};
use crate::config::{self, ConfigError};
use crate::domain::ids::VendorId;
use crate::store::attempts::AttemptWindow;
use crate::store::{LoginAttempts, StreamImage, WriteError};
use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::future::Future;

/// How long failed secrets are counted before the count starts again (as for sign-ins).
pub const ATTEMPT_WINDOW_MINUTES: i64 = 15;

/// What a failed client secret is counted against, besides the source's budget that sign-ins
/// share (`store::AttemptBudget::Source`).
#[derive(Debug, Clone, Copy)]
pub enum ClientBudget<'a> {
    /// One client, from every source.
    Client(ChannelId),
    /// One client from one source.
    ClientFromSource(ChannelId, &'a str),
}

pub trait ChannelStore: Send + Sync {
    fn create_channel(
        &self,
        account: &ChannelAccount,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    fn channel(
        &self,
        id: ChannelId,
    ) -> impl Future<Output = anyhow::Result<Option<ChannelAccount>>> + Send;

    /// The vendor's channels, oldest first (from an index: one just connected may show a moment
    /// later).
    fn channels(
        &self,
        vendor: VendorId,
    ) -> impl Future<Output = anyhow::Result<Vec<ChannelAccount>>> + Send;

    /// Replaces the account if it is still at `expected_version`.
    fn replace_channel(
        &self,
        account: &ChannelAccount,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), WriteError>> + Send;

    /// Counts one more failure-to-be against `budget` in its window and returns the count.
    fn count_attempt(
        &self,
        budget: ClientBudget<'_>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<LoginAttempts>> + Send;

    /// Takes back one attempt of the current window: it succeeded.
    fn forgive_attempt(
        &self,
        budget: ClientBudget<'_>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    fn reset_attempts(
        &self,
        budget: ClientBudget<'_>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

#[derive(Debug, Clone)]
pub struct DynamoChannels {
    client: Client,
    table: String,
}

type Item = HashMap<String, AttributeValue>;

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

const ACCOUNT: &str = "ACCOUNT";
const ATTEMPTS: &str = "ATTEMPTS";

fn channel_pk(id: ChannelId) -> String {
    format!("CHANNEL#{id}")
}

fn vendor_channels(vendor: VendorId) -> String {
    format!("CHANNELS#{vendor}")
}

/// The account a stream image of the accounts table holds: `None` for an empty image (the side
/// of an insert or a delete that has none) and for every item that is not a channel account.
pub fn stream_account(
    pk: &str,
    sk: &str,
    image: StreamImage<'_>,
) -> anyhow::Result<Option<ChannelAccount>> {
    if !pk.starts_with("CHANNEL#") || sk != ACCOUNT {
        return Ok(None);
    }
    image.item().context("reading a channel account")
}

fn attempts_key(budget: ClientBudget<'_>) -> (String, String) {
    match budget {
        ClientBudget::Client(id) => (channel_pk(id), ATTEMPTS.to_owned()),
        ClientBudget::ClientFromSource(id, source) => (
            channel_pk(id),
            format!(
                "{ATTEMPTS}#{}",
                hex::encode(Sha256::digest(source.as_bytes()))
            ),
        ),
    }
}

impl DynamoChannels {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    pub fn from_env(sdk: &crate::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(
            Client::new(sdk),
            config::required("ACCOUNTS_TABLE")?,
        ))
    }

    fn item(account: &ChannelAccount) -> anyhow::Result<Item> {
        let mut item: Item = serde_dynamo::to_item(account).context("serialising a channel")?;
        item.insert("pk".into(), s(channel_pk(account.id)));
        item.insert("sk".into(), s(ACCOUNT));
        item.insert("gsi1pk".into(), s(vendor_channels(account.vendor_id)));
        item.insert("gsi1sk".into(), s(account.id.to_string()));
        Ok(item)
    }

    async fn put(
        &self,
        account: &ChannelAccount,
        condition: &str,
        version: Option<u64>,
    ) -> Result<(), WriteError> {
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(Self::item(account)?))
            .condition_expression(condition);
        if let Some(version) = version {
            put = put.expression_attribute_values(":version", n(version));
        }
        match put.send().await {
            Ok(_) => Ok(()),
            Err(err) => match err.into_service_error() {
                PutItemError::ConditionalCheckFailedException(_) => {
                    Err(WriteError::VersionConflict)
                }
                other => Err(anyhow::Error::new(other).context("PutItem channel").into()),
            },
        }
    }

    /// Failed secrets, counted as sign-ins are.
    fn secret_attempts(&self) -> AttemptWindow<'_> {
        AttemptWindow {
            client: &self.client,
            table: &self.table,
            minutes: ATTEMPT_WINDOW_MINUTES,
            what: "secret attempts",
        }
    }
}

impl ChannelStore for DynamoChannels {
    async fn create_channel(&self, account: &ChannelAccount) -> anyhow::Result<()> {
        self.put(account, "attribute_not_exists(pk)", None)
            .await
            .map_err(|err| match err {
                WriteError::Unexpected(cause) => cause,
                other => anyhow::anyhow!("creating channel {}: {other}", account.id),
            })
    }

    async fn channel(&self, id: ChannelId) -> anyhow::Result<Option<ChannelAccount>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(channel_pk(id)))
            .key("sk", s(ACCOUNT))
            .consistent_read(true)
            .send()
            .await
            .context("GetItem channel")?;
        output
            .item
            .map(|item| serde_dynamo::from_item(item).context("reading a channel"))
            .transpose()
    }

    async fn channels(&self, vendor: VendorId) -> anyhow::Result<Vec<ChannelAccount>> {
        let mut accounts = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("gsi1")
                .key_condition_expression("gsi1pk = :pk")
                .expression_attribute_values(":pk", s(vendor_channels(vendor)))
                .set_exclusive_start_key(start)
                .send()
                .await
                .context("Query channels")?;
            for item in page.items.unwrap_or_default() {
                accounts.push(serde_dynamo::from_item(item).context("reading a channel")?);
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        Ok(accounts)
    }

    async fn replace_channel(
        &self,
        account: &ChannelAccount,
        expected_version: u64,
    ) -> Result<(), WriteError> {
        self.put(account, "version = :version", Some(expected_version))
            .await
    }

    async fn count_attempt(
        &self,
        budget: ClientBudget<'_>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<LoginAttempts> {
        let (pk, sk) = attempts_key(budget);
        self.secret_attempts().count((&pk, &sk), now).await
    }

    async fn forgive_attempt(
        &self,
        budget: ClientBudget<'_>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let (pk, sk) = attempts_key(budget);
        self.secret_attempts().forgive((&pk, &sk), now).await
    }

    async fn reset_attempts(&self, budget: ClientBudget<'_>) -> anyhow::Result<()> {
        let (pk, sk) = attempts_key(budget);
        self.secret_attempts().reset((&pk, &sk)).await
    }
}

const RESERVATION: &str = "RESERVATION#";
const REJECTED: &str = "REJECTED#";

/// `CHANNEL#<client id>` / `RESERVATION#<its id>` is what a channel sold a reservation for;
/// `REJECTED#<at>#<random>` each message refused, read newest first from the same partition.
impl super::import::ChannelImports for DynamoChannels {
    async fn record_import(
        &self,
        record: &super::import::ImportedReservation,
    ) -> anyhow::Result<()> {
        let mut item: Item =
            serde_dynamo::to_item(record).context("serialising an imported reservation")?;
        item.insert("pk".into(), s(channel_pk(record.channel_id)));
        item.insert(
            "sk".into(),
            s(format!("{RESERVATION}{}", record.reservation_id.as_str())),
        );
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .context("PutItem imported reservation")?;
        Ok(())
    }

    async fn record_rejection(&self, record: &super::import::RejectedImport) -> anyhow::Result<()> {
        let mut item: Item =
            serde_dynamo::to_item(record).context("serialising a rejected import")?;
        item.insert("pk".into(), s(channel_pk(record.channel_id)));
        item.insert(
            "sk".into(),
            s(format!(
                "{REJECTED}{}#{}",
                record
                    .at
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                uuid::Uuid::new_v4()
            )),
        );
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .context("PutItem rejected import")?;
        Ok(())
    }

    async fn rejections(
        &self,
        channel: ChannelId,
        limit: usize,
    ) -> anyhow::Result<Vec<super::import::RejectedImport>> {
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(channel_pk(channel)))
            .expression_attribute_values(":prefix", s(REJECTED))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .context("Query rejected imports")?;
        page.items
            .unwrap_or_default()
            .into_iter()
            .map(|item| serde_dynamo::from_item(item).context("reading a rejected import"))
            .collect()
    }
}
