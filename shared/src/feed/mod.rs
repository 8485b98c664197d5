//! The change feed: per vendor, a gapless, ordered log of what changed (bookings, room and table
//! types, units), which the live board and the offline desk sync from with a cursor.
//!
//! Positions are taken one by one from a per-vendor counter in the same transaction as the entry,
//! so two writers never share one and none is skipped. Entries expire `RETENTION_DAYS` after they
//! were recorded; since the log has no gaps, a missing position after a reader's cursor can only
//! mean it expired, and that reader must reload (`FeedError::Gone`).
use crate::domain::ids::VendorId;
use crate::events::{Event, EventId, VendorEvent};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::future::Future;

mod dynamo;
mod memory;

pub use dynamo::DynamoFeed;
pub use memory::MemoryFeed;

/// How long an entry stays readable (DynamoDB TTL on `expires_at`; read as gone from then on,
/// whenever TTL actually deletes it).
pub const RETENTION_DAYS: i64 = 7;
/// Transactions that lost the vendor's next position to another writer are tried again this
/// many times before the fact is reported failed (and its message comes back).
const APPEND_ATTEMPTS: u32 = 8;
/// A read that meets only expired entries (not deleted by TTL yet) goes on this many pages.
const EXPIRED_PAGES: usize = 10;

/// A place in a vendor's log: 0 is before the first entry, each entry takes the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position(u64);

impl Position {
    /// Before the first entry: where a reader without a cursor starts.
    pub const START: Self = Self(0);
    /// Digits of a cursor: enough for any u64, so cursors also sort as strings.
    const DIGITS: usize = 20;

    pub fn new(value: u64) -> Self {
        Self(value)
    }

    pub fn get(self) -> u64 {
        self.0
    }

    pub fn next(self) -> Self {
        Self(self.0.saturating_add(1))
    }

    /// What clients hold and pass back as `after`: opaque to them, zero-padded so that cursors
    /// of one vendor compare as strings the way their positions do.
    pub fn cursor(self) -> String {
        format!("{:0width$}", self.0, width = Self::DIGITS)
    }

    /// A cursor back into its position; `None` for anything this feed never handed out.
    pub fn from_cursor(raw: &str) -> Option<Self> {
        if raw.is_empty() || raw.len() > Self::DIGITS || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        raw.parse().ok().map(Self)
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.cursor())
    }
}

impl Serialize for Position {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.cursor())
    }
}

impl<'de> Deserialize<'de> for Position {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::from_cursor(&raw)
            .ok_or_else(|| serde::de::Error::custom(format!("{raw:?} is not a feed position")))
    }
}

/// What an entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Booking,
    /// A room type or table type.
    Resource,
    /// A room or a table: its number, service and housekeeping status.
    Unit,
    /// A period a room or table is out of order.
    Block,
}

/// One fact, as the feed keeps it (before it has a position).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub kind: ChangeKind,
    /// The booking, room/table type or unit the fact is about.
    pub aggregate_id: String,
    /// The aggregate's version after the change: a client keeps the highest it applied.
    pub version: u64,
    /// The event's detail-type (`BookingConfirmed`, `ResourceChanged` ...).
    pub detail_type: String,
    pub event_id: EventId,
    /// The commit time.
    pub occurred_at: DateTime<Utc>,
    /// The event's detail as published (ids, no personal data).
    pub detail: serde_json::Value,
}

/// Whether, and as what, a fact goes in a vendor's feed. One arm per kind of fact, so a new
/// event variant does not compile until it is given a line here.
fn subject(event: &Event) -> Option<(ChangeKind, VendorId)> {
    match event {
        Event::Booking(booking) => Some((ChangeKind::Booking, booking.booking().vendor_id)),
        Event::Vendor(VendorEvent::ResourceChanged(detail)) => {
            Some((ChangeKind::Resource, detail.vendor_id))
        }
        // The profile and the rating are not the desk's business: it reads them from the vendor.
        Event::Vendor(VendorEvent::Onboarded(_) | VendorEvent::Updated(_)) => None,
        Event::Vendor(VendorEvent::Rated(_)) => None,
        Event::Vendor(VendorEvent::UnitChanged(detail)) => {
            Some((ChangeKind::Unit, detail.vendor_id))
        }
        Event::Vendor(VendorEvent::UnitBlockChanged(detail)) => {
            Some((ChangeKind::Block, detail.vendor_id))
        }
    }
}

impl Change {
    /// The vendor whose feed the fact goes in, and the entry; `None` for facts the feed leaves out.
    pub fn of(event: &Event) -> Result<Option<(VendorId, Self)>, serde_json::Error> {
        let Some((kind, vendor)) = subject(event) else {
            return Ok(None);
        };
        Ok(Some((
            vendor,
            Self {
                kind,
                aggregate_id: event.aggregate_id(),
                version: event.version(),
                detail_type: event.detail_type().to_owned(),
                event_id: event.event_id(),
                occurred_at: event.occurred_at(),
                detail: event.detail()?,
            },
        )))
    }
}

/// One entry of a vendor's log, as readers get it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedEntry {
    /// The entry's cursor: pass it as `after` to read what came after it.
    pub position: Position,
    #[serde(flatten)]
    pub change: Change,
    /// When the feed recorded it (its expiry counts from here).
    pub recorded_at: DateTime<Utc>,
}

impl FeedEntry {
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.recorded_at + Duration::days(RETENTION_DAYS)
    }

    fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at() <= now
    }
}

/// Part of a vendor's log, read in order from a position.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Slice {
    /// Entries after the position, oldest first, expired ones included (TTL deletes them late).
    pub entries: Vec<FeedEntry>,
    /// The log's last position when the read reached the end of the log (`START` for a vendor
    /// with no entries yet); `None` when more entries follow.
    pub last: Option<Position>,
}

/// What became of one append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    Appended,
    /// The log's last position was no longer the one expected: another writer took it.
    HeadMoved,
    /// The fact is in the log already (a repeated delivery); nothing was written.
    Duplicate,
}

/// Where the logs are kept: the storage alone, no rules.
pub trait ChangeLog: Send + Sync {
    /// The vendor's last position (consistent read); `START` when it has no entries.
    fn head(&self, vendor: VendorId) -> impl Future<Output = anyhow::Result<Position>> + Send;

    /// Writes `entry` at its position, if and only if the last position is still `expected`
    /// (and `entry.position` its next) and the fact is not in the log yet, all in one write.
    fn append(
        &self,
        vendor: VendorId,
        expected: Position,
        entry: &FeedEntry,
    ) -> impl Future<Output = anyhow::Result<Appended>> + Send;

    /// Up to `limit` entries after `after`, oldest first.
    fn read(
        &self,
        vendor: VendorId,
        after: Position,
        limit: usize,
    ) -> impl Future<Output = anyhow::Result<Slice>> + Send;
}

/// Who reads a feed, and so which entries they see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The vendor's staff: every entry.
    Everything,
    /// Housekeeping: rooms and tables and their out-of-order blocks only, never a booking
    /// (whose detail is about guests).
    UnitsOnly,
}

impl Audience {
    pub fn admits(self, kind: ChangeKind) -> bool {
        match self {
            Self::Everything => true,
            Self::UnitsOnly => matches!(kind, ChangeKind::Unit | ChangeKind::Block),
        }
    }
}

/// A reader's answer: what is new, and the cursor to pass next time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Changes {
    pub changes: Vec<FeedEntry>,
    /// The last position read (also past entries this audience does not see), or the cursor
    /// given when nothing is new.
    pub next: Position,
}

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The cursor is past the end of this vendor's log: it never came from it.
    #[error("the cursor is not a position of this feed")]
    UnknownCursor,
    /// Entries after the cursor expired: the reader must reload, then follow from `head`.
    #[error("the changes after the cursor are no longer kept")]
    Gone { head: Position },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// The feed's rules over a log: where a fact goes, and what a reader gets.
#[derive(Debug, Clone)]
pub struct Feed<L> {
    pub log: L,
}

impl<L: ChangeLog> Feed<L> {
    pub fn new(log: L) -> Self {
        Self { log }
    }

    /// Appends the change at the vendor's next position; `None` when the fact was in the log
    /// already. Losing the position to another writer is tried again.
    pub async fn record(
        &self,
        vendor: VendorId,
        change: Change,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<Position>> {
        let mut entry = FeedEntry {
            position: Position::START,
            change,
            recorded_at: now,
        };
        for attempt in 1..=APPEND_ATTEMPTS {
            let head = self.log.head(vendor).await?;
            entry.position = head.next();
            match self.log.append(vendor, head, &entry).await? {
                Appended::Appended => return Ok(Some(entry.position)),
                Appended::Duplicate => return Ok(None),
                Appended::HeadMoved => crate::store::jittered_pause(attempt).await,
            }
        }
        Err(anyhow::Error::new(crate::store::Contended)
            .context("the vendor's next feed position kept being taken"))
    }

    /// Up to `limit` entries after `after` that `audience` sees, oldest first.
    pub async fn changes(
        &self,
        vendor: VendorId,
        after: Position,
        limit: usize,
        audience: Audience,
        now: DateTime<Utc>,
    ) -> Result<Changes, FeedError> {
        let limit = limit.max(1);
        let mut slice = self.log.read(vendor, after, limit).await?;
        if slice.last.is_some_and(|last| last < after) {
            return Err(FeedError::UnknownCursor);
        }
        let mut read_to = after;
        if after == Position::START {
            // From the start of what is kept: expired entries TTL has not deleted yet are skipped.
            for _ in 0..EXPIRED_PAGES {
                if slice.last.is_some() || slice.entries.iter().any(|e| !e.expired(now)) {
                    break;
                }
                let Some(last_seen) = slice.entries.last().map(|e| e.position) else {
                    break;
                };
                read_to = last_seen;
                slice = self.log.read(vendor, read_to, limit).await?;
            }
        } else {
            let continues = match slice.entries.first() {
                Some(first) => first.position == after.next() && !first.expired(now),
                None => slice.last.is_some(),
            };
            if !continues {
                let head = self.log.head(vendor).await?;
                return Err(FeedError::Gone { head });
            }
        }
        let next = slice.entries.last().map_or(read_to, |e| e.position);
        let changes = slice
            .entries
            .into_iter()
            .filter(|e| !e.expired(now) && audience.admits(e.change.kind))
            .collect();
        Ok(Changes { changes, next })
    }
}

#[cfg(test)]
mod tests;
