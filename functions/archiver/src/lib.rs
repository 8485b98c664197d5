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

/// The shortest age accepted from configuration. Whatever still looks a booking up by id in the
/// bookings table must have stopped coming by then: Stripe retries a webhook for 3 days, a
/// consumer's dead-letter queue keeps a fact 14 days, and a payment for a booking that is not
/// there is refunded in full, which must never happen to a kept deposit.
pub const MIN_AFTER_DAYS: u32 = 30;

impl ArchivePolicy {
    /// `ARCHIVE_AFTER_DAYS` (default 180, at least `MIN_AFTER_DAYS`) and `ARCHIVE_BATCH`
    /// (default 500, at least 1).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::configured(
            shared::config::optional("ARCHIVE_AFTER_DAYS", 180)?,
            shared::config::optional("ARCHIVE_BATCH", 500)?,
        )
    }

    /// The policy configured as `ARCHIVE_AFTER_DAYS` and `ARCHIVE_BATCH`, if both are allowed.
    pub fn configured(days: u32, batch: usize) -> Result<Self, ConfigError> {
        if days < MIN_AFTER_DAYS {
            return Err(ConfigError::Invalid {
                name: "ARCHIVE_AFTER_DAYS",
                reason: format!("must be at least {MIN_AFTER_DAYS} days"),
            });
        }
        if batch < 1 {
            return Err(ConfigError::Invalid {
                name: "ARCHIVE_BATCH",
                reason: "must be at least 1: a sweep of none would never archive anything".into(),
            });
        }
        Ok(Self {
            after: Duration::days(i64::from(days)),
            batch,
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

    /// Both steps for a booking as read, if the policy allows it. A record written for a move
    /// that did not happen is deleted again, since Athena reads every object in a partition.
    pub async fn archive(&self, booking: &Booking, now: DateTime<Utc>) -> anyhow::Result<Archived> {
        if !self.policy.allows(booking, now) {
            return Ok(Archived::Kept);
        }
        let key = self.write_record(booking).await?;
        let outcome = self.commit(booking, key.clone(), now).await?;
        if outcome != MoveOutcome::Moved {
            self.drop_unused_record(booking.id, &key).await;
        }
        Ok(match outcome {
            MoveOutcome::Moved => Archived::Moved,
            MoveOutcome::AlreadyArchived => Archived::AlreadyArchived,
            MoveOutcome::Changed => {
                tracing::info!(booking_id = %booking.id, "changed while being archived; left for the next sweep");
                Archived::Kept
            }
        })
    }

    /// Deletes the record at `key` unless it is the one the booking's archive entry points to
    /// (another run archived this very version, to the same key). Best effort: one left over
    /// is a duplicate row in Athena, not a lost booking.
    async fn drop_unused_record(&self, id: BookingId, key: &str) {
        let dropped = async {
            let entry = self.index.archived(id).await?;
            if entry.is_some_and(|entry| entry.record_key == key) {
                return Ok(false);
            }
            self.records.delete_record(key).await?;
            anyhow::Ok(true)
        }
        .await;
        match dropped {
            Ok(true) => {
                tracing::info!(booking_id = %id, "deleted the record of a move that did not happen")
            }
            Ok(false) => {}
            Err(err) => tracing::warn!(
                booking_id = %id,
                record_key = key,
                error = %format!("{err:#}"),
                "the record of a move that did not happen stays in the bucket"
            ),
        }
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

    /// One scheduled run: up to a batch of old ended bookings, several at a time, each read
    /// afresh (the index that found it lags behind the table) before it is moved. An error,
    /// after trying all of them, when any failed, so the invocation counts as failed.
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
            .map(|booking| async move { self.archive_by_id(booking.id, now).await })
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
        if swept.failed > 0 {
            return Err(Incomplete(swept).into());
        }
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

/// A sweep in which some moves failed; the others are done, and the next sweep retries these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Incomplete(pub Swept);

impl std::fmt::Display for Incomplete {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} of {} bookings found were not archived",
            self.0.failed, self.0.found
        )
    }
}

impl std::error::Error for Incomplete {}

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
        let now = shared::clock::now();
        // Most facts are of live or recent bookings: the sweep gets to those in time, without a
        // read here.
        if !detail.status.is_final()
            || !settled
            || detail.header.occurred_at > now - self.policy.after
        {
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
    Ok(serde_json::to_value(
        archiver.sweep(shared::clock::now()).await?,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::domain::booking::BookingStatus;
    use shared::domain::calendar::Bucket;
    use shared::domain::ids::{ResourceId, VendorId};
    use shared::store::{BookingWriteError, CounterChange};
    use std::collections::{HashMap, HashSet};
    use std::sync::Mutex;

    fn booking(status: &str, updated_at: &str) -> Booking {
        serde_json::from_value(serde_json::json!({
            "id": BookingId::generate(),
            "vendor_id": VendorId::generate(),
            "resource_id": ResourceId::generate(),
            "booked_by": "staff:x",
            "channel": "front_desk",
            "party_size": 2,
            "units": 1,
            "time": {"kind": "stay", "check_in": "2026-01-31", "check_out": "2026-02-01"},
            "time_zone": "Pacific/Auckland",
            "buckets": [],
            "arrival_at": "2026-01-31T02:00:00Z",
            "quote": {"lines": [], "total": {"amount_minor": 100, "currency": "NZD"}},
            "status": status,
            "version": 3,
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": updated_at,
        }))
        .unwrap()
    }

    /// The bookings table and the archive, in memory, with the same all-or-nothing move.
    #[derive(Default)]
    struct Tables {
        live: Mutex<HashMap<BookingId, Booking>>,
        archived: Mutex<HashMap<BookingId, ArchiveEntry>>,
        records: Mutex<HashMap<String, Booking>>,
        /// What gsi3 still shows of a booking, where it lags behind the table.
        lagging: Mutex<HashMap<BookingId, Booking>>,
        /// Bookings whose record S3 refuses to take.
        unwritable: Mutex<HashSet<BookingId>>,
    }

    impl BookingStore for &Tables {
        async fn insert_booking(
            &self,
            _: &Booking,
            _: &[CounterChange],
        ) -> Result<(), BookingWriteError> {
            unreachable!("the archiver never books")
        }

        async fn booking(&self, id: BookingId) -> anyhow::Result<Option<Booking>> {
            Ok(self.live.lock().unwrap().get(&id).cloned())
        }

        async fn replace_booking(
            &self,
            _: &Booking,
            _: (BookingStatus, u64),
            _: &shared::store::BookingChanges,
        ) -> Result<(), BookingWriteError> {
            unreachable!("the archiver never changes a booking")
        }

        async fn sold(
            &self,
            _: VendorId,
            _: ResourceId,
            _: &[Bucket],
        ) -> anyhow::Result<HashMap<Bucket, u32>> {
            unreachable!("the archiver never counts")
        }
    }

    impl ArchivableBookings for &Tables {
        async fn archivable(
            &self,
            before: DateTime<Utc>,
            limit: usize,
        ) -> anyhow::Result<Vec<Booking>> {
            let mut found: Vec<Booking> = self
                .live
                .lock()
                .unwrap()
                .values()
                .filter(|b| b.status.is_final() && !b.payment_pending() && b.updated_at < before)
                .map(|b| {
                    let lagging = self.lagging.lock().unwrap();
                    lagging.get(&b.id).cloned().unwrap_or_else(|| b.clone())
                })
                .collect();
            found.sort_by_key(|b| b.updated_at);
            found.truncate(limit);
            Ok(found)
        }
    }

    impl ArchiveIndex for &Tables {
        async fn archived(&self, id: BookingId) -> anyhow::Result<Option<ArchiveEntry>> {
            Ok(self.archived.lock().unwrap().get(&id).cloned())
        }

        async fn move_out(
            &self,
            booking: &Booking,
            entry: &ArchiveEntry,
        ) -> anyhow::Result<MoveOutcome> {
            let (mut live, mut archived) =
                (self.live.lock().unwrap(), self.archived.lock().unwrap());
            if archived.contains_key(&booking.id) {
                return Ok(MoveOutcome::AlreadyArchived);
            }
            if live.get(&booking.id).map(|b| b.version) != Some(booking.version) {
                return Ok(MoveOutcome::Changed);
            }
            live.remove(&booking.id);
            archived.insert(booking.id, entry.clone());
            Ok(MoveOutcome::Moved)
        }
    }

    impl ArchiveRecords for &Tables {
        async fn put_record(&self, key: &str, booking: &Booking) -> anyhow::Result<()> {
            if self.unwritable.lock().unwrap().contains(&booking.id) {
                anyhow::bail!("S3 is down for this one");
            }
            self.records
                .lock()
                .unwrap()
                .insert(key.to_owned(), booking.clone());
            Ok(())
        }

        async fn record(&self, key: &str) -> anyhow::Result<Option<Booking>> {
            Ok(self.records.lock().unwrap().get(key).cloned())
        }

        async fn delete_record(&self, key: &str) -> anyhow::Result<()> {
            self.records.lock().unwrap().remove(key);
            Ok(())
        }
    }

    fn archiver(tables: &Tables, batch: usize) -> Archiver<&Tables, &Tables, &Tables> {
        Archiver {
            store: tables,
            index: tables,
            records: tables,
            policy: ArchivePolicy {
                after: Duration::days(180),
                batch,
            },
        }
    }

    fn at(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    #[tokio::test]
    async fn a_sweep_moves_old_ended_bookings_a_batch_at_a_time_and_leaves_the_rest() {
        let tables = Tables::default();
        let old = [
            booking("COMPLETED", "2026-01-02T00:00:00Z"),
            booking("CANCELLED", "2026-01-03T00:00:00Z"),
            booking("NO_SHOW", "2026-01-04T00:00:00Z"),
            booking("EXPIRED", "2026-01-05T00:00:00Z"),
        ];
        let recent = booking("COMPLETED", "2026-06-01T00:00:00Z");
        let live = booking("CONFIRMED", "2026-01-02T00:00:00Z");
        for b in old.iter().chain([&recent, &live]) {
            tables.live.lock().unwrap().insert(b.id, b.clone());
        }
        let now = at("2026-07-20T00:00:00Z");

        let first = archiver(&tables, 3).sweep(now).await.unwrap();
        let second = archiver(&tables, 3).sweep(now).await.unwrap();
        let third = archiver(&tables, 3).sweep(now).await.unwrap();

        assert_eq!((first.found, first.moved, first.failed), (3, 3, 0));
        assert_eq!((second.found, second.moved), (1, 1));
        assert_eq!((third.found, third.moved), (0, 0));
        let live_ids: Vec<BookingId> = tables.live.lock().unwrap().keys().copied().collect();
        assert_eq!(live_ids.len(), 2);
        assert!(live_ids.contains(&recent.id) && live_ids.contains(&live.id));
        for b in &old {
            let entry = tables.archived.lock().unwrap().get(&b.id).cloned().unwrap();
            assert_eq!(entry.status, b.status);
            assert_eq!(entry.archived_at, now);
            assert_eq!(
                tables.records.lock().unwrap().get(&entry.record_key),
                Some(b)
            );
        }
    }

    /// The booking as changed since: a settled deposit, say, which an ended booking may still get.
    fn changed(booking: &Booking) -> Booking {
        Booking {
            version: booking.version + 1,
            updated_at: booking.updated_at + Duration::hours(1),
            ..booking.clone()
        }
    }

    fn record_keys(tables: &Tables) -> Vec<String> {
        let mut keys: Vec<String> = tables.records.lock().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    }

    #[tokio::test]
    async fn a_sweep_moves_the_booking_as_the_table_has_it_not_as_the_lagging_index_showed_it() {
        let tables = Tables::default();
        let seen = booking("CANCELLED", "2026-01-02T00:00:00Z");
        let now_live = changed(&seen);
        tables
            .live
            .lock()
            .unwrap()
            .insert(seen.id, now_live.clone());
        tables.lagging.lock().unwrap().insert(seen.id, seen.clone());
        let now = at("2026-07-20T00:00:00Z");

        let swept = archiver(&tables, 10).sweep(now).await.unwrap();

        assert_eq!((swept.found, swept.moved, swept.failed), (1, 1, 0));
        let entry = tables.archived.lock().unwrap().get(&seen.id).cloned();
        assert_eq!(entry.map(|e| e.version), Some(now_live.version));
        assert_eq!(record_keys(&tables), [record_key(&now_live)]);
    }

    #[tokio::test]
    async fn a_move_that_did_not_happen_leaves_no_record_behind_but_the_archived_one() {
        let tables = Tables::default();
        let now = at("2026-07-20T00:00:00Z");
        let stale = booking("CANCELLED", "2026-01-02T00:00:00Z");
        tables
            .live
            .lock()
            .unwrap()
            .insert(stale.id, changed(&stale));
        let moved = booking("COMPLETED", "2026-01-02T00:00:00Z");
        tables.live.lock().unwrap().insert(moved.id, moved.clone());
        let newer = changed(&moved);

        let changed_meanwhile = archiver(&tables, 1).archive(&stale, now).await.unwrap();
        let first = archiver(&tables, 1).archive(&moved, now).await.unwrap();
        let same_again = archiver(&tables, 1).archive(&moved, now).await.unwrap();
        // A run that read a version the archive never took, after another run archived one.
        tables.live.lock().unwrap().insert(newer.id, newer.clone());
        let other_version = archiver(&tables, 1).archive(&newer, now).await.unwrap();

        assert_eq!(changed_meanwhile, Archived::Kept);
        assert_eq!(first, Archived::Moved);
        assert_eq!(same_again, Archived::AlreadyArchived);
        assert_eq!(other_version, Archived::AlreadyArchived);
        assert_eq!(record_keys(&tables), [record_key(&moved)]);
    }

    #[tokio::test]
    async fn a_sweep_in_which_a_move_fails_moves_the_others_and_then_fails() {
        let tables = Tables::default();
        let bookings = [
            booking("COMPLETED", "2026-01-02T00:00:00Z"),
            booking("CANCELLED", "2026-01-03T00:00:00Z"),
            booking("NO_SHOW", "2026-01-04T00:00:00Z"),
        ];
        for b in &bookings {
            tables.live.lock().unwrap().insert(b.id, b.clone());
        }
        tables.unwritable.lock().unwrap().insert(bookings[1].id);

        let swept = archiver(&tables, 10)
            .sweep(at("2026-07-20T00:00:00Z"))
            .await;

        let err = swept.expect_err("a failed move fails the sweep");
        assert_eq!(
            err.downcast_ref::<Incomplete>(),
            Some(&Incomplete(Swept {
                found: 3,
                moved: 2,
                failed: 1
            }))
        );
        let live: Vec<BookingId> = tables.live.lock().unwrap().keys().copied().collect();
        assert_eq!(live, [bookings[1].id]);
    }

    #[test]
    fn an_age_under_30_days_or_a_batch_of_none_is_refused_at_cold_start() {
        let refused = |days, batch| match ArchivePolicy::configured(days, batch) {
            Err(ConfigError::Invalid { name, .. }) => Some(name),
            _ => None,
        };

        assert_eq!(refused(29, 500), Some("ARCHIVE_AFTER_DAYS"));
        assert_eq!(refused(180, 0), Some("ARCHIVE_BATCH"));
        let policy = ArchivePolicy::configured(30, 1).unwrap();
        assert_eq!((policy.after, policy.batch), (Duration::days(30), 1));
    }

    #[test]
    fn the_record_key_is_partitioned_by_vendor_and_the_month_of_arrival_in_the_vendors_zone() {
        // 02:00 UTC on 31 January is 15:00 on 31 January in Auckland; 12:00 UTC is 1 February.
        let january = booking("COMPLETED", "2026-02-02T00:00:00Z");
        let mut february = january.clone();
        february.arrival_at = at("2026-01-31T12:00:00Z");

        assert_eq!(
            record_key(&january),
            format!(
                "bookings/vendor_id={}/month=2026-01/{}.v3.json",
                january.vendor_id, january.id
            )
        );
        assert!(record_key(&february).contains("/month=2026-02/"));
    }

    #[test]
    fn only_ended_settled_bookings_unchanged_since_the_cutoff_are_archived() {
        let policy = ArchivePolicy {
            after: Duration::days(180),
            batch: 1,
        };
        let now = at("2026-07-20T00:00:00Z");
        let exactly = (now - Duration::days(180)).to_rfc3339();

        assert!(policy.allows(&booking("CANCELLED", &exactly), now));
        assert!(!policy.allows(&booking("CANCELLED", "2026-01-22T00:00:01Z"), now));
        let mut refund_due = booking("CANCELLED", "2025-01-01T00:00:00Z");
        refund_due.deposit_payment = Some(
            serde_json::from_value(
                serde_json::json!({"intent_id": "pi_1", "status": "REFUND_DUE"}),
            )
            .unwrap(),
        );
        assert!(!policy.allows(&refund_due, now));
        for status in ["HELD", "CONFIRMED", "CHECKED_IN"] {
            assert!(
                !policy.allows(&booking(status, "2025-01-01T00:00:00Z"), now),
                "{status}"
            );
        }
    }
}
