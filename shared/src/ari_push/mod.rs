//! Availability and rate push to channels (issue 22 item 4). A fact that changes a type's free
//! units or price marks its (vendor, type, night) cells dirty, a restaurant's table type its local
//! dates; the first mark of a vendor since its last flush schedules one delayed flush, which reads
//! the current figures (the last state wins) and posts each dirty cell once to every connected
//! channel with a webhook, with the figures that channel's own pull gives it (`ari_for_channel`),
//! signed (`sign`) and retried (`deliver`). A burst of N holds or seatings is one update per type
//! and night or date.
pub mod allotted;
pub mod deliver;
#[cfg(test)]
mod delivery_tests;
pub mod dynamo;
pub mod key;
pub mod marks;
pub mod sign;
#[cfg(test)]
mod tests;

use crate::channels::ari::{Ari, AriError, AriRange, MAX_SEATING_DAYS};
use crate::channels::{ChannelId, ChannelStore};
use crate::domain::calendar::Bucket;
use crate::domain::ids::{ResourceId, VendorId};
use crate::domain::vendor::TimeZone;
use crate::events::{BookingEvent, Event, VendorEvent};
use crate::store::{AllotmentStore, BookingStore, ResourceStore, VendorStore};
use chrono::{DateTime, NaiveDate, Utc};
pub use deliver::{Delivered, Retry, Webhook};
pub use key::PushKey;
pub use marks::{Cell, DirtyMarks, FlushQueue, MemoryMarks, Pending};

/// Nights a type's own change (price, units, overbooking) marks, from the day it happened.
pub const TYPE_CHANGE_NIGHTS: i64 = 90;

/// The cells `event` may have changed: the nights of a booking's terms (and of its terms before a
/// change), a block's nights, the next `TYPE_CHANGE_NIGHTS` of a changed type. A restaurant's
/// cell is a local date: those of the seatings that share a slot with the booking (`seating_dates`)
/// or start on a blocked day or the evening before it.
pub fn touched_by(event: &Event) -> Vec<Cell> {
    let cell = |vendor: VendorId, resource: ResourceId| {
        move |date: NaiveDate| Cell {
            vendor,
            resource,
            date,
        }
    };
    let nights = |buckets: &[Bucket]| {
        buckets
            .iter()
            .filter_map(|b| match b {
                Bucket::Night(date) => Some(*date),
                Bucket::Slot(_) => None,
            })
            .collect::<Vec<_>>()
    };
    let mut cells = match event {
        Event::Booking(fact) => {
            let detail = fact.booking();
            match fact {
                BookingEvent::Held(_)
                | BookingEvent::Confirmed(_)
                | BookingEvent::Cancelled(_)
                | BookingEvent::Expired(_)
                | BookingEvent::NoShow(_)
                | BookingEvent::Completed(_)
                | BookingEvent::Updated(_) => {
                    let zone = detail.time_zone;
                    let dates = |buckets: &[Bucket]| {
                        let mut dates = nights(buckets);
                        dates.extend(seating_dates(zone, buckets));
                        dates
                    };
                    let mut cells: Vec<Cell> = dates(&detail.buckets)
                        .into_iter()
                        .map(cell(detail.vendor_id, detail.resource_id))
                        .collect();
                    if let Some(before) = &detail.previous {
                        cells.extend(
                            dates(&before.buckets)
                                .into_iter()
                                .map(cell(detail.vendor_id, before.resource_id)),
                        );
                    }
                    cells
                }
                _ => Vec::new(),
            }
        }
        Event::Vendor(VendorEvent::UnitBlockChanged(block)) => {
            let mut dates = nights(&block.buckets);
            if block.buckets.iter().any(|b| matches!(b, Bucket::Slot(_))) {
                let eve = block.from.pred_opt().unwrap_or(block.from);
                dates.extend(eve.iter_days().take_while(|d| *d <= block.to));
            }
            dates
                .into_iter()
                .map(cell(block.vendor_id, block.resource_id))
                .collect()
        }
        Event::Vendor(VendorEvent::ResourceChanged(resource)) => {
            let today = event.occurred_at().date_naive();
            today
                .iter_days()
                .take(TYPE_CHANGE_NIGHTS as usize)
                .map(cell(resource.vendor_id, resource.resource_id))
                .collect()
        }
        Event::Vendor(_) => Vec::new(),
    };
    cells.sort();
    cells.dedup();
    cells
}

/// The local dates of every seating that shares a slot with a seating holding `buckets`: one of
/// the same length starts at most its length less a slot before the first and at the latest on
/// the last, so the dates from the earliest such start to the last slot (a late seating's
/// neighbours run into the next day, an early one's start the day before).
fn seating_dates(zone: TimeZone, buckets: &[Bucket]) -> Vec<NaiveDate> {
    let slots: Vec<DateTime<Utc>> = buckets
        .iter()
        .filter_map(|b| match b {
            Bucket::Slot(start) => Some(*start),
            Bucket::Night(_) => None,
        })
        .collect();
    let (Some(first), Some(last)) = (slots.iter().min(), slots.iter().max()) else {
        return Vec::new();
    };
    let earliest = *first - (*last - *first);
    let local = |at: DateTime<Utc>| at.with_timezone(&zone.tz()).date_naive();
    let end = local(*last);
    local(earliest)
        .iter_days()
        .take_while(|d| *d <= end)
        .collect()
}

/// Where a channel's figures come from at send time: the same as its pull (`GET /channel/ari`).
pub trait AriSource: Send + Sync {
    fn ari(
        &self,
        vendor: VendorId,
        channel: ChannelId,
        range: AriRange,
    ) -> impl Future<Output = Result<Ari, AriError>> + Send;
}

impl<S: VendorStore + ResourceStore + BookingStore + AllotmentStore> AriSource for S {
    async fn ari(
        &self,
        vendor: VendorId,
        channel: ChannelId,
        range: AriRange,
    ) -> Result<Ari, AriError> {
        crate::channels::ari::ari_for_channel(self, vendor, channel, range).await
    }
}

/// Records what `event` touched; schedules the vendor's flush if none is pending.
pub async fn record(
    marks: &impl DirtyMarks,
    queue: &impl FlushQueue,
    event: &Event,
) -> anyhow::Result<usize> {
    record_cells(marks, queue, touched_by(event)).await
}

/// Marks `cells` dirty; schedules each vendor's flush if none is pending.
pub async fn record_cells(
    marks: &impl DirtyMarks,
    queue: &impl FlushQueue,
    cells: Vec<Cell>,
) -> anyhow::Result<usize> {
    let mut vendors: Vec<VendorId> = cells.iter().map(|c| c.vendor).collect();
    vendors.sort();
    vendors.dedup();
    for vendor in vendors {
        let mine: Vec<Cell> = cells
            .iter()
            .filter(|c| c.vendor == vendor)
            .copied()
            .collect();
        if marks.mark(vendor, &mine).await? {
            queue.schedule(vendor).await?;
        }
    }
    Ok(cells.len())
}

/// What one flush did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Flushed {
    pub cells: usize,
    pub delivered: usize,
    /// Channels that answered 4xx: recorded, not retried.
    pub rejected: Vec<(String, u16)>,
}

/// Sends `vendor`'s dirty cells, read now, to each connected channel with a webhook. An error
/// (a channel still failing after its retries) leaves the marks, so the flush message is
/// redelivered and, in the end, lands in the DLQ.
#[allow(clippy::too_many_arguments)]
pub async fn flush(
    marks: &impl DirtyMarks,
    source: &impl AriSource,
    channels: &impl ChannelStore,
    webhook: &impl Webhook,
    signing_key: &PushKey,
    retry: Retry,
    vendor: VendorId,
    now: DateTime<Utc>,
) -> anyhow::Result<Flushed> {
    let pending = marks.take_pending(vendor).await?;
    if pending.is_empty() {
        return Ok(Flushed::default());
    }
    let targets: Vec<_> = channels
        .channels(vendor)
        .await?
        .into_iter()
        .filter(|c| c.is_active() && c.vendor_id == vendor)
        .filter_map(|c| {
            let url = webhook_url(&c)?;
            Some((c.id, url, sign::channel_secrets(signing_key, &c, now)))
        })
        .collect();
    let mut flushed = Flushed {
        cells: pending.len(),
        ..Flushed::default()
    };
    for (channel, url, secrets) in &targets {
        for payload in payloads(source, vendor, *channel, &pending).await? {
            let body = serde_json::to_vec(&payload)?;
            match deliver::deliver(webhook, retry, url, secrets, &body, now).await? {
                Delivered::Accepted { .. } => flushed.delivered += 1,
                Delivered::Rejected { status } => {
                    tracing::warn!(
                        vendor_id = %vendor,
                        channel_id = %channel,
                        status,
                        "a channel refused an ARI push; not retried"
                    );
                    flushed.rejected.push((channel.to_string(), status));
                }
            }
        }
    }
    marks.clear(vendor, &pending).await?;
    Ok(flushed)
}

fn webhook_url(account: &crate::channels::ChannelAccount) -> Option<String> {
    let url = serde_json::to_value(account.webhook_url.as_ref()?).ok()?;
    url.as_str().map(str::to_owned)
}

/// The dirty cells as `channel`'s ARI messages, holding only the dirty types and dates; each at
/// most `MAX_SEATING_DAYS` long, so a restaurant's is a range its pull answers too.
async fn payloads(
    source: &impl AriSource,
    vendor: VendorId,
    channel: ChannelId,
    pending: &[Pending],
) -> anyhow::Result<Vec<Ari>> {
    let mut dates: Vec<NaiveDate> = pending.iter().map(|p| p.cell.date).collect();
    dates.sort();
    dates.dedup();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&start) = dates.get(i) {
        let last = start + chrono::Days::new((MAX_SEATING_DAYS - 1) as u64);
        let window: Vec<NaiveDate> = dates[i..]
            .iter()
            .copied()
            .take_while(|d| *d <= last)
            .collect();
        i += window.len();
        let end = window.last().copied().unwrap_or(start);
        let mut ari = match source.ari(vendor, channel, AriRange { start, end }).await {
            Ok(ari) => ari,
            Err(AriError::VendorNotFound) => return Ok(Vec::new()),
            Err(e @ AriError::RangeTooLong { .. }) => return Err(e.into()),
            Err(AriError::Unexpected(e)) => return Err(e),
        };
        let dirty = |resource: ResourceId, date: NaiveDate| {
            pending
                .iter()
                .any(|p| p.cell.resource == resource && p.cell.date == date)
        };
        for room in &mut ari.room_types {
            room.days.retain(|day| dirty(room.inv_type_code, day.date));
        }
        ari.room_types.retain(|room| !room.days.is_empty());
        for table in &mut ari.table_types {
            table
                .days
                .retain(|day| dirty(table.inv_type_code, day.date));
        }
        ari.table_types.retain(|table| !table.days.is_empty());
        if !ari.room_types.is_empty() || !ari.table_types.is_empty() {
            out.push(ari);
        }
    }
    Ok(out)
}
