//! The reports table in memory, for unit tests and handlers' tests: the same rules as DynamoDB.
use super::{
    Applied, CloseOutcome, Contribution, DayFigures, ReportError, ReportStore, diff, first_open,
    plan,
};
use crate::domain::ids::{BookingId, VendorId};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Debug, Default)]
struct State {
    days: HashMap<VendorId, BTreeMap<NaiveDate, DayFigures>>,
    contributions: HashMap<(VendorId, BookingId), Contribution>,
    last_closed: HashMap<VendorId, NaiveDate>,
}

#[derive(Debug, Clone, Default)]
pub struct MemoryReports {
    state: Arc<Mutex<State>>,
}

impl MemoryReports {
    fn state(&self) -> Result<MutexGuard<'_, State>, ReportError> {
        self.state
            .lock()
            .map_err(|_| ReportError::Unexpected(anyhow::anyhow!("the memory store is poisoned")))
    }
}

impl ReportStore for MemoryReports {
    async fn contribution(
        &self,
        vendor: VendorId,
        booking: BookingId,
    ) -> Result<Option<Contribution>, ReportError> {
        Ok(self.state()?.contributions.get(&(vendor, booking)).cloned())
    }

    async fn apply(
        &self,
        vendor: VendorId,
        booking: BookingId,
        previous: Option<&Contribution>,
        next: &Contribution,
    ) -> Result<Applied, ReportError> {
        let mut state = self.state()?;
        if state.contributions.get(&(vendor, booking)) != previous {
            return Ok(Applied::Stale);
        }
        let days = state.days.entry(vendor).or_default();
        let differences = diff(previous, next);
        let closed: BTreeSet<NaiveDate> = differences
            .keys()
            .filter(|day| days.get(day).is_some_and(DayFigures::is_closed))
            .copied()
            .collect();
        let last_closed = state.last_closed.get(&vendor).copied();
        let target = first_open(last_closed, &closed);
        let writes = match target {
            Some(target) => plan(differences, &closed, target),
            None => plan(differences, &BTreeSet::new(), NaiveDate::MIN),
        };
        let days = state.days.entry(vendor).or_default();
        for (day, write) in writes {
            let item = days.entry(day).or_insert_with(|| DayFigures::empty(day));
            for (field, value) in write.add {
                *item.counts.entry(field).or_default() += value;
            }
            for (field, value) in write.adjustments {
                *item.adjustments.entry(field).or_default() += value;
            }
            item.adjusts.extend(write.adjusts);
        }
        state.contributions.insert((vendor, booking), next.clone());
        Ok(Applied::Written { redirected: closed })
    }

    async fn close_day(
        &self,
        vendor: VendorId,
        day: NaiveDate,
        capacity: u32,
        closed_at: DateTime<Utc>,
    ) -> Result<CloseOutcome, ReportError> {
        let mut state = self.state()?;
        let item = state
            .days
            .entry(vendor)
            .or_default()
            .entry(day)
            .or_insert_with(|| DayFigures::empty(day));
        if item.is_closed() {
            return Ok(CloseOutcome::AlreadyClosed(item.clone()));
        }
        item.closed_at = Some(closed_at);
        item.capacity = Some(capacity);
        let figures = item.clone();
        let last = state.last_closed.entry(vendor).or_insert(day);
        *last = (*last).max(day);
        Ok(CloseOutcome::Closed(figures))
    }

    async fn day(
        &self,
        vendor: VendorId,
        day: NaiveDate,
    ) -> Result<Option<DayFigures>, ReportError> {
        Ok(self
            .state()?
            .days
            .get(&vendor)
            .and_then(|days| days.get(&day))
            .cloned())
    }

    async fn days(
        &self,
        vendor: VendorId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DayFigures>, ReportError> {
        Ok(self
            .state()?
            .days
            .get(&vendor)
            .map(|days| days.range(from..=to).map(|(_, d)| d.clone()).collect())
            .unwrap_or_default())
    }

    async fn last_closed(&self, vendor: VendorId) -> Result<Option<NaiveDate>, ReportError> {
        Ok(self.state()?.last_closed.get(&vendor).copied())
    }
}
