//! The reports table (`REPORTS_TABLE`): per vendor (`pk = VENDOR#<id>`) one item per business day
//! (`DAY#<date>`, flat counters updated with ADD), each booking's last applied contribution
//! (`BOOKING#<id>`) and the close record (`CLOSE`, `last_closed`).
use super::{
    Applied, CloseOutcome, Contribution, Counts, DayFigures, DayWrite, ReportError, ReportStore,
    diff, first_open, plan,
};
use crate::config::{self, ConfigError};
use crate::domain::ids::{BookingId, VendorId};
use crate::store::attr::{Item, n, number, optional_text, s, text};
use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A transaction that keeps meeting another one is tried this many times (then `Contended`).
const ATTEMPTS: u32 = 8;
/// DynamoDB takes at most 100 items in one transaction; one is the contribution.
const MAX_DAYS_PER_WRITE: usize = 99;

#[derive(Debug, Clone)]
pub struct DynamoReports {
    client: Client,
    table: String,
}

impl DynamoReports {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn from_env(sdk: &crate::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(
            Client::new(sdk),
            config::required("REPORTS_TABLE")?,
        ))
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    async fn get(&self, pk: String, sk: String) -> anyhow::Result<Option<Item>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .context("GetItem on the reports table")?;
        Ok(output.item)
    }

    /// Runs a transaction, again after a conflict with another one; `Err(conditions)` says which
    /// items failed their condition.
    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<Result<(), Vec<bool>>, ReportError> {
        let mut attempt = 0;
        loop {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(Ok(())),
                Err(err) => err.into_service_error(),
            };
            let retry = match &err {
                TransactWriteItemsError::TransactionCanceledException(cancelled) => {
                    let reasons = cancelled.cancellation_reasons();
                    let conditions: Vec<bool> = reasons
                        .iter()
                        .map(|r| r.code() == Some("ConditionalCheckFailed"))
                        .collect();
                    if conditions.iter().any(|failed| *failed) {
                        return Ok(Err(conditions));
                    }
                    reasons.iter().any(|r| {
                        matches!(
                            r.code(),
                            Some(
                                "TransactionConflict"
                                    | "ThrottlingError"
                                    | "ProvisionedThroughputExceeded"
                            )
                        )
                    })
                }
                TransactWriteItemsError::TransactionInProgressException(_) => true,
                _ => false,
            };
            attempt += 1;
            if !retry {
                return Err(anyhow::Error::new(err)
                    .context("TransactWriteItems on the reports table")
                    .into());
            }
            if attempt >= ATTEMPTS {
                return Err(ReportError::Contended);
            }
            crate::store::jittered_pause(attempt).await;
        }
    }

    fn day_update(&self, vendor: VendorId, day: NaiveDate, write: &DayWrite) -> Option<Update> {
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut adds = Vec::new();
        let fields = write
            .add
            .iter()
            .map(|(field, value)| (field.clone(), *value))
            .chain(
                write
                    .adjustments
                    .iter()
                    .map(|(field, value)| (format!("adj_{field}"), *value)),
            )
            .filter(|(_, value)| *value != 0);
        for (i, (field, value)) in fields.enumerate() {
            names.insert(format!("#f{i}"), field);
            values.insert(format!(":v{i}"), n(value));
            adds.push(format!("#f{i} :v{i}"));
        }
        if !write.adjusts.is_empty() {
            names.insert("#adjusts".into(), "adjusts".into());
            values.insert(
                ":adjusts".into(),
                AttributeValue::Ss(write.adjusts.iter().map(|d| d.to_string()).collect()),
            );
            adds.push("#adjusts :adjusts".into());
        }
        if adds.is_empty() {
            return None;
        }
        names.insert("#closed".into(), "closed_at".into());
        Update::builder()
            .table_name(&self.table)
            .key("pk", vendor_key(vendor))
            .key("sk", s(day_key(day)))
            .update_expression(format!("ADD {}", adds.join(", ")))
            .condition_expression("attribute_not_exists(#closed)")
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .build()
            .ok()
    }

    fn contribution_put(
        &self,
        vendor: VendorId,
        booking: BookingId,
        previous: Option<&Contribution>,
        next: &Contribution,
    ) -> Result<Put, ReportError> {
        let days = serde_json::to_string(&next.days).context("a contribution as JSON")?;
        let item = HashMap::from([
            ("pk".to_owned(), vendor_key(vendor)),
            ("sk".to_owned(), s(format!("BOOKING#{booking}"))),
            ("version".to_owned(), n(next.version)),
            ("counted".to_owned(), AttributeValue::Bool(next.counted)),
            ("days".to_owned(), s(days)),
        ]);
        let put = Put::builder().table_name(&self.table).set_item(Some(item));
        let put = match previous {
            Some(previous) => put
                .condition_expression("#version = :previous")
                .expression_attribute_names("#version", "version")
                .expression_attribute_values(":previous", n(previous.version)),
            None => put.condition_expression("attribute_not_exists(pk)"),
        };
        Ok(put.build().context("a contribution put")?)
    }

    async fn day_or_empty(
        &self,
        vendor: VendorId,
        day: NaiveDate,
    ) -> Result<DayFigures, ReportError> {
        Ok(self
            .day(vendor, day)
            .await?
            .unwrap_or_else(|| DayFigures::empty(day)))
    }
}

fn vendor_key(vendor: VendorId) -> AttributeValue {
    s(format!("VENDOR#{vendor}"))
}

fn day_key(day: NaiveDate) -> String {
    format!("DAY#{day}")
}

const CLOSE_KEY: &str = "CLOSE";

/// A day item read back.
fn figures_of(item: &Item) -> anyhow::Result<DayFigures> {
    let day = optional_text(item, "sk")
        .and_then(|sk| sk.strip_prefix("DAY#"))
        .context("a day item without its DAY# key")?
        .parse()
        .context("a day item's date")?;
    let mut figures = DayFigures::empty(day);
    for (name, value) in item {
        match (name.as_str(), value) {
            ("pk" | "sk", _) => {}
            ("closed_at", AttributeValue::S(at)) => {
                figures.closed_at = Some(at.parse().context("a day's closed_at")?);
            }
            ("capacity", AttributeValue::N(n)) => {
                figures.capacity = Some(n.parse().context("a day's capacity")?);
            }
            ("adjusts", AttributeValue::Ss(days)) => {
                for day in days {
                    figures
                        .adjusts
                        .insert(day.parse().context("a day in adjusts")?);
                }
            }
            (field, AttributeValue::N(n)) => {
                let n: i64 = n.parse().with_context(|| format!("the counter {field}"))?;
                match field.strip_prefix("adj_") {
                    Some(adjusted) => figures.adjustments.insert(adjusted.to_owned(), n),
                    None => figures.counts.insert(field.to_owned(), n),
                };
            }
            _ => {}
        }
    }
    Ok(figures)
}

fn contribution_of(item: &Item) -> anyhow::Result<Contribution> {
    let version = number(item, "a contribution", "version")?;
    let counted = item
        .get("counted")
        .and_then(|v| v.as_bool().ok())
        .copied()
        .unwrap_or(false);
    let days: BTreeMap<NaiveDate, Counts> =
        serde_json::from_str(text(item, "a contribution", "days")?)
            .context("a contribution's days")?;
    Ok(Contribution {
        version,
        counted,
        days,
    })
}

impl ReportStore for DynamoReports {
    async fn contribution(
        &self,
        vendor: VendorId,
        booking: BookingId,
    ) -> Result<Option<Contribution>, ReportError> {
        let item = self
            .get(format!("VENDOR#{vendor}"), format!("BOOKING#{booking}"))
            .await?;
        Ok(item.as_ref().map(contribution_of).transpose()?)
    }

    async fn apply(
        &self,
        vendor: VendorId,
        booking: BookingId,
        previous: Option<&Contribution>,
        next: &Contribution,
    ) -> Result<Applied, ReportError> {
        let differences = diff(previous, next);
        let mut closed = BTreeSet::new();
        // Each round learns of at least one more closed day (or the close moved on), so a few
        // rounds settle it; the bound only guards against a store that keeps changing.
        for _ in 0..ATTEMPTS {
            let last_closed = self.last_closed(vendor).await?;
            let target = first_open(last_closed, &closed).unwrap_or(NaiveDate::MIN);
            let writes = plan(differences.clone(), &closed, target);
            let mut days = Vec::new();
            let mut items = Vec::new();
            for (day, write) in &writes {
                if let Some(update) = self.day_update(vendor, *day, write) {
                    days.push(*day);
                    items.push(TransactWriteItem::builder().update(update).build());
                }
            }
            if days.len() > MAX_DAYS_PER_WRITE {
                return Err(anyhow::anyhow!(
                    "a contribution change touches {} days, more than one transaction takes",
                    days.len()
                )
                .into());
            }
            let put = self.contribution_put(vendor, booking, previous, next)?;
            items.push(TransactWriteItem::builder().put(put).build());
            match self.transact(items).await? {
                Ok(()) => return Ok(Applied::Written { redirected: closed }),
                Err(conditions) => {
                    if conditions.get(days.len()).copied().unwrap_or(false) {
                        return Ok(Applied::Stale);
                    }
                    let newly: Vec<NaiveDate> = days
                        .iter()
                        .zip(&conditions)
                        .filter(|(_, failed)| **failed)
                        .map(|(day, _)| *day)
                        .collect();
                    // A closed day's item is never a redirect's target twice: the target moves on
                    // with `last_closed`, re-read on the next round.
                    closed.extend(
                        newly
                            .into_iter()
                            .filter(|day| differences.contains_key(day)),
                    );
                }
            }
        }
        Err(ReportError::Contended)
    }

    async fn close_day(
        &self,
        vendor: VendorId,
        day: NaiveDate,
        capacity: u32,
        closed_at: DateTime<Utc>,
    ) -> Result<CloseOutcome, ReportError> {
        let at = s(closed_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        let capacity = n(capacity);
        let close_the_day = Update::builder()
            .table_name(&self.table)
            .key("pk", vendor_key(vendor))
            .key("sk", s(day_key(day)))
            .update_expression("SET #closed = :at, #capacity = :capacity")
            .condition_expression("attribute_not_exists(#closed)")
            .expression_attribute_names("#closed", "closed_at")
            .expression_attribute_names("#capacity", "capacity")
            .expression_attribute_values(":at", at.clone())
            .expression_attribute_values(":capacity", capacity.clone())
            .build()
            .context("the day's close")?;
        let raise_last_closed = Update::builder()
            .table_name(&self.table)
            .key("pk", vendor_key(vendor))
            .key("sk", s(CLOSE_KEY))
            .update_expression("SET #last = :day")
            .condition_expression("attribute_not_exists(#last) OR #last < :day")
            .expression_attribute_names("#last", "last_closed")
            .expression_attribute_values(":day", s(day.to_string()))
            .build()
            .context("the close record")?;
        let items = vec![
            TransactWriteItem::builder().update(close_the_day).build(),
            TransactWriteItem::builder()
                .update(raise_last_closed)
                .build(),
        ];
        match self.transact(items).await? {
            Ok(()) => Ok(CloseOutcome::Closed(self.day_or_empty(vendor, day).await?)),
            Err(conditions) if conditions.first().copied().unwrap_or(false) => Ok(
                CloseOutcome::AlreadyClosed(self.day_or_empty(vendor, day).await?),
            ),
            // A later day is closed already (a day closed late, by hand): the record stays.
            Err(_) => {
                let result = self
                    .client
                    .update_item()
                    .table_name(&self.table)
                    .key("pk", vendor_key(vendor))
                    .key("sk", s(day_key(day)))
                    .update_expression("SET #closed = :at, #capacity = :capacity")
                    .condition_expression("attribute_not_exists(#closed)")
                    .expression_attribute_names("#closed", "closed_at")
                    .expression_attribute_names("#capacity", "capacity")
                    .expression_attribute_values(":at", at)
                    .expression_attribute_values(":capacity", capacity)
                    .send()
                    .await;
                match result.map_err(|e| e.into_service_error()) {
                    Ok(_) => Ok(CloseOutcome::Closed(self.day_or_empty(vendor, day).await?)),
                    Err(UpdateItemError::ConditionalCheckFailedException(_)) => Ok(
                        CloseOutcome::AlreadyClosed(self.day_or_empty(vendor, day).await?),
                    ),
                    Err(err) => Err(anyhow::Error::new(err)
                        .context("UpdateItem closing a day")
                        .into()),
                }
            }
        }
    }

    async fn day(
        &self,
        vendor: VendorId,
        day: NaiveDate,
    ) -> Result<Option<DayFigures>, ReportError> {
        let item = self.get(format!("VENDOR#{vendor}"), day_key(day)).await?;
        Ok(item.as_ref().map(figures_of).transpose()?)
    }

    async fn days(
        &self,
        vendor: VendorId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DayFigures>, ReportError> {
        let mut days = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                .expression_attribute_values(":pk", vendor_key(vendor))
                .expression_attribute_values(":from", s(day_key(from)))
                .expression_attribute_values(":to", s(day_key(to)))
                .set_exclusive_start_key(start)
                .send()
                .await
                .context("Query of a vendor's report days")?;
            for item in output.items() {
                days.push(figures_of(item)?);
            }
            match output.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(days),
            }
        }
    }

    async fn last_closed(&self, vendor: VendorId) -> Result<Option<NaiveDate>, ReportError> {
        let item = self
            .get(format!("VENDOR#{vendor}"), CLOSE_KEY.into())
            .await?;
        item.as_ref()
            .and_then(|item| optional_text(item, "last_closed"))
            .map(|day| day.parse().context("the last closed day"))
            .transpose()
            .map_err(Into::into)
    }
}
