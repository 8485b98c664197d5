//! The waitlist: guests waiting for a sold-out room or table type on given dates. When units
//! of the type free up, the waiting entries are offered a real hold in the order they joined
//! (`offer`), through the engine, so the counters decide and nothing is oversold.
mod dynamo;
mod events;
mod join;
mod memory;
mod offer;
#[cfg(test)]
mod tests;

pub use dynamo::{DynamoWaitlist, stream_entry};
pub use events::{
    DETAIL_TYPES, WAITLIST_JOINED, WAITLIST_LAPSED, WAITLIST_LEFT, WAITLIST_OFFERED,
    WAITLIST_SOURCE, WaitlistFact,
};
pub use join::{JoinError, JoinRequest, Joined, LeaveError, join, leave};
pub use memory::MemoryWaitlist;
pub use offer::{
    Freed, OfferSettings, Offered, freed_by, freed_by_allotment, offer_freed, settle_offer,
};

use crate::domain::Invalid;
use crate::domain::booking::BookingTime;
use crate::domain::ids::{BookingId, ResourceId, UserId, VendorId};
use crate::domain::party::PartySize;
use crate::domain::vendor::TimeZone;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::future::Future;
use uuid::Uuid;

/// A waitlist entry's id: a UUID v7, so ids sort in the order guests joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EntryId(Uuid);

impl EntryId {
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Uuid::try_parse(raw)
            .map(Self)
            .map_err(|_| Invalid::new("must be a UUID"))
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    /// In the queue.
    Waiting,
    /// Holds the booking `booking_id` until `hold_expires_at`; offered once, never again.
    Offered,
    /// The offer was taken: the booking is confirmed.
    Booked,
    /// The offer expired or was cancelled. Not offered again: the unit goes to the next guest
    /// (who has waited longer than anyone joining now), and this guest may join again.
    Lapsed,
}

/// One guest waiting for `units` of one type on one stay or seating.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: EntryId,
    pub vendor_id: VendorId,
    pub resource_id: ResourceId,
    pub guest_id: UserId,
    pub party_size: PartySize,
    pub units: u32,
    pub time: BookingTime,
    pub time_zone: TimeZone,
    pub status: EntryStatus,
    #[serde(default)]
    pub booking_id: Option<BookingId>,
    #[serde(default)]
    pub hold_expires_at: Option<DateTime<Utc>>,
    pub joined_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The arrival: nothing is offered after it, and the entry is deleted (TTL) a day later.
    pub arrives_at: DateTime<Utc>,
    pub version: u64,
}

impl Entry {
    /// When DynamoDB's TTL may delete it: a day after arrival, so a late lapse still finds it.
    pub fn delete_after(&self) -> DateTime<Utc> {
        self.arrives_at + Duration::days(1)
    }

    /// The idempotency key of its offer's hold: one hold per entry, however often it is tried.
    pub fn offer_key(&self) -> String {
        format!("waitlist:{}", self.id)
    }

    /// Who the offer's hold is booked by: the guest, as their own online hold is.
    pub fn booked_by(&self) -> String {
        format!("guest:{}", self.guest_id)
    }

    /// The booking id its offer gets (or got).
    pub fn offer_booking_id(&self) -> BookingId {
        BookingId::from_idempotency_key(&self.booked_by(), &self.offer_key())
    }

    fn moved(&self, status: EntryStatus, now: DateTime<Utc>) -> Self {
        let mut next = self.clone();
        next.status = status;
        next.updated_at = now;
        next.version += 1;
        next
    }
}

/// What the consumer learns from an offer's booking when it ends or is confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferRef {
    pub vendor_id: VendorId,
    pub resource_id: ResourceId,
    pub entry_id: EntryId,
}

/// Most entries one guest may have waiting at once.
pub const MAX_ENTRIES_PER_GUEST: usize = 20;
/// Most waiting entries one freed release looks at.
pub const MAX_TRIED: usize = 50;

/// The waitlist's storage: entries per type in the order they joined, a guest's entries, and
/// which entry an offer's booking belongs to.
pub trait WaitlistStore: Send + Sync {
    /// Writes a new entry (with the guest's index of it); `false` if its id exists.
    fn insert(&self, entry: &Entry) -> impl Future<Output = anyhow::Result<bool>> + Send;

    /// Replaces the entry if it is still at `entry.version - 1`; an `Offered` one also records
    /// its booking's link back to it, in the same write. `false` if it moved on meanwhile.
    fn update(&self, entry: &Entry) -> impl Future<Output = anyhow::Result<bool>> + Send;

    /// Deletes the entry and the guest's index of it if it is still at `version`.
    fn remove(&self, entry: &Entry) -> impl Future<Output = anyhow::Result<bool>> + Send;

    fn entry(
        &self,
        vendor: VendorId,
        resource: ResourceId,
        id: EntryId,
    ) -> impl Future<Output = anyhow::Result<Option<Entry>>> + Send;

    /// The type's entries, oldest first, at most `limit`, waiting ones only if `waiting_only`.
    fn of_type(
        &self,
        vendor: VendorId,
        resource: ResourceId,
        waiting_only: bool,
        limit: usize,
    ) -> impl Future<Output = anyhow::Result<Vec<Entry>>> + Send;

    /// The guest's entries, oldest first.
    fn of_guest(&self, guest: UserId) -> impl Future<Output = anyhow::Result<Vec<Entry>>> + Send;

    /// The entry an offer's booking was made for, if it was one.
    fn offer_of(
        &self,
        booking: BookingId,
    ) -> impl Future<Output = anyhow::Result<Option<OfferRef>>> + Send;
}
