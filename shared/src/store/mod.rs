//! Persistence behind narrow traits: a handler asks only for the store it uses.
mod allotments;
mod archive;
mod arrivals;
pub(crate) mod attempts;
pub(crate) mod attr;
mod booking_item;
mod bookings;
mod catalog;
mod changes;
mod dynamo;
mod history;
mod history_log;
mod keys;
pub mod memory;
mod reviews;
mod shards;
mod units;

pub use allotments::{
    AllotmentError, AllotmentNight, AllotmentRelease, AllotmentStore, ChannelNightView,
};
pub use archive::{
    ArchiveEntry, ArchiveIndex, ArchiveRecords, DynamoArchive, Listed, MoveOutcome, S3Records,
};
pub use arrivals::ArrivingBookings;
pub use bookings::{
    ArchivableBookings, BookingChanges, BookingLists, BookingOwner, BookingPage, BookingQuery,
    BookingStore, BookingWriteError, CounterChange, CounterKey, HoldBasis, ListError,
    PaymentsPending,
};
pub use catalog::{CATALOG_TTL, Catalog, CatalogCache};
pub use shards::Sharding;

pub use changes::{EntryFact, StreamImage, StreamTables};
pub(crate) use dynamo::batch_put;
pub use dynamo::{DynamoStore, Tables};
pub use history_log::{
    DynamoHistoryLog, HistoryDeskPayment, HistoryEntry, HistoryLog, HistoryUnit, MemoryHistoryLog,
};
pub use reviews::{ReviewStore, ReviewWriteError};
pub use units::{BlockWriteError, HousekeepingChange, OccupancyChange, UnitStore, UnitWriteError};

use crate::domain::account::{AccountKind, Credential, Email, GuestProfile, StaffMember};
use crate::domain::ids::{ResourceId, UserId, VendorId};
use crate::domain::resource::Resource;
use crate::domain::text::PersonName;
use crate::domain::vendor::Vendor;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::future::Future;

/// How many times an edit sent without `If-Match` re-reads and re-applies itself after another
/// edit won the race, before the client is told to retry.
pub const EDIT_ATTEMPTS: u32 = 8;

/// A pause of random length that grows with each attempt, so racing writers spread out.
pub async fn jittered_pause(attempt: u32) {
    use rand::Rng;
    let ceiling = 10u64 << attempt.min(6);
    let pause = rand::rng().random_range(0..=ceiling);
    tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
}

/// Other transactions kept winning the same items, even after jittered retries: the client
/// should retry shortly (a 503), it is not our failure (never a 500).
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the items are contended; retry shortly")]
pub struct Contended;

/// Why a write was refused; anything else is `Unexpected`.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("the email address is already registered")]
    EmailTaken,
    #[error("the vendor does not exist")]
    VendorNotFound,
    #[error("the item does not exist or changed since it was read")]
    VersionConflict,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Sign-in attempts counted against one budget within the current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginAttempts {
    pub count: u32,
    pub window_ends_at: DateTime<Utc>,
}

/// What a sign-in attempt (or a check of a current password) is counted against. A source is
/// where requests come from as API Gateway saw it (`auth::AttemptSource`); stored only hashed.
#[derive(Debug, Clone, Copy)]
pub enum AttemptBudget<'a> {
    /// One account, from every source.
    Account(AccountKind, &'a Email),
    /// One account from one source.
    AccountFromSource(AccountKind, &'a Email, &'a str),
    /// One source, across every account.
    Source(&'a str),
}

pub trait GuestStore: Send + Sync {
    fn create_guest(
        &self,
        profile: &GuestProfile,
        credential: &Credential,
    ) -> impl Future<Output = Result<(), WriteError>> + Send;

    fn guest(
        &self,
        id: UserId,
    ) -> impl Future<Output = anyhow::Result<Option<GuestProfile>>> + Send;

    /// The names of these guests (as many as a page of bookings names), for the staff of a vendor
    /// they booked with; ids without a profile are left out.
    fn guest_names(
        &self,
        ids: &[UserId],
    ) -> impl Future<Output = anyhow::Result<HashMap<UserId, PersonName>>> + Send;

    /// Replaces the profile if it is still at `expected_version`; with a new password hash, the
    /// credential changes in the same transaction.
    fn update_guest(
        &self,
        profile: &GuestProfile,
        expected_version: u64,
        new_password_hash: Option<String>,
    ) -> impl Future<Output = Result<(), WriteError>> + Send;
}

pub trait CredentialStore: Send + Sync {
    fn credential(
        &self,
        kind: AccountKind,
        email: &Email,
    ) -> impl Future<Output = anyhow::Result<Option<Credential>>> + Send;

    /// Counts one more attempt against `budget` in its current window (a new window when the
    /// last one has ended), whether or not the account exists, and returns the count.
    fn count_attempt(
        &self,
        budget: AttemptBudget<'_>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<LoginAttempts>> + Send;

    /// Takes back one attempt counted in the current window: it succeeded.
    fn forgive_attempt(
        &self,
        budget: AttemptBudget<'_>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Forgets every attempt counted against `budget`.
    fn reset_attempts(
        &self,
        budget: AttemptBudget<'_>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

pub trait VendorStore: Send + Sync {
    /// Onboards a vendor together with its first manager, all or nothing.
    fn create_vendor(
        &self,
        vendor: &Vendor,
        manager: &StaffMember,
        credential: &Credential,
    ) -> impl Future<Output = Result<(), WriteError>> + Send;

    fn vendor(&self, id: VendorId) -> impl Future<Output = anyhow::Result<Option<Vendor>>> + Send;

    fn update_vendor(
        &self,
        vendor: &Vendor,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), WriteError>> + Send;

    fn create_staff(
        &self,
        staff: &StaffMember,
        credential: &Credential,
    ) -> impl Future<Output = Result<(), WriteError>> + Send;

    /// Everyone on the vendor's staff, oldest first.
    fn staff(
        &self,
        vendor: VendorId,
    ) -> impl Future<Output = anyhow::Result<Vec<StaffMember>>> + Send;
}

pub trait ResourceStore: Send + Sync {
    /// Fails with `VendorNotFound` unless the vendor exists.
    fn create_resource(
        &self,
        resource: &Resource,
    ) -> impl Future<Output = Result<(), WriteError>> + Send;

    fn resources(
        &self,
        vendor: VendorId,
    ) -> impl Future<Output = anyhow::Result<Vec<Resource>>> + Send;

    fn resource(
        &self,
        vendor: VendorId,
        id: ResourceId,
    ) -> impl Future<Output = anyhow::Result<Option<Resource>>> + Send;

    fn update_resource(
        &self,
        resource: &Resource,
        expected_version: u64,
    ) -> impl Future<Output = Result<(), WriteError>> + Send;

    /// This warm container's copies of vendors and their types, if the store keeps them.
    fn catalog_cache(&self) -> Option<&CatalogCache> {
        None
    }

    /// After `resource` (sharded) was stored with a lower limit: makes its counters refuse
    /// takes worked out from older copies of it (`Sharding`). Stores whose holds check the
    /// type's version in the same write have nothing to do.
    fn fence_shards(&self, resource: &Resource) -> impl Future<Output = anyhow::Result<()>> + Send {
        let _ = resource;
        async { Ok(()) }
    }
}
