//! The DynamoDB store. Every multi-item change is one TransactWriteItems with a condition on each
//! item, so nothing is ever half written and concurrent writers cannot both win.
use super::attempts::AttemptWindow;
use super::keys;
use super::{
    AttemptBudget, CredentialStore, GuestStore, LoginAttempts, ResourceStore, VendorStore,
    WriteError,
};
use crate::config::{self, ConfigError};
use crate::domain::account::{AccountKind, Credential, Email, GuestProfile, StaffMember};
use crate::domain::ids::{ResourceId, UserId, VendorId};
use crate::domain::resource::Resource;
use crate::domain::review::Rating;
use crate::domain::vendor::Vendor;
use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

pub(super) type Item = HashMap<String, AttributeValue>;

/// How long failed sign-ins are counted before the count starts again.
pub const LOGIN_WINDOW_MINUTES: i64 = 15;
const TRANSACTION_ATTEMPTS: u32 = 8;

#[derive(Debug, Clone)]
pub struct Tables {
    pub accounts: String,
    pub vendors: String,
    pub bookings: String,
    pub inventory: String,
}

impl Tables {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            accounts: config::required("ACCOUNTS_TABLE")?,
            vendors: config::required("VENDORS_TABLE")?,
            bookings: config::required("BOOKINGS_TABLE")?,
            inventory: config::required("INVENTORY_TABLE")?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct DynamoStore {
    pub(super) client: Client,
    pub(super) tables: Tables,
    /// The archive table, where a hold checks in its own transaction that its id is not
    /// archived (`BOOKING_ARCHIVE_TABLE`, when the function has it).
    pub(super) archive_table: Option<String>,
    catalog: std::sync::Arc<super::CatalogCache>,
}

/// What became of a transaction that DynamoDB refused: one reason code per item, in order.
pub(super) enum Outcome {
    Committed,
    Cancelled(Vec<String>),
}

impl Outcome {
    pub(super) fn failed(&self, index: usize) -> bool {
        matches!(self, Self::Cancelled(codes) if codes.get(index).is_some_and(|c| c == "ConditionalCheckFailed"))
    }
}

/// A cancellation that none of our conditions explains (e.g. a validation error).
pub(super) fn unexplained(what: &str, codes: &[String]) -> WriteError {
    WriteError::Unexpected(anyhow::anyhow!("{what} was cancelled: {codes:?}"))
}

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(super) fn to_item<T: Serialize>(value: &T, pk: String, sk: &str) -> anyhow::Result<Item> {
    let mut item: Item = serde_dynamo::to_item(value).context("serialising an item")?;
    item.insert("pk".into(), s(pk));
    item.insert("sk".into(), s(sk));
    Ok(item)
}

pub(super) fn from_item<T: DeserializeOwned>(item: Item) -> anyhow::Result<T> {
    serde_dynamo::from_item(item).context("reading an item")
}

/// A vendor's profile, indexed by city for search.
fn vendor_item(vendor: &Vendor) -> anyhow::Result<Item> {
    let mut item = to_item(vendor, keys::vendor(vendor.id), keys::PROFILE)?;
    item.insert("gsi1pk".into(), s(keys::city(&vendor.address.city_key())));
    item.insert("gsi1sk".into(), s(keys::vendor(vendor.id)));
    Ok(item)
}

pub(super) fn put(table: &str, item: Item, condition: &str) -> anyhow::Result<TransactWriteItem> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(condition)
        .build()?;
    Ok(TransactWriteItem::builder().put(put).build())
}

pub(super) fn put_versioned(
    table: &str,
    item: Item,
    expected_version: u64,
) -> anyhow::Result<TransactWriteItem> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_exists(pk) AND version = :expected")
        .expression_attribute_values(":expected", n(expected_version))
        .build()?;
    Ok(TransactWriteItem::builder().put(put).build())
}

fn vendor_exists(table: &str, vendor: VendorId) -> anyhow::Result<TransactWriteItem> {
    let check = ConditionCheck::builder()
        .table_name(table)
        .key("pk", s(keys::vendor(vendor)))
        .key("sk", s(keys::PROFILE))
        .condition_expression("attribute_exists(pk)")
        .build()?;
    Ok(TransactWriteItem::builder().condition_check(check).build())
}

/// Whether a cancelled transaction may pass if tried again: another transaction held one of its
/// items, or an item or the table was throttled.
fn transient(codes: &[String]) -> bool {
    const PASSING: [&str; 3] = [
        "TransactionConflict",
        "ThrottlingError",
        "ProvisionedThroughputExceeded",
    ];
    codes.iter().any(|code| PASSING.contains(&code.as_str()))
}

impl DynamoStore {
    pub fn new(client: Client, tables: Tables) -> Self {
        Self {
            client,
            tables,
            archive_table: None,
            catalog: Default::default(),
        }
    }

    /// The same store, its holds also checking that their id is not archived in `table`.
    pub fn with_archive_table(mut self, table: impl Into<String>) -> Self {
        self.archive_table = Some(table.into());
        self
    }

    pub fn from_env(sdk: &crate::aws::SdkConfig) -> Result<Self, ConfigError> {
        let store = Self::new(Client::new(sdk), Tables::from_env()?);
        Ok(match std::env::var("BOOKING_ARCHIVE_TABLE") {
            Ok(table) if !table.trim().is_empty() => store.with_archive_table(table),
            _ => store,
        })
    }

    /// Runs a transaction, retrying with jittered backoff while DynamoDB reports a conflict
    /// with another transaction or throttles an item (never a reason to fail the client's
    /// request; after the last attempt the client is asked to retry, a 503).
    pub(super) async fn transact(&self, items: Vec<TransactWriteItem>) -> anyhow::Result<Outcome> {
        let mut attempt = 0;
        loop {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(Outcome::Committed),
                Err(err) => err.into_service_error(),
            };
            let retry = match &err {
                TransactWriteItemsError::TransactionCanceledException(cancelled) => {
                    let codes: Vec<String> = cancelled
                        .cancellation_reasons()
                        .iter()
                        .map(|r| r.code().unwrap_or("None").to_owned())
                        .collect();
                    if !transient(&codes) {
                        return Ok(Outcome::Cancelled(codes));
                    }
                    true
                }
                TransactWriteItemsError::TransactionInProgressException(_) => true,
                // DynamoDB Local's answer when its item locks are held too long, where DynamoDB
                // reports a conflict ("this request will succeed in actual DynamoDB API").
                TransactWriteItemsError::InternalServerError(e) => e
                    .message()
                    .is_some_and(|m| m.contains("waiting for a lock")),
                _ => false,
            };
            attempt += 1;
            if !retry {
                return Err(anyhow::Error::new(err).context("TransactWriteItems"));
            }
            if attempt >= TRANSACTION_ATTEMPTS {
                tracing::warn!(error = %err, attempts = attempt, "transaction kept conflicting");
                return Err(anyhow::Error::new(super::Contended).context("TransactWriteItems"));
            }
            super::jittered_pause(attempt).await;
        }
    }

    pub(super) async fn get<T: DeserializeOwned>(
        &self,
        table: &str,
        pk: String,
        sk: &str,
    ) -> anyhow::Result<Option<T>> {
        let output = self
            .client
            .get_item()
            .table_name(table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .context("GetItem")?;
        output.item.map(from_item).transpose()
    }

    async fn put_if_version(
        &self,
        table: &str,
        item: Item,
        expected_version: u64,
    ) -> Result<(), WriteError> {
        match self
            .transact(vec![put_versioned(table, item, expected_version)?])
            .await?
        {
            Outcome::Committed => Ok(()),
            Outcome::Cancelled(_) => Err(WriteError::VersionConflict),
        }
    }

    /// Sign-in attempts, in the accounts table beside the credentials.
    fn login_attempts(&self) -> AttemptWindow<'_> {
        AttemptWindow {
            client: &self.client,
            table: &self.tables.accounts,
            minutes: LOGIN_WINDOW_MINUTES,
            what: "login attempts",
        }
    }
}

impl GuestStore for DynamoStore {
    async fn create_guest(
        &self,
        profile: &GuestProfile,
        credential: &Credential,
    ) -> Result<(), WriteError> {
        let table = &self.tables.accounts;
        let items = vec![
            put(
                table,
                to_item(
                    credential,
                    keys::login(AccountKind::Guest, &profile.email),
                    keys::CREDENTIAL,
                )?,
                "attribute_not_exists(pk)",
            )?,
            put(
                table,
                to_item(profile, keys::user(profile.id), keys::PROFILE)?,
                "attribute_not_exists(pk)",
            )?,
        ];
        let outcome = self.transact(items).await?;
        match outcome {
            Outcome::Committed => Ok(()),
            _ if outcome.failed(0) => Err(WriteError::EmailTaken),
            Outcome::Cancelled(codes) => Err(unexplained("creating a guest", &codes)),
        }
    }

    async fn guest(&self, id: UserId) -> anyhow::Result<Option<GuestProfile>> {
        self.get(&self.tables.accounts, keys::user(id), keys::PROFILE)
            .await
    }

    async fn guest_names(
        &self,
        ids: &[UserId],
    ) -> anyhow::Result<HashMap<UserId, crate::domain::text::PersonName>> {
        let wanted: Vec<(String, String)> = ids
            .iter()
            .map(|id| (keys::user(*id), keys::PROFILE.to_owned()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let keys: Vec<&(String, String)> = wanted.iter().collect();
        let mut names = HashMap::new();
        for chunk in keys.chunks(100) {
            for item in self.batch_get(&self.tables.accounts, chunk).await? {
                let profile: GuestProfile = from_item(item)?;
                names.insert(profile.id, profile.name);
            }
        }
        Ok(names)
    }

    async fn update_guest(
        &self,
        profile: &GuestProfile,
        expected_version: u64,
        new_password_hash: Option<String>,
    ) -> Result<(), WriteError> {
        let table = &self.tables.accounts;
        let mut items = vec![put_versioned(
            table,
            to_item(profile, keys::user(profile.id), keys::PROFILE)?,
            expected_version,
        )?];
        if let Some(hash) = new_password_hash {
            let update = Update::builder()
                .table_name(table)
                .key("pk", s(keys::login(AccountKind::Guest, &profile.email)))
                .key("sk", s(keys::CREDENTIAL))
                .update_expression("SET password_hash = :hash")
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_values(":hash", s(hash))
                .build()
                .context("building an update")?;
            items.push(TransactWriteItem::builder().update(update).build());
        }
        match self.transact(items).await? {
            Outcome::Committed => Ok(()),
            Outcome::Cancelled(_) => Err(WriteError::VersionConflict),
        }
    }
}

impl CredentialStore for DynamoStore {
    async fn credential(
        &self,
        kind: AccountKind,
        email: &Email,
    ) -> anyhow::Result<Option<Credential>> {
        self.get(
            &self.tables.accounts,
            keys::login(kind, email),
            keys::CREDENTIAL,
        )
        .await
    }

    async fn count_attempt(
        &self,
        budget: AttemptBudget<'_>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<LoginAttempts> {
        let (pk, sk) = attempts_key(budget);
        self.login_attempts().count((&pk, &sk), now).await
    }

    async fn forgive_attempt(
        &self,
        budget: AttemptBudget<'_>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let (pk, sk) = attempts_key(budget);
        self.login_attempts().forgive((&pk, &sk), now).await
    }

    async fn reset_attempts(&self, budget: AttemptBudget<'_>) -> anyhow::Result<()> {
        let (pk, sk) = attempts_key(budget);
        self.login_attempts().reset((&pk, &sk)).await
    }
}

/// An account's budgets live beside its credential; a source's under its own key. Sources
/// appear in keys only as SHA-256 digests, as emails do.
fn attempts_key(budget: AttemptBudget<'_>) -> (String, String) {
    match budget {
        AttemptBudget::Account(kind, email) => {
            (keys::login(kind, email), keys::ATTEMPTS.to_owned())
        }
        AttemptBudget::AccountFromSource(kind, email, source) => (
            keys::login(kind, email),
            format!("{}#{}", keys::ATTEMPTS, keys::digest(source)),
        ),
        AttemptBudget::Source(source) => (
            format!("SOURCE#{}", keys::digest(source)),
            keys::ATTEMPTS.to_owned(),
        ),
    }
}

impl VendorStore for DynamoStore {
    async fn create_vendor(
        &self,
        vendor: &Vendor,
        manager: &StaffMember,
        credential: &Credential,
    ) -> Result<(), WriteError> {
        let vendor_item = vendor_item(vendor)?;
        let items = vec![
            put(
                &self.tables.vendors,
                vendor_item,
                "attribute_not_exists(pk)",
            )?,
            put(
                &self.tables.accounts,
                self.staff_item(manager)?,
                "attribute_not_exists(pk)",
            )?,
            put(
                &self.tables.accounts,
                to_item(
                    credential,
                    keys::login(AccountKind::Staff, &manager.email),
                    keys::CREDENTIAL,
                )?,
                "attribute_not_exists(pk)",
            )?,
        ];
        let outcome = self.transact(items).await?;
        match outcome {
            Outcome::Committed => Ok(()),
            _ if outcome.failed(2) => Err(WriteError::EmailTaken),
            Outcome::Cancelled(codes) => Err(unexplained("onboarding a vendor", &codes)),
        }
    }

    async fn vendor(&self, id: VendorId) -> anyhow::Result<Option<Vendor>> {
        self.get(&self.tables.vendors, keys::vendor(id), keys::PROFILE)
            .await
    }

    async fn update_vendor(
        &self,
        vendor: &Vendor,
        expected_version: u64,
    ) -> Result<(), WriteError> {
        self.put_if_version(&self.tables.vendors, vendor_item(vendor)?, expected_version)
            .await
    }

    async fn create_staff(
        &self,
        staff: &StaffMember,
        credential: &Credential,
    ) -> Result<(), WriteError> {
        let items = vec![
            vendor_exists(&self.tables.vendors, staff.vendor_id)?,
            put(
                &self.tables.accounts,
                self.staff_item(staff)?,
                "attribute_not_exists(pk)",
            )?,
            put(
                &self.tables.accounts,
                to_item(
                    credential,
                    keys::login(AccountKind::Staff, &staff.email),
                    keys::CREDENTIAL,
                )?,
                "attribute_not_exists(pk)",
            )?,
        ];
        let outcome = self.transact(items).await?;
        match outcome {
            Outcome::Committed => Ok(()),
            _ if outcome.failed(0) => Err(WriteError::VendorNotFound),
            _ if outcome.failed(2) => Err(WriteError::EmailTaken),
            Outcome::Cancelled(codes) => Err(unexplained("adding staff", &codes)),
        }
    }

    async fn staff(&self, vendor: VendorId) -> anyhow::Result<Vec<StaffMember>> {
        // The index is eventually consistent: someone added a moment ago may be missing.
        let query = self
            .client
            .query()
            .table_name(&self.tables.accounts)
            .index_name("gsi1")
            .key_condition_expression("gsi1pk = :pk AND begins_with(gsi1sk, :prefix)")
            .expression_attribute_values(":pk", s(keys::vendor(vendor)))
            .expression_attribute_values(":prefix", s("STAFF#"));
        self.query_all(query).await
    }
}

impl DynamoStore {
    /// Every item of a query, following the pages.
    pub(super) async fn query_all<T: DeserializeOwned>(
        &self,
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    ) -> anyhow::Result<Vec<T>> {
        self.query_items(query)
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    /// Every item of a query as stored, following the pages.
    pub(super) async fn query_items(
        &self,
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    ) -> anyhow::Result<Vec<Item>> {
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = query
                .clone()
                .set_exclusive_start_key(start)
                .send()
                .await
                .context("Query")?;
            found.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(found);
            }
        }
    }

    fn staff_item(&self, staff: &StaffMember) -> anyhow::Result<Item> {
        let mut item = to_item(staff, keys::staff(staff.id), keys::PROFILE)?;
        item.insert("gsi1pk".into(), s(keys::vendor(staff.vendor_id)));
        item.insert("gsi1sk".into(), s(keys::staff(staff.id)));
        Ok(item)
    }
}

impl ResourceStore for DynamoStore {
    fn catalog_cache(&self) -> Option<&super::CatalogCache> {
        Some(&self.catalog)
    }

    async fn fence_shards(&self, resource: &Resource) -> anyhow::Result<()> {
        self.fence(resource).await
    }

    async fn create_resource(&self, resource: &Resource) -> Result<(), WriteError> {
        let items = vec![
            vendor_exists(&self.tables.vendors, resource.vendor_id)?,
            put(
                &self.tables.vendors,
                to_item(
                    resource,
                    keys::vendor(resource.vendor_id),
                    &keys::resource(resource.id),
                )?,
                "attribute_not_exists(pk)",
            )?,
        ];
        let outcome = self.transact(items).await?;
        match outcome {
            Outcome::Committed => Ok(()),
            _ if outcome.failed(0) => Err(WriteError::VendorNotFound),
            Outcome::Cancelled(codes) => Err(unexplained("creating a resource", &codes)),
        }
    }

    async fn resources(&self, vendor: VendorId) -> anyhow::Result<Vec<Resource>> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.vendors)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(keys::vendor(vendor)))
            .expression_attribute_values(":prefix", s(keys::RESOURCE_PREFIX))
            .consistent_read(true);
        self.query_all(query).await
    }

    async fn resource(&self, vendor: VendorId, id: ResourceId) -> anyhow::Result<Option<Resource>> {
        self.get(
            &self.tables.vendors,
            keys::vendor(vendor),
            &keys::resource(id),
        )
        .await
    }

    async fn update_resource(
        &self,
        resource: &Resource,
        expected_version: u64,
    ) -> Result<(), WriteError> {
        let item = to_item(
            resource,
            keys::vendor(resource.vendor_id),
            &keys::resource(resource.id),
        )?;
        self.put_if_version(&self.tables.vendors, item, expected_version)
            .await
    }
}

impl DynamoStore {
    /// Writes vendors that do not exist yet with their room or table types and their rating
    /// (no manager account, no reviews behind the rating, no conditions): for seeding a data
    /// set, nothing else.
    pub async fn seed_vendors(
        &self,
        vendors: &[(&Vendor, &[Resource], Option<&Rating>)],
    ) -> anyhow::Result<()> {
        let mut items = Vec::new();
        for &(vendor, resources, rating) in vendors {
            items.push(vendor_item(vendor)?);
            if let Some(rating) = rating {
                items.push(to_item(rating, keys::vendor(vendor.id), keys::RATING)?);
            }
            for resource in resources {
                items.push(to_item(
                    resource,
                    keys::vendor(resource.vendor_id),
                    &keys::resource(resource.id),
                )?);
            }
        }
        batch_put(&self.client, &self.tables.vendors, items).await
    }
}

/// Puts items 25 per BatchWriteItem, retrying what DynamoDB leaves unprocessed (with growing
/// pauses). No conditions: for bulk loads only.
pub(crate) async fn batch_put(
    client: &Client,
    table: &str,
    items: Vec<Item>,
) -> anyhow::Result<()> {
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    for chunk in items.chunks(25) {
        let requests = chunk
            .iter()
            .map(|item| {
                Ok(WriteRequest::builder()
                    .put_request(PutRequest::builder().set_item(Some(item.clone())).build()?)
                    .build())
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut pending = HashMap::from([(table.to_owned(), requests)]);
        for attempt in 0..8u32 {
            let output = client
                .batch_write_item()
                .set_request_items(Some(pending))
                .send()
                .await
                .with_context(|| format!("BatchWriteItem {table}"))?;
            pending = output.unprocessed_items.unwrap_or_default();
            pending.retain(|_, requests| !requests.is_empty());
            if pending.is_empty() {
                break;
            }
            super::jittered_pause(attempt).await;
        }
        anyhow::ensure!(
            pending.is_empty(),
            "DynamoDB kept leaving items of {table} unprocessed"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::transient;

    fn codes(raw: &[&str]) -> Vec<String> {
        raw.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn throttled_and_conflicting_transactions_are_tried_again_failed_conditions_are_not() {
        assert!(transient(&codes(&["None", "ThrottlingError"])));
        assert!(transient(&codes(&["TransactionConflict", "None"])));
        assert!(transient(&codes(&[
            "None",
            "ProvisionedThroughputExceeded"
        ])));
        assert!(!transient(&codes(&["ConditionalCheckFailed", "None"])));
        assert!(!transient(&codes(&["None", "ValidationError"])));
    }
}
