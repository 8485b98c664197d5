//! What the night audit tells the bus: a day closed, and guests still in house past their
//! departure. Neither is a stored aggregate's fact, so each carries an id derived from the
//! vendor and the day: a re-run publishes the same event again and consumers drop the copy.
use crate::domain::ids::{BookingId, VendorId};
use crate::events::{EventEntry, SchemaVersion};
use crate::outbox::EventBus;
use crate::reports::{Counts, DayFigures};
use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::future::Future;

pub const NIGHT_AUDIT_SOURCE: &str = "reservations.night-audit";
pub const DAY_CLOSED: &str = "DayClosed";
pub const DEPARTURES_OVERDUE: &str = "DeparturesOverdue";
/// Each with a schema and a sample in `events/`.
pub const DETAIL_TYPES: [&str; 2] = [DAY_CLOSED, DEPARTURES_OVERDUE];

/// A business day closed: its figures as they were frozen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayClosed {
    pub schema_version: SchemaVersion,
    /// `day-closed:<vendor>:<day>`.
    pub event_id: String,
    pub vendor_id: VendorId,
    pub day: NaiveDate,
    pub closed_at: DateTime<Utc>,
    /// Rooms or seats the day was closed with.
    pub capacity: u32,
    /// The day's counters (`room_nights`, `rev_net`, `no_shows`, ...), money in minor units.
    pub figures: Counts,
    /// Changes to earlier closed days posted on this one.
    #[serde(default)]
    pub adjustments: Counts,
}

impl DayClosed {
    /// The close of `figures`' day; `now` stands in only for a day item without its close time.
    pub fn new(vendor: VendorId, figures: &DayFigures, now: DateTime<Utc>) -> Self {
        Self {
            schema_version: SchemaVersion,
            event_id: format!("day-closed:{vendor}:{}", figures.day),
            vendor_id: vendor,
            day: figures.day,
            closed_at: figures.closed_at.unwrap_or(now),
            capacity: figures.capacity.unwrap_or(0),
            figures: figures.counts.clone(),
            adjustments: figures.adjustments.clone(),
        }
    }
}

/// Guests still checked in on or after their departure day: the desk is to look (ids only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeparturesOverdue {
    pub schema_version: SchemaVersion,
    /// `departures-overdue:<vendor>:<day>`.
    pub event_id: String,
    pub vendor_id: VendorId,
    pub day: NaiveDate,
    pub booking_ids: Vec<BookingId>,
}

impl DeparturesOverdue {
    pub fn new(vendor: VendorId, day: NaiveDate, booking_ids: Vec<BookingId>) -> Self {
        Self {
            schema_version: SchemaVersion,
            event_id: format!("departures-overdue:{vendor}:{day}"),
            vendor_id: vendor,
            day,
            booking_ids,
        }
    }
}

/// Where the night audit's events go.
pub trait DayEvents: Send + Sync {
    fn day_closed(&self, event: &DayClosed) -> impl Future<Output = anyhow::Result<()>> + Send;

    fn departures_overdue(
        &self,
        event: &DeparturesOverdue,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

async fn put(
    bus: &impl EventBus,
    detail_type: &'static str,
    detail: &impl Serialize,
    time: DateTime<Utc>,
) -> anyhow::Result<()> {
    let entry = EventEntry {
        source: NIGHT_AUDIT_SOURCE,
        detail_type,
        detail: serde_json::to_string(detail).context("serialising the event")?,
        time,
    };
    let results = bus.put(std::slice::from_ref(&entry)).await?;
    match results.into_iter().next() {
        Some(None) => Ok(()),
        Some(Some(reason)) => Err(anyhow::anyhow!(
            "{detail_type} refused by the bus: {reason}"
        )),
        None => Err(anyhow::anyhow!(
            "the bus answered {detail_type} with no result"
        )),
    }
}

impl<B: EventBus> DayEvents for B {
    async fn day_closed(&self, event: &DayClosed) -> anyhow::Result<()> {
        put(self, DAY_CLOSED, event, event.closed_at).await
    }

    async fn departures_overdue(&self, event: &DeparturesOverdue) -> anyhow::Result<()> {
        put(self, DEPARTURES_OVERDUE, event, crate::clock::now()).await
    }
}
