//! Moves bookings that ended long enough ago, with nothing left to settle, out of the bookings
//! table: the full record to the archive bucket, a compact entry to the archive table (see
//! `shared::store::ArchiveIndex` for why that order is crash-safe).
//!
//! Two inputs: the booking facts (an ending fact of a booking already old enough, a replay say,
//! is archived at once; any other is left to the sweep) and a scheduled sweep, which finds old
//! ended bookings through the bookings table's sparse gsi3 partitions, without a Scan.
use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use lambda_http::lambda_runtime::{Error, LambdaEvent};
use shared::config::ConfigError;
use shared::domain::booking::Booking;
use shared::domain::ids::BookingId;
use shared::events::{Event, ReceivedEvent};
use shared::inbox::{Consumer, Effect, Inbox, Ledger, Order, Redelivery};
use shared::store::{
    ArchivableBookings, ArchiveEntry, ArchiveIndex, ArchiveRecords, BookingStore, DynamoArchive,
    DynamoStore, MoveOutcome, S3Records,
};

pub const CONSUMER: Consumer = Consumer {
    name: "archiver",
    order: Order::LatestWins,
};

/// Moves at once in a sweep; each is a PutObject and a two-item transaction.
const CONCURRENT_MOVES: usize = 8;

#[derive(Debug, Clone, Copy)]
pub struct ArchivePolicy {
    /// A booking is archived once it has not changed for this long.
    pub after: Duration,
    /// At most this many bookings per sweep; the next sweep takes the rest.
    pub batch: usize,
}

impl ArchivePolicy {
    /// `ARCHIVE_AFTER_DAYS` (default 180) and `ARCHIVE_BATCH` (default 500).
    pub fn from_env() -> Result<Self, ConfigError> {
        let days: u32 = shared::config::optional("ARCHIVE_AFTER_DAYS", 180)?;
        Ok(Self {
            after: Duration::days(i64::from(days)),
            batch: shared::config::optional("ARCHIVE_BATCH", 500)?,
        })
    }

    /// Ended, with no deposit left to charge, void or refund, and unchanged since the cutoff.
    pub fn allows(&self, booking: &Booking, now: DateTime<Utc>) -> bool {
        booking.status.is_final()
            && !booking.payment_pending()
            && booking.updated_at <= now - self.after
    }
}

/// Where a booking's record goes: partitioned by vendor and by the month of arrival in the
/// vendor's time zone, as Athena reads Hive partitions. The version is part of the name, so a
/// run that read an older version can never overwrite the record a newer run archived.
pub fn record_key(booking: &Booking) -> String {
    let month = booking
        .arrival_at
        .with_timezone(&booking.time_zone.tz())
        .format("%Y-%m");
    format!(
        "bookings/vendor_id={}/month={month}/{}.v{}.json",
        booking.vendor_id, booking.id, booking.version
    )
}

/// What archiving one booking came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Archived {
    /// Moved by this call.
    Moved,
    /// Archived already.
    AlreadyArchived,
    /// Live, and not (yet) to be archived; or it changed while being moved.
    Kept,
    /// Neither live nor archived.
    Unknown,
}

/// The archive's adapters and policy: what the function builds at cold start.
#[derive(Debug, Clone)]
pub struct Archiver<S = DynamoStore, I = DynamoArchive, R = S3Records> {
    pub store: S,
    pub index: I,
    pub records: R,
    pub policy: ArchivePolicy,
}

impl Archiver {
    pub fn from_env(sdk: &shared::aws::SdkConfig) -> Result<Self, ConfigError> {
        let store = DynamoStore::from_env(sdk)?;
        Ok(Self {
            index: DynamoArchive::from_env(&store)?,
            records: S3Records::from_env(sdk)?,
            store,
            policy: ArchivePolicy::from_env()?,
        })
    }
}

impl<S, I, R> Archiver<S, I, R>
where
    S: BookingStore + ArchivableBookings,
    I: ArchiveIndex,
    R: ArchiveRecords,
{
    /// Step one: the full record, at its key (an overwrite with the same content if repeated).
    pub async fn write_record(&self, booking: &Booking) -> anyhow::Result<String> {
        let key = record_key(booking);
        self.records.put_record(&key, booking).await?;
        Ok(key)
    }

    /// Step two: the entry listed and the live booking deleted, in one transaction.
    pub async fn commit(
        &self,
        booking: &Booking,
        record_key: String,
        now: DateTime<Utc>,
    ) -> anyhow::Result<MoveOutcome> {
        let entry = ArchiveEntry::of(booking, record_key, now);
        self.index.move_out(booking, &entry).await
    }

    /// Both steps for a booking as read (from the table or an index), if the policy allows it.
    pub async fn archive(&self, booking: &Booking, now: DateTime<Utc>) -> anyhow::Result<Archived> {
        if !self.policy.allows(booking, now) {
            return Ok(Archived::Kept);
        }
        let key = self.write_record(booking).await?;
        Ok(match self.commit(booking, key, now).await? {
            MoveOutcome::Moved => Archived::Moved,
            MoveOutcome::AlreadyArchived => Archived::AlreadyArchived,
            MoveOutcome::Changed => {
                tracing::info!(booking_id = %booking.id, "changed while being archived; left for the next sweep");
                Archived::Kept
            }
        })
    }

    /// Archives the booking with this id, read afresh, if the policy allows it.
    pub async fn archive_by_id(
        &self,
        id: BookingId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Archived> {
        match self.store.booking(id).await? {
            Some(booking) => self.archive(&booking, now).await,
            None if self.index.archived(id).await?.is_some() => Ok(Archived::AlreadyArchived),
            None => Ok(Archived::Unknown),
        }
    }

    /// One scheduled run: up to a batch of old ended bookings, several at a time.
    pub async fn sweep(&self, now: DateTime<Utc>) -> anyhow::Result<Swept> {
        let found = self
            .store
            .archivable(now - self.policy.after, self.policy.batch)
            .await?;
        let mut swept = Swept {
            found: found.len(),
            ..Swept::default()
        };
        let results: Vec<anyhow::Result<Archived>> = futures::stream::iter(found)
            .map(|booking| async move { self.archive(&booking, now).await })
            .buffer_unordered(CONCURRENT_MOVES)
            .collect()
            .await;
        for result in results {
            match result {
                Ok(Archived::Moved) => swept.moved += 1,
                Ok(_) => {}
                Err(err) => {
                    swept.failed += 1;
                    tracing::error!(error = %format!("{err:#}"), "a booking was not archived; the next sweep retries it");
                }
            }
        }
        tracing::info!(
            found = swept.found,
            moved = swept.moved,
            failed = swept.failed,
            "archive sweep"
        );
        Ok(swept)
    }
}

/// What a sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Swept {
    pub found: usize,
    pub moved: usize,
    pub failed: usize,
}

impl<S, I, R> Effect for Archiver<S, I, R>
where
    S: BookingStore + ArchivableBookings,
    I: ArchiveIndex,
    R: ArchiveRecords,
{
    async fn apply(&self, event: &Event, _received: &ReceivedEvent) -> anyhow::Result<()> {
        let Event::Booking(fact) = event else {
            return Ok(());
        };
        let detail = fact.booking();
        let settled = detail
            .deposit_payment
            .as_ref()
            .is_none_or(|deposit| !deposit.status.is_open());
        let now = Utc::now();
        // Most facts are of live or recent bookings: the sweep gets to those in time, without a
        // read here.
        if !detail.status.is_final() || !settled || detail.occurred_at > now - self.policy.after {
            return Ok(());
        }
        let archived = self.archive_by_id(detail.booking_id, now).await?;
        tracing::info!(outcome = ?archived, "an old ending fact");
        Ok(())
    }
}

/// The Lambda handler: an SQS batch of booking facts (`Records`), or the scheduler's sweep.
pub async fn handler(
    inbox: &Inbox<impl Ledger, impl Redelivery>,
    archiver: &Archiver<
        impl BookingStore + ArchivableBookings,
        impl ArchiveIndex,
        impl ArchiveRecords,
    >,
    event: LambdaEvent<serde_json::Value>,
) -> Result<serde_json::Value, Error> {
    if event.payload.get("Records").is_some() {
        let batch = serde_json::from_value(event.payload)?;
        let response = CONSUMER.consume(inbox, archiver, batch).await;
        return Ok(serde_json::to_value(response)?);
    }
    Ok(serde_json::to_value(archiver.sweep(Utc::now()).await?)?)
}
