//! The booking engine: what holding, changing and moving a booking along its lifecycle mean,
//! on top of the domain rules and the booking store. Handlers, the hold-expiry consumer and
//! (later) payments all call these, so a rule lives in one place.
use crate::auth::Caller;
use crate::domain::FieldErrors;
use crate::domain::booking::{
    Actor, Booking, BookingAction, BookingStatus, BookingTime, Channel, InvalidTransition,
};
use crate::domain::calendar::{BookedTime, Bucket, Seating, StayNights};
use crate::domain::deposit::PaymentTerms;
use crate::domain::ids::{BookingId, ResourceId, UserId, VendorId};
use crate::domain::party::{NoResourceFits, PartySize, fitting_resources, smallest_fit};
use crate::domain::resource::{Resource, ResourceKind};
use crate::domain::vendor::{TimeZone, Vendor};
use crate::http::Problem;
use crate::store::{
    ArchiveIndex, BookingStore, BookingWriteError, CounterChange, ResourceStore, VendorStore,
};
use chrono::{DateTime, Duration, Utc};
use http::StatusCode;

/// How long a hold keeps its inventory while payment runs.
pub const DEFAULT_HOLD_SECONDS: i64 = 600;
/// How long an idempotency key is honoured for a replay.
pub const IDEMPOTENCY_WINDOW_HOURS: i64 = 24;
/// Units one booking may take at most.
pub const MAX_UNITS: u32 = 50;
/// A concurrent change to the same booking makes us re-read and retry this many times.
const ATTEMPTS: u32 = 5;

/// A validated request for a hold.
#[derive(Debug, Clone)]
pub struct HoldRequest {
    pub vendor: VendorId,
    /// `None`: the smallest resource type that seats the party.
    pub resource: Option<ResourceId>,
    pub party: PartySize,
    /// `None`: one unit.
    pub units: Option<u32>,
    pub time: BookingTime,
}

/// Who is creating a booking.
#[derive(Debug, Clone)]
pub struct Creator {
    /// `guest:<id>` or `staff:<id>`: part of the booking's idempotency identity.
    pub booked_by: String,
    pub guest: Option<UserId>,
    pub channel: Channel,
}

impl Creator {
    /// Guests book for themselves online; staff book for their own vendor at the front desk.
    pub fn from_caller(caller: &Caller, vendor: VendorId) -> Option<Self> {
        match caller {
            Caller::Guest(id) => Some(Self {
                booked_by: format!("guest:{id}"),
                guest: Some(*id),
                channel: Channel::Online,
            }),
            Caller::Staff { id, vendor_id, .. } if *vendor_id == vendor => Some(Self {
                booked_by: format!("staff:{id}"),
                guest: None,
                channel: Channel::FrontDesk,
            }),
            Caller::Admin(id) => Some(Self {
                booked_by: format!("admin:{id}"),
                guest: None,
                channel: Channel::FrontDesk,
            }),
            Caller::Staff { .. } => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HoldError {
    #[error("no such vendor")]
    VendorNotFound,
    #[error("no such resource")]
    ResourceNotFound,
    #[error(transparent)]
    NoFit(NoResourceFits),
    #[error("invalid request")]
    Invalid(FieldErrors),
    #[error("sold out")]
    SoldOut {
        resource: ResourceId,
        buckets: Vec<Bucket>,
    },
    #[error("the idempotency key was used for another request")]
    KeyReused,
    #[error("the idempotency key has expired")]
    KeyExpired,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// A new hold, or the one an earlier identical request made.
#[derive(Debug)]
pub enum Held {
    Created(Booking),
    Replayed(Booking),
}

fn invalid(pointer: &str, detail: impl Into<String>) -> HoldError {
    let mut errors = FieldErrors::default();
    errors.push(pointer, detail);
    HoldError::Invalid(errors)
}

/// Where a hold's time lands in the vendor's calendar (`zone`): its buckets and the arrival
/// instant, or why it cannot be booked (invalid, outside the booking window).
pub(crate) fn place(
    zone: TimeZone,
    resource: &Resource,
    time: BookingTime,
    now: DateTime<Utc>,
) -> Result<(Vec<Bucket>, DateTime<Utc>, BookedTime), HoldError> {
    let booked = match (time, resource.kind) {
        (
            BookingTime::Stay {
                check_in,
                check_out,
            },
            ResourceKind::RoomType,
        ) => BookedTime::Stay(
            StayNights::new(check_in, check_out).map_err(|e| invalid("/check_out", e.0))?,
        ),
        (BookingTime::Seating { date, time }, ResourceKind::TableType) => BookedTime::Seating(
            Seating::new(resource.seating_grid(), zone, date, time)
                .map_err(|e| invalid("/time", e.0))?,
        ),
        (BookingTime::Stay { .. }, ResourceKind::TableType) => {
            return Err(invalid(
                "/check_in",
                "a restaurant takes a date and a time, not nights",
            ));
        }
        (BookingTime::Seating { .. }, ResourceKind::RoomType) => {
            return Err(invalid(
                "/date",
                "a hotel takes check_in and check_out dates",
            ));
        }
    };
    let arrival = booked
        .arrival(zone, resource.check_in())
        .map_err(|e| invalid("/check_in", e.0))?;
    // A guest who turns up tonight after the check-in hour is a late arrival, not a past one.
    let today = now.with_timezone(&zone.tz()).date_naive();
    let window_arrival = match booked {
        BookedTime::Stay(stay) if stay.check_in() == today && arrival < now => now,
        _ => arrival,
    };
    let pointer = match booked {
        BookedTime::Stay(_) => "/check_in",
        BookedTime::Seating(_) => "/date",
    };
    resource
        .booking_window
        .check(now, window_arrival)
        .map_err(|e| invalid(pointer, e.0))?;
    Ok((booked.buckets(), arrival, booked))
}

/// Holds inventory for a request: HELD for `hold_seconds`, priced now, all buckets or none.
/// The booking's id comes from its creator and idempotency key, so a retry finds the first one.
pub async fn hold(
    store: &(impl VendorStore + ResourceStore + BookingStore),
    creator: &Creator,
    idempotency_key: &str,
    request_hash: &str,
    request: HoldRequest,
    now: DateTime<Utc>,
    hold_seconds: i64,
) -> Result<Held, HoldError> {
    // No read of the id first: if the booking exists, the transaction's first condition fails,
    // nothing is written, and the retry is answered from the stored booking. Only a request that
    // fails before reaching the store (its dates have passed since, say) looks for one.
    let id = BookingId::from_idempotency_key(&creator.booked_by, idempotency_key);
    match hold_new(store, creator, id, request_hash, request, now, hold_seconds).await {
        Err(HoldError::Invalid(_) | HoldError::NoFit(_) | HoldError::ResourceNotFound)
            if let Some(existing) = store.booking(id).await? =>
        {
            replay(existing, request_hash, now)
        }
        other => other,
    }
}

async fn hold_new(
    store: &(impl VendorStore + ResourceStore + BookingStore),
    creator: &Creator,
    id: BookingId,
    request_hash: &str,
    request: HoldRequest,
    now: DateTime<Utc>,
    hold_seconds: i64,
) -> Result<Held, HoldError> {
    let (vendor, resources) = tokio::try_join!(
        store.vendor(request.vendor),
        store.resources(request.vendor)
    )?;
    let vendor = vendor.ok_or(HoldError::VendorNotFound)?;
    // A guest who picks a type gets that type or a 409. Otherwise the smallest type that fits
    // is tried first, then the next, so a free family room is offered when doubles are gone.
    let candidates: Vec<&Resource> = match request.resource {
        Some(wanted) => vec![
            resources
                .iter()
                .find(|r| r.id == wanted)
                .ok_or(HoldError::ResourceNotFound)?,
        ],
        None => {
            let fitting = fitting_resources(request.party, &resources);
            if fitting.is_empty() {
                return Err(HoldError::NoFit(NoResourceFits {
                    party: request.party,
                    largest: resources.iter().map(|r| r.capacity).max(),
                }));
            }
            fitting
        }
    };
    let mut first_refusal = None;
    for resource in candidates {
        match hold_on(
            store,
            creator,
            id,
            request_hash,
            &request,
            &vendor,
            resource,
            now,
            hold_seconds,
        )
        .await
        {
            Err(refused @ (HoldError::SoldOut { .. } | HoldError::Invalid(_)))
                if request.resource.is_none() =>
            {
                first_refusal.get_or_insert(refused);
            }
            other => return other,
        }
    }
    Err(first_refusal.unwrap_or_else(|| anyhow::anyhow!("no candidate resource was tried").into()))
}

/// Holds `resource` for the request, all buckets or none.
#[allow(clippy::too_many_arguments)]
async fn hold_on(
    store: &impl BookingStore,
    creator: &Creator,
    id: BookingId,
    request_hash: &str,
    request: &HoldRequest,
    vendor: &Vendor,
    resource: &Resource,
    now: DateTime<Utc>,
    hold_seconds: i64,
) -> Result<Held, HoldError> {
    let units = request.units.unwrap_or(1);
    if !(1..=MAX_UNITS).contains(&units) {
        return Err(invalid(
            "/units",
            format!("must be between 1 and {MAX_UNITS}"),
        ));
    }
    if units > resource.sellable_limit() {
        return Err(invalid(
            "/units",
            format!(
                "{} has {} units in all",
                resource.name,
                resource.sellable_limit()
            ),
        ));
    }
    if u32::from(request.party.get()) > u32::from(resource.capacity.get()) * units {
        return Err(invalid(
            "/party_size",
            format!(
                "{units} x {} seats at most {}",
                resource.name,
                u32::from(resource.capacity.get()) * units
            ),
        ));
    }
    let (buckets, arrival_at, booked) = place(vendor.time_zone, resource, request.time, now)?;
    let quote = resource
        .price_plan()
        .quote(&booked, units)
        .map_err(|_| invalid("/units", "the price is too large"))?;
    // Without a deposit there is nothing to wait for: the booking is confirmed at once.
    let deposit = resource.deposit.deposit_for(quote.total).map_err(|e| {
        anyhow::anyhow!(
            "resource {}'s deposit doesn't fit its price: {}",
            resource.id,
            e.0
        )
    })?;
    let (status, hold_expires_at) = match deposit {
        Some(_) => (
            BookingStatus::Held,
            Some(now + Duration::seconds(hold_seconds)),
        ),
        None => (BookingStatus::Confirmed, None),
    };
    let booking = Booking {
        id,
        vendor_id: vendor.id,
        resource_id: resource.id,
        guest_id: creator.guest,
        booked_by: creator.booked_by.clone(),
        channel: creator.channel,
        party_size: request.party,
        units,
        time: request.time,
        time_zone: vendor.time_zone,
        buckets,
        arrival_at,
        quote,
        status,
        version: 1,
        hold_expires_at,
        payment: PaymentTerms {
            deposit,
            cancellation: resource.cancellation,
        },
        deposit_payment: None,
        request_hash: request_hash.to_owned(),
        created_at: now,
        updated_at: now,
    };
    let takes = CounterChange::between(None, Some((&booking, resource.sellable_limit())));
    match store.insert_booking(&booking, &takes).await {
        Ok(()) => Ok(Held::Created(booking)),
        Err(BookingWriteError::SoldOut(buckets)) => Err(HoldError::SoldOut {
            resource: resource.id,
            buckets,
        }),
        // A concurrent identical request won the race: answer as it did.
        Err(BookingWriteError::Duplicate) => match store.booking(id).await? {
            Some(existing) => replay(existing, request_hash, now),
            None => Err(anyhow::anyhow!("booking {id} refused as duplicate but not found").into()),
        },
        Err(BookingWriteError::Stale) => {
            Err(anyhow::anyhow!("a new booking cannot be stale").into())
        }
        Err(BookingWriteError::Unexpected(e)) => Err(e.into()),
    }
}

fn replay(existing: Booking, request_hash: &str, now: DateTime<Utc>) -> Result<Held, HoldError> {
    if existing.created_at + Duration::hours(IDEMPOTENCY_WINDOW_HOURS) < now {
        return Err(HoldError::KeyExpired);
    }
    if existing.request_hash != request_hash {
        return Err(HoldError::KeyReused);
    }
    Ok(Held::Replayed(existing))
}

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
    #[error("the booking keeps changing")]
    Busy,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Changes a HELD or CONFIRMED booking's dates, party size or type as one transaction: the old
/// buckets are released and the new ones taken (by their net difference), or nothing happens.
/// The price is quoted again at today's rates.
pub async fn change(
    store: &(impl VendorStore + ResourceStore + BookingStore),
    id: BookingId,
    request: &ChangeRequest,
    requester: &Requester,
    now: DateTime<Utc>,
) -> Result<Booking, ChangeError> {
    for _ in 0..ATTEMPTS {
        let booking = store.booking(id).await?.ok_or(ChangeError::NotFound)?;
        match requester.actor_for(&booking) {
            Some(Actor::Guest | Actor::Staff) => {}
            _ => return Err(ChangeError::NotFound),
        }
        if !matches!(
            booking.status,
            BookingStatus::Held | BookingStatus::Confirmed
        ) {
            return Err(ChangeError::NotChangeable(booking.status));
        }
        let (vendor, resources) = tokio::try_join!(
            store.vendor(booking.vendor_id),
            store.resources(booking.vendor_id)
        )?;
        let vendor = vendor.ok_or_else(|| anyhow::anyhow!("vendor of booking {id} is gone"))?;
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
        if units == 0 || units > MAX_UNITS || units > resource.sellable_limit() {
            return Err(rejected(invalid(
                "/units",
                format!(
                    "must be between 1 and {}",
                    resource.sellable_limit().min(MAX_UNITS)
                ),
            )));
        }
        if u32::from(party.get()) > u32::from(resource.capacity.get()) * units {
            return Err(rejected(invalid(
                "/party_size",
                format!("{units} x {} seats fewer guests", resource.name),
            )));
        }
        let time = request.time.unwrap_or(booking.time);
        let (buckets, arrival_at, booked) =
            place(vendor.time_zone, resource, time, now).map_err(rejected)?;
        let quote = resource
            .price_plan()
            .quote(&booked, units)
            .map_err(|_| rejected(invalid("/units", "the price is too large")))?;
        let mut changed = booking.clone();
        changed.resource_id = resource.id;
        changed.party_size = party;
        changed.units = units;
        changed.time = time;
        changed.buckets = buckets;
        changed.arrival_at = arrival_at;
        changed.quote = quote;
        changed.version = booking.version + 1;
        changed.updated_at = now;
        let old_limit = old_resource.map(Resource::sellable_limit).unwrap_or(0);
        let changes = CounterChange::between(
            Some((&booking, old_limit)),
            Some((&changed, resource.sellable_limit())),
        );
        match store
            .replace_booking(&changed, (booking.status, booking.version), &changes)
            .await
        {
            Ok(()) => return Ok(changed),
            Err(BookingWriteError::Stale) => continue,
            Err(BookingWriteError::SoldOut(buckets)) => {
                return Err(rejected(HoldError::SoldOut {
                    resource: resource.id,
                    buckets,
                }));
            }
            Err(other) => return Err(anyhow::Error::new(other).into()),
        }
    }
    Err(ChangeError::Busy)
}

/// What one room or table type offers for a request: how many units are free in every bucket
/// asked for, and the price.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Offer {
    pub resource_id: ResourceId,
    pub name: String,
    pub kind: ResourceKind,
    pub capacity: u16,
    pub units_left: u32,
    pub quote: crate::domain::pricing::Quote,
}

/// The vendor's offers for a party at a time, best fit first (those with nothing left included,
/// with `units_left` 0). Counters are read, never written.
pub async fn availability(
    store: &(impl VendorStore + ResourceStore + BookingStore),
    vendor: VendorId,
    party: PartySize,
    units: u32,
    time: BookingTime,
    now: DateTime<Utc>,
) -> Result<Vec<Offer>, HoldError> {
    let (vendor, resources) = tokio::try_join!(store.vendor(vendor), store.resources(vendor))?;
    let vendor = vendor.ok_or(HoldError::VendorNotFound)?;
    let seats = |r: &Resource| u32::from(r.capacity.get()) * units >= u32::from(party.get());
    let mut candidates: Vec<&Resource> = resources.iter().filter(|r| seats(r)).collect();
    candidates.sort_by_key(|r| (r.capacity, r.base_price.amount_minor, r.id));
    if candidates.is_empty() {
        return Err(HoldError::NoFit(NoResourceFits {
            party,
            largest: resources.iter().map(|r| r.capacity).max(),
        }));
    }
    let mut offers = Vec::with_capacity(candidates.len());
    let mut first_error = None;
    for resource in candidates {
        let (buckets, _, booked) = match place(vendor.time_zone, resource, time, now) {
            Ok(placed) => placed,
            Err(err) => {
                first_error.get_or_insert(err);
                continue;
            }
        };
        let quote = resource
            .price_plan()
            .quote(&booked, units)
            .map_err(|_| invalid("units", "the price is too large"))?;
        let units_left = units_left(store, vendor.id, resource, &buckets).await?;
        offers.push(Offer {
            resource_id: resource.id,
            name: resource.name.to_string(),
            kind: resource.kind,
            capacity: resource.capacity.get(),
            units_left,
            quote,
        });
    }
    match (offers.is_empty(), first_error) {
        (true, Some(err)) => Err(err),
        _ => Ok(offers),
    }
}

/// How many units of `resource` are free in every one of `buckets`, by the counters.
pub async fn units_left(
    store: &impl BookingStore,
    vendor: VendorId,
    resource: &Resource,
    buckets: &[Bucket],
) -> anyhow::Result<u32> {
    let sold = store.sold(vendor, resource.id, buckets).await?;
    Ok(units_free(
        resource.sellable_limit(),
        buckets.iter().map(|b| sold.get(b).copied().unwrap_or(0)),
    ))
}

/// Units free in every one of the buckets, given what each has sold and what each may sell.
pub fn units_free(limit: u32, sold: impl IntoIterator<Item = u32>) -> u32 {
    sold.into_iter()
        .map(|units| limit.saturating_sub(units))
        .min()
        .unwrap_or(0)
}

/// Who asks for a transition: a signed-in caller, or the platform itself.
#[derive(Debug, Clone)]
pub enum Requester {
    Caller(Caller),
    System,
}

impl Requester {
    /// The booking's own guest, staff of its vendor, an admin (acting as staff), or the system.
    fn actor_for(&self, booking: &Booking) -> Option<Actor> {
        match self {
            Self::System => Some(Actor::System),
            Self::Caller(caller) => actor_of(caller, booking.guest_id, booking.vendor_id),
        }
    }
}

/// What `caller` is to a booking of `guest` at `vendor`, if anything: its guest, staff of its
/// vendor, or an admin (acting as staff).
fn actor_of(caller: &Caller, guest: Option<UserId>, vendor: VendorId) -> Option<Actor> {
    match caller {
        Caller::Guest(id) => (guest == Some(*id)).then_some(Actor::Guest),
        staff @ Caller::Staff { .. } => staff.is_staff_of(vendor).then_some(Actor::Staff),
        Caller::Admin(_) => Some(Actor::Staff),
    }
}

/// Whether `caller` may see the booking at all.
pub fn may_read(caller: &Caller, booking: &Booking) -> bool {
    may_read_of(caller, booking.guest_id, booking.vendor_id)
}

/// Whether `caller` may see a booking of `guest` at `vendor` (one known only by its archive
/// entry, say): the same people as `may_read`, who are those a change may come from.
pub fn may_read_of(caller: &Caller, guest: Option<UserId>, vendor: VendorId) -> bool {
    actor_of(caller, guest, vendor).is_some()
}

/// What a change to a booking missing from the bookings table answers: a 409 when it was
/// archived and the caller may see it, otherwise the 404 it was.
pub async fn not_live(archive: &impl ArchiveIndex, caller: &Caller, id: BookingId) -> Problem {
    match archive.archived(id).await {
        Ok(Some(entry)) if may_read_of(caller, entry.guest_id, entry.vendor_id) => {
            Problem::conflict(
                "archived",
                "The booking is archived",
                "an archived booking can no longer be changed",
            )
            .with_extension("booking_status", serde_json::json!(entry.status))
        }
        Ok(_) => Problem::not_found("booking"),
        Err(cause) => Problem::internal(&cause),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TransitionError {
    #[error("no such booking")]
    NotFound,
    #[error("not allowed to {0:?} this booking")]
    Forbidden(BookingAction),
    #[error(transparent)]
    Invalid(#[from] InvalidTransition),
    #[error("the hold has not expired yet")]
    NotExpiredYet,
    #[error("the booking keeps changing")]
    Busy,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Moves a booking along its lifecycle as one conditional write on its status and version,
/// releasing its inventory in the same transaction when the action frees it. Repeating an action
/// that already happened changes nothing and answers with the booking as it is.
pub async fn transition(
    store: &(impl ResourceStore + BookingStore),
    id: BookingId,
    action: BookingAction,
    requester: &Requester,
    now: DateTime<Utc>,
) -> Result<Booking, TransitionError> {
    transition_with(store, id, action, requester, now, |_| Ok(())).await
}

/// `transition`, with `amend` making further changes to the moved booking in the same write
/// (payment recording what was paid as it confirms, say). `amend` sees the booking as re-read
/// on every attempt; its error aborts the transition.
pub async fn transition_with(
    store: &(impl ResourceStore + BookingStore),
    id: BookingId,
    action: BookingAction,
    requester: &Requester,
    now: DateTime<Utc>,
    amend: impl Fn(&mut Booking) -> Result<(), TransitionError>,
) -> Result<Booking, TransitionError> {
    for _ in 0..ATTEMPTS {
        let booking = store.booking(id).await?.ok_or(TransitionError::NotFound)?;
        let actor = requester
            .actor_for(&booking)
            .ok_or(TransitionError::NotFound)?;
        if !actor.may(action) {
            return Err(TransitionError::Forbidden(action));
        }
        if booking.status == action.target() {
            return Ok(booking);
        }
        let status = booking.status.next(action)?;
        if action == BookingAction::Expire && booking.hold_expires_at.is_some_and(|at| at > now) {
            return Err(TransitionError::NotExpiredYet);
        }
        let mut moved = booking.clone();
        moved.status = status;
        moved.version = booking.version + 1;
        moved.updated_at = now;
        if status != BookingStatus::Held {
            moved.hold_expires_at = None;
        }
        // What a paid deposit comes to is decided with the move that ends the booking, at the
        // moment it happens, so the refund consumer only carries it out.
        if let Some(deposit) = &mut moved.deposit_payment {
            deposit
                .booking_ended(
                    action,
                    &booking.payment,
                    booking.quote.total,
                    booking.arrival_at,
                    now,
                )
                .map_err(|e| {
                    anyhow::anyhow!("booking {id}'s deposit cannot be settled: {}", e.0)
                })?;
        }
        amend(&mut moved)?;
        let releases = if action.releases_inventory() {
            CounterChange::between(Some((&booking, 0)), None)
        } else {
            Vec::new()
        };
        match store
            .replace_booking(&moved, (booking.status, booking.version), &releases)
            .await
        {
            Ok(()) => return Ok(moved),
            Err(BookingWriteError::Stale) => continue,
            Err(other) => return Err(anyhow::Error::new(other).into()),
        }
    }
    Err(TransitionError::Busy)
}

/// Changes a booking's record without moving it along its lifecycle or touching its inventory
/// (what happened to its payment, say), as one conditional write on its status and version.
/// `edit` returns false when there is nothing to change; the booking is then returned as read.
pub async fn amend(
    store: &impl BookingStore,
    id: BookingId,
    now: DateTime<Utc>,
    edit: impl Fn(&mut Booking) -> bool,
) -> Result<Booking, TransitionError> {
    for _ in 0..ATTEMPTS {
        let booking = store.booking(id).await?.ok_or(TransitionError::NotFound)?;
        let mut amended = booking.clone();
        if !edit(&mut amended) {
            return Ok(booking);
        }
        amended.version = booking.version + 1;
        amended.updated_at = now;
        match store
            .replace_booking(&amended, (booking.status, booking.version), &[])
            .await
        {
            Ok(()) => return Ok(amended),
            Err(BookingWriteError::Stale) => continue,
            Err(other) => return Err(anyhow::Error::new(other).into()),
        }
    }
    Err(TransitionError::Busy)
}

// How engine failures look to a client, in one place for every endpoint that runs them.
impl From<HoldError> for Problem {
    fn from(err: HoldError) -> Self {
        match err {
            HoldError::VendorNotFound => Problem::not_found("vendor"),
            HoldError::ResourceNotFound => {
                Problem::field("/resource_id", "is not a room or table type of this vendor")
            }
            HoldError::NoFit(no_fit) => Problem::field("/party_size", no_fit.to_string()),
            HoldError::Invalid(errors) => errors.into(),
            HoldError::SoldOut { resource, buckets } => Problem::conflict(
                "sold-out",
                "Sold out",
                "not enough units are left for every night or slot asked for",
            )
            .with_extension("resource_id", serde_json::json!(resource.to_string()))
            .with_extension("sold_out", serde_json::json!(buckets)),
            HoldError::KeyReused => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "The Idempotency-Key was used for a different request",
            )
            .with_detail("use a new key for a new booking"),
            HoldError::KeyExpired => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-expired",
                "The Idempotency-Key has expired",
            )
            .with_detail("keys are honoured for 24 hours; use a new key"),
            HoldError::Unexpected(cause) => Problem::internal(&cause),
        }
    }
}

impl From<TransitionError> for Problem {
    fn from(err: TransitionError) -> Self {
        match err {
            TransitionError::NotFound => Problem::not_found("booking"),
            TransitionError::Forbidden(action) => {
                Problem::forbidden(format!("you may not {} this booking", action.verb()))
            }
            TransitionError::Invalid(invalid) => Problem::conflict(
                "invalid-transition",
                "The booking cannot make that change",
                invalid.to_string(),
            )
            .with_extension("booking_status", serde_json::json!(invalid.from)),
            TransitionError::NotExpiredYet => Problem::conflict(
                "hold-not-expired",
                "The hold has not expired yet",
                "wait until it is due",
            ),
            TransitionError::Busy => Problem::edit_conflict(),
            TransitionError::Unexpected(cause) => Problem::internal(&cause),
        }
    }
}

impl From<ChangeError> for Problem {
    fn from(err: ChangeError) -> Self {
        match err {
            ChangeError::NotFound => Problem::not_found("booking"),
            ChangeError::NotChangeable(status) => Problem::conflict(
                "not-changeable",
                "The booking can no longer be changed",
                format!("only HELD or CONFIRMED bookings change; this one is {status}"),
            )
            .with_extension("booking_status", serde_json::json!(status)),
            ChangeError::Rejected(hold) => hold.into(),
            ChangeError::Busy => Problem::edit_conflict(),
            ChangeError::Unexpected(cause) => Problem::internal(&cause),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::StaffId;

    fn booking(guest: Option<UserId>, vendor: VendorId) -> Booking {
        serde_json::from_value(serde_json::json!({
            "id": BookingId::generate(),
            "vendor_id": vendor,
            "resource_id": ResourceId::generate(),
            "guest_id": guest,
            "booked_by": "staff:x",
            "channel": "front_desk",
            "party_size": 2,
            "units": 1,
            "time": {"kind": "stay", "check_in": "2026-01-31", "check_out": "2026-02-01"},
            "time_zone": "Europe/Berlin",
            "buckets": [],
            "arrival_at": "2026-01-31T14:00:00Z",
            "quote": {"lines": [], "total": {"amount_minor": 100, "currency": "EUR"}},
            "status": "CANCELLED",
            "version": 1,
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-02T00:00:00Z",
        }))
        .unwrap()
    }

    #[test]
    fn whoever_may_read_a_booking_by_its_entry_is_whoever_may_act_on_it() {
        let (guest, vendor) = (UserId::generate(), VendorId::generate());
        let staff = |vendor_id| Caller::Staff {
            id: StaffId::generate(),
            vendor_id,
            manager: false,
        };
        let callers = [
            (Caller::Guest(guest), Some(Actor::Guest)),
            (Caller::Guest(UserId::generate()), None),
            (staff(vendor), Some(Actor::Staff)),
            (staff(VendorId::generate()), None),
            (Caller::Admin("ops".into()), Some(Actor::Staff)),
        ];

        for (caller, actor) in callers {
            let booked = booking(Some(guest), vendor);
            let requester = Requester::Caller(caller.clone());

            assert_eq!(requester.actor_for(&booked), actor, "{caller:?}");
            assert_eq!(may_read(&caller, &booked), actor.is_some(), "{caller:?}");
            assert_eq!(
                may_read_of(&caller, Some(guest), vendor),
                actor.is_some(),
                "{caller:?}"
            );
        }
        let walk_in = booking(None, vendor);
        assert!(!may_read(&Caller::Guest(guest), &walk_in));
        assert!(!may_read_of(&Caller::Guest(guest), None, vendor));
    }
}
