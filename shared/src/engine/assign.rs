//! Putting a booking in a room or table, moving it to another, taking it out, and checking a
//! guest in and out. Each is one conditional write of the booking with its unit occupancy
//! (derived in `rooms`), so a unit is never given to two bookings for one bucket, and a move
//! takes the new unit and frees the old one together. A check-in or check-out sent with an
//! idempotency key keeps the key in the check-in record in that write, so the same request
//! sent again is recognised and answered without a second write.
use super::access::Requester;
use super::lifecycle::{TransitionError, transition, transition_with};
use super::rewrite::{Edit, RewriteError, rewrite};
use crate::domain::booking::{
    Actor, Booking, BookingAction, BookingStatus, BookingTime, InvalidTransition,
};
use crate::domain::calendar::Bucket;
use crate::domain::idempotency::{Delivery, IdempotencyKey};
use crate::domain::ids::{BookingId, UnitId};
use crate::domain::resource::Resource;
use crate::domain::unit::{CheckInMethod, CheckInRecord, Unit, UnitAssignment};
use crate::store::{BookingStore, BookingWriteError, ResourceStore, UnitStore};
use chrono::{DateTime, Utc};

/// Which unit to put a booking in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    Unit(UnitId),
    /// A free unit of the booking's type that fits, clean or inspected ones first.
    Auto,
}

#[derive(Debug, thiserror::Error)]
pub enum AssignError {
    #[error("no such booking")]
    NotFound,
    #[error("only staff of the vendor may do this")]
    Forbidden,
    /// The unit is not one of the vendor's, or not of the booking's type, or not in service,
    /// or too small for the party: a mistake in the request (`/unit_id`).
    #[error("{0}")]
    UnitUnsuitable(String),
    #[error("a booking that is {0} has no room to put it in")]
    NotLive(BookingStatus),
    /// A booking of several rooms is put in its rooms one booking at a time.
    #[error("a booking of {0} units cannot be put in one")]
    SeveralUnits(u32),
    /// A booking of more nights or slots than a move can take in one transaction.
    #[error("a booking of {0} nights or slots is not put in one unit")]
    TooLong(usize),
    /// The unit is occupied in these buckets.
    #[error("unit {number} is taken")]
    UnitTaken {
        unit: UnitId,
        number: String,
        buckets: Vec<Bucket>,
    },
    /// No unit of the type is free (and ready, when a guest is moving in) for the whole booking.
    #[error("no unit is free for the whole booking")]
    NoneFree { not_ready: Vec<String> },
    /// The unit is not clean yet: a guest is not moved into it.
    #[error("unit {0} is not ready")]
    NotReady(String),
    /// A checked-in guest keeps their room until they are moved to another.
    #[error("a checked-in guest is moved, not taken out of their room")]
    CheckedIn,
    #[error(transparent)]
    CheckIn(#[from] CheckInRefused),
    #[error("the booking keeps changing")]
    Busy,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Why a guest cannot be checked in (yet).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckInRefused {
    /// Only a confirmed booking is checked in.
    #[error("a booking that is {0} cannot be checked in")]
    Status(BookingStatus),
    /// Before the arrival day nobody checks in; before the check-in time only with staff's
    /// leave.
    #[error("check-in opens at {opens_at}")]
    TooEarly {
        opens_at: DateTime<Utc>,
        arrival_day: bool,
    },
    /// The stay or seating is over.
    #[error("the booking's time is over")]
    TooLate,
    /// A guest checks in on their phone only once their deposit is paid.
    #[error("the deposit is not paid")]
    DepositUnpaid,
    /// Guests check themselves in on their phone; desk, kiosk and face are staff's.
    #[error("a guest checks in on their phone")]
    Method,
}

impl RewriteError for AssignError {
    fn not_found() -> Self {
        Self::NotFound
    }

    fn busy() -> Self {
        Self::Busy
    }

    fn refused(err: BookingWriteError, attempted: &Booking) -> Self {
        match err {
            BookingWriteError::UnitTaken { unit, buckets } => Self::UnitTaken {
                unit,
                number: attempted
                    .unit
                    .as_ref()
                    .filter(|u| u.unit_id == unit)
                    .map(|u| u.number.to_string())
                    .unwrap_or_default(),
                buckets,
            },
            BookingWriteError::TooLarge(_) => Self::TooLong(attempted.buckets.len()),
            other => Self::Unexpected(other.into()),
        }
    }
}

/// What checking in asks for besides the booking.
#[derive(Debug, Clone)]
pub struct CheckIn {
    pub method: CheckInMethod,
    /// A unit other than the one assigned (or `Auto` when none is).
    pub unit: Option<UnitId>,
    /// Staff saw the guest's identity document.
    pub id_checked: bool,
    /// Staff let the guest in before the check-in time on the arrival day.
    pub early: bool,
}

/// Puts booking `id` in a unit (or moves it to another): staff only.
pub async fn assign(
    store: &(impl BookingStore + ResourceStore + UnitStore),
    id: BookingId,
    pick: Pick,
    requester: &Requester,
    now: DateTime<Utc>,
) -> Result<Booking, AssignError> {
    let booking = store.booking(id).await?.ok_or(AssignError::NotFound)?;
    if requester.actor_for(&booking) != Some(Actor::Staff) {
        return Err(if requester.actor_for(&booking).is_some() {
            AssignError::Forbidden
        } else {
            AssignError::NotFound
        });
    }
    live(&booking)?;
    let candidates = candidates(
        store,
        &booking,
        &type_of(store, &booking).await?,
        pick,
        false,
    )
    .await?;
    put_in(store, &booking, candidates, now, |booking, _| {
        live(booking)?;
        Ok(())
    })
    .await
}

/// Takes booking `id` out of its unit (a booking not checked in yet): staff only.
pub async fn unassign(
    store: &(impl BookingStore + ResourceStore),
    id: BookingId,
    requester: &Requester,
    now: DateTime<Utc>,
) -> Result<Booking, AssignError> {
    rewrite(store, id, now, |booking| {
        match requester.actor_for(&booking) {
            Some(Actor::Staff) => {}
            Some(_) => return Err(AssignError::Forbidden),
            None => return Err(AssignError::NotFound),
        }
        if booking.status == BookingStatus::CheckedIn {
            return Err(AssignError::CheckedIn);
        }
        if booking.unit.is_none() {
            return Ok(Edit::Keep(booking));
        }
        let mut next = booking.clone();
        next.unit = None;
        Ok(Edit::Write(next, Vec::new()))
    })
    .await
}

/// Checks a guest in: staff at the desk, a kiosk or a recognition system, or the guest on their
/// phone. The booking gets a unit if it has none (or the one asked for), ready to move into,
/// in the same write that moves it to CHECKED_IN. A guest checked in already is answered with
/// the booking as it is.
pub async fn check_in(
    store: &(impl BookingStore + ResourceStore + UnitStore),
    id: BookingId,
    request: &CheckIn,
    requester: &Requester,
    now: DateTime<Utc>,
) -> Result<Booking, AssignError> {
    check_in_once(store, id, request, None, requester, now)
        .await
        .map(|(booking, _)| booking)
}

/// `check_in`, sent with an idempotency key or without one. With a key, the key is kept in the
/// check-in record: the same key again answers with the booking as it is now (whatever happened
/// to it since) and writes nothing, while a booking checked in by another request (another key,
/// or none) is refused as any check-in of a checked-in booking is.
pub async fn check_in_once(
    store: &(impl BookingStore + ResourceStore + UnitStore),
    id: BookingId,
    request: &CheckIn,
    key: Option<&IdempotencyKey>,
    requester: &Requester,
    now: DateTime<Utc>,
) -> Result<(Booking, Delivery), AssignError> {
    let booking = store.booking(id).await?.ok_or(AssignError::NotFound)?;
    let actor = requester.actor_for(&booking).ok_or(AssignError::NotFound)?;
    let Some(key) = key else {
        if booking.status == BookingStatus::CheckedIn {
            return Ok((booking, Delivery::Applied));
        }
        let moved = move_in(store, booking, actor, request, None, requester, now).await?;
        return Ok((moved, Delivery::Applied));
    };
    if checked_in_with(&booking, key) {
        return Ok((booking, Delivery::Replayed));
    }
    match move_in(store, booking, actor, request, Some(key), requester, now).await {
        Ok(moved) => Ok((moved, Delivery::Applied)),
        // The same request sent twice at once: the other one checked the guest in.
        Err(AssignError::CheckIn(CheckInRefused::Status(status))) => {
            match store.booking(id).await? {
                Some(read) if checked_in_with(&read, key) => Ok((read, Delivery::Replayed)),
                _ => Err(CheckInRefused::Status(status).into()),
            }
        }
        Err(other) => Err(other),
    }
}

/// Whether the booking was checked in by a request with `key`.
fn checked_in_with(booking: &Booking, key: &IdempotencyKey) -> bool {
    booking
        .check_in
        .as_ref()
        .and_then(|record| record.idempotency_key.as_ref())
        == Some(key)
}

/// Checks in `booking` as read (the write re-reads it and checks again).
async fn move_in(
    store: &(impl BookingStore + ResourceStore + UnitStore),
    booking: Booking,
    actor: Actor,
    request: &CheckIn,
    key: Option<&IdempotencyKey>,
    requester: &Requester,
    now: DateTime<Utc>,
) -> Result<Booking, AssignError> {
    let id = booking.id;
    let resource = type_of(store, &booking).await?;
    may_check_in(&booking, &resource, actor, request, now)?;
    let record = CheckInRecord {
        at: now,
        method: request.method,
        by: requester.acted_by(),
        id_checked_by: (actor == Actor::Staff && request.id_checked).then(|| requester.acted_by()),
        early: now < booking.arrival_at,
        idempotency_key: key.cloned(),
        check_out_key: None,
    };
    let keep = booking.unit.as_ref().map(|u| u.unit_id);
    let pick = match (request.unit, keep) {
        (Some(unit), _) if actor == Actor::Staff => Pick::Unit(unit),
        (Some(_), _) => return Err(AssignError::Forbidden),
        (None, Some(unit)) => Pick::Unit(unit),
        // A type whose rooms or tables are not registered is sold by count alone, and so is a
        // booking of several units or of more nights than one unit is given for.
        (None, None)
            if resource.units_in_service.is_none()
                || booking.units != 1
                || booking.buckets.len() > super::MAX_UNIT_BUCKETS =>
        {
            return rewrite(store, id, now, |read| {
                may_check_in(&read, &resource, actor, request, now)?;
                let mut next = read.clone();
                next.status = BookingStatus::CheckedIn;
                next.check_in = Some(record.clone());
                Ok(Edit::Write(next, Vec::new()))
            })
            .await;
        }
        (None, None) => Pick::Auto,
    };
    if booking.units != 1 || booking.buckets.len() > super::MAX_UNIT_BUCKETS {
        live(&booking)?;
    }
    let mut candidates = candidates(store, &booking, &resource, pick, true).await;
    // A guest on their phone whose room is not ready yet is given another that is.
    if actor == Actor::Guest && matches!(candidates, Err(AssignError::NotReady(_))) {
        candidates = self::candidates(store, &booking, &resource, Pick::Auto, true).await;
    }
    put_in(store, &booking, candidates?, now, |booking, next| {
        may_check_in(booking, &resource, actor, request, now)?;
        next.status = BookingStatus::CheckedIn;
        next.check_in = Some(record.clone());
        Ok(())
    })
    .await
}

/// Checks a guest out: the booking COMPLETED as `transition` does it (an early departure frees
/// the rest of the stay, the room is left dirty). Without a key, a booking checked out already
/// is answered as it is. With one, the key is kept in the check-in record in the same write:
/// the same key again answers with the booking as it is now and writes nothing, while a
/// booking checked out by another request (another key, or none) is refused.
pub async fn check_out(
    store: &(impl ResourceStore + BookingStore),
    id: BookingId,
    key: Option<&IdempotencyKey>,
    requester: &Requester,
    now: DateTime<Utc>,
) -> Result<(Booking, Delivery), TransitionError> {
    let action = BookingAction::Complete;
    let Some(key) = key else {
        let booking = transition(store, id, action, requester, now).await?;
        return Ok((booking, Delivery::Applied));
    };
    let checked_out_with = |booking: &Booking| {
        booking
            .check_in
            .as_ref()
            .and_then(|record| record.check_out_key.as_ref())
            == Some(key)
    };
    let read = store.booking(id).await?.ok_or(TransitionError::NotFound)?;
    let may = requester
        .actor_for(&read)
        .is_some_and(|actor| actor.may(action));
    if may && checked_out_with(&read) {
        return Ok((read, Delivery::Replayed));
    }
    // A checked-in booking always has its check-in record (`check_in` writes it).
    let done = transition_with(store, id, action, requester, now, |moved| {
        if let Some(record) = &mut moved.check_in {
            record.check_out_key = Some(key.clone());
        }
        Ok(())
    })
    .await?;
    if checked_out_with(&done) {
        // Ours, or the same request sent twice at once: either way done once, with this key.
        return Ok((done, Delivery::Applied));
    }
    Err(InvalidTransition {
        from: done.status,
        action,
    }
    .into())
}

/// When a guest may be checked in: a confirmed booking, from its arrival day (from the check-in
/// time, or earlier with staff's leave) until its stay or seating is over; on their phone only
/// with the deposit paid.
fn may_check_in(
    booking: &Booking,
    _resource: &Resource,
    actor: Actor,
    request: &CheckIn,
    now: DateTime<Utc>,
) -> Result<(), CheckInRefused> {
    if booking.status != BookingStatus::Confirmed {
        return Err(CheckInRefused::Status(booking.status));
    }
    let zone = booking.time_zone.tz();
    let today = now.with_timezone(&zone).date_naive();
    let (arrival_day, over) = match booking.time {
        BookingTime::Stay {
            check_in,
            check_out,
        } => (check_in, today >= check_out),
        BookingTime::Seating { date, .. } => (date, today > date),
    };
    if over {
        return Err(CheckInRefused::TooLate);
    }
    if now < booking.arrival_at {
        let on_arrival_day = today >= arrival_day;
        let with_leave = actor == Actor::Staff && request.early && on_arrival_day;
        if !with_leave {
            return Err(CheckInRefused::TooEarly {
                opens_at: booking.arrival_at,
                arrival_day: on_arrival_day,
            });
        }
    }
    match actor {
        Actor::Guest if request.method != CheckInMethod::Mobile => Err(CheckInRefused::Method),
        Actor::Guest if !deposit_settled(booking) => Err(CheckInRefused::DepositUnpaid),
        _ => Ok(()),
    }
}

/// Whether the deposit the booking's terms ask for is paid (or none is asked for): online, or at
/// the desk in payments that add up to it.
fn deposit_settled(booking: &Booking) -> bool {
    use crate::domain::payment::DepositStatus;
    let Some(deposit) = booking.payment.deposit else {
        return true;
    };
    let paid_online = booking
        .deposit_payment
        .as_ref()
        .is_some_and(|d| d.status == DepositStatus::Paid);
    let paid_at_desk: i64 = booking
        .desk_payments
        .iter()
        .filter(|p| p.amount.currency == deposit.currency)
        .map(|p| p.amount.amount_minor)
        .sum();
    paid_online || paid_at_desk >= deposit.amount_minor
}

fn live(booking: &Booking) -> Result<(), AssignError> {
    if booking.status.is_final() || !booking.status.holds_inventory() {
        return Err(AssignError::NotLive(booking.status));
    }
    if booking.units != 1 {
        return Err(AssignError::SeveralUnits(booking.units));
    }
    if booking.buckets.len() > super::MAX_UNIT_BUCKETS {
        return Err(AssignError::TooLong(booking.buckets.len()));
    }
    Ok(())
}

/// The units worth trying for `booking`, best first: the one asked for, or every free unit of
/// its type that fits (inspected, then clean, then, unless a guest is moving in now, dirty).
async fn candidates(
    store: &impl UnitStore,
    booking: &Booking,
    resource: &Resource,
    pick: Pick,
    moving_in: bool,
) -> Result<Vec<Unit>, AssignError> {
    let party = booking.party_size.get();
    if let Pick::Unit(id) = pick {
        let unit = store
            .unit(booking.vendor_id, id)
            .await?
            .ok_or_else(|| AssignError::UnitUnsuitable("no such unit at this vendor".into()))?;
        if unit.resource_id != booking.resource_id {
            return Err(AssignError::UnitUnsuitable(format!(
                "unit {} is not a {}: change the booking's type first",
                unit.number, resource.name
            )));
        }
        if !unit.in_service {
            return Err(AssignError::UnitUnsuitable(format!(
                "unit {} is out of service",
                unit.number
            )));
        }
        if !unit.seats_party(resource.capacity, party) {
            return Err(AssignError::UnitUnsuitable(format!(
                "unit {} is too small for a party of {party}",
                unit.number
            )));
        }
        if moving_in && !unit.housekeeping.ready() {
            return Err(AssignError::NotReady(unit.number.to_string()));
        }
        return Ok(vec![unit]);
    }
    let mut fitting: Vec<Unit> = store
        .units(booking.vendor_id)
        .await?
        .into_iter()
        .filter(|u| {
            u.resource_id == booking.resource_id
                && u.in_service
                && u.seats_party(resource.capacity, party)
        })
        .collect();
    // The smallest table that seats the party, the readiest room, then by number.
    fitting.sort_by_key(|u| (u.seats.map(|s| s.get()), readiness(u), u.number.canonical()));
    let keys: Vec<(UnitId, Bucket)> = fitting
        .iter()
        .flat_map(|u| booking.buckets.iter().map(move |b| (u.id, *b)))
        .collect();
    let occupants = store.occupants(booking.vendor_id, &keys).await?;
    let free = |u: &Unit| {
        booking.buckets.iter().all(|b| {
            occupants
                .get(&(u.id, *b))
                .is_none_or(|o| *o == crate::domain::unit::Occupant::Booking(booking.id))
        })
    };
    let (ready, not_ready): (Vec<Unit>, Vec<Unit>) = fitting
        .into_iter()
        .filter(|u| free(u))
        .partition(|u| !moving_in || u.housekeeping.ready());
    if ready.is_empty() {
        return Err(AssignError::NoneFree {
            not_ready: not_ready.iter().map(|u| u.number.to_string()).collect(),
        });
    }
    Ok(ready)
}

/// The booking's room or table type.
async fn type_of(store: &impl ResourceStore, booking: &Booking) -> anyhow::Result<Resource> {
    store
        .resource(booking.vendor_id, booking.resource_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("booking {}'s type is gone", booking.id))
}

fn readiness(unit: &Unit) -> u8 {
    use crate::domain::unit::Housekeeping::*;
    match unit.housekeeping {
        Inspected => 0,
        Clean => 1,
        Dirty => 2,
    }
}

/// Writes the booking into the first candidate that is still free when the write lands, trying
/// the next one when another booking took it first. `amend` sees the booking as re-read on each
/// attempt and makes the rest of the change.
async fn put_in(
    store: &impl BookingStore,
    booking: &Booking,
    candidates: Vec<Unit>,
    now: DateTime<Utc>,
    amend: impl Fn(&Booking, &mut Booking) -> Result<(), AssignError>,
) -> Result<Booking, AssignError> {
    let last = candidates.len().saturating_sub(1);
    for (i, unit) in candidates.into_iter().enumerate() {
        let wanted = UnitAssignment {
            unit_id: unit.id,
            number: unit.number.clone(),
        };
        let result = rewrite(store, booking.id, now, |read| {
            let mut next = read.clone();
            amend(&read, &mut next)?;
            if next == read && read.unit.as_ref() == Some(&wanted) {
                return Ok(Edit::Keep(read));
            }
            next.unit = Some(wanted.clone());
            Ok(Edit::Write(next, Vec::new()))
        })
        .await;
        match result {
            Err(AssignError::UnitTaken { .. }) if i < last => continue,
            other => return other,
        }
    }
    Err(AssignError::NoneFree {
        not_ready: Vec::new(),
    })
}

/// The key to a checked-in guest's room: from now until noon of their departure day, in the
/// vendor's zone. Tables have no doors, and a booking not in a room has no key.
pub fn guest_key(booking: &Booking, now: DateTime<Utc>) -> Option<crate::auth::DoorKey> {
    use chrono::TimeZone as _;
    let unit = booking.unit.as_ref()?;
    let BookingTime::Stay { check_out, .. } = booking.time else {
        return None;
    };
    if booking.status != BookingStatus::CheckedIn {
        return None;
    }
    let noon = check_out.and_hms_opt(12, 0, 0)?;
    let valid_to = booking
        .time_zone
        .tz()
        .from_local_datetime(&noon)
        .earliest()?
        .to_utc();
    (valid_to > now).then(|| crate::auth::DoorKey {
        vendor_id: booking.vendor_id,
        unit_id: unit.unit_id,
        unit_number: unit.number.to_string(),
        holder: crate::auth::KeyHolder::Guest(booking.id),
        valid_from: now,
        valid_to,
    })
}
