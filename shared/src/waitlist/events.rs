//! What the waitlist tells the bus. Entries live in the inventory table, which has no stream, so
//! the function that moved an entry puts its fact itself, after the write: the id comes from the
//! entry and its version, so a retried consumer puts the same fact again and consumers drop the
//! copy. Guests appear by id only.
use super::{Entry, EntryId, EntryStatus};
use crate::domain::booking::BookingTime;
use crate::domain::ids::{BookingId, ResourceId, UserId, VendorId};
use crate::domain::party::PartySize;
use crate::domain::vendor::TimeZone;
use crate::events::{EventEntry, SchemaVersion};
use crate::outbox::EventBus;
use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::future::Future;

pub const WAITLIST_SOURCE: &str = "reservations.waitlist";
pub const WAITLIST_JOINED: &str = "WaitlistJoined";
pub const WAITLIST_OFFERED: &str = "WaitlistOffered";
pub const WAITLIST_LAPSED: &str = "WaitlistLapsed";
pub const WAITLIST_LEFT: &str = "WaitlistLeft";
/// Each with a schema and a sample in `events/`.
pub const DETAIL_TYPES: [&str; 4] = [
    WAITLIST_JOINED,
    WAITLIST_OFFERED,
    WAITLIST_LAPSED,
    WAITLIST_LEFT,
];

/// An entry as its facts carry it, after the change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaitlistFact {
    pub schema_version: SchemaVersion,
    /// `waitlist:<entry>:<version>`.
    pub event_id: String,
    pub entry_id: EntryId,
    pub version: u64,
    pub vendor_id: VendorId,
    pub resource_id: ResourceId,
    pub guest_id: UserId,
    pub party_size: PartySize,
    pub units: u32,
    pub time: BookingTime,
    pub time_zone: TimeZone,
    pub status: EntryStatus,
    /// `WaitlistOffered`: the hold made for the guest; `None` before.
    pub booking_id: Option<BookingId>,
    /// When the offered hold lapses; `None` when the type takes no deposit and the hold was
    /// confirmed at once.
    pub hold_expires_at: Option<DateTime<Utc>>,
    pub occurred_at: DateTime<Utc>,
}

impl WaitlistFact {
    pub fn of(entry: &Entry) -> Self {
        Self {
            schema_version: SchemaVersion,
            event_id: format!("waitlist:{}:{}", entry.id, entry.version),
            entry_id: entry.id,
            version: entry.version,
            vendor_id: entry.vendor_id,
            resource_id: entry.resource_id,
            guest_id: entry.guest_id,
            party_size: entry.party_size,
            units: entry.units,
            time: entry.time,
            time_zone: entry.time_zone,
            status: entry.status,
            booking_id: entry.booking_id,
            hold_expires_at: entry.hold_expires_at,
            occurred_at: entry.updated_at,
        }
    }
}

/// Where the waitlist's facts go.
pub trait WaitlistEvents: Send + Sync {
    fn publish(
        &self,
        detail_type: &'static str,
        fact: &WaitlistFact,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

impl<B: EventBus> WaitlistEvents for B {
    async fn publish(&self, detail_type: &'static str, fact: &WaitlistFact) -> anyhow::Result<()> {
        let entry = EventEntry {
            source: WAITLIST_SOURCE,
            detail_type,
            detail: serde_json::to_string(fact).context("serialising the event")?,
            time: fact.occurred_at,
        };
        match self
            .put(std::slice::from_ref(&entry))
            .await?
            .into_iter()
            .next()
        {
            Some(None) => Ok(()),
            Some(Some(reason)) => Err(anyhow::anyhow!(
                "{detail_type} refused by the bus: {reason}"
            )),
            None => Err(anyhow::anyhow!(
                "the bus answered {detail_type} with no result"
            )),
        }
    }
}
