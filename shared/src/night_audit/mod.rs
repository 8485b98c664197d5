//! The night audit (issue 20): for one vendor and business day, marks the confirmed guests who
//! never came as no-shows, flags the guests still in house past their departure, and closes the
//! day in the reports. Each step is idempotent, so re-running a day changes nothing.
mod events;
mod schedule;
#[cfg(test)]
mod tests;

pub use events::{
    DAY_CLOSED, DEPARTURES_OVERDUE, DETAIL_TYPES, DayClosed, DayEvents, DeparturesOverdue,
    NIGHT_AUDIT_SOURCE,
};
pub use schedule::{
    AuditSchedule, MemorySchedules, NightAuditSchedules, SCHEDULE_GROUP_VARIABLE,
    SchedulerSchedules,
};

use crate::domain::booking::{Booking, BookingAction, BookingStatus, BookingTime};
use crate::domain::ids::{BookingId, VendorId};
use crate::domain::resource::{Resource, ResourceKind};
use crate::domain::terms::no_show_from;
use crate::domain::vendor::Vendor;
use crate::engine::{Requester, TransitionError, transition};
use crate::events::booking_event;
use crate::reports::{CloseOutcome, DayFigures, ReportError, ReportStore, record};
use crate::store::{AllotmentRelease, ArrivingBookings, BookingStore, ResourceStore, VendorStore};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone as _, Utc};
use serde::{Deserialize, Serialize};

/// Bookings arriving this many days before the day are still looked at for no-shows (a stay's
/// grace runs past the next night's audit).
const NO_SHOW_LOOKBACK_DAYS: i64 = 7;
/// Guests in house are looked for among bookings arriving this many days before the day.
const IN_HOUSE_LOOKBACK_DAYS: i64 = 30;
/// The audit at 02:00 on the 8th closes the 7th: the day of local now minus this.
const CLOSING_LAG_HOURS: i64 = 12;

/// What a scheduled run's message (and the route) asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRequest {
    pub vendor_id: VendorId,
    /// The business day to close; the day just ended when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<NaiveDate>,
}

/// Whether the day was closed by this run or before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Closed {
    Closed,
    AlreadyClosed,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditOutcome {
    pub vendor_id: VendorId,
    pub day: NaiveDate,
    /// Marked NO_SHOW by this run.
    pub no_shows: Vec<BookingId>,
    /// Still CHECKED_IN on or after their departure day.
    pub overdue_departures: Vec<BookingId>,
    pub closed: Closed,
    pub figures: DayFigures,
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("no such vendor")]
    VendorNotFound,
    #[error("the business day {day} has not ended yet (it ends at {ends_at})")]
    DayNotEnded {
        day: NaiveDate,
        ends_at: DateTime<Utc>,
    },
    /// Some bookings could not be marked; the day stays open so a retry finishes them first.
    #[error("{} bookings could not be marked as no-shows", .failed.len())]
    Incomplete { failed: Vec<BookingId> },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<ReportError> for AuditError {
    fn from(err: ReportError) -> Self {
        Self::Unexpected(anyhow::Error::new(err).context("the reports table"))
    }
}

/// The business day an audit at `now` closes: the local date of `now` − 12 hours, unless that
/// day has not ended yet (an audit set in the evening), when it is the day before.
pub fn closing_day(now: DateTime<Utc>, zone: chrono_tz::Tz) -> NaiveDate {
    let lagged = (now - Duration::hours(CLOSING_LAG_HOURS))
        .with_timezone(&zone)
        .date_naive();
    let yesterday = now.with_timezone(&zone).date_naive() - Duration::days(1);
    lagged.min(yesterday)
}

/// The first instant of a local date (the earliest, if the clocks repeat its midnight; the first
/// after a skipped one).
pub fn local_start(day: NaiveDate, zone: chrono_tz::Tz) -> DateTime<Utc> {
    let mut at = day.and_time(NaiveTime::MIN);
    for _ in 0..4 {
        if let Some(start) = zone.from_local_datetime(&at).earliest() {
            return start.with_timezone(&Utc);
        }
        at += Duration::hours(1);
    }
    day.and_time(NaiveTime::MIN).and_utc()
}

/// When a business day has ended: local midnight after it.
pub fn day_ends_at(day: NaiveDate, zone: chrono_tz::Tz) -> DateTime<Utc> {
    local_start(day + Duration::days(1), zone)
}

/// Rooms (sum of the room types' units) or seats (tables × seats each) the vendor has now.
pub fn capacity(resources: &[Resource]) -> u32 {
    resources
        .iter()
        .map(|r| match r.kind {
            ResourceKind::RoomType => r.units.get(),
            ResourceKind::TableType => r.units.get() * u32::from(r.capacity.get()),
        })
        .sum()
}

/// The local date a booking's guest leaves (a seating's own date).
fn departure(booking: &Booking) -> NaiveDate {
    match booking.time {
        BookingTime::Stay { check_out, .. } => check_out,
        BookingTime::Seating { date, .. } => date,
    }
}

/// Runs the night audit of `request` at `now`: no-shows, overdue departures, then the close.
pub async fn run(
    store: &(impl VendorStore + ResourceStore + BookingStore + ArrivingBookings + AllotmentRelease),
    reports: &impl ReportStore,
    events: &impl DayEvents,
    request: &AuditRequest,
    now: DateTime<Utc>,
) -> Result<AuditOutcome, AuditError> {
    let vendor = store
        .vendor(request.vendor_id)
        .await?
        .ok_or(AuditError::VendorNotFound)?;
    let zone = vendor.time_zone.tz();
    let day = request.day.unwrap_or_else(|| closing_day(now, zone));
    let ends_at = day_ends_at(day, zone);
    if now < ends_at {
        return Err(AuditError::DayNotEnded { day, ends_at });
    }

    // Allotments due by the vendor's today go back to the general pool (the channel path also
    // releases a due night itself, so a late run never lets a channel sell one).
    let today = now.with_timezone(&zone).date_naive();
    match store.release_due(vendor.id, today).await {
        Ok(0) => {}
        Ok(released) => {
            tracing::info!(vendor_id = %vendor.id, released, "night audit: allotments released")
        }
        Err(err) => {
            tracing::error!(vendor_id = %vendor.id, error = %err, "night audit: allotments not released")
        }
    }
    let (no_shows, failed) = mark_no_shows(store, reports, &vendor, day, now).await?;
    let overdue = overdue_departures(store, &vendor, day).await?;
    if !overdue.is_empty() {
        events
            .departures_overdue(&DeparturesOverdue::new(vendor.id, day, overdue.clone()))
            .await?;
    }
    if !failed.is_empty() {
        return Err(AuditError::Incomplete { failed });
    }

    let resources = store.resources(vendor.id).await?;
    let outcome = reports
        .close_day(vendor.id, day, capacity(&resources), now)
        .await?;
    let closed = match outcome {
        CloseOutcome::Closed(_) => Closed::Closed,
        CloseOutcome::AlreadyClosed(_) => Closed::AlreadyClosed,
    };
    let figures = outcome.figures().clone();
    // Published again on a re-run, with the same event id: consumers drop the copy.
    events
        .day_closed(&DayClosed::new(vendor.id, &figures, now))
        .await?;
    Ok(AuditOutcome {
        vendor_id: vendor.id,
        day,
        no_shows,
        overdue_departures: overdue,
        closed,
        figures,
    })
}

/// Marks the bookings arriving D−7..=D that are still CONFIRMED and past their no-show time;
/// returns those marked and those that failed (logged by id). Every no-show among them (marked
/// now, or by an earlier run or the desk) is recorded in the reports before the day closes: the
/// consumer gets their facts only later, and the close must count them.
async fn mark_no_shows(
    store: &(impl ResourceStore + BookingStore + ArrivingBookings),
    reports: &impl ReportStore,
    vendor: &Vendor,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<(Vec<BookingId>, Vec<BookingId>)> {
    let zone = vendor.time_zone.tz();
    let from = local_start(day - Duration::days(NO_SHOW_LOOKBACK_DAYS), zone);
    let arriving = store
        .arriving(vendor.id, from, day_ends_at(day, zone))
        .await?;
    let (mut marked, mut failed) = (Vec::new(), Vec::new());
    for booking in arriving {
        let no_show = match booking.status {
            BookingStatus::NoShow => booking,
            BookingStatus::Confirmed
                if now
                    >= no_show_from(
                        &booking.payment,
                        &booking.time,
                        booking.time_zone.tz(),
                        booking.arrival_at,
                    ) =>
            {
                match transition(
                    store,
                    booking.id,
                    BookingAction::NoShow,
                    &Requester::System,
                    now,
                )
                .await
                {
                    Ok(moved) if moved.status == BookingStatus::NoShow => {
                        marked.push(booking.id);
                        moved
                    }
                    // Checked in or cancelled since it was read: nothing to mark.
                    Ok(_) | Err(TransitionError::Invalid(_) | TransitionError::NotFound) => {
                        continue;
                    }
                    Err(err) => {
                        tracing::error!(vendor_id = %vendor.id, booking_id = %booking.id, error = %err, "night audit: no-show not marked");
                        failed.push(booking.id);
                        continue;
                    }
                }
            }
            _ => continue,
        };
        let Some(fact) = booking_event(None, Some(&no_show)) else {
            continue;
        };
        if let Err(err) = record(reports, fact.booking(), &vendor.taxes).await {
            tracing::error!(vendor_id = %vendor.id, booking_id = %no_show.id, error = %err, "night audit: no-show not in the reports");
            failed.push(no_show.id);
        }
    }
    Ok((marked, failed))
}

/// The bookings arriving D−30..=D still CHECKED_IN with their departure on or before D.
async fn overdue_departures(
    store: &impl ArrivingBookings,
    vendor: &Vendor,
    day: NaiveDate,
) -> anyhow::Result<Vec<BookingId>> {
    let zone = vendor.time_zone.tz();
    let from = local_start(day - Duration::days(IN_HOUSE_LOOKBACK_DAYS), zone);
    Ok(store
        .arriving(vendor.id, from, day_ends_at(day, zone))
        .await?
        .into_iter()
        .filter(|b| b.status == BookingStatus::CheckedIn && departure(b) <= day)
        .map(|b| b.id)
        .collect())
}
