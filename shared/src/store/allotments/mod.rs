//! Allotments in the inventory table (rules in `channels::allotment`). Per type and night, with T
//! the type counter's sold: T = general sales + unreleased allotments + what channels sold of
//! released ones. Items:
//! - `CHAN#<vendor>#<type>` / `<night>#<channel>`: `sold` (always kept for a channel's bookings),
//!   `allot`, `release_on` (vendor-local date) and `rel` once released;
//! - `CHAN#<vendor>#<type>` / `<night>#app`: `protect`, units no channel may take;
//! - `ALLOTREL#<vendor>` / `<release_on>#<type>#<night>#<channel>`: what the release finds due.
//!
//! Only the channel path reads these: our app's holds write exactly what they wrote before.
//!
//! Here the types and traits; `items` the keys, item parsing and reads; `set` setting an
//! allotment or protection and releasing; `booking` a channel booking's write; `list` the
//! manager's listing.
mod booking;
mod items;
mod list;
mod set;

pub(super) use items::channel_of;

use crate::channels::ChannelId;
use crate::channels::allotment::{Allotment, Nights};
use crate::domain::ids::{ResourceId, VendorId};
use crate::domain::resource::Resource;
use chrono::NaiveDate;
use std::future::Future;

/// One channel's night, or the app's protection, as listed for the vendor's manager.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChannelNightView {
    pub channel_id: ChannelId,
    pub sold: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allot: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_on: Option<NaiveDate>,
    pub released: bool,
}

/// A night of a type: each channel's item and the units protected for our app.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AllotmentNight {
    pub date: NaiveDate,
    pub protect: u32,
    pub channels: Vec<ChannelNightView>,
}

#[derive(Debug, thiserror::Error)]
pub enum AllotmentError {
    /// The channel sold more than the allotment asked for that night.
    #[error("the channel has sold {sold} units on {night}")]
    BelowSold { night: NaiveDate, sold: i64 },
    /// The type has fewer free units than the allotment needs that night.
    #[error("only {free} units are free on {night}")]
    SoldOut { night: NaiveDate, free: u32 },
    /// The night's release date is today or past: nothing would be held back.
    #[error("the release date of {night} has passed")]
    ReleasePassed { night: NaiveDate },
    /// The range has more nights than one transaction takes for this type.
    #[error("at most {most} nights per request")]
    TooManyNights { most: usize },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Allotments and protection of a vendor's room types, for its manager and the release job.
pub trait AllotmentStore: Send + Sync {
    /// Sets `channel`'s allotment of `resource` on each of `nights` (zero removes it, releasing
    /// it now), all or nothing: one transaction, so at most `max_nights_per_request` nights;
    /// `today` is the vendor's date.
    fn set_allotment(
        &self,
        resource: &Resource,
        channel: ChannelId,
        nights: Nights,
        allotment: Allotment,
        today: NaiveDate,
    ) -> impl Future<Output = Result<(), AllotmentError>> + Send;

    fn set_protection(
        &self,
        resource: &Resource,
        night: NaiveDate,
        units: u32,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Every channel item and protection of `resource` in `nights`, night by night.
    fn allotments(
        &self,
        vendor: VendorId,
        resource: ResourceId,
        nights: Nights,
    ) -> impl Future<Output = anyhow::Result<Vec<AllotmentNight>>> + Send;
}

/// The daily release: what the night audit calls per vendor.
pub trait AllotmentRelease: Send + Sync {
    /// Releases every allotment of `vendor` whose release date is `today` or earlier; returns
    /// how many nights it released.
    fn release_due(
        &self,
        vendor: VendorId,
        today: NaiveDate,
    ) -> impl Future<Output = anyhow::Result<u32>> + Send;
}

/// A failed condition on a channel or protection item: the channel path reads them again.
#[derive(Debug, thiserror::Error)]
#[error("a channel or protection item changed since it was read")]
pub(super) struct ChannelChanged;

/// The memory store keeps no allotments: nothing is ever due.
impl AllotmentRelease for super::memory::MemoryStore {
    async fn release_due(&self, _vendor: VendorId, _today: NaiveDate) -> anyhow::Result<u32> {
        Ok(0)
    }
}
