//! Changing a held or confirmed booking's dates, party size, units or type: one transaction that
//! swaps the old buckets for the new (by their net difference), re-prices the stay at today's
//! rates, and re-derives its terms, or nothing happens.
use super::MAX_COUNTERS;
use super::access::Requester;
use super::hold::{HoldError, check_fit, invalid, place_within, terms_for};
use super::rewrite::{Edit, RewriteError, rewrite_from};
use crate::domain::booking::{Actor, Booking, BookingStatus, BookingTime};
use crate::domain::ids::{BookingId, ResourceId};
use crate::domain::party::{PartySize, smallest_fit};
use crate::domain::payment::DepositStatus;
use crate::domain::resource::Resource;
use crate::domain::terms::{ChangeRefused, deposit_after_change, may_change};
use crate::store::{BookingStore, BookingWriteError, CounterChange, ResourceStore, VendorStore};
use chrono::{DateTime, Utc};

/// What a guest or staff member wants changed; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct ChangeRequest {
    pub resource: Option<ResourceId>,
    pub party: Option<PartySize>,
    pub units: Option<u32>,
    pub time: Option<BookingTime>,
}

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("no such booking")]
    NotFound,
    #[error("a {0} booking cannot be changed")]
    NotChangeable(BookingStatus),
    /// The new dates, party or type don't work (invalid, no fit, sold out).
    #[error(transparent)]
    Rejected(HoldError),
    /// The money rules refuse it (too late for the guest, a larger deposit than was paid).
    #[error(transparent)]
    Refused(ChangeRefused),
    /// A guest in the house keeps their room: it is taken on these buckets by another booking.
    #[error("unit {number} is taken")]
    UnitTaken {
        unit: crate::domain::ids::UnitId,
        number: String,
        buckets: Vec<crate::domain::calendar::Bucket>,
    },
    /// The change and the booking's room do not fit one transaction.
    #[error("the change does not fit one transaction")]
    TooLarge,
    #[error("the booking keeps changing")]
    Busy,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl RewriteError for ChangeError {
    fn not_found() -> Self {
        Self::NotFound
    }

    fn busy() -> Self {
        Self::Busy
    }

    fn refused(err: BookingWriteError, attempted: &Booking) -> Self {
        match err {
            BookingWriteError::SoldOut(buckets) => Self::Rejected(HoldError::SoldOut {
                resource: attempted.resource_id,
                buckets,
            }),
            BookingWriteError::TooLarge(_) => Self::TooLarge,
            BookingWriteError::UnitTaken { unit, buckets } => Self::UnitTaken {
                unit,
                number: attempted
                    .unit
                    .as_ref()
                    .map(|u| u.number.to_string())
                    .unwrap_or_default(),
                buckets,
            },
            other => Self::Unexpected(other.into()),
        }
    }
}

/// Changes a HELD or CONFIRMED booking as one transaction: the old buckets are released and the
/// new ones taken (by their net difference), or nothing happens. The price is quoted again at
/// today's rates, and the terms are those of the (new) type as they are now: a change is a new
/// agreement. A guest may change only before cancelling would cost a fee, and no change may
/// need a larger deposit than the one paid (README, "Money rules").
///
/// Staff may also extend or shorten the stay of a guest in the house (CHECKED_IN): only its
/// departure moves, the nights agreed keep their prices and the added ones are quoted at today's
/// rates, and the guest keeps their room (409 when another booking has it on an added night).
/// A booking put in a room keeps it through a change of dates when the room is free; otherwise,
/// and on a change of type, it is taken out of the room and given one again later.
pub async fn change(
    store: &(impl VendorStore + ResourceStore + BookingStore),
    id: BookingId,
    request: &ChangeRequest,
    requester: &Requester,
    now: DateTime<Utc>,
) -> Result<Booking, ChangeError> {
    match change_keeping(store, id, request, requester, now, true).await {
        Err(ChangeError::UnitTaken { .. }) => {
            change_keeping(store, id, request, requester, now, false).await
        }
        // Freeing the room and moving the counters do not fit one transaction: the booking
        // leaves its room first (a write of its own, consistent on its own), then changes.
        Err(ChangeError::TooLarge) if take_out_of_unit(store, id, now).await? => {
            change_keeping(store, id, request, requester, now, false).await
        }
        other => other,
    }
}

/// Takes a booking that is not in the house out of its unit; whether it was in one.
async fn take_out_of_unit(
    store: &impl BookingStore,
    id: BookingId,
    now: DateTime<Utc>,
) -> Result<bool, ChangeError> {
    let mut was_in_one = false;
    rewrite_from::<ChangeError>(store, id, None, now, |booking| {
        if booking.unit.is_none() || booking.status == BookingStatus::CheckedIn {
            return Ok(Edit::Keep(booking));
        }
        was_in_one = true;
        let mut next = booking.clone();
        next.unit = None;
        Ok(Edit::Write(next, Vec::new()))
    })
    .await?;
    Ok(was_in_one)
}

/// `change`, keeping the booking's room (when `keep_unit` and it stays of the same type) or
/// taking it out of it. A guest in the house always keeps theirs.
async fn change_keeping(
    store: &(impl VendorStore + ResourceStore + BookingStore),
    id: BookingId,
    request: &ChangeRequest,
    requester: &Requester,
    now: DateTime<Utc>,
    keep_unit: bool,
) -> Result<Booking, ChangeError> {
    let first = store.booking(id).await?.ok_or(ChangeError::NotFound)?;
    let actor = match requester.actor_for(&first) {
        Some(actor @ (Actor::Guest | Actor::Staff)) => actor,
        _ => return Err(ChangeError::NotFound),
    };
    let (vendor, resources) = tokio::try_join!(
        store.vendor(first.vendor_id),
        store.resources(first.vendor_id)
    )?;
    let vendor = vendor.ok_or_else(|| anyhow::anyhow!("vendor of booking {id} is gone"))?;
    rewrite_from(store, id, Some(first), now, |booking| {
        let in_house = booking.status == BookingStatus::CheckedIn;
        let changeable = match booking.status {
            BookingStatus::Held | BookingStatus::Confirmed => true,
            BookingStatus::CheckedIn => actor == Actor::Staff,
            _ => false,
        };
        if !changeable {
            return Err(ChangeError::NotChangeable(booking.status));
        }
        if in_house {
            in_house_request(&booking, request).map_err(ChangeError::Rejected)?;
        }
        may_change(actor, &booking.payment, booking.arrival_at, now)
            .map_err(ChangeError::Refused)?;
        let rejected = ChangeError::Rejected;
        let old_resource = resources.iter().find(|r| r.id == booking.resource_id);
        let party = request.party.unwrap_or(booking.party_size);
        let resource = match request.resource {
            Some(wanted) => resources
                .iter()
                .find(|r| r.id == wanted)
                .ok_or(rejected(HoldError::ResourceNotFound))?,
            None => match old_resource {
                Some(current) if request.party.is_none() || party.fits(current.capacity) => current,
                _ => smallest_fit(party, &resources).map_err(|e| rejected(HoldError::NoFit(e)))?,
            },
        };
        let units = request.units.unwrap_or(booking.units);
        check_fit(resource, party, units).map_err(rejected)?;
        let time = request.time.unwrap_or(booking.time);
        let (buckets, arrival_at, booked) =
            place_within(vendor.time_zone, resource, time, now, !in_house).map_err(rejected)?;
        let mut quote = resource
            .price_plan()
            .quote(&booked, units)
            .map_err(|_| rejected(invalid("/units", "the price is too large")))?;
        if in_house {
            quote = keep_agreed_prices(&booking, quote);
        }
        let mut terms = terms_for(resource, quote.total)?;
        let asked = (booking.status == BookingStatus::Held)
            .then_some(booking.payment.deposit)
            .flatten();
        let paid = booking
            .deposit_payment
            .as_ref()
            .filter(|d| d.status == DepositStatus::Paid)
            .and_then(|d| d.paid);
        if in_house {
            // The guest is in: what was agreed for the deposit stands; the rest is settled at
            // check-out.
            terms.deposit = booking.payment.deposit;
        } else if !crate::domain::desk::deposit_due_at_desk(&booking) {
            // Online, the deposit may not outgrow what was paid, nor change while an intent waits.
            // A desk booking's is due at the desk: it takes the new terms' deposit as they are.
            terms.deposit =
                deposit_after_change(terms.deposit, asked, paid).map_err(ChangeError::Refused)?;
        }
        let mut changed = booking.clone();
        changed.resource_id = resource.id;
        changed.party_size = party;
        changed.units = units;
        changed.time = time;
        changed.buckets = buckets;
        changed.arrival_at = arrival_at;
        changed.quote = quote;
        changed.payment = terms;
        let too_long = changed.buckets.len() > super::MAX_UNIT_BUCKETS;
        if in_house && too_long && changed.unit.is_some() {
            return Err(rejected(invalid(
                "/check_out",
                format!(
                    "a guest stays in one room for at most {} nights per booking: book the rest as a new stay",
                    super::MAX_UNIT_BUCKETS
                ),
            )));
        }
        if !in_house && (!keep_unit || too_long || changed.resource_id != booking.resource_id) {
            changed.unit = None;
        }
        let old_limit = old_resource.map(Resource::sellable_limit).unwrap_or(0);
        let mut changes = CounterChange::between(
            Some((&booking, old_limit)),
            Some((&changed, resource.sellable_limit())),
        );
        if let Some(old) = old_resource {
            changes = CounterChange::of_type(changes, old);
        }
        let changes = CounterChange::of_type(changes, resource);
        if changes.len() > MAX_COUNTERS {
            // DynamoDB takes 100 items a transaction: name what the client asked to move.
            let (pointer, advice) = match (request.time, time) {
                (None, _) => (
                    "/resource_id",
                    "a stay or seating this long cannot change its type at once",
                ),
                (Some(_), BookingTime::Stay { .. }) => {
                    ("/check_out", "change the dates in two steps")
                }
                (Some(_), BookingTime::Seating { .. }) => ("/time", "move the seating in two steps"),
            };
            return Err(rejected(invalid(
                pointer,
                format!(
                    "the change moves {} nights or slots at once; at most {MAX_COUNTERS} can move together: {advice}",
                    changes.len()
                ),
            )));
        }
        Ok(Edit::Write(changed, changes))
    })
    .await
}

/// What staff may change of a stay in progress: its departure (and the party), not its arrival,
/// type or number of rooms.
fn in_house_request(booking: &Booking, request: &ChangeRequest) -> Result<(), HoldError> {
    if request.resource.is_some_and(|r| r != booking.resource_id) {
        return Err(invalid(
            "/resource_id",
            "a guest in the house changes type by moving to a room of that type",
        ));
    }
    if request.units.is_some_and(|u| u != booking.units) {
        return Err(invalid("/units", "a stay in progress keeps its rooms"));
    }
    match (request.time, booking.time) {
        (
            Some(BookingTime::Stay { check_in, .. }),
            BookingTime::Stay {
                check_in: arrived, ..
            },
        ) if check_in != arrived => Err(invalid(
            "/check_in",
            "a guest in the house keeps their arrival date: change the departure",
        )),
        (Some(BookingTime::Seating { .. }), _) => Err(invalid(
            "/time",
            "a seated party is not moved: complete it and book again",
        )),
        _ => Ok(()),
    }
}

/// A quote for a stay in progress: the nights it had keep the prices agreed, the nights added
/// are at today's rates.
fn keep_agreed_prices(
    booking: &Booking,
    mut quote: crate::domain::pricing::Quote,
) -> crate::domain::pricing::Quote {
    for line in &mut quote.lines {
        if let Some(agreed) = booking.quote.lines.iter().find(|l| l.date == line.date) {
            *line = agreed.clone();
        }
    }
    let total = quote.lines.iter().map(|l| l.amount.amount_minor).sum();
    quote.total = quote.total.with_amount(total);
    quote
}
