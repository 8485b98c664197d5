//! The ledger: per consumer and aggregate, the last version applied, claims on the facts being
//! applied, and the facts parked until their predecessor is applied.
use super::*;
use crate::store::attr::{n, s};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claimed {
    /// Ours to apply.
    Fresh,
    /// Applied already, or superseded by a newer fact: nothing to do.
    Done,
    /// Another copy is being applied right now, or (in order) an earlier fact is still to
    /// come: try again shortly.
    Busy,
}

/// A claim's outcome, with the aggregate's last applied version as the ledger saw it when the
/// claim was refused (a waiting fact's progress check; none when taken or nothing is applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    pub outcome: Claimed,
    pub applied: Option<u64>,
}

/// Where a consumer records what it has applied.
pub trait Ledger: Send + Sync {
    fn try_claim(
        &self,
        entry: &LedgerEntry,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<Claim>> + Send;
    fn claim(
        &self,
        entry: &LedgerEntry,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<Claimed>> + Send {
        async move { Ok(self.try_claim(entry, now).await?.outcome) }
    }
    fn complete(
        &self,
        entry: &LedgerEntry,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
    fn release(&self, entry: &LedgerEntry) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// Keeps a waiting fact's message body, for whoever applies its predecessor.
    fn park(
        &self,
        entry: &LedgerEntry,
        body: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// Takes the parked body of the aggregate's fact `version`, if one is parked.
    fn unpark(
        &self,
        key: &str,
        version: u64,
    ) -> impl Future<Output = anyhow::Result<Option<String>>> + Send;
}

pub(super) fn park_key(key: &str, version: u64) -> String {
    format!("{key}@{version}")
}

/// One fact, as a consumer's ledger sees it: the aggregate's entry and the fact's version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub key: String,
    pub version: u64,
    pub order: Order,
    pub previous_version_at: Option<DateTime<Utc>>,
}

/// A consumer's ledger entry for one aggregate.
pub fn ledger_key(consumer: &str, aggregate_id: &str) -> String {
    format!("{consumer}#{aggregate_id}")
}

impl LedgerEntry {
    pub fn new(consumer: &str, order: Order, event: &Event) -> Self {
        Self {
            key: ledger_key(consumer, &event.aggregate_id()),
            version: event.version(),
            order,
            previous_version_at: event.previous_version_at(),
        }
    }

    /// In order: whether the fact may go first when the ledger knows nothing of its aggregate.
    fn may_start(&self, now: DateTime<Utc>) -> bool {
        match self.previous_version_at {
            None => true,
            Some(at) => at < now - Duration::days(IN_FLIGHT_DAYS),
        }
    }
}

#[derive(Debug, Clone)]
pub struct DynamoLedger {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoLedger {
    pub fn new(client: aws_sdk_dynamodb::Client, table: String) -> Self {
        Self { client, table }
    }

    pub fn from_env(sdk: &crate::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(
            aws_sdk_dynamodb::Client::new(sdk),
            config::required("LEDGER_TABLE")?,
        ))
    }
}

pub(super) fn number(item: &HashMap<String, AttributeValue>, name: &str) -> Option<i64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

impl DynamoLedger {
    /// The last version of an aggregate the entry's consumer applied, while the ledger keeps it
    /// (`KEEP_DAYS` after its last fact). For an effect that must know whether the fact before
    /// its own was applied, which the ordering `LatestWins` does not promise.
    pub async fn applied_version(&self, key: &str) -> anyhow::Result<Option<u64>> {
        let found = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(key.to_owned()))
            .projection_expression("done_version")
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .context("reading the ledger")?;
        Ok(found
            .item
            .and_then(|item| number(&item, "done_version"))
            .and_then(|v| u64::try_from(v).ok()))
    }
}

impl Ledger for DynamoLedger {
    async fn try_claim(&self, entry: &LedgerEntry, now: DateTime<Utc>) -> anyhow::Result<Claim> {
        let (after, previous) = match entry.order {
            Order::LatestWins => (
                "(attribute_not_exists(done_version) OR done_version < :v)",
                None,
            ),
            Order::InOrder if entry.may_start(now) => (
                "(attribute_not_exists(done_version) OR done_version = :previous)",
                Some(entry.version.saturating_sub(1)),
            ),
            Order::InOrder => (
                "done_version = :previous",
                Some(entry.version.saturating_sub(1)),
            ),
        };
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(entry.key.clone()))
            .update_expression("SET claim_version = :v, claim_until = :until, expires_at = :ttl")
            .condition_expression(format!(
                "{after} AND (attribute_not_exists(claim_until) OR claim_until < :now)"
            ))
            .set_expression_attribute_values(Some(
                previous
                    .map(|p| (":previous".to_owned(), n(p)))
                    .into_iter()
                    .collect(),
            ))
            .expression_attribute_values(":v", n(entry.version))
            .expression_attribute_values(":now", n(now.timestamp()))
            .expression_attribute_values(
                ":until",
                n((now + Duration::seconds(LEASE_SECONDS)).timestamp()),
            )
            .expression_attribute_values(":ttl", n((now + Duration::days(KEEP_DAYS)).timestamp()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Claim {
                outcome: Claimed::Fresh,
                applied: None,
            }),
            Err(err) => match err.into_service_error() {
                UpdateItemError::ConditionalCheckFailedException(failed) => {
                    let item = failed.item.unwrap_or_default();
                    let applied = number(&item, "done_version").and_then(|v| u64::try_from(v).ok());
                    let outcome = if applied.is_some_and(|done| done >= entry.version) {
                        Claimed::Done
                    } else {
                        Claimed::Busy
                    };
                    Ok(Claim { outcome, applied })
                }
                other => Err(anyhow::Error::new(other).context("claiming in the ledger")),
            },
        }
    }

    async fn complete(&self, entry: &LedgerEntry, now: DateTime<Utc>) -> anyhow::Result<()> {
        // Monotonic: if another copy finished meanwhile (it took over after our lease ran out),
        // the ledger keeps the newer record. The entry lives KEEP_DAYS from its last fact.
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(entry.key.clone()))
            .update_expression(
                "SET done_version = :v, done_at = :now, expires_at = :ttl \
                 REMOVE claim_version, claim_until",
            )
            .condition_expression("attribute_not_exists(done_version) OR done_version < :v")
            .expression_attribute_values(":v", n(entry.version))
            .expression_attribute_values(":now", n(now.timestamp()))
            .expression_attribute_values(":ttl", n((now + Duration::days(KEEP_DAYS)).timestamp()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => match err.into_service_error() {
                UpdateItemError::ConditionalCheckFailedException(_) => {
                    tracing::warn!(ledger_key = %entry.key, version = entry.version, "applied meanwhile by another copy");
                    Ok(())
                }
                other => Err(anyhow::Error::new(other).context("completing in the ledger")),
            },
        }
    }

    async fn release(&self, entry: &LedgerEntry) -> anyhow::Result<()> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(entry.key.clone()))
            .update_expression("REMOVE claim_version, claim_until")
            .condition_expression("claim_version = :v")
            .expression_attribute_values(":v", n(entry.version))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) => match err.into_service_error() {
                // Someone else's claim now; it is theirs to release.
                UpdateItemError::ConditionalCheckFailedException(_) => Ok(()),
                other => Err(anyhow::Error::new(other).context("releasing a ledger claim")),
            },
        }
    }

    async fn park(
        &self,
        entry: &LedgerEntry,
        body: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(park_key(&entry.key, entry.version)))
            .item("body", s(body.to_owned()))
            .item(
                "expires_at",
                n((now + Duration::hours(PARK_HOURS)).timestamp()),
            )
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .context("parking a waiting fact")?;
        Ok(())
    }

    async fn unpark(&self, key: &str, version: u64) -> anyhow::Result<Option<String>> {
        // One write that also reads, so taking a parked fact needs no read permission.
        let taken = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(park_key(key, version)))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| anyhow::Error::new(e.into_service_error()))
            .context("taking a parked fact")?;
        Ok(taken
            .attributes
            .and_then(|item| item.get("body")?.as_s().ok().cloned()))
    }
}
