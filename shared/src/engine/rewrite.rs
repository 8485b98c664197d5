//! The one read-modify-write loop every change to a stored booking goes through: read it, decide
//! its next version, write that on the condition that it is still as read, and start over when
//! another writer got there first.
use crate::domain::booking::Booking;
use crate::domain::ids::BookingId;
use crate::store::{BookingStore, BookingWriteError, CounterChange};
use chrono::{DateTime, Utc};

/// A concurrent change to the same booking makes us re-read and retry this many times.
const ATTEMPTS: u32 = 5;

/// What an edit makes of a booking as read.
pub(crate) enum Edit {
    /// Write this as the next version, with these counter changes in the same transaction.
    Write(Booking, Vec<CounterChange>),
    /// Nothing to write: answer with this booking.
    Keep(Booking),
}

/// The failures the loop itself reports, in the terms of each operation's error.
pub(crate) trait RewriteError: From<anyhow::Error> {
    fn not_found() -> Self;
    fn busy() -> Self;
    /// The store refused to write `attempted` for a reason other than a stale read (sold out,
    /// say).
    fn refused(err: BookingWriteError, attempted: &Booking) -> Self {
        let _ = attempted;
        Self::from(anyhow::Error::new(err))
    }
}

/// Reads booking `id`, lets `edit` decide what becomes of it, and writes the result as one
/// conditional write on the status and version it was read in. The version and `updated_at` of
/// a written booking are set here.
pub(crate) async fn rewrite<E: RewriteError>(
    store: &impl BookingStore,
    id: BookingId,
    now: DateTime<Utc>,
    edit: impl FnMut(Booking) -> Result<Edit, E>,
) -> Result<Booking, E> {
    rewrite_from(store, id, None, now, edit).await
}

/// `rewrite`, starting from `read` when the caller has just read the booking (its first
/// attempt then costs no second read; a stale one is caught by the write's condition).
pub(crate) async fn rewrite_from<E: RewriteError>(
    store: &impl BookingStore,
    id: BookingId,
    mut read: Option<Booking>,
    now: DateTime<Utc>,
    mut edit: impl FnMut(Booking) -> Result<Edit, E>,
) -> Result<Booking, E> {
    for _ in 0..ATTEMPTS {
        let read = match read.take() {
            Some(booking) => booking,
            None => store.booking(id).await?.ok_or_else(E::not_found)?,
        };
        let expected = (read.status, read.version);
        let before = read.clone();
        let (mut next, counters) = match edit(read)? {
            Edit::Keep(booking) => return Ok(booking),
            Edit::Write(next, counters) => (next, counters),
        };
        next.version = expected.1 + 1;
        next.updated_at = now;
        let changes = super::rooms::changes(&before, &next, counters, now);
        if changes.items() > super::MAX_COUNTERS {
            return Err(E::refused(
                BookingWriteError::TooLarge(changes.items() + 1),
                &next,
            ));
        }
        match store.replace_booking(&next, expected, &changes).await {
            Ok(()) => return Ok(next),
            Err(BookingWriteError::Stale) => continue,
            Err(other) => return Err(E::refused(other, &next)),
        }
    }
    Err(E::busy())
}
