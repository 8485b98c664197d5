//! The reports projection (issue 20): per vendor and business day, counters that booking facts
//! add to, and the day close (night audit) that freezes a day. A change reaching a closed day is
//! posted on the vendor's first open day as an adjustment, so closed figures never move.
mod contribution;
mod dynamo;
mod memory;
pub mod period;
#[cfg(test)]
mod tests;

pub use contribution::{Contribution, channel_key, contribution};
pub use dynamo::DynamoReports;
pub use memory::MemoryReports;

use crate::domain::ids::{BookingId, VendorId};
use crate::domain::tax::TaxRules;
use crate::events::BookingDetail;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

/// Counters by attribute name (`room_nights`, `rev_net`, `ch_online_bookings`, `slot_1930`, ...):
/// money in minor units of the vendor's currency.
pub type Counts = BTreeMap<String, i64>;

/// One business day as the projection holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DayFigures {
    pub day: NaiveDate,
    pub counts: Counts,
    /// Changes to closed days posted on this one (`adj_<field>` in the table, without `adj_`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub adjustments: Counts,
    /// The closed days those adjustments belong to.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub adjusts: BTreeSet<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    /// Rooms (hotels) or seats (restaurants) the day was closed with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
}

impl DayFigures {
    pub fn empty(day: NaiveDate) -> Self {
        Self {
            day,
            ..Self::default()
        }
    }

    pub fn count(&self, field: &str) -> i64 {
        self.counts.get(field).copied().unwrap_or(0)
    }

    pub fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }
}

/// What closing a day found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseOutcome {
    Closed(DayFigures),
    /// It was closed before (a re-run): its figures as they were closed.
    AlreadyClosed(DayFigures),
}

impl CloseOutcome {
    pub fn figures(&self) -> &DayFigures {
        match self {
            Self::Closed(figures) | Self::AlreadyClosed(figures) => figures,
        }
    }
}

/// What applying a booking's contribution did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Written; the closed days whose differences went to the first open day instead.
    Written { redirected: BTreeSet<NaiveDate> },
    /// The stored contribution is not the one it was computed against (another copy of the fact
    /// won, or a newer one): nothing written.
    Stale,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("the vendor's report items stayed contended; retry")]
    Contended,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// The reports table behind its operations.
pub trait ReportStore: Send + Sync {
    /// The booking's last applied contribution.
    fn contribution(
        &self,
        vendor: VendorId,
        booking: BookingId,
    ) -> impl Future<Output = Result<Option<Contribution>, ReportError>> + Send;

    /// Moves the days from `previous` (what is stored) to `next` in one write, conditioned on
    /// `previous` still being the stored contribution.
    fn apply(
        &self,
        vendor: VendorId,
        booking: BookingId,
        previous: Option<&Contribution>,
        next: &Contribution,
    ) -> impl Future<Output = Result<Applied, ReportError>> + Send;

    /// Freezes a day with the capacity it had, once; raises the vendor's last closed day.
    fn close_day(
        &self,
        vendor: VendorId,
        day: NaiveDate,
        capacity: u32,
        closed_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<CloseOutcome, ReportError>> + Send;

    /// One day, if anything was ever written for it.
    fn day(
        &self,
        vendor: VendorId,
        day: NaiveDate,
    ) -> impl Future<Output = Result<Option<DayFigures>, ReportError>> + Send;

    /// The days from `from` to `to` (inclusive) that have an item, in order.
    fn days(
        &self,
        vendor: VendorId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> impl Future<Output = Result<Vec<DayFigures>, ReportError>> + Send;

    /// The latest closed day of the vendor.
    fn last_closed(
        &self,
        vendor: VendorId,
    ) -> impl Future<Output = Result<Option<NaiveDate>, ReportError>> + Send;
}

/// What recording a booking fact did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// Written; the closed days whose differences went to the first open day instead.
    Written { redirected: BTreeSet<NaiveDate> },
    /// The projection already holds this fact or a newer one of the booking: nothing written.
    AlreadyNewer,
}

/// How often `record` recomputes a contribution another writer of the booking changed under it.
const RECORD_ATTEMPTS: usize = 5;

/// Records a booking fact: the booking's contribution after it, written as the difference from
/// the stored one. The reports consumer does this with every fact; the night audit with the
/// no-shows it marks, before it closes the day, so the close counts them (their facts reach the
/// consumer later and change nothing then).
pub async fn record(
    reports: &impl ReportStore,
    detail: &BookingDetail,
    taxes: &TaxRules,
) -> Result<Recorded, ReportError> {
    let (vendor, booking, version) = (detail.vendor_id, detail.booking_id, detail.header.version);
    for _ in 0..RECORD_ATTEMPTS {
        let stored = reports.contribution(vendor, booking).await?;
        if stored.as_ref().is_some_and(|s| s.version >= version) {
            return Ok(Recorded::AlreadyNewer);
        }
        let next = contribution(detail, taxes, stored.as_ref());
        if let Applied::Written { redirected } = reports
            .apply(vendor, booking, stored.as_ref(), &next)
            .await?
        {
            return Ok(Recorded::Written { redirected });
        }
    }
    Err(ReportError::Contended)
}

/// The non-zero differences from one contribution to the next, per day.
pub fn diff(previous: Option<&Contribution>, next: &Contribution) -> BTreeMap<NaiveDate, Counts> {
    let mut out: BTreeMap<NaiveDate, Counts> = BTreeMap::new();
    for (day, counts) in &next.days {
        for (field, value) in counts {
            *out.entry(*day)
                .or_default()
                .entry(field.clone())
                .or_default() += value;
        }
    }
    for (day, counts) in previous.map(|p| &p.days).into_iter().flatten() {
        for (field, value) in counts {
            *out.entry(*day)
                .or_default()
                .entry(field.clone())
                .or_default() -= value;
        }
    }
    for counts in out.values_mut() {
        counts.retain(|_, value| *value != 0);
    }
    out.retain(|_, counts| !counts.is_empty());
    out
}

/// What one day item receives from a contribution change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayWrite {
    pub add: Counts,
    /// Differences of closed days, added as `adj_<field>`.
    pub adjustments: Counts,
    pub adjusts: BTreeSet<NaiveDate>,
}

/// Routes each day's differences to its own item, or, for a closed day, to `first_open` as an
/// adjustment.
pub fn plan(
    differences: BTreeMap<NaiveDate, Counts>,
    closed: &BTreeSet<NaiveDate>,
    first_open: NaiveDate,
) -> BTreeMap<NaiveDate, DayWrite> {
    let mut writes: BTreeMap<NaiveDate, DayWrite> = BTreeMap::new();
    for (day, counts) in differences {
        if closed.contains(&day) {
            let write = writes.entry(first_open).or_default();
            write.adjusts.insert(day);
            for (field, value) in counts {
                *write.adjustments.entry(field).or_default() += value;
            }
        } else {
            let write = writes.entry(day).or_default();
            for (field, value) in counts {
                *write.add.entry(field).or_default() += value;
            }
        }
    }
    writes
}

/// The day after the latest closed one (`closed` holds days found closed, `last_closed` what the
/// vendor's close record said); `None` when nothing is closed.
fn first_open(last_closed: Option<NaiveDate>, closed: &BTreeSet<NaiveDate>) -> Option<NaiveDate> {
    last_closed
        .into_iter()
        .chain(closed.iter().copied())
        .max()
        .and_then(|day| day.succ_opt())
}
