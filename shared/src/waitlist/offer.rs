//! Offering freed units: the waiting entries of the type, oldest first, each tried as a real
//! hold for its guest through the engine, so the counters decide who gets a unit and nothing is
//! oversold. The hold's idempotency key is the entry's, so an entry is held at most once however
//! often (or however concurrently) it is tried; marking it offered is a conditional write, and
//! whoever loses that race moves on to the next guest with the unit it freed still free.
use super::{Entry, EntryStatus, MAX_TRIED, WaitlistStore};
use crate::ari_push::allotted::AllotmentFact;
use crate::config::{self, ConfigError};
use crate::deposits::{self, DepositError};
use crate::domain::booking::{Booking, BookingStatus, BookingTime, Channel};
use crate::domain::ids::{ResourceId, VendorId};
use crate::engine::{self, Creator, Held, HoldError, HoldRequest, NewHold};
use crate::events::{BookingEvent, Event, VendorEvent};
use crate::payments::PaymentGateway;
use crate::store::{ArchiveIndex, BookingStore, ResourceStore, VendorStore};
use chrono::{DateTime, NaiveDate, Utc};

/// How long an offer's hold lasts, from `OFFER_HOLD_SECONDS` (default 600: ten minutes).
#[derive(Debug, Clone, Copy)]
pub struct OfferSettings {
    pub hold_seconds: i64,
}

impl OfferSettings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            hold_seconds: config::optional("OFFER_HOLD_SECONDS", engine::DEFAULT_HOLD_SECONDS)?,
        })
    }
}

/// Units of one type a fact gave back to sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freed {
    pub vendor: VendorId,
    pub resource: ResourceId,
    pub units: u32,
    /// The one night they were freed on, when the fact is one night's (an allotment's): only
    /// stays that include it are tried. `None`: every waiting entry of the type is.
    pub night: Option<NaiveDate>,
}

impl Freed {
    fn may_fit(&self, entry: &Entry) -> bool {
        match (self.night, entry.time) {
            (None, _) => true,
            (
                Some(night),
                BookingTime::Stay {
                    check_in,
                    check_out,
                },
            ) => check_in <= night && night < check_out,
            (Some(_), BookingTime::Seating { .. }) => false,
        }
    }
}

/// The units a fact frees, if it frees any: a booking cancelled, expired or marked a no-show, a
/// stay completed (an early departure frees its remaining nights), a change (its old terms), a
/// unit's block removed. A channel's allotment given back to the general pool is no booking's or
/// vendor's `Event`: `freed_by_allotment` reads its fact.
pub fn freed_by(event: &Event) -> Option<Freed> {
    match event {
        Event::Booking(fact) => {
            let detail = fact.booking();
            let freed = |resource, units| Freed {
                vendor: detail.vendor_id,
                resource,
                units,
                night: None,
            };
            match fact {
                BookingEvent::Cancelled(_) | BookingEvent::Expired(_) | BookingEvent::NoShow(_) => {
                    Some(freed(detail.resource_id, detail.units))
                }
                BookingEvent::Completed(_)
                    if detail.previous_status == Some(BookingStatus::CheckedIn) =>
                {
                    Some(freed(detail.resource_id, detail.units))
                }
                // Only a change of terms that gives something back: another type, fewer units,
                // a night or slot left. A payment or a room move frees nothing.
                BookingEvent::Updated(_) => detail
                    .previous
                    .as_ref()
                    .filter(|before| {
                        before.resource_id != detail.resource_id
                            || before.units > detail.units
                            || before.buckets.iter().any(|b| !detail.buckets.contains(b))
                    })
                    .map(|before| freed(before.resource_id, before.units)),
                _ => None,
            }
        }
        Event::Vendor(VendorEvent::UnitBlockChanged(block)) if block.removed => Some(Freed {
            vendor: block.vendor_id,
            resource: block.resource_id,
            units: 1,
            night: None,
        }),
        Event::Vendor(_) => None,
    }
}

/// The units an `AllotmentChanged` gave back to the general pool, if any: a channel's unsold
/// allotment released (by the night audit, or by the channel's own booking of a due night) or
/// removed, or an allotment lowered. Setting or raising one takes units; the protection only
/// keeps channels away, our app's holds never read it, so lowering it frees nothing here. The
/// fact is one night's: only stays that include that night are tried, and one of several nights
/// is held only once every night fits, which the hold's counters decide.
pub fn freed_by_allotment(fact: &AllotmentFact) -> Option<Freed> {
    (fact.channel_id.is_some() && fact.returned > 0).then_some(Freed {
        vendor: fact.vendor_id,
        resource: fact.resource_id,
        units: fact.returned,
        night: Some(fact.night),
    })
}

/// An entry offered a hold by this call.
#[derive(Debug, Clone)]
pub struct Offered {
    pub entry: Entry,
    pub booking: Booking,
}

/// Offers what `freed` gave back to the entries waiting for its type, oldest first: each one
/// whose request now fits gets a hold, until the freed units are offered or the list (its first
/// `MAX_TRIED`) is done. An entry the counters refuse keeps waiting.
#[allow(clippy::too_many_arguments)]
pub async fn offer_freed(
    store: &(impl VendorStore + ResourceStore + BookingStore),
    archive: &impl ArchiveIndex,
    payments: &impl PaymentGateway,
    waitlist: &impl WaitlistStore,
    settings: &OfferSettings,
    freed: Freed,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Offered>> {
    let waiting = waitlist
        .of_type(freed.vendor, freed.resource, true, MAX_TRIED)
        .await?;
    let mut offered = Vec::new();
    let mut left = freed.units;
    for entry in waiting {
        if left == 0 {
            break;
        }
        if entry.arrives_at <= now || !freed.may_fit(&entry) {
            continue;
        }
        if let Some(made) = offer(store, archive, payments, waitlist, settings, entry, now).await? {
            left = left.saturating_sub(made.entry.units);
            offered.push(made);
        }
    }
    Ok(offered)
}

#[allow(clippy::too_many_arguments)]
async fn offer(
    store: &(impl VendorStore + ResourceStore + BookingStore),
    archive: &impl ArchiveIndex,
    payments: &impl PaymentGateway,
    waitlist: &impl WaitlistStore,
    settings: &OfferSettings,
    entry: Entry,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Offered>> {
    let creator = Creator {
        booked_by: entry.booked_by(),
        guest: Some(entry.guest_id),
        channel: Channel::Online,
        desk_guest: None,
    };
    let key = entry.offer_key();
    let new = NewHold {
        creator: &creator,
        idempotency_key: &key,
        request_hash: &key,
        request: HoldRequest {
            vendor: entry.vendor_id,
            resource: Some(entry.resource_id),
            party: entry.party_size,
            units: Some(entry.units),
            time: entry.time,
        },
        now,
        hold_seconds: settings.hold_seconds,
    };
    let booking = match engine::hold(store, archive, new).await {
        Ok(Held::Created(booking) | Held::Replayed(booking)) => booking,
        Err(HoldError::SoldOut { .. }) => return Ok(None),
        Err(HoldError::Unexpected(err)) => return Err(err),
        Err(refused) => {
            // Its dates left the booking window, the type changed: it waits until they pass.
            tracing::info!(entry_id = %entry.id, reason = %refused, "waitlist entry cannot be held now");
            return Ok(None);
        }
    };
    if !matches!(
        booking.status,
        BookingStatus::Held | BookingStatus::Confirmed
    ) {
        // The entry's one hold was made before and has ended unmarked (a crash in between): it
        // had its offer.
        lapse(waitlist, &entry, now).await?;
        return Ok(None);
    }
    let booking = if booking.status == BookingStatus::Held {
        match deposits::ask(store, payments, booking, now).await {
            Ok((asked, _)) => asked,
            Err(DepositError::Refused(cause)) => {
                tracing::error!(entry_id = %entry.id, error = %cause, "the deposit of a waitlist offer was refused; its hold lapses");
                return Ok(None);
            }
            Err(DepositError::Unavailable(cause)) => {
                return Err(anyhow::Error::new(cause).context("asking for an offer's deposit"));
            }
            Err(DepositError::Unexpected(cause)) => return Err(cause),
        }
    } else {
        booking
    };
    let status = match booking.status {
        BookingStatus::Confirmed => EntryStatus::Booked,
        _ => EntryStatus::Offered,
    };
    let mut next = entry.moved(status, now);
    next.booking_id = Some(booking.id);
    next.hold_expires_at = booking.hold_expires_at;
    // The mark is the offer's fact (WaitlistOffered, from the stream): a crash before it leaves
    // the entry waiting, and the retry holds the same booking (same key) and marks it then.
    if !waitlist.update(&next).await? {
        // Another release held this entry's booking too (the same one) and marked it first:
        // this release's unit is still free for the next guest.
        return Ok(None);
    }
    tracing::info!(entry_id = %next.id, booking_id = %booking.id, vendor_id = %next.vendor_id, "waitlist offer made");
    Ok(Some(Offered {
        entry: next,
        booking,
    }))
}

async fn lapse(
    waitlist: &impl WaitlistStore,
    entry: &Entry,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    waitlist
        .update(&entry.moved(EntryStatus::Lapsed, now))
        .await?;
    Ok(())
}

/// An offer's booking was confirmed (the entry is `booked`) or ended unconfirmed (`lapsed`: not
/// offered again).
pub async fn settle_offer(
    waitlist: &impl WaitlistStore,
    event: &Event,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let Event::Booking(fact) = event else {
        return Ok(());
    };
    let detail = fact.booking();
    let target = match detail.status {
        BookingStatus::Confirmed => EntryStatus::Booked,
        BookingStatus::Expired | BookingStatus::Cancelled => EntryStatus::Lapsed,
        _ => return Ok(()),
    };
    let Some(offer) = waitlist.offer_of(detail.booking_id).await? else {
        return Ok(());
    };
    let Some(entry) = waitlist
        .entry(offer.vendor_id, offer.resource_id, offer.entry_id)
        .await?
    else {
        return Ok(());
    };
    if entry.booking_id != Some(detail.booking_id) {
        return Ok(());
    }
    match entry.status {
        EntryStatus::Offered => {
            let next = entry.moved(target, now);
            if !waitlist.update(&next).await? {
                anyhow::bail!(
                    "waitlist entry {} changed while its offer settled",
                    entry.id
                );
            }
            tracing::info!(entry_id = %entry.id, booking_id = %detail.booking_id, status = ?target, "waitlist offer settled");
        }
        EntryStatus::Waiting | EntryStatus::Booked | EntryStatus::Lapsed => {}
    }
    Ok(())
}
