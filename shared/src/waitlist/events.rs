//! What the waitlist tells the bus. Entries live in the inventory table, whose stream the
//! outbox publisher reads: a committed change to an entry becomes its fact there
//! (`WaitlistFact::change`), so none is lost after the write and none is told of a write that
//! did not commit. The id comes from the entry and its version, so a record delivered again is
//! the same fact and consumers drop the copy. Guests appear by id only.
use super::{Entry, EntryId, EntryStatus};
use crate::domain::booking::BookingTime;
use crate::domain::ids::{BookingId, ResourceId, UserId, VendorId};
use crate::domain::party::PartySize;
use crate::domain::vendor::TimeZone;
use crate::events::{EventEntry, SchemaVersion};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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

impl WaitlistFact {
    /// The fact a committed change of an entry tells (`old` and `new` as the stream has them),
    /// with its detail-type; `None` for a change no consumer hears of. A guest's leaving deletes
    /// the entry: `removed_at` is when, or `None` when TTL deleted it, which nobody hears of.
    pub fn change(
        old: Option<&Entry>,
        new: Option<&Entry>,
        removed_at: Option<DateTime<Utc>>,
    ) -> Option<(&'static str, Self)> {
        let (old, new) = match (old, new) {
            (None, Some(new)) if new.status == EntryStatus::Waiting => {
                return Some((WAITLIST_JOINED, Self::of(new)));
            }
            (Some(old), None) => {
                let mut left = old.clone();
                left.version += 1;
                left.updated_at = removed_at?;
                return Some((WAITLIST_LEFT, Self::of(&left)));
            }
            (Some(old), Some(new)) if old.version < new.version && old.status != new.status => {
                (old, new)
            }
            _ => return None,
        };
        let detail_type = match (old.status, new.status) {
            (_, EntryStatus::Offered) | (EntryStatus::Waiting, EntryStatus::Booked) => {
                WAITLIST_OFFERED
            }
            (_, EntryStatus::Lapsed) => WAITLIST_LAPSED,
            _ => return None,
        };
        Some((detail_type, Self::of(new)))
    }

    pub fn entry(&self, detail_type: &'static str) -> serde_json::Result<EventEntry> {
        Ok(EventEntry {
            source: WAITLIST_SOURCE,
            detail_type,
            detail: serde_json::to_string(self)?,
            time: self.occurred_at,
        })
    }
}
