//! A guest's or a vendor's list of bookings, and gsi3's sweeps (pending payments, archivable).
use super::write::{SWEEP_SHARDS, archivable_key, changed_key_time, payments_pending_key};
use crate::domain::booking::{Booking, BookingStatus};
use crate::domain::ids::VendorId;
use crate::store::dynamo::{DynamoStore, s};
use anyhow::Context;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use std::future::Future;

/// Whose bookings to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingOwner {
    Guest(crate::domain::ids::UserId),
    Vendor(VendorId),
}

/// Bookings arriving in `[from, to)`, in order of arrival, optionally only some statuses.
#[derive(Debug, Clone)]
pub struct BookingQuery {
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    pub statuses: Vec<BookingStatus>,
    pub limit: i32,
    /// Where the previous page ended, as returned in `BookingPage::next_cursor`.
    pub cursor: Option<String>,
}

/// One page of a list, and the cursor of the next (absent on the last page).
#[derive(Debug, Clone)]
pub struct BookingPage<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("the cursor is not one we gave out for this list")]
    BadCursor,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// A guest's or a vendor's bookings, live and archived, as one list.
pub trait BookingLists: Send + Sync {
    fn list_bookings(
        &self,
        owner: BookingOwner,
        query: &BookingQuery,
    ) -> impl Future<Output = Result<BookingPage<crate::store::Listed>, ListError>> + Send;
}

impl BookingOwner {
    /// The index that lists the owner's bookings (the same in the bookings and archive tables):
    /// its name, key attribute names and partition key.
    pub(in crate::store) fn index(self) -> (&'static str, &'static str, &'static str, String) {
        let key = crate::store::history::list_key(self);
        match self {
            Self::Guest(_) => ("gsi1", "gsi1pk", "gsi1sk", key),
            Self::Vendor(_) => ("gsi2", "gsi2pk", "gsi2sk", key),
        }
    }
}

/// The bookings reconciliation looks at: a deposit still to be paid, voided or refunded.
pub trait PaymentsPending: Send + Sync {
    /// Those unchanged since before `before`, oldest first within each index partition, at most
    /// `limit` in all.
    fn payments_pending(
        &self,
        before: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> impl Future<Output = anyhow::Result<Vec<Booking>>> + Send;
}

impl PaymentsPending for DynamoStore {
    async fn payments_pending(
        &self,
        before: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> anyhow::Result<Vec<Booking>> {
        self.swept(payments_pending_key, before, limit).await
    }
}

impl DynamoStore {
    /// Up to `limit` bookings of one of gsi3's sharded lists (`partition` names each shard's
    /// partition) changed before `before`, read from every shard at once.
    async fn swept(
        &self,
        partition: fn(u8) -> String,
        before: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> anyhow::Result<Vec<Booking>> {
        let before = changed_key_time(before);
        let per_shard = limit.div_ceil(usize::from(SWEEP_SHARDS)).max(1);
        let shards =
            (0..SWEEP_SHARDS).map(|shard| self.swept_in(partition(shard), &before, per_shard));
        let mut found = Vec::new();
        for shard in futures::future::try_join_all(shards).await? {
            found.extend(shard);
        }
        found.truncate(limit);
        Ok(found)
    }

    /// Up to `limit` bookings of one gsi3 partition changed before `before`, oldest first.
    async fn swept_in(
        &self,
        partition: String,
        before: &str,
        limit: usize,
    ) -> anyhow::Result<Vec<Booking>> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.bookings)
            .index_name("gsi3")
            .key_condition_expression("gsi3pk = :pk AND gsi3sk < :before")
            .expression_attribute_values(":pk", s(partition.clone()))
            .expression_attribute_values(":before", s(before));
        self.queried_bookings(query, &format!("gsi3 {partition}"), Some(limit))
            .await
    }

    /// The bookings a Query of the bookings table finds, page after page, at most `limit`. An
    /// item that is not a readable booking is logged (by key) and passed over, so it cannot
    /// stop every later read.
    pub(in crate::store) async fn queried_bookings(
        &self,
        query: QueryFluentBuilder,
        what: &str,
        limit: Option<usize>,
    ) -> anyhow::Result<Vec<Booking>> {
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let page = match limit {
                Some(limit) => query
                    .clone()
                    .limit(i32::try_from(limit.saturating_sub(found.len())).unwrap_or(i32::MAX)),
                None => query.clone(),
            };
            let output = page
                .set_exclusive_start_key(start)
                .send()
                .await
                .with_context(|| format!("Query {what}"))?;
            for item in output.items.unwrap_or_default() {
                let key = item.get("pk").and_then(|v| v.as_s().ok()).cloned();
                match crate::store::booking_item::decode(item) {
                    Ok(booking) => found.push(booking),
                    // Only the key: a deserialisation error may quote the item's values.
                    Err(_) => tracing::error!(
                        key = key.as_deref().unwrap_or("?"),
                        index = %what,
                        "an unreadable booking item was skipped"
                    ),
                }
            }
            start = output.last_evaluated_key;
            if start.is_none() || limit.is_some_and(|limit| found.len() >= limit) {
                return Ok(found);
            }
        }
    }
}

/// Ended bookings with nothing left to settle: what the archiver moves out once old enough.
pub trait ArchivableBookings: Send + Sync {
    /// Those unchanged since before `before`, oldest first within each index partition, at most
    /// `limit` in all.
    fn archivable(
        &self,
        before: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> impl Future<Output = anyhow::Result<Vec<Booking>>> + Send;
}

impl ArchivableBookings for DynamoStore {
    async fn archivable(
        &self,
        before: chrono::DateTime<chrono::Utc>,
        limit: usize,
    ) -> anyhow::Result<Vec<Booking>> {
        self.swept(archivable_key, before, limit).await
    }
}
