//! A booking's history: one entry per fact it went through (version by version), kept for as
//! long as the booking is, so the desk can show what happened to it after the change feed's
//! 7 days. Entries hold only what a fact says without personal data: roles, never names or ids
//! of people.
//!
//! In DynamoDB they live in the inventory table (its stream publishes only waitlist entries, so
//! writing them publishes nothing), partition `HISTORY#<booking>` (no other item of that table
//! starts so), sort key `V#<version, 20 digits>` so a Query reads them oldest first. They carry
//! no `expires_at`: the table's TTL never takes them, as the archive keeps an ended booking for
//! good and `GET /booking/{id}` still reads it.
use super::dynamo::{Item, from_item, s};
use crate::config::{self, ConfigError};
use crate::domain::booking::{BookingStatus, BookingTime, Channel};
use crate::domain::desk::DeskPaymentMethod;
use crate::domain::ids::{BookingId, ResourceId, UnitId};
use crate::domain::money::Money;
use crate::domain::party::PartySize;
use crate::domain::payment::DepositStatus;
use crate::domain::unit::UnitNumber;
use crate::events::{Booker, BookingEvent};
use anyhow::Context;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// One fact of a booking as its history shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The booking's version the fact made.
    pub version: u64,
    pub detail_type: String,
    /// When the change was committed.
    pub occurred_at: DateTime<Utc>,
    pub status: BookingStatus,
    /// `None` for the booking's first fact.
    pub previous_status: Option<BookingStatus>,
    pub time: BookingTime,
    pub resource_id: ResourceId,
    pub party_size: PartySize,
    /// The room or table it was in after the fact, if any.
    pub unit: Option<HistoryUnit>,
    pub total: Money,
    /// What had become of the deposit at the payment provider; `None` while none was asked for.
    pub deposit_status: Option<DepositStatus>,
    /// Every payment taken at the desk by then.
    pub desk_payments: Vec<HistoryDeskPayment>,
    /// Who made the booking, by role.
    pub booked_by: Booker,
    pub channel: Channel,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryUnit {
    pub id: UnitId,
    pub number: UnitNumber,
}

/// Money taken at the desk: how much, how, when and by which role (`staff` or `admin`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryDeskPayment {
    pub amount: Money,
    pub method: DeskPaymentMethod,
    pub taken_by: String,
    pub taken_at: DateTime<Utc>,
}

impl HistoryEntry {
    /// The booking and the entry its fact makes.
    pub fn of(event: &BookingEvent) -> (BookingId, Self) {
        let detail = event.booking();
        let entry = Self {
            version: detail.header.version,
            detail_type: event.detail_type().to_owned(),
            occurred_at: detail.header.occurred_at,
            status: detail.status,
            previous_status: detail.previous_status,
            time: detail.time,
            resource_id: detail.resource_id,
            party_size: detail.party_size,
            unit: detail.unit.as_ref().map(|unit| HistoryUnit {
                id: unit.unit_id,
                number: unit.number.clone(),
            }),
            total: detail.total,
            deposit_status: detail
                .deposit_payment
                .as_ref()
                .map(|deposit| deposit.status),
            desk_payments: detail
                .desk_payments
                .iter()
                .map(|payment| HistoryDeskPayment {
                    amount: payment.amount,
                    method: payment.method,
                    taken_by: payment.taken_by.clone(),
                    taken_at: payment.taken_at,
                })
                .collect(),
            booked_by: detail.booked_by,
            channel: detail.channel,
        };
        (detail.booking_id, entry)
    }
}

/// Where bookings' histories are kept.
pub trait HistoryLog: Send + Sync {
    /// Writes `entry` into `booking`'s history unless its version is there already; whether it
    /// was written.
    fn record(
        &self,
        booking: BookingId,
        entry: &HistoryEntry,
    ) -> impl Future<Output = anyhow::Result<bool>> + Send;

    /// `booking`'s history, oldest first (empty when nothing was recorded).
    fn history(
        &self,
        booking: BookingId,
    ) -> impl Future<Output = anyhow::Result<Vec<HistoryEntry>>> + Send;
}

fn partition(booking: BookingId) -> String {
    format!("HISTORY#{booking}")
}

fn version_key(version: u64) -> String {
    format!("V#{version:020}")
}

#[derive(Debug, Clone)]
pub struct DynamoHistoryLog {
    client: Client,
    table: String,
}

impl DynamoHistoryLog {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }

    /// `INVENTORY_TABLE`.
    pub fn from_env(sdk: &crate::aws::SdkConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(
            Client::new(sdk),
            config::required("INVENTORY_TABLE")?,
        ))
    }
}

impl HistoryLog for DynamoHistoryLog {
    async fn record(&self, booking: BookingId, entry: &HistoryEntry) -> anyhow::Result<bool> {
        let mut item: Item = serde_dynamo::to_item(entry).context("serialising a history entry")?;
        item.insert("pk".into(), s(partition(booking)));
        item.insert("sk".into(), s(version_key(entry.version)));
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match put {
            Ok(_) => Ok(true),
            Err(err) => match err.into_service_error() {
                PutItemError::ConditionalCheckFailedException(_) => Ok(false),
                other => Err(anyhow::Error::new(other).context("PutItem history entry")),
            },
        }
    }

    async fn history(&self, booking: BookingId) -> anyhow::Result<Vec<HistoryEntry>> {
        let mut entries = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(partition(booking)))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .context("Query booking history")?;
            for item in output.items.unwrap_or_default() {
                entries.push(from_item(item)?);
            }
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(entries),
            }
        }
    }
}

/// Histories in memory, for unit tests of the projection and of handlers.
#[derive(Debug, Clone, Default)]
pub struct MemoryHistoryLog {
    logs: Arc<Mutex<HashMap<BookingId, BTreeMap<u64, HistoryEntry>>>>,
}

impl MemoryHistoryLog {
    fn logs(&self) -> MutexGuard<'_, HashMap<BookingId, BTreeMap<u64, HistoryEntry>>> {
        self.logs.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl HistoryLog for MemoryHistoryLog {
    async fn record(&self, booking: BookingId, entry: &HistoryEntry) -> anyhow::Result<bool> {
        let mut logs = self.logs();
        let log = logs.entry(booking).or_default();
        if log.contains_key(&entry.version) {
            return Ok(false);
        }
        log.insert(entry.version, entry.clone());
        Ok(true)
    }

    async fn history(&self, booking: BookingId) -> anyhow::Result<Vec<HistoryEntry>> {
        Ok(self
            .logs()
            .get(&booking)
            .map(|log| log.values().cloned().collect())
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::booking::BookingAction;
    use crate::domain::unit::UnitAssignment;
    use crate::events::booking_event;
    use crate::events::fixtures::{hold, moved, next};

    #[test]
    fn version_keys_sort_as_the_versions_do() {
        assert!(version_key(9) < version_key(10));
        assert!(version_key(99) < version_key(100));
        assert_eq!(version_key(7), "V#00000000000000000007");
    }

    #[test]
    fn an_entry_takes_the_facts_status_room_total_and_roles() {
        let held = hold();
        let room = UnitAssignment {
            unit_id: UnitId::generate(),
            number: UnitNumber::parse("204").unwrap(),
        };
        let placed = next(&held, |b| b.unit = Some(room.clone()));

        let event = booking_event(Some(&held), Some(&placed)).unwrap();
        let (booking, entry) = HistoryEntry::of(&event);

        assert_eq!(booking, held.id);
        assert_eq!(entry.detail_type, "BookingUpdated");
        assert_eq!(entry.version, 2);
        assert_eq!(entry.status, BookingStatus::Held);
        assert_eq!(entry.previous_status, Some(BookingStatus::Held));
        assert_eq!(
            entry.unit,
            Some(HistoryUnit {
                id: room.unit_id,
                number: room.number
            })
        );
        assert_eq!(entry.total, held.quote.total);
        assert_eq!(entry.booked_by, Booker::Guest);
        assert_eq!(entry.occurred_at, placed.updated_at);
    }

    #[tokio::test]
    async fn a_fact_recorded_twice_is_kept_once_and_the_history_reads_oldest_first() {
        let log = MemoryHistoryLog::default();
        let held = hold();
        let confirmed = moved(&held, BookingAction::Confirm);
        let cancelled = moved(&confirmed, BookingAction::Cancel);
        let facts = [
            booking_event(None, Some(&held)).unwrap(),
            booking_event(Some(&held), Some(&confirmed)).unwrap(),
            booking_event(Some(&confirmed), Some(&cancelled)).unwrap(),
        ];

        // The last fact first, and the confirmation twice.
        let mut written = Vec::new();
        for event in [&facts[2], &facts[0], &facts[1], &facts[1]] {
            let (booking, entry) = HistoryEntry::of(event);
            written.push(log.record(booking, &entry).await.unwrap());
        }

        let history = log.history(held.id).await.unwrap();
        let read: Vec<(u64, &str)> = history
            .iter()
            .map(|e| (e.version, e.detail_type.as_str()))
            .collect();
        assert_eq!(written, [true, true, true, false]);
        assert_eq!(
            read,
            [
                (1, "BookingHeld"),
                (2, "BookingConfirmed"),
                (3, "BookingCancelled")
            ]
        );
        assert!(log.history(BookingId::generate()).await.unwrap().is_empty());
    }
}
